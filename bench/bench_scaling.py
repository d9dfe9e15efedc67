"""greenmark batch with one worker against two (and more): how the run scales with cores.

Run:
    python bench/bench_scaling.py                         # 1,000,000 gm-nrb rows, best of 3
    python bench/bench_scaling.py --rows 5000000 --workers 1 2 --repeat 2
    python bench/bench_scaling.py --input big.parquet --out csv --summary

Each run is ``greenmark batch INPUT --scheme S --out OUT --workers N --quiet`` in its
own process (start-up, reading, scoring, writing: end to end); the runs of every worker
count are interleaved (from compiled bytecode, as an installed greenmark runs), so a
machine that gets busier or quieter during the benchmark weighs on each alike. The table
shows the best wall time, the CPU time (user + system, all processes) and the peak
resident memory of that run, with the load average before and after; the last line is
``speed-up 2 workers / 1 worker = X.XX`` (best wall of one worker over best wall of
two).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import as_installed, bench_input


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (the process and the children it waited for) and peak
    resident MB of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr is not None else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:4])} … failed ({process.returncode}):\n{stderr}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    parser.add_argument("--scheme", default="gm-nrb")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--summary", action="store_true", help="also write --summary JSON")
    parser.add_argument("--input", type=Path, help="score this Parquet instead of a synthetic one")
    parser.add_argument("--data", type=Path, help="folder to keep the synthetic Parquet in")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="greenmark-scaling-") as temp:
        work = Path(temp)
        as_installed(work)  # compiled bytecode, as installed
        data, rows = bench_input(args.input, args.scheme, args.rows, args.data, work)
        commands = {}
        for workers in args.workers:
            command = [sys.executable, "-m", "greenmark", "batch", str(data)]
            command += ["--scheme", args.scheme, "--workers", str(workers), "--quiet"]
            command += ["--out", str(work / f"r{workers}.{args.out}")]
            if args.summary:
                command += ["--summary", str(work / f"s{workers}.json")]
            commands[workers] = command
        best = {workers: (float("inf"), 0.0, 0.0) for workers in commands}
        load_before = load()
        for _ in range(args.repeat):
            for workers, command in commands.items():
                found = timed(command)
                if found[0] < best[workers][0]:
                    best[workers] = found
        load_after = load()

    print(
        f"{args.scheme}, {rows:,} rows, best of {args.repeat}, Parquet in, {args.out} out"
        + (", summary" if args.summary else "")
        + f"; {len(os.sched_getaffinity(0))} cores; load {load_before} before, {load_after} after"
    )
    print("| workers | wall | CPU | peak RSS | rows/s |")
    print("| --- | --- | --- | --- | --- |")
    for workers, (wall, cpu, rss) in best.items():
        print(f"| {workers} | {wall:.2f} s | {cpu:.1f} s | {rss:,.0f} MB | {rows / wall:,.0f} |")
    if 1 in best:
        for workers in [w for w in best if w > 1]:
            ratio = best[1][0] / best[workers][0]
            print(f"speed-up {workers} workers / 1 worker = {ratio:.2f}")


if __name__ == "__main__":
    main()
