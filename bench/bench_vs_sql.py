"""greenmark batch against the same scoring written as a DuckDB query and as polars expressions.

Run:
    python bench/bench_vs_sql.py                    # 1,000,000 gm-nrb buildings, best of 3
    python bench/bench_vs_sql.py --rows 200000 --repeat 5
    python bench/bench_vs_sql.py --input my.parquet --show   # also print the SQL and polars code

One synthetic Parquet (``--input`` to take one, ``--data DIR`` to keep it) is
scored three ways, each end to end in its own process (start-up, reading,
scoring, writing Parquet with zstd): ``greenmark batch --quiet``, a DuckDB
``COPY (query) TO`` and a lazy polars program sunk to Parquet. The query and the
program are written from the scheme file by :mod:`scoring_queries` into the work
folder, as a user would write them by hand (all criteria, caps, floors, gates,
tiers, what blocks the next tier, status counts; the same output columns). Every
row of the three outputs is then compared: totals, tier, next tier, points needed,
what blocks, section totals and status counts must agree. The table shows the best
wall time of ``--repeat`` runs and the CPU time of that run (user + system, all
processes); the last line is ``greenmark/duckdb = X.XX`` (below 1.00: greenmark is
faster). Commands run as installed ones do, from compiled bytecode
(:func:`bench_batch.as_installed`).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import as_installed, bench_input
from scoring_queries import duckdb_query, polars_program

from greenmark.core.scheme import load_scheme, resolve_scheme

RUN_SQL = "import duckdb, sys; duckdb.connect().execute(open(sys.argv[1]).read())"
TOLERANCE = 1.01e-4


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def disagreements(reference: Path, other: Path) -> dict[str, int]:
    """Rows whose value differs, per result column (nulls equal; numbers within one unit of
    the 4th decimal: results are rounded to 4 decimals, and a sum summed in another order
    can land on the other side of a rounding boundary)."""
    ours, theirs = pq.read_table(reference), pq.read_table(other)
    if ours.num_rows != theirs.num_rows:
        return {"rows": abs(ours.num_rows - theirs.num_rows)}
    found = {f"{name} (not written by greenmark)": 1 for name in theirs.column_names}
    for name in ours.column_names:
        found.pop(f"{name} (not written by greenmark)", None)
    order = np.argsort(theirs.column("row").to_numpy(), kind="stable")
    theirs = theirs.take(order)
    for name in [n for n in ours.column_names if n in theirs.column_names]:
        a, b = ours.column(name), theirs.column(name)
        kind = a.type.value_type if pa.types.is_dictionary(a.type) else a.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            x = np.array(a.to_pylist(), dtype=object)
            y = np.array(b.to_pylist(), dtype=object)
            bad = int((x != y).sum())
        else:
            x = a.to_numpy(zero_copy_only=False).astype(np.float64)
            y = b.to_numpy(zero_copy_only=False).astype(np.float64)
            both_null = np.isnan(x) & np.isnan(y)
            close = np.abs(x - y) <= TOLERANCE
            bad = int((~(both_null | close)).sum())
        if bad:
            found[name] = bad
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (best is shown)")
    parser.add_argument("--scheme", default="gm-nrb")
    parser.add_argument("--workers", type=int, help="greenmark batch --workers (default: all)")
    parser.add_argument("--input", type=Path, help="score this Parquet instead of a synthetic one")
    parser.add_argument("--data", type=Path, help="folder to keep the synthetic Parquet in")
    parser.add_argument("--show", action="store_true", help="print the SQL and the polars code")
    args = parser.parse_args(argv)

    scheme = load_scheme(resolve_scheme(args.scheme))
    with tempfile.TemporaryDirectory(prefix="greenmark-vs-sql-") as temp:
        work = Path(temp)
        as_installed(work, "duckdb", "polars")  # compiled bytecode, as installed
        data, rows = bench_input(args.input, args.scheme, args.rows, args.data, work)
        outputs = {tool: work / f"{tool}.parquet" for tool in ("greenmark", "duckdb", "polars")}
        sql = work / "score.sql"
        sql.write_text(duckdb_query(scheme, str(data), str(outputs["duckdb"])), encoding="utf-8")
        program = work / "score_polars.py"
        program.write_text(
            polars_program(scheme, str(data), str(outputs["polars"])), encoding="utf-8"
        )
        if args.show:
            print(sql.read_text(encoding="utf-8"))
            print(program.read_text(encoding="utf-8"))
        batch = [sys.executable, "-m", "greenmark", "batch", str(data), "--scheme", args.scheme]
        batch += ["--out", str(outputs["greenmark"]), "--quiet"]
        if args.workers:
            batch += ["--workers", str(args.workers)]
        commands = {
            "greenmark": batch,
            "duckdb": [sys.executable, "-c", RUN_SQL, str(sql)],
            "polars": [sys.executable, str(program)],
        }
        best = {tool: (float("inf"), 0.0) for tool in commands}
        load_before = load()
        for _ in range(args.repeat):
            for tool, command in commands.items():
                wall, cpu = timed(command)
                if wall < best[tool][0]:
                    best[tool] = (wall, cpu)
        load_after = load()

        problems = {
            tool: disagreements(outputs["greenmark"], outputs[tool])
            for tool in ("duckdb", "polars")
        }
        written = set(pq.read_schema(outputs["duckdb"]).names)
        only_ours = [n for n in pq.read_schema(outputs["greenmark"]).names if n not in written]
    for tool, found in problems.items():
        if found:
            shown = ", ".join(f"{name} {count:,}" for name, count in found.items())
            raise SystemExit(f"{tool} disagrees with greenmark batch (rows per column): {shown}")

    workers = args.workers or len(os.sched_getaffinity(0))
    labels = {
        "greenmark": f"greenmark batch ({workers} worker{'s' if workers > 1 else ''})",
        "duckdb": "DuckDB SQL",
        "polars": "polars expressions",
    }
    print(
        f"{args.scheme}, {rows:,} rows, best of {args.repeat}, Parquet in and out; "
        f"load {load_before} before, {load_after} after"
    )
    print(
        "every row agrees: total, percent, tier, next tier, points needed, what blocks the "
        "next tier, sections, statuses"
    )
    if only_ours:
        print(f"greenmark also wrote {', '.join(only_ours)} (not in the query or the program)")
    print("| tool | wall | CPU | rows/s |")
    print("| --- | --- | --- | --- |")
    for tool, (wall, cpu) in best.items():
        print(f"| {labels[tool]} | {wall:.2f} s | {cpu:.1f} s | {rows / wall:,.0f} |")
    ours = best["greenmark"][0]
    print(f"greenmark/polars = {ours / best['polars'][0]:.2f}")
    print(f"greenmark/duckdb = {ours / best['duckdb'][0]:.2f}")


if __name__ == "__main__":
    main()
