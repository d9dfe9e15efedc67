"""Portfolio batch scoring: turn one chunk of rows into engine arrays and score it in one call.

:func:`score_chunk` is the single chunk-scoring function every runner uses (in
process, in a process pool, or inside Dask's ``map_partitions``). It parses the
mapped columns of an Arrow batch with whole-column Arrow/numpy operations
(missing markers, thousands separators, units, aliases, ranges), sets aside
every row with a bad value (one problem per bad cell, for the errors file),
scores the remaining rows with ONE call to :func:`greenmark.core.engine.score` and
returns the results and the problems as Arrow tables. Row numbers in a
:class:`ChunkResult` are local (0-based); the runner adds the chunk's offset.

Decision: a bad value skips its row. Scoring the rest of the row with that value
treated as missing would quietly turn a typo into "not assessed" and change the
tier; skipping keeps every scored result honest and every skipped row listed.

Kept as one idea past 600 lines: parsing a chunk's columns and scoring them share
the row masks that decide which rows are skipped and why.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.engine import CompiledScheme, Scores, Status, compile_scheme, score
from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.portfolio.mapping import (
    FALSE_WORDS,
    TRUE_WORDS,
    Binding,
    FieldPlan,
    normalise_option,
)

#: Scheme inputs copied into the results (scheme units) and summarised area-weighted by type.
SUMMARY_METRICS = ("eui", "embodied_carbon")
STATUS_COLUMNS = (
    ("n_awarded", Status.AWARDED),
    ("n_partial", Status.PARTIAL),
    ("n_not_met", Status.NOT_MET),
    ("n_not_assessed", Status.NOT_ASSESSED),
    ("n_not_applicable", Status.NOT_APPLICABLE),
)
ERRORS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("row", pa.int64()),
        ("line", pa.int64()),
        ("id", pa.string()),
        ("column", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
    ]
)
_DIGITS = 4  # points in the results are rounded to 4 decimals

_compiled: dict[str, CompiledScheme] = {}


@dataclass
class Plan:
    """What every chunk needs: the scheme, the bound mapping and the results layout (picklable)."""

    scheme: Scheme
    fields: list[FieldPlan]
    key: str = ""  # identifies the scheme for the per-process compile cache

    def __post_init__(self) -> None:
        if not self.key:
            digest = hashlib.sha256(self.scheme.model_dump_json().encode()).hexdigest()[:16]
            self.key = f"{self.scheme.id}:{digest}"

    @classmethod
    def from_binding(cls, scheme: Scheme, binding: Binding) -> Plan:
        return cls(scheme, list(binding.fields))

    @property
    def compiled(self) -> CompiledScheme:
        """The compiled scheme, compiled once per process (formulas are closures)."""
        found = _compiled.get(self.key)
        if found is None:
            found = _compiled[self.key] = compile_scheme(self.scheme)
        return found

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(f.column for f in self.fields))

    @property
    def metrics(self) -> list[str]:
        return [m for m in SUMMARY_METRICS if m in self.scheme.inputs]

    @property
    def keep(self) -> list[str]:
        return [f.target for f in self.fields if f.role == "keep"]

    def empty_results(self) -> pa.Table:
        return self.results_schema().empty_table()

    def results_schema(self) -> pa.Schema:
        """Column names and types of the results, the same for every chunk."""
        columns: list[tuple[str, pa.DataType]] = [
            ("row", pa.int64()),
            ("id", pa.string()),
            ("name", pa.string()),
            ("building_type", pa.string()),
            ("gfa", pa.float64()),
            ("total_points", pa.float64()),
            ("total_percent", pa.float64()),
            ("tier", pa.string()),
            ("badges", pa.string()),
            ("next_tier", pa.string()),
            ("points_needed", pa.float64()),
        ]
        columns += [(f"sec_{s.id}", pa.float64()) for s in self.scheme.sections]
        columns += [(name, pa.int32()) for name, _ in STATUS_COLUMNS]
        columns += [(name, pa.float64()) for name in self.metrics]
        columns += [("flags", pa.string())]
        columns += [(name, pa.string()) for name in self.keep]
        return pa.schema(columns)


@dataclass
class ProblemSet:
    """Bad cells of one column: local rows (0-based), the raw values and the reasons."""

    rows: np.ndarray
    column: str
    values: list[str | None]
    reasons: list[str]
    lines: list[int | None] | None = None
    source: list[str] | None = None


@dataclass
class Prepared:
    """A chunk turned into engine arrays, before scoring."""

    size: int
    arrays: dict[str, np.ndarray]
    text: dict[str, pa.Array]  # id, name, building_type (labels) and keep columns
    problems: list[ProblemSet] = field(default_factory=list)
    flags: list[tuple[np.ndarray, list[str]]] = field(default_factory=list)  # rows, messages
    not_applicable: dict[str, np.ndarray] | None = None
    ids: pa.Array | None = None  # row ids used in the errors file


@dataclass
class ChunkResult:
    """Scored rows and problems of one chunk (``row`` columns are local, 0-based)."""

    read: int
    results: pa.Table
    errors: pa.Table

    @property
    def scored(self) -> int:
        return self.results.num_rows


# ----------------------------------------------------------------------------- parsing


def _text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow column as a plain string array (nulls kept)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    return column


def _missing_pattern(markers: Sequence[str]) -> str:
    """RE2 pattern matching a cell that is one of ``markers`` (trimmed, case-insensitive)."""
    alternatives = "|".join(re.escape(m.strip()) for m in markers)
    return rf"^\s*(?i:{alternatives})\s*$"


def _missing(text: pa.Array, markers: Sequence[str]) -> np.ndarray:
    """True where a cell is null or one of the missing markers (trimmed, case-insensitive)."""
    if not markers:
        return np.asarray(pc.is_null(text))
    marked = pc.match_substring_regex(text, _missing_pattern(markers))
    return np.asarray(pc.fill_null(marked, True))


def _is_missing(value: str | None, markers: Sequence[str]) -> bool:
    """The scalar form of :func:`_missing`, for the distinct values of a column."""
    if value is None:
        return True
    folded = value.strip().casefold()
    return any(folded == m.strip().casefold() for m in markers)


def _number_pattern(thousands: str, decimal: str) -> str:
    """RE2 pattern of a well-formed number: optional sign, digits grouped by ``thousands``
    only in threes ("65,640" but not "1,5"), optional ``decimal`` part and exponent."""
    d = re.escape(decimal)
    whole = r"\d+"
    if thousands:
        whole += r"|\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+"
    return rf"^[+-]?(?:(?:{whole})(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"


def _fmt(value: float) -> str:
    """A number for messages: ``2,865,168``, ``12.5``, ``1e+20``."""
    if abs(value) < 1e15 and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"


def _unit(unit: str) -> str:
    return "" if unit in ("", "1") else f" {unit}"


def _take_text(text: pa.Array, rows: np.ndarray) -> list[str | None]:
    return pc.take(text, pa.array(rows, pa.int64())).to_pylist()


def _read_numbers(
    plan: FieldPlan, column: pa.Array | pa.ChunkedArray, out: Prepared
) -> tuple[np.ndarray, pa.Array | None]:
    """Numbers as written in the file (NaN = missing) and, for text columns, the raw text.

    Text cells are trimmed; missing markers become NaN; a cell that is not a
    well-formed number (in the mapping's thousands/decimal format) is a problem.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        # unsafe: integers beyond 2**53 become the nearest float instead of failing
        values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        infinite = np.isinf(values)
        if infinite.any():
            rows = np.flatnonzero(infinite)
            texts: list[str | None] = [_fmt(v) for v in values[rows]]
            reasons = ["not a finite number"] * len(rows)
            out.problems.append(ProblemSet(rows, plan.column, texts, reasons))
            values = np.where(infinite, np.nan, values)
        return values, None
    raw_text = _text(column)
    trimmed = pc.utf8_trim_whitespace(raw_text)
    missing = _missing(raw_text, plan.missing)
    pattern = _number_pattern(plan.thousands, plan.decimal)
    well_formed = np.asarray(pc.fill_null(pc.match_substring_regex(trimmed, pattern), False))
    bad = ~well_formed & ~missing
    if bad.any():
        rows = np.flatnonzero(bad)
        reasons = ["not a number"] * len(rows)
        out.problems.append(ProblemSet(rows, plan.column, _take_text(raw_text, rows), reasons))
    cleaned = trimmed
    if plan.thousands:
        cleaned = pc.replace_substring(cleaned, plan.thousands, "")
    if plan.decimal != ".":
        cleaned = pc.replace_substring(cleaned, plan.decimal, ".")
    cleaned = pc.if_else(pa.array(well_formed & ~missing), cleaned, pa.scalar(None, pa.string()))
    return cleaned.cast(pa.float64()).to_numpy(zero_copy_only=False), raw_text


def _parse_number(plan: FieldPlan, column: pa.Array | pa.ChunkedArray, out: Prepared) -> np.ndarray:
    """A number column in the scheme's unit (NaN = missing); bad cells go to ``out.problems``.

    Order of checks: well-formed, plausible (in the file's unit, per the mapping),
    converted once to the scheme's unit, then whole number, positive area, and
    the input's min/max. Each bad cell is reported once, by the first check it fails.
    """
    values, raw_text = _read_numbers(plan, column, out)

    def raw(rows: np.ndarray) -> list[str | None]:
        if raw_text is not None:
            return _take_text(raw_text, rows)
        return [_fmt(v) for v in values[rows]]

    checked = ~np.isnan(values)

    def reject(mask: np.ndarray, reasons: list[str]) -> None:
        nonlocal checked
        rows = np.flatnonzero(mask)
        out.problems.append(ProblemSet(rows, plan.column, raw(rows), reasons))
        checked = checked & ~mask

    low, high = plan.plausible_min, plan.plausible_max
    if low is not None or high is not None:
        implausible = checked & (
            (values < low if low is not None else False)
            | (values > high if high is not None else False)
        )
        if implausible.any():
            rows = np.flatnonzero(implausible)
            bounds = (
                f"{'-∞' if low is None else _fmt(low)} to {'∞' if high is None else _fmt(high)}"
            )
            unit = _unit(plan.source_unit)
            where = f" (mapping {plan.location})" if plan.file else ""
            reasons = [
                f"implausible {plan.target} {_fmt(v)}{unit}: outside {bounds}{unit}{where}"
                for v in values[rows]
            ]
            if plan.implausible == "skip":
                reject(implausible, reasons)
            else:  # "missing": keep the row, drop the value, say so in the flags column
                out.flags.append((rows, [f"{reason}; treated as missing" for reason in reasons]))
                values = np.where(implausible, np.nan, values)
                checked = checked & ~implausible
    converted = plan.scale != 1.0 or plan.offset != 0.0
    if converted:
        values = values * plan.scale + plan.offset
    unit = _unit(plan.unit)
    note = f" (from {plan.source_unit})" if converted else ""

    def shown(v: float) -> str:
        return f"{_fmt(v)}{unit}{note}"

    if plan.kind == "integer":
        fractional = checked & (np.abs(values - np.round(values)) > 1e-9)
        if fractional.any():
            reject(
                fractional, [f"expected a whole number, got {shown(v)}" for v in values[fractional]]
            )
    if plan.role == "gfa":
        not_positive = checked & (values <= 0)
        if not_positive.any():
            reject(
                not_positive,
                [
                    f"gross floor area must be positive, got {shown(v)}"
                    for v in values[not_positive]
                ],
            )
    if plan.min is not None and plan.role != "gfa":
        below = checked & (values < plan.min)
        if below.any():
            minimum = f"{_fmt(plan.min)}{unit}"
            reject(
                below,
                [
                    f"{shown(v)} is below the minimum {minimum} of {plan.target}"
                    for v in values[below]
                ],
            )
    if plan.max is not None:
        above = checked & (values > plan.max)
        if above.any():
            maximum = f"{_fmt(plan.max)}{unit}"
            reject(
                above,
                [
                    f"{shown(v)} is above the maximum {maximum} of {plan.target}"
                    for v in values[above]
                ],
            )
    return np.ascontiguousarray(values, dtype=np.float64)


def _lookup(plan: FieldPlan, raw: str) -> str | None:
    """The option (or boolean word) a file value stands for, through the aliases."""
    aliases = plan.alias_map
    value = raw.strip()
    if value in aliases:
        return aliases[value]
    lowered = {k.strip().lower(): v for k, v in aliases.items()}
    if value.lower() in lowered:
        return lowered[value.lower()]
    return value


def _codes(
    plan: FieldPlan, column: pa.Array, out: Prepared, decode: Any, expected: str
) -> tuple[np.ndarray, pa.Array]:
    """Per-row codes of a categorical column, each distinct value decoded once.

    ``decode(trimmed text) -> float | None`` gives the code (None: not accepted).
    Returns the codes (NaN = missing or bad) and the trimmed labels (null where missing).
    """
    raw_text = _text(column)
    encoded = raw_text.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    missing_value = [_is_missing(v, plan.missing) for v in distinct]
    table = np.array(
        [
            np.nan if gone else (np.nan if (code := decode(v.strip())) is None else code)
            for v, gone in zip(distinct, missing_value, strict=True)
        ]
        + [np.nan]
    )
    labels = pa.array(
        [None if gone else v.strip() for v, gone in zip(distinct, missing_value, strict=True)],
        pa.string(),
    )
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(distinct))
    positions = indices.to_numpy(zero_copy_only=False).astype(np.intp)
    codes = table[positions]
    gone_rows = np.append(np.asarray(missing_value, dtype=bool), True)[positions]
    bad = np.isnan(codes) & ~gone_rows
    if bad.any():
        rows = np.flatnonzero(bad)
        hint = " (add an alias in the mapping)" if plan.mapped else ""
        values = _take_text(raw_text, rows)
        reasons = [f"{(v or '').strip()!r} is not {expected}{hint}" for v in values]
        out.problems.append(ProblemSet(rows, plan.column, values, reasons))
    present = pc.take(labels, encoded.indices)
    return codes, present


def _parse_choice(plan: FieldPlan, column: pa.Array, out: Prepared) -> tuple[np.ndarray, pa.Array]:
    index = {o: float(i) for i, o in enumerate(plan.options)}
    loose = {normalise_option(o): float(i) for i, o in enumerate(plan.options)}

    def decode(value: str) -> float | None:
        target = _lookup(plan, value)
        if target is None:
            return None
        found = index.get(target)
        return found if found is not None else loose.get(normalise_option(target))

    what = "a building type" if plan.role == "building_type" else f"an option of {plan.target}"
    expected = f"{what} ({', '.join(plan.options)})"
    return _codes(plan, column, out, decode, expected)


def _parse_boolean(plan: FieldPlan, column: pa.Array, out: Prepared) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_boolean(column.type):
        return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False))

    def decode(value: str) -> float | None:
        word = (_lookup(plan, value) or "").lower()
        if word in TRUE_WORDS:
            return 1.0
        if word in FALSE_WORDS:
            return 0.0
        return None

    codes, _ = _codes(plan, column, out, decode, "true or false")
    return codes


def _parse_text(plan: FieldPlan, column: pa.Array) -> pa.Array:
    """A text column, trimmed, null where missing, through the aliases."""
    raw_text = _text(column)
    missing = _missing(raw_text, plan.missing)
    present = pc.utf8_trim_whitespace(raw_text)
    if missing.any():
        present = pc.if_else(pa.array(~missing), present, pa.scalar(None, pa.string()))
    if plan.aliases:
        encoded = present.dictionary_encode()
        mapped = [None if v is None else _lookup(plan, v) for v in encoded.dictionary.to_pylist()]
        present = pc.take(pa.array(mapped, pa.string()), encoded.indices)
    return present


def _parse_field(field_plan: FieldPlan, column: pa.Array | pa.ChunkedArray, out: Prepared) -> None:
    """Parse one mapped column into ``out`` (arrays, text and problems)."""
    if field_plan.role == "keep" or field_plan.role in ("id", "name"):
        out.text[field_plan.target] = _parse_text(field_plan, column)
    elif field_plan.kind in ("number", "integer"):
        out.arrays[field_plan.target] = _parse_number(field_plan, column, out)
    elif field_plan.kind == "boolean":
        out.arrays[field_plan.target] = _parse_boolean(field_plan, column, out)
    else:
        codes, labels = _parse_choice(field_plan, column, out)
        if field_plan.role == "building_type" and not field_plan.options:
            out.text["building_type"] = labels  # the scheme has no types: keep the label
        else:
            out.arrays[field_plan.target] = codes
        if field_plan.role == "building_type" and field_plan.options:
            _refuse_blank_types(field_plan, column, out)


def _refuse_blank_types(plan: FieldPlan, column: pa.Array | pa.ChunkedArray, out: Prepared) -> None:
    """A row without a building type cannot be scored against type-dependent rules: it is
    skipped with a reason, never scored as if no rule applied."""
    raw_text = _text(column)
    blank = _missing(raw_text, plan.missing)
    if blank.any():
        rows = np.flatnonzero(blank)
        reason = f"no building type given (expected one of: {', '.join(plan.options)})"
        values = _take_text(raw_text, rows)
        out.problems.append(ProblemSet(rows, plan.column, values, [reason] * len(rows)))


def prepare(plan: Plan, batch: pa.RecordBatch | pa.Table, source: str = "") -> Prepared:
    """Parse the mapped columns of one chunk into engine arrays and problems.

    A column whose Arrow type cannot be read as numbers or text raises
    :class:`GreenmarkError` naming it (sources refuse such columns before reading).
    """
    size = batch.num_rows
    out = Prepared(size=size, arrays={}, text={})
    names = batch.schema.names
    for field_plan in plan.fields:
        column = batch.column(names.index(field_plan.column))
        try:
            _parse_field(field_plan, column, out)
        except pa.ArrowException as exc:  # not-implemented casts, type errors, …
            raise GreenmarkError(
                f"column {field_plan.column!r} (for {field_plan.target}) of Arrow type "
                f"{column.type} cannot be read: {exc}",
                file=source or None,
            ) from None
    if "id" in out.text:
        out.ids = out.text["id"]
    return out


# ----------------------------------------------------------------------------- results


def _nullable(values: np.ndarray) -> pa.Array:
    """Floats with NaN as null."""
    return pa.array(values, pa.float64(), from_pandas=True)


def _labels(options: Sequence[str], codes: np.ndarray) -> pa.Array:
    """``options[code]`` per row, null where the code is negative or out of range."""
    invalid = (codes < 0) | (codes >= len(options))
    if not len(options):
        return pa.nulls(len(codes), pa.string())
    indices = pa.array(np.where(invalid, 0, codes).astype(np.int64), mask=invalid)
    return pc.take(pa.array(list(options), pa.string()), indices)


def _badges(scores: Scores) -> pa.Array:
    """Badge ids per building, joined with ";" ("" when none)."""
    matrix = scores.badges
    ids = [b.id for b in scores.scheme.badges]
    if not ids:
        return pa.array(np.full(scores.size, ""), pa.string())
    codes = matrix.astype(np.int64) @ (np.int64(1) << np.arange(len(ids), dtype=np.int64))
    unique, inverse = np.unique(codes, return_inverse=True)
    texts = [";".join(i for b, i in enumerate(ids) if code >> b & 1) for code in unique.tolist()]
    return pc.take(pa.array(texts, pa.string()), pa.array(inverse.astype(np.int64)))


def _flags(prepared: Prepared, keep: np.ndarray | None) -> pa.Array:
    size = prepared.size
    if not prepared.flags:
        texts = pa.array(np.full(size, ""), pa.string())
    else:
        column = np.full(size, "", dtype=object)
        for rows, messages in prepared.flags:
            for row, message in zip(rows.tolist(), messages, strict=True):
                column[row] = f"{column[row]} | {message}" if column[row] else message
        texts = pa.array(column.tolist(), pa.string())
    return texts if keep is None else texts.filter(pa.array(keep))


def results_table(
    plan: Plan, prepared: Prepared, scores: Scores, rows: np.ndarray, keep: np.ndarray | None
) -> pa.Table:
    """One row per scored building, laid out as :meth:`Plan.results_schema`."""
    scheme = plan.scheme
    env = scores.env
    n = scores.size

    def text(name: str) -> pa.Array:
        column = prepared.text.get(name)
        if column is None:
            return pa.nulls(n, pa.string())
        return column if keep is None else column.filter(pa.array(keep))

    tier_index = scores.tier_index.astype(np.int64)
    tiers = [t.id for t in scheme.tiers]
    if "building_type" in prepared.arrays:
        codes = np.nan_to_num(env["building_type"], nan=-1).astype(np.int64)
        building_type = _labels(scheme.scheme.building_types, codes)
    else:
        building_type = text("building_type")
    columns: dict[str, pa.Array] = {
        "row": pa.array(rows, pa.int64()),
        "id": text("id"),
        "name": text("name"),
        "building_type": building_type,
        "gfa": _nullable(env["gfa"]),
        "total_points": pa.array(np.round(scores.total_points, _DIGITS)),
        "total_percent": pa.array(np.round(scores.total_percent, _DIGITS)),
        "tier": _labels(tiers, tier_index),
        "badges": _badges(scores),
        "next_tier": _labels(tiers, tier_index + 1),
        "points_needed": _nullable(np.round(scores.points_needed, _DIGITS)),
    }
    for s, section in enumerate(scheme.sections):
        columns[f"sec_{section.id}"] = pa.array(np.round(scores.section_points[:, s], _DIGITS))
    status = scores.status
    for name, code in STATUS_COLUMNS:
        columns[name] = pa.array((status == code).sum(axis=1, dtype=np.int32), pa.int32())
    for name in plan.metrics:
        columns[name] = _nullable(env[name])
    columns["flags"] = _flags(prepared, keep)
    for name in plan.keep:
        columns[name] = text(name)
    return pa.Table.from_pydict(columns, schema=plan.results_schema())


def errors_table(prepared: Prepared, source: str) -> pa.Table:
    """One row per problem, ordered by row then by mapping order (local 0-based rows)."""
    if not prepared.problems:
        return ERRORS_SCHEMA.empty_table()
    rows = np.concatenate([p.rows for p in prepared.problems]).astype(np.int64)
    order = np.argsort(rows, kind="stable")
    columns = [c for p in prepared.problems for c in [p.column] * len(p.rows)]
    values = [v for p in prepared.problems for v in p.values]
    reasons = [r for p in prepared.problems for r in p.reasons]
    lines = [
        line
        for p in prepared.problems
        for line in (p.lines if p.lines is not None else [None] * len(p.rows))
    ]
    sources = [
        s
        for p in prepared.problems
        for s in (p.source if p.source is not None else [source] * len(p.rows))
    ]
    ids = (
        pc.take(prepared.ids, pa.array(rows[order])).to_pylist()
        if prepared.ids is not None
        else [None] * len(rows)
    )
    pick = order.tolist()
    return pa.table(
        {
            "source": [sources[i] for i in pick],
            "row": rows[order],
            "line": pa.array([lines[i] for i in pick], pa.int64()),
            "id": pa.array(ids, pa.string()),
            "column": [columns[i] for i in pick],
            "value": pa.array([values[i] for i in pick], pa.string()),
            "reason": [reasons[i] for i in pick],
        },
        schema=ERRORS_SCHEMA,
    )


def score_prepared(plan: Plan, prepared: Prepared, source: str = "") -> ChunkResult:
    """Score the rows of a prepared chunk that have no problem, with one engine call."""
    size = prepared.size
    bad = np.zeros(size, dtype=bool)
    for problem in prepared.problems:
        bad[problem.rows] = True
    keep = None if not bad.any() else ~bad
    rows = np.arange(size, dtype=np.int64)
    arrays = prepared.arrays
    marks = prepared.not_applicable
    if keep is not None:
        rows = rows[keep]
        arrays = {name: values[keep] for name, values in arrays.items()}
        if marks is not None:
            marks = {cid: flags[keep] for cid, flags in marks.items()}
    scores = score(plan.compiled, arrays, size=len(rows), not_applicable=marks)
    return ChunkResult(
        read=size,
        results=results_table(plan, prepared, scores, rows, keep),
        errors=errors_table(prepared, source),
    )


def score_chunk(plan: Plan, batch: pa.RecordBatch | pa.Table, source: str = "") -> ChunkResult:
    """Parse and score one chunk of rows (Arrow): the function every runner calls."""
    return score_prepared(plan, prepare(plan, batch, source), source)


def score_projects(plan: Plan, paths: Sequence[str]) -> ChunkResult:
    """Score a chunk of project TOML files (one building each) with one engine call.

    Each file is validated against ``plan.scheme`` (not the scheme it names); a
    file with problems becomes error rows located at file:line.
    """
    from greenmark.core.engine import encode_inputs
    from greenmark.core.project import load_project, not_applicable_marks, resolve_inputs

    values: list[dict[str, Any]] = []
    good: list[int] = []
    ids: list[str] = []
    names: list[str | None] = []
    marks: list[dict[str, bool]] = []
    problems: list[ProblemSet] = []
    for index, path in enumerate(paths):
        ids.append(path)
        try:
            loaded = load_project(path)
            names.append(loaded.project.project.name)
            row_values = resolve_inputs(loaded, plan.scheme)
        except GreenmarkError as exc:
            if len(names) <= index:
                names.append(None)
            problems.extend(
                ProblemSet(
                    np.array([index], dtype=np.int64),
                    p.location or "",
                    [None],
                    [p.message],
                    lines=[p.line],
                    source=[p.file or path],
                )
                for p in exc.problems
            )
            continue
        values.append(row_values)
        marks.append(not_applicable_marks(loaded.project))
        good.append(index)
    size = len(paths)
    compiled = plan.compiled
    encoded = encode_inputs(compiled, values) if values else {}
    arrays = {name: np.full(size, np.nan) for name in compiled.input_names}
    positions = np.asarray(good, dtype=np.int64)
    for name, column in encoded.items():
        arrays[name][positions] = column
    criterion_ids = {cid for row in marks for cid in row}
    not_applicable = {cid: np.zeros(size, dtype=bool) for cid in criterion_ids}
    for position, row in zip(good, marks, strict=True):
        for cid in row:
            not_applicable[cid][position] = True
    prepared = Prepared(
        size=size,
        arrays=arrays,
        text={"id": pa.array(ids, pa.string()), "name": pa.array(names, pa.string())},
        problems=problems,
        not_applicable=not_applicable or None,
        ids=pa.array(ids, pa.string()),
    )
    return score_prepared(plan, prepared, "")
