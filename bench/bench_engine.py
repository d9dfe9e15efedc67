"""Engine throughput: score N synthetic buildings on the demo scheme, against the naive scorer.

Run: python bench/bench_engine.py [N] [SCHEME]   (default 1,000,000 on the demo scheme)
Prints buildings/second for the vectorised engine and for the pure-Python
reference scorer (timed on a 10,000-building sample), and their ratio. OpenBLAS runs
on one thread, as in the batch runner (its threads only spin-wait on the engine's
tall, thin matrix products).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from greenmark.core.engine import compile_scheme, score
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme
from greenmark.portfolio.runners import single_threaded_blas

ROOT = Path(__file__).resolve().parent.parent


def synthetic(scheme, n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Random inputs within each input's range, 5 % of every column missing."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for name, spec in scheme.inputs.items():
        if spec.type == "boolean":
            column = rng.integers(0, 2, n).astype(np.float64)
        elif spec.type == "choice":
            column = rng.integers(0, len(spec.choices or [1]), n).astype(np.float64)
        else:
            lo = spec.min if spec.min is not None else 0.0
            hi = spec.max if spec.max is not None else lo + 100.0
            hi = min(hi, lo + 300.0)
            column = rng.uniform(lo, hi, n)
            if spec.type == "integer":
                column = np.round(column)
        column[rng.random(n) < 0.05] = np.nan
        columns[name] = column
    columns["building_type"] = rng.integers(0, max(1, len(scheme.scheme.building_types)), n)
    columns["building_type"] = columns["building_type"].astype(np.float64)
    columns["gfa"] = rng.uniform(2_000, 100_000, n)
    return columns


def as_rows(scheme, columns: dict[str, np.ndarray], count: int) -> list[dict]:
    rows = []
    for i in range(count):
        row = {}
        for name, spec in scheme.inputs.items():
            value = columns[name][i]
            if np.isnan(value):
                continue
            if spec.type == "boolean":
                row[name] = bool(value)
            elif spec.type == "choice":
                row[name] = (spec.choices or [])[int(value)]
            else:
                row[name] = float(value)
        row["building_type"] = scheme.scheme.building_types[int(columns["building_type"][i])]
        row["gfa"] = float(columns["gfa"][i])
        rows.append(row)
    return rows


def main() -> None:
    single_threaded_blas()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    scheme_id = sys.argv[2] if len(sys.argv) > 2 else "demo"
    scheme = load_scheme(ROOT / "criteria" / f"{scheme_id}.toml")
    compiled = compile_scheme(scheme)
    columns = synthetic(scheme, n)
    score(compiled, {k: v[:1000] for k, v in columns.items()}, size=1000)  # warm up

    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = score(compiled, columns, size=n)
        best = min(best, time.perf_counter() - start)
    engine_rate = n / best

    sample = 10_000
    rows = as_rows(scheme, columns, sample)
    start = time.perf_counter()
    naive = [score_one(scheme, row) for row in rows]
    naive_rate = sample / (time.perf_counter() - start)

    agree = sum(int(result.tier_index[i]) == naive[i]["tier_index"] for i in range(sample))
    tiers = np.bincount(result.tier_index + 1, minlength=len(scheme.tiers) + 1)
    print(
        f"scheme {scheme.id} {scheme.version}: {len(scheme.criteria)} criteria, "
        f"{len(scheme.gates)} gates, {len(scheme.tiers)} tiers"
    )
    print(f"engine : {n:>10,} buildings in {best:.3f} s  = {engine_rate:>12,.0f} buildings/s")
    print(f"naive  : {sample:>10,} buildings            = {naive_rate:>12,.0f} buildings/s")
    print(f"ratio  : {engine_rate / naive_rate:,.0f}x  (tiers agree on {agree:,}/{sample:,})")
    print(
        "tier mix: "
        + ", ".join(
            f"{label}={count:,}"
            for label, count in zip(
                ["none", *[t.id for t in scheme.tiers]], tiers.tolist(), strict=True
            )
        )
    )


if __name__ == "__main__":
    main()
