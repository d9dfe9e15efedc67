"""Portfolio batch benchmark: end to end (Parquet in, gm-nrb scoring, Parquet out) and baselines.

Run:
    python bench/bench_batch.py                      # 1,000,000 buildings
    python bench/bench_batch.py --rows 10000000      # 10 M, streamed: memory stays flat
    python bench/bench_batch.py --workers 1 --runs 3

Prints, for ``greenmark batch INPUT.parquet --scheme gm-nrb --out OUT.parquet``
run as a subprocess: wall time, rows/s and the peak memory of the whole
process tree (parent + workers, sampled from /proc every 20 ms; ru_maxrss of
the largest single process too). Then, on a 10,000-row sample of the same data,
two baselines: a row-by-row pandas ``DataFrame.apply`` calling the engine for one
building at a time (what an analyst would write) and a plain Python loop over
:func:`greenmark.core.reference.score_one`; and the ratios of the batch throughput to
each (target: at least 100x the pandas path). The synthetic Parquet is written
once, in chunks, into a temporary folder (``--data DIR`` to keep and reuse it).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from greenmark.core.engine import compile_scheme, encode_inputs, score
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.synthetic import Distributions, chunks, to_arrow

ROOT = Path(__file__).resolve().parent.parent


#: What ``greenmark batch`` imports (its command, the engine's kernels): compiled once
#: before any timing by :func:`as_installed`.
BATCH_MODULES = (
    "greenmark.cli.main",
    "greenmark.cli.batch",
    "greenmark.core.engine_kernels",
    "greenmark.core.engine_kernels_tiers",
)


def as_installed(scratch: Path, *others: str) -> None:
    """Commands this process starts from now on run as an installed greenmark does: with
    compiled bytecode (kept under ``scratch`` through ``PYTHONPYCACHEPREFIX``, so that the
    source tree is not touched even where ``PYTHONDONTWRITEBYTECODE`` is set), instead of
    compiling every module whose bytecode is missing, each run. The bytecode of what a
    batch imports (and of the modules ``others``) is written here, before any timing."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    modules = ", ".join((*BATCH_MODULES, *others))
    subprocess.run([sys.executable, "-c", f"import {modules}"], check=True)


def bench_input(
    given: Path | None, scheme_id: str, rows: int, keep: Path | None, work: Path
) -> tuple[Path, int]:
    """The Parquet a bench scores and its rows: ``given`` (``--input``), else the
    synthetic portfolio of ``rows`` rows, kept in ``keep`` (``--data``) or ``work``."""
    if given is not None:
        data = given.resolve()
        return data, pq.ParquetFile(str(data)).metadata.num_rows
    folder = keep or work
    folder.mkdir(parents=True, exist_ok=True)
    return portfolio(scheme_id, rows, folder).resolve(), rows


def portfolio(scheme_id: str, rows: int, folder: Path, seed: int = 2026) -> Path:
    """The synthetic portfolio as Parquet, generated once (streamed in 200,000-row chunks)."""
    path = folder / f"{scheme_id}-{rows}.parquet"
    if path.exists():
        return path
    scheme = load_scheme(resolve_scheme(scheme_id))
    distributions = Distributions.load(ROOT / "samples" / "portfolio" / "distributions.toml")
    started = time.perf_counter()
    temp = path.with_suffix(".tmp")
    writer = None
    for chunk in chunks(scheme, rows, distributions, seed=seed, chunk=200_000):
        table = to_arrow(chunk)
        if writer is None:
            writer = pq.ParquetWriter(str(temp), table.schema, compression="zstd")
        writer.write_table(table, row_group_size=200_000)
    assert writer is not None
    writer.close()
    temp.rename(path)
    size = path.stat().st_size / 1e6
    print(f"generated {rows:,} rows ({size:,.0f} MB) in {time.perf_counter() - started:.1f} s")
    return path


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as stream:
                found.extend(int(c) for c in stream.read().split())
    except OSError:
        pass
    return found


def _rss(pid: int) -> int:
    """Resident memory of one process, bytes (0 when gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, bytes."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss(current)
        pending.extend(_children(current))
    return total


def end_to_end(data: Path, out: Path, scheme_id: str, workers: int | None) -> dict[str, Any]:
    """Run ``greenmark batch`` on ``data``; wall time and peak memory of the process tree."""
    command = [sys.executable, "-m", "greenmark", "batch", str(data), "--scheme", scheme_id]
    command += ["--out", str(out), "--quiet"]
    if workers:
        command += ["--workers", str(workers)]
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"greenmark batch failed ({process.returncode}):\n{stderr}")
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"seconds": elapsed, "peak_tree": peak, "largest_process": largest, "log": stderr}


def baselines(data: Path, scheme_id: str, sample: int) -> tuple[float, float, int]:
    """Rows/s of a row-by-row pandas ``apply`` (engine, one building per call) and of a plain
    loop over the naive scalar scorer, on the first ``sample`` rows; and their agreement."""
    scheme = load_scheme(resolve_scheme(scheme_id))
    compiled = compile_scheme(scheme)
    frame = next(pq.ParquetFile(str(data)).iter_batches(batch_size=sample)).to_pandas()
    names = [*scheme.inputs, "gfa", "building_type"]

    def values(row: Any) -> dict[str, Any]:
        found = {}
        for name in names:
            value = row[name]
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            found[name] = value.item() if hasattr(value, "item") else value
        return found

    def analyst(row: Any) -> float:  # what one would write with pandas
        result = score(compiled, encode_inputs(compiled, [values(row)]), size=1)
        return float(result.total_points[0])

    started = time.perf_counter()
    by_apply = frame.apply(analyst, axis=1)
    apply_rate = len(frame) / (time.perf_counter() - started)

    rows = [values(row) for _, row in frame.iterrows()]
    started = time.perf_counter()
    naive = [score_one(scheme, row) for row in rows]
    loop_rate = len(rows) / (time.perf_counter() - started)
    agree = sum(
        abs(a - n["total_points"]) < 1e-6 for a, n in zip(by_apply.tolist(), naive, strict=True)
    )
    return apply_rate, loop_rate, agree


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scheme", default="gm-nrb")
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    parser.add_argument("--runs", type=int, default=1, help="end-to-end runs (best is shown)")
    parser.add_argument("--sample", type=int, default=10_000, help="rows for the baselines")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--data", type=Path, help="folder to keep the synthetic Parquet in")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="greenmark-bench-") as temp:
        folder = args.data or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        data = portfolio(args.scheme, args.rows, folder)
        out = Path(temp) / "results.parquet"
        runs = [end_to_end(data, out, args.scheme, args.workers) for _ in range(args.runs)]
        best = min(runs, key=lambda r: r["seconds"])
        rate = args.rows / best["seconds"]
        workers = args.workers or len(os.sched_getaffinity(0))
        print(
            f"batch  : {args.rows:>10,} buildings end to end in {best['seconds']:.2f} s "
            f"= {rate:>10,.0f} buildings/s  ({args.scheme}, {workers} workers, "
            f"Parquet in and out)"
        )
        print(
            f"memory : peak {best['peak_tree'] / 2**20:,.0f} MiB for the process tree "
            f"(largest single process {best['largest_process'] / 2**20:,.0f} MiB)"
        )
        if len(runs) > 1:
            print("runs   : " + ", ".join(f"{r['seconds']:.2f} s" for r in runs))
        if args.no_baselines:
            return
        try:
            import pandas  # noqa: F401 - the analyst's baseline is a pandas apply
        except ModuleNotFoundError:
            print("pandas is not installed (pip install 'greenmark[dask]'): no baselines")
            return
        apply_rate, loop_rate, agree = baselines(data, args.scheme, args.sample)
        print(f"pandas : {args.sample:>10,} buildings, row-by-row apply = {apply_rate:>10,.0f}/s")
        print(f"loop   : {args.sample:>10,} buildings, naive scorer    = {loop_rate:>10,.0f}/s")
        print(
            f"ratio  : batch {rate / apply_rate:,.0f}x the pandas apply, "
            f"{rate / loop_rate:,.0f}x the plain loop (totals agree on {agree:,}/{args.sample:,})"
        )


if __name__ == "__main__":
    main()
