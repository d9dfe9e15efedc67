"""Command start-up: wall and CPU time of ``greenmark --version`` and of scoring one sample.

Run: python bench/bench_cli.py [--runs 10] [--sample samples/gm2021-office-sle.toml]
                               [--cold-cache] [--as-is]

Each command runs as a fresh process (the installed ``greenmark`` script next to this
Python, else ``python -m greenmark``), once to warm the file cache and greenmark's
cache (the checked scheme, the factor tables, the validated project file), then
``--runs`` times. The last case scores a copy of the sample edited before each run (one
more comment line), as a designer does between runs: its project file is never in the
cache. Each case prints the median wall time with the fastest and the slowest, the
median CPU time (user + system, of the process and its children) and the machine's load
before and after, since on a shared machine the wall time says more about the neighbours
than about greenmark. Targets on a quiet machine: ``--version`` at most
0.15 s, ``score`` at most 0.25 s.

The commands run as an installed greenmark does: with compiled bytecode (kept in a
private folder through ``PYTHONPYCACHEPREFIX``, so the source tree is not touched, even
when ``PYTHONDONTWRITEBYTECODE`` is set) and with greenmark's cache in a private folder.
``--as-is`` keeps the environment untouched instead; ``--cold-cache`` turns greenmark's
cache off (``GREENMARK_NO_CACHE=1``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command() -> list[str]:
    script = Path(sys.executable).with_name("greenmark")
    return [str(script)] if script.exists() else [sys.executable, "-m", "greenmark"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def times(
    args: list[str], runs: int, env: dict[str, str], before: Callable[[], None] | None = None
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``runs`` runs (after one run to warm up);
    ``before()`` runs ahead of each, untimed."""
    subprocess.run(args, check=True, capture_output=True, env=env)  # warm up
    walls, cpus = [], []
    for _ in range(runs):
        if before is not None:
            before()
        cpu = _children_cpu()
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
    return walls, cpus


def edit(sample: Path, copy: Path) -> Callable[[], None]:
    """A function that writes ``sample`` to ``copy`` with one more comment line each time:
    a designer's loop of edit and score, where the project file is never in the cache."""
    text = sample.read_text(encoding="utf-8")
    edits = itertools.count()

    def write() -> None:
        copy.write_text(f"{text}\n# edit {next(edits)}\n", encoding="utf-8")

    write()
    return write


def environment(scratch: Path, as_is: bool, cold_cache: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        env["GREENMARK_CACHE_DIR"] = str(scratch / "cache")
    if cold_cache:
        env["GREENMARK_NO_CACHE"] = "1"
    return env


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sample", type=Path, default=ROOT / "samples" / "gm2021-office-sle.toml")
    parser.add_argument("--cold-cache", action="store_true", help="no scheme cache")
    parser.add_argument("--as-is", action="store_true", help="leave the environment alone")
    args = parser.parse_args(argv)
    base = command()
    with tempfile.TemporaryDirectory(prefix="greenmark-bench-") as scratch:
        edited = Path(scratch) / args.sample.name
        cases: dict[str, tuple[list[str], Callable[[], None] | None]] = {
            "--version": ([*base, "--version"], None),
            f"score {args.sample.name}": ([*base, "score", str(args.sample)], None),
            "score, the file just edited": (
                [*base, "score", str(edited)],
                edit(args.sample, edited),
            ),
        }
        env = environment(Path(scratch), args.as_is, args.cold_cache)
        print(
            f"greenmark start-up, median of {args.runs} runs"
            f"{' (environment as is)' if args.as_is else ''}"
            f"{' (no scheme cache)' if args.cold_cache else ''}; load {_load()}"
        )
        for label, (args_, before) in cases.items():
            walls, cpus = times(args_, args.runs, env, before)
            print(
                f"{label:<32} wall {statistics.median(walls):.3f} s "
                f"(min {min(walls):.3f}, max {max(walls):.3f})  "
                f"cpu {statistics.median(cpus):.3f} s (min {min(cpus):.3f})"
            )
        print(f"load after: {_load()}")


if __name__ == "__main__":
    main()
