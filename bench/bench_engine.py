"""Engine throughput: score N synthetic buildings in one call, against one pass over the input.

Run: python bench/bench_engine.py [N] [SCHEME] [--runs R] [--naive M] [--stages]
                                  [--chunk-rows C] [--library-defaults]
(default 1,000,000 buildings on gm-nrb, best of 5)

The input is built as the batch builds it: a seeded synthetic portfolio
(:mod:`greenmark.portfolio.synthetic`, the distributions of ``samples/portfolio``) is
parsed by :func:`greenmark.portfolio.chunk.prepare` through the direct mapping, and
scored as :func:`greenmark.portfolio.chunk.score_prepared` scores a chunk
(``explain=False``), in one call; and, as the batch scores a file, in chunks of
``--chunk-rows`` rows (65,536 by default: one engine call per chunk, whose results
then fit in memory the process already has). Batches of 20,000 buildings or more take
the engine's compiled kernels (:mod:`greenmark.core.engine_kernels`), compiled or
loaded from their disk cache before the timings.

Prints, best of R runs, the wall time and the user and system CPU time of the engine
(in one call, then in chunks) and of one numpy pass over the same input arrays (every
column summed once: what merely reading the input from memory costs); the
buildings/second of the engine and of the pure-Python reference scorer (timed on M
buildings); with ``--stages`` the user CPU time of each stage of the engine (inputs
and derived quantities; the inputs' NaN bits; criteria; groups and totals; gates,
floors, tiers and badges; the rest); the machine's load; and last the ratio
``engine/memory-pass`` (wall times, the engine in one call). OpenBLAS runs on one
thread, as in the batch runner.

The engine's system time is the kernel handing out the fresh pages its results fill
(the memory pass allocates nothing). The bench runs as the ``greenmark`` command does:
numpy gives no huge-page advice (``NUMPY_MADVISE_HUGEPAGE=0``: on a kernel that compacts
memory to find huge pages, a fresh array costs more than the work done on it) and the C
allocator keeps freed arrays for the next call
(:func:`greenmark.portfolio.runners.reuse_freed_memory`, as batch runs do);
``--library-defaults`` leaves both at numpy's and glibc's defaults, to tell them apart.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from greenmark.core import engine as engine_module
from greenmark.core import engine_batch
from greenmark.core.engine import compile_scheme, score
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.chunk import Plan, prepare
from greenmark.portfolio.mapping import bind, direct_mapping
from greenmark.portfolio.runners import reuse_freed_memory, single_threaded_blas
from greenmark.portfolio.synthetic import Distributions, chunks, to_arrow

ROOT = Path(__file__).resolve().parent.parent


def best_of(runs: int, func: Callable[[], Any]) -> tuple[float, float, float]:
    """Shortest wall, user CPU and system CPU time (s) of ``runs`` calls (each minimum
    on its own: the system time is mostly the kernel handing out fresh pages)."""
    wall = user = system = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        func()
        wall = min(wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_SELF)
        user = min(user, after.ru_utime - before.ru_utime)
        system = min(system, after.ru_stime - before.ru_stime)
    return wall, user, system


def encoded_inputs(
    scheme_id: str, n: int, seed: int = 2026
) -> tuple[Any, dict[str, np.ndarray], dict[str, np.ndarray] | None, list[dict[str, Any]]]:
    """The scheme, the engine arrays of ``n`` synthetic buildings (as a batch chunk
    encodes them), the assessor's N/A marks, and the first rows as plain values."""
    scheme = load_scheme(resolve_scheme(scheme_id))
    distributions = Distributions.load(ROOT / "samples" / "portfolio" / "distributions.toml")
    parts: list[dict[str, np.ndarray]] = []
    marks: list[dict[str, np.ndarray]] = []
    rows: list[dict[str, Any]] = []
    plan: Plan | None = None
    for chunk in chunks(scheme, n, distributions, seed=seed, chunk=200_000):
        table = to_arrow(chunk)
        if plan is None:
            plan = Plan.from_binding(
                scheme, bind(direct_mapping(scheme, table.column_names), scheme)
            )
            rows = table.slice(0, 10_000).to_pylist()
        prepared = prepare(plan, table)
        parts.append(prepared.arrays)
        if prepared.not_applicable:
            marks.append(prepared.not_applicable)
    arrays = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    not_applicable = (
        {cid: np.concatenate([m[cid] for m in marks]) for cid in marks[0]} if marks else None
    )
    return scheme, arrays, not_applicable, rows


def memory_pass(arrays: dict[str, np.ndarray]) -> float:
    """One numpy pass over every input column."""
    return float(sum(float(column.sum()) for column in arrays.values()))


STAGES = {
    "inputs": (engine_module, "_environment"),  # inputs, defaults, flags, derived quantities
    "nan bits": (engine_batch.Batch, "bits"),  # which inputs each building lacks
    "criteria": (engine_batch.Batch, "criteria"),  # rule formulas, statuses, sections
    "totals": (engine_batch.Batch, "totals"),  # groups and totals
    "conditions": (engine_batch.Batch, "conditions"),  # gates, floors, tiers, badges
}


def _user() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


def stage_times(engine: Callable[[], Any], runs: int) -> dict[str, float]:
    """User CPU time of each stage of the engine, without the stages it calls (best of
    ``runs``); the rest as ``other``."""
    spent: dict[str, float] = {}
    inner: list[float] = []  # per running stage: time spent in the stages it called
    originals = {name: getattr(owner, attr) for name, (owner, attr) in STAGES.items()}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            inner.append(0.0)
            start = _user()
            try:
                return func(*args, **kwargs)
            finally:
                took = _user() - start
                nested = inner.pop()
                spent[name] = spent.get(name, 0.0) + took - nested
                if inner:
                    inner[-1] += took

        return run

    best = {name: float("inf") for name in [*STAGES, "other", "total"]}
    try:
        for name, (owner, attr) in STAGES.items():
            found = originals[name]
            if isinstance(found, property):
                assert found.fget is not None
                setattr(owner, attr, property(timed(name, found.fget)))
            else:
                setattr(owner, attr, timed(name, found))
        for _ in range(runs):
            spent.clear()
            start = _user()
            engine()
            total = _user() - start
            for name in STAGES:
                best[name] = min(best[name], spent.get(name, 0.0))
            best["other"] = min(best["other"], total - sum(spent.values()))
            best["total"] = min(best["total"], total)
    finally:
        for name, (owner, attr) in STAGES.items():
            setattr(owner, attr, originals[name])
    return best


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None and k not in ("id", "name")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("scheme", nargs="?", default="gm-nrb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive", type=int, default=2_000, help="rows for the naive scorer")
    parser.add_argument("--stages", action="store_true", help="time each engine stage")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=65_536,
        help="also score the input in chunks of this many rows, as the batch does (0: not)",
    )
    parser.add_argument(
        "--library-defaults",
        action="store_true",
        help="numpy advises huge pages and glibc returns freed memory (not as greenmark runs)",
    )
    args = parser.parse_args(argv)
    single_threaded_blas()
    if not args.library_defaults:
        from numpy._core.multiarray import _set_madvise_hugepage

        _set_madvise_hugepage(False)
        reuse_freed_memory()
    n = args.n
    scheme, arrays, marks, rows = encoded_inputs(args.scheme, n)
    compiled = compile_scheme(scheme)
    load_before = os.getloadavg()

    def engine() -> Any:
        return score(compiled, arrays, size=n, not_applicable=marks, explain=False)

    result = engine()  # warm up (and compile any kernel)
    engine_wall, engine_user, engine_system = best_of(args.runs, engine)
    pass_wall, pass_user, pass_system = best_of(args.runs, lambda: memory_pass(arrays))
    chunked: tuple[float, float, float] | None = None
    if 0 < args.chunk_rows < n:
        size = args.chunk_rows
        parts = [
            (
                {name: column[lo : lo + size] for name, column in arrays.items()},
                {cid: flags[lo : lo + size] for cid, flags in marks.items()} if marks else None,
            )
            for lo in range(0, n, size)
        ]

        def by_chunks() -> None:
            for part, part_marks in parts:
                rows_in = len(next(iter(part.values())))
                score(compiled, part, size=rows_in, not_applicable=part_marks, explain=False)

        by_chunks()
        chunked = best_of(args.runs, by_chunks)

    naive_rate = float("nan")
    agree = 0
    sample = min(args.naive, len(rows), n)
    if sample:
        plain = [_plain(row) for row in rows[:sample]]
        start = time.perf_counter()
        naive = [score_one(scheme, row) for row in plain]
        naive_rate = sample / (time.perf_counter() - start)
        agree = sum(int(result.tier_index[i]) == naive[i]["tier_index"] for i in range(sample))

    tiers = np.bincount(result.tier_index + 1, minlength=len(scheme.tiers) + 1)
    megabytes = sum(column.nbytes for column in arrays.values()) / 1e6
    print(
        f"scheme {scheme.id} {scheme.version}: {len(scheme.criteria)} criteria, "
        f"{len(scheme.gates)} gates, {len(scheme.tiers)} tiers; "
        f"{len(arrays)} input columns, {megabytes:,.0f} MB"
    )
    print(
        "tier mix: "
        + ", ".join(
            f"{label}={count:,}"
            for label, count in zip(
                ["none", *[t.id for t in scheme.tiers]], tiers.tolist(), strict=True
            )
        )
    )
    print(
        f"engine      : {n:>10,} buildings, best of {args.runs}: {engine_wall:.3f} s wall, "
        f"{engine_user:.3f} s user + {engine_system:.3f} s system CPU "
        f"= {n / engine_wall:,.0f} buildings/s"
    )
    print(
        f"memory pass : {n:>10,} buildings, best of {args.runs}: {pass_wall:.3f} s wall, "
        f"{pass_user:.3f} s user + {pass_system:.3f} s system CPU"
    )
    if sample:
        print(
            f"naive       : {sample:>10,} buildings = {naive_rate:>12,.0f} buildings/s; "
            f"engine {n / engine_wall / naive_rate:,.0f}x (tiers agree on {agree:,}/{sample:,})"
        )
    if chunked is not None:
        print(
            f"in chunks   : {args.chunk_rows:>10,} rows each, best of {args.runs}: "
            f"{chunked[0]:.3f} s wall, {chunked[1]:.3f} s user + {chunked[2]:.3f} s system CPU"
            f"; chunks/memory-pass = {chunked[0] / pass_wall:.1f}"
        )
    if args.stages:
        for stage, seconds in stage_times(engine, args.runs).items():
            print(f"  stage {stage:<12}: {seconds:.3f} s user CPU (best of {args.runs})")
    load_after = os.getloadavg()
    print(
        "load (1, 5, 15 min): before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
        + f"; {os.cpu_count()} CPUs"
    )
    print(f"engine user CPU / memory-pass = {engine_user / pass_wall:.1f}")
    print(f"engine/memory-pass = {engine_wall / pass_wall:.1f}")


if __name__ == "__main__":
    main()
