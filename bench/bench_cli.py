"""Command start-up: median wall time of ``greenmark --version`` and of scoring one sample.

Run: python bench/bench_cli.py [--runs 10] [--sample samples/nrb-office-tower.toml]

Each command runs as a fresh process (the installed ``greenmark`` script next to this
Python, else ``python -m greenmark``), once to warm the file cache and the scheme
cache, then ``--runs`` times; prints the median, the fastest and the slowest, with
the machine's load. Targets on a quiet machine: ``--version`` at most 0.15 s, ``score``
at most 0.25 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command() -> list[str]:
    script = Path(sys.executable).with_name("greenmark")
    return [str(script)] if script.exists() else [sys.executable, "-m", "greenmark"]


def times(args: list[str], runs: int) -> list[float]:
    subprocess.run(args, check=True, capture_output=True)  # warm up
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        found.append(time.perf_counter() - started)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sample", type=Path, default=ROOT / "samples" / "nrb-office-tower.toml")
    args = parser.parse_args(argv)
    base = command()
    cases = {
        "--version": [*base, "--version"],
        f"score {args.sample.name}": [*base, "score", str(args.sample)],
    }
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"greenmark start-up, median of {args.runs} runs; load {load}")
    for label, args_ in cases.items():
        found = times(args_, args.runs)
        print(
            f"{label:<32} median {statistics.median(found):.3f} s  "
            f"(min {min(found):.3f}, max {max(found):.3f})"
        )


if __name__ == "__main__":
    main()
