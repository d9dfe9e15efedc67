"""Several schemes in one pass (``greenmark batch --schemes a,b``): every chunk is parsed
and scored under each scheme in the same worker call, and the results are laid side by side.

Results: the first scheme's columns keep their single-scheme names and order (a
single-scheme run is unchanged); then ``skipped_under`` (the ids of the schemes that
skipped the row, joined by ``;``, empty when every scheme scored it); then each further
scheme's own columns prefixed with its id and a dot (``edge.tier``,
``gm-2021.sec_carbon``, ``gm-2021.pts_EN-1``). The building's own columns (``row``,
``id``, ``name``, ``building_type``, ``gfa`` and the ``[keep]`` columns) appear once,
as the first scheme that scored the row read them.

Decision: a bad value skips the row under the scheme that refuses it, and only there
(an EDGE building type that Green Mark does not rate, a value outside one scheme's
range). Every scheme's results are then exactly what a run of that scheme alone gives,
its tier mix included; a row is written when at least one scheme scored it, and the
errors file names the schemes behind each problem (``scheme``: ids joined by ``;``, one
line for a problem every scheme shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.portfolio.chunk import (
    ERRORS_SCHEMA,
    ChunkResult,
    FieldPlan,
    Plan,
    Prepared,
    prepare,
    score_chunk,
    score_prepared,
    score_projects,
)

#: The building's own columns, shared by every scheme (then the ``[keep]`` columns).
SHARED = ("row", "id", "name", "building_type", "gfa")
SKIPPED_UNDER = "skipped_under"
MULTI_ERRORS_SCHEMA = ERRORS_SCHEMA.append(pa.field("scheme", pa.string()))
_PROBLEM_KEYS = [f.name for f in ERRORS_SCHEMA]


@dataclass
class MultiPlan:
    """The plans of several schemes over the same input, the first scheme's first
    (picklable: it travels to pool workers and Dask like a :class:`Plan`)."""

    plans: list[Plan]

    def __post_init__(self) -> None:
        if len(self.plans) < 2:
            raise ValueError("a MultiPlan compares at least two schemes")
        seen: dict[str, Scheme] = {}
        for plan in self.plans:
            if plan.scheme.id in seen:
                raise GreenmarkError(f"scheme {plan.scheme.id!r} is named twice")
            seen[plan.scheme.id] = plan.scheme
            if plan.routes:
                raise GreenmarkError("a per-row scheme column and several schemes do not mix")
        names = self.results_schema().names
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise GreenmarkError(f"result columns named twice: {', '.join(clash)}")

    @property
    def first(self) -> Plan:
        return self.plans[0]

    @property
    def scheme(self) -> Scheme:
        return self.first.scheme

    @property
    def fields(self) -> list[FieldPlan]:
        return self.first.fields

    @property
    def ids(self) -> list[str]:
        return [p.scheme.id for p in self.plans]

    @property
    def prefixes(self) -> list[str]:
        """Each scheme's column prefix: none for the first, ``<id>.`` for the others."""
        return ["", *(f"{p.scheme.id}." for p in self.plans[1:])]

    @property
    def shared(self) -> list[str]:
        return [*SHARED, *self.first.keep]

    @property
    def columns(self) -> list[str]:
        """File columns read by any of the schemes, each once."""
        return list(dict.fromkeys(c for p in self.plans for c in p.columns))

    def results_schema(self) -> pa.Schema:
        fields = [*self.first.results_schema(), pa.field(SKIPPED_UNDER, pa.string())]
        shared = set(self.shared)
        for prefix, plan in zip(self.prefixes[1:], self.plans[1:], strict=True):
            schema = plan.results_schema()
            fields += [f.with_name(prefix + f.name) for f in schema if f.name not in shared]
        return pa.schema(fields)

    def empty_results(self) -> pa.Table:
        return self.results_schema().empty_table()

    def scored_masks(self, results: pa.Table) -> list[np.ndarray]:
        """Per scheme, the rows of a results table it scored (``total_points`` given)."""
        return [
            np.asarray(pc.is_valid(results.column(f"{prefix}total_points")), dtype=bool)
            for prefix in self.prefixes
        ]


AnyPlan = Plan | MultiPlan


def plans_of(plan: AnyPlan) -> list[Plan]:
    """The single-scheme plans of ``plan``."""
    return plan.plans if isinstance(plan, MultiPlan) else [plan]


def errors_schema(plan: AnyPlan) -> pa.Schema:
    """The errors file's columns: with several schemes, a ``scheme`` column last."""
    return MULTI_ERRORS_SCHEMA if isinstance(plan, MultiPlan) else ERRORS_SCHEMA


def score_batch(plan: AnyPlan, batch: pa.RecordBatch | pa.Table, source: str = "") -> ChunkResult:
    """Score one chunk of rows under one scheme or several (what every runner calls)."""
    if not isinstance(plan, MultiPlan):
        return score_chunk(plan, batch, source)
    prepared = [prepare(p, batch, source) for p in plan.plans]
    done = [score_prepared(p, q, source) for p, q in zip(plan.plans, prepared, strict=True)]
    return merge(plan, done, batch.num_rows, skipped_by(plan.ids, prepared))


def score_project_files(plan: AnyPlan, paths: Sequence[str]) -> ChunkResult:
    """Score a chunk of project files under one scheme or several."""
    if not isinstance(plan, MultiPlan):
        return score_projects(plan, paths)
    return merge(plan, [score_projects(p, paths) for p in plan.plans], len(paths))


def merge(
    plan: MultiPlan, done: list[ChunkResult], size: int, reasons: dict[str, int] | None = None
) -> ChunkResult:
    """Lay each scheme's results of one chunk side by side (rows scored by at least one).
    ``reasons``: the skipped rows by reason (default: each scheme's, named after it)."""
    scored = [d.results.column("row").to_numpy(zero_copy_only=False) for d in done]
    written = np.zeros(size, dtype=bool)
    for rows in scored:
        written[rows] = True
    union = np.flatnonzero(written)
    aligned: list[pa.Table] = []
    missing: list[np.ndarray | None] = []
    for result, rows in zip(done, scored, strict=True):
        if len(rows) == len(union):
            aligned.append(result.results)
            missing.append(None)
            continue
        position = np.full(size, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        index = position[union]
        gone = index < 0
        aligned.append(result.results.take(pa.array(index, pa.int64(), mask=gone)))
        missing.append(gone)
    shared = set(plan.shared)
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for name in aligned[0].column_names:
        if name == "row":
            arrays.append(pa.array(union, pa.int64()))
        elif name in shared and missing[0] is not None:
            arrays.append(pc.coalesce(*(t.column(name) for t in aligned)))
        else:
            arrays.append(aligned[0].column(name))
    arrays.append(_skipped_under(plan.ids, missing, len(union)))
    for table in aligned[1:]:
        arrays += [table.column(n) for n in table.column_names if n not in shared]
    results = pa.Table.from_arrays(arrays, schema=plan.results_schema())
    if reasons is None:
        reasons = {}
        for scheme_id, result in zip(plan.ids, done, strict=True):
            for key, count in result.skipped_by.items():
                reasons[f"{key} under {scheme_id}"] = count
    errors = merge_errors([d.errors for d in done], plan.ids)
    return ChunkResult(size, results, errors, dict(done[0].out_of_scope), reasons)


def _first_problems(prepared: Prepared) -> np.ndarray:
    """Per row, its first problem's kind and column ("" for none), as the single-scheme
    counts name it."""
    first = np.full(prepared.size, -1, dtype=np.int64)
    labels: list[str] = []
    for problem in prepared.problems:
        label = problem.kind or "problem"
        labels.append(f"{label} ({problem.column})" if problem.column else label)
        rows = problem.rows[first[problem.rows] < 0]
        first[rows] = len(labels) - 1
    return np.asarray([*labels, ""], dtype=object)[first]


def skipped_by(ids: list[str], prepared: list[Prepared]) -> dict[str, int]:
    """Skipped rows by their first problem: once ``under every scheme`` when each scheme
    skipped the row for the same reason, else once per scheme that skipped it
    (``under <id>``). Call after scoring (rows out of scope have no problems then)."""
    if not any(p.problems for p in prepared):
        return {}
    firsts = [_first_problems(p) for p in prepared]
    rows = np.flatnonzero(np.logical_or.reduce([f != "" for f in firsts]))
    firsts = [f[rows] for f in firsts]
    shared = np.logical_and.reduce([f == firsts[0] for f in firsts[1:]]) & (firsts[0] != "")
    counts: dict[str, int] = {}
    for label, count in zip(*np.unique(firsts[0][shared], return_counts=True), strict=True):
        counts[f"{label} under every scheme"] = int(count)
    for scheme_id, first in zip(ids, firsts, strict=True):
        own = first[~shared & (first != "")]
        for label, count in zip(*np.unique(own, return_counts=True), strict=True):
            counts[f"{label} under {scheme_id}"] = int(count)
    return counts


def _skipped_under(ids: list[str], missing: list[np.ndarray | None], size: int) -> pa.Array:
    """Per written row, the schemes that skipped it (``;``-joined, "" for none)."""
    if all(m is None for m in missing):
        return pa.repeat(pa.scalar("", pa.string()), size)
    codes = np.zeros(size, dtype=np.int64)
    for bit, gone in enumerate(missing):
        if gone is not None:
            codes |= gone.astype(np.int64) << bit
    unique, inverse = np.unique(codes, return_inverse=True)
    texts = [";".join(i for b, i in enumerate(ids) if code >> b & 1) for code in unique.tolist()]
    return pc.take(pa.array(texts, pa.string()), pa.array(inverse.astype(np.int64)))


def merge_errors(tables: list[pa.Table], ids: list[str]) -> pa.Table:
    """Every scheme's problems, one line per distinct problem, naming the schemes that
    found it (``scheme``, ids joined by ``;``); ordered by row, then as found."""
    parts = [
        t.append_column("scheme", pa.repeat(pa.scalar(i, pa.string()), t.num_rows))
        for t, i in zip(tables, ids, strict=True)
        if t.num_rows
    ]
    if not parts:
        return MULTI_ERRORS_SCHEMA.empty_table()
    found = pa.concat_tables(parts)
    found = found.append_column("_order", pa.array(np.arange(found.num_rows, dtype=np.int64)))
    grouped = found.group_by(_PROBLEM_KEYS, use_threads=False).aggregate(
        [("scheme", "list"), ("_order", "min")]
    )
    grouped = grouped.sort_by([("row", "ascending"), ("_order_min", "ascending")])
    columns = [grouped.column(n) for n in _PROBLEM_KEYS]
    columns.append(pc.binary_join(grouped.column("scheme_list"), ";"))
    return pa.Table.from_arrays(columns, schema=MULTI_ERRORS_SCHEMA)
