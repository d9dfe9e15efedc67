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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.engine import CompiledScheme, Scores, Status, compile_scheme, score
from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.portfolio.awards import AWARD_FIELDS, award_columns
from greenmark.portfolio.cells import (
    ProblemSet,
    fmt,
    is_missing,
    missing_cells,
    missing_trimmed,
    read_numbers,
    take_text,
    text_array,
    unit_suffix,
)
from greenmark.portfolio.derive import evaluate, extract
from greenmark.portfolio.detail import blocking, detail_columns, detail_fields
from greenmark.portfolio.filters import FilterPlan, out_of_scope
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
LABELS = pa.dictionary(pa.int32(), pa.string())
"""Result columns with few distinct texts (building type, tier, badges, what blocks the
next tier): each text stored once, rows hold its index; Parquet writes them as they are,
pandas reads them as categoricals and CSV and JSON show the texts."""

_compiled: dict[str, CompiledScheme] = {}


@dataclass
class Plan:
    """What every chunk needs: the scheme, the bound mapping and the results layout (picklable)."""

    scheme: Scheme
    fields: list[FieldPlan]
    key: str = ""  # identifies the scheme for the per-process compile cache
    filters: list[FilterPlan] = field(default_factory=list)  # [[where]] and [[exclude]]
    detail: str = "sections"  # "criteria": per-criterion and per-gate columns too
    routes: dict[str, Plan] = field(default_factory=dict)  # per-row schemes: id -> plan

    def __post_init__(self) -> None:
        if not self.key:
            digest = hashlib.sha256(self.scheme.model_dump_json().encode()).hexdigest()[:16]
            self.key = f"{self.scheme.id}:{digest}"

    @classmethod
    def from_binding(cls, scheme: Scheme, binding: Binding) -> Plan:
        return cls(scheme, list(binding.fields), filters=list(binding.filters))

    @property
    def compiled(self) -> CompiledScheme:
        """The compiled scheme, compiled once per process (formulas are closures)."""
        found = _compiled.get(self.key)
        if found is None:
            found = _compiled[self.key] = compile_scheme(self.scheme)
        return found

    @property
    def columns(self) -> list[str]:
        """File columns read: mapped values first, then filters."""
        reads = [c for f in self.fields for c in f.reads] + [f.column for f in self.filters]
        return list(dict.fromkeys(reads))

    @property
    def metrics(self) -> list[str]:
        return [m for m in SUMMARY_METRICS if m in self.scheme.inputs]

    @property
    def keep(self) -> list[str]:
        return [f.target for f in self.fields if f.role == "keep"]

    def empty_results(self) -> pa.Table:
        return self.results_schema().empty_table()

    def results_schema(self) -> pa.Schema:
        """Column names and types of the results, the same for every chunk (with per-row
        schemes: a ``scheme`` column, then every route's columns, null where a scheme has
        none)."""
        own = self._own_schema()
        if not self.routes:
            return own
        fields = list(own)
        fields.insert(1, pa.field("scheme", pa.string()))
        names = {f.name for f in fields}
        for route in self.routes.values():
            for extra in route._own_schema():
                if extra.name not in names:
                    fields.append(extra)
                    names.add(extra.name)
        return pa.schema(fields)

    def _own_schema(self) -> pa.Schema:
        columns: list[tuple[str, pa.DataType]] = [
            ("row", pa.int64()),
            ("id", pa.string()),
            ("name", pa.string()),
            ("building_type", LABELS),
            ("gfa", pa.float64()),
            ("total_points", pa.float64()),
            ("total_percent", pa.float64()),
            ("tier", LABELS),
            ("badges", LABELS),
            ("next_tier", LABELS),
            ("points_needed", pa.float64()),
            ("blocking", LABELS),
        ]
        columns += [(f"sec_{s.id}", pa.float64()) for s in self.scheme.sections]
        columns += [(name, pa.int32()) for name, _ in STATUS_COLUMNS]
        columns += [(name, pa.float64()) for name in self.metrics]
        columns += [("flags", pa.string())]
        columns += [(name, pa.string()) for name in self.keep]
        if self.award:
            columns += AWARD_FIELDS
        if self.detail == "criteria":
            columns += detail_fields(self.scheme)
        return pa.schema(columns)

    @property
    def award(self) -> bool:
        """A recorded award column is mapped."""
        return any(f.role == "award" for f in self.fields)


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
    out_of_scope: np.ndarray | None = None  # per row: index of the filter leaving it out, or -1


@dataclass
class ChunkResult:
    """Scored rows and problems of one chunk (``row`` columns are local, 0-based).

    ``out_of_scope`` counts the rows the mapping's filters left out, by reason;
    ``skipped_by`` the rows not scored, by their first problem's kind and column.
    """

    read: int
    results: pa.Table
    errors: pa.Table
    out_of_scope: dict[str, int] = field(default_factory=dict)
    skipped_by: dict[str, int] = field(default_factory=dict)

    @property
    def excluded(self) -> int:
        return sum(self.out_of_scope.values())

    @property
    def scored(self) -> int:
        return self.results.num_rows


# ----------------------------------------------------------------------------- parsing


def _parse_number(
    plan: FieldPlan, column: pa.Array | pa.ChunkedArray | np.ndarray, out: Prepared
) -> np.ndarray:
    """A number column in the scheme's unit (NaN = missing); bad cells go to ``out.problems``.

    ``column`` is the file's column, or the values a formula gave (in the mapping's
    unit). Order of checks: well-formed, plausible (in the file's unit, per the
    mapping), converted once to the scheme's unit, then whole number, positive area,
    and the input's min/max. Each bad cell is reported once, by the first check it fails.
    """
    if isinstance(column, np.ndarray):
        values, raw_text = column, None
    else:
        values, raw_text = read_numbers(
            column, plan.label, plan.missing, plan.thousands, plan.decimal, out.problems
        )

    def raw(rows: np.ndarray) -> list[str | None]:
        if raw_text is not None:
            return take_text(raw_text, rows)
        return [fmt(v) for v in values[rows]]

    checked = ~np.isnan(values)

    def reject(mask: np.ndarray, reasons: list[str], kind: str) -> None:
        nonlocal checked
        rows = np.flatnonzero(mask)
        out.problems.append(ProblemSet(rows, plan.label, raw(rows), reasons, kind=kind))
        checked = checked & ~mask

    low, high = plan.plausible_min, plan.plausible_max
    by_type = plan.plausible_by_type and "building_type" in out.arrays
    if low is not None or high is not None or by_type:
        lows = np.full(len(values), -np.inf if low is None else low)
        highs = np.full(len(values), np.inf if high is None else high)
        kinds = np.full(len(values), -1, dtype=np.int64)
        if by_type:
            codes = out.arrays["building_type"]
            for index, (_, type_low, type_high) in enumerate(plan.plausible_by_type):
                rows_of_type = codes == plan.type_codes[index]
                lows[rows_of_type] = -np.inf if type_low is None else type_low
                highs[rows_of_type] = np.inf if type_high is None else type_high
                kinds[rows_of_type] = index
        implausible = checked & ((values < lows) | (values > highs))
        if implausible.any():
            rows = np.flatnonzero(implausible)
            unit = unit_suffix(plan.source_unit)
            where = f" (mapping {plan.location})" if plan.file else ""

            def bound(value: float, none: str) -> str:
                return none if np.isinf(value) else fmt(value)

            def for_type(kind: int) -> str:
                return "" if kind < 0 else f" for {plan.plausible_by_type[kind][0]}"

            reasons = [
                f"implausible {plan.target} {fmt(v)}{unit}{for_type(k)}: outside "
                f"{bound(lo, '-∞')} to {bound(hi, '∞')}{unit}{where}"
                for v, lo, hi, k in zip(
                    values[rows], lows[rows], highs[rows], kinds[rows].tolist(), strict=True
                )
            ]
            if plan.implausible == "skip":
                reject(implausible, reasons, f"implausible {plan.target}")
            else:  # "missing": keep the row, drop the value, say so in the flags column
                out.flags.append((rows, [f"{reason}; treated as missing" for reason in reasons]))
                values = np.where(implausible, np.nan, values)
                checked = checked & ~implausible
    converted = plan.scale != 1.0 or plan.offset != 0.0
    if converted:
        values = values * plan.scale + plan.offset
    unit = unit_suffix(plan.unit)
    note = f" (from {plan.source_unit})" if converted else ""

    def shown(v: float) -> str:
        return f"{fmt(v)}{unit}{note}"

    if plan.kind == "integer":
        fractional = checked & (np.abs(values - np.round(values)) > 1e-9)
        if fractional.any():
            reject(
                fractional,
                [f"expected a whole number, got {shown(v)}" for v in values[fractional]],
                f"{plan.target} not a whole number",
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
                "gfa not positive",
            )
    if plan.min is not None and plan.role != "gfa":
        below = checked & (values < plan.min)
        if below.any():
            minimum = f"{fmt(plan.min)}{unit}"
            reject(
                below,
                [
                    f"{shown(v)} is below the minimum {minimum} of {plan.target}"
                    for v in values[below]
                ],
                f"{plan.target} below its minimum",
            )
    if plan.max is not None:
        above = checked & (values > plan.max)
        if above.any():
            maximum = f"{fmt(plan.max)}{unit}"
            reject(
                above,
                [
                    f"{shown(v)} is above the maximum {maximum} of {plan.target}"
                    for v in values[above]
                ],
                f"{plan.target} above its maximum",
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


def _encoded(column: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """A categorical column as distinct texts and per-row indices (a dictionary column of
    text, as Parquet files hold low-cardinality columns, is used as it is)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        return column
    return text_array(column).dictionary_encode()


def _positions(encoded: pa.DictionaryArray) -> np.ndarray:
    """Each row's index in the dictionary; one past its end where the row is null."""
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(encoded.dictionary))
    return indices.to_numpy(zero_copy_only=False).astype(np.intp)


def _codes(
    plan: FieldPlan,
    column: pa.Array,
    out: Prepared,
    decode: Any,
    expected: str,
    labels: bool = False,
) -> tuple[np.ndarray, pa.Array | None]:
    """Per-row codes of a categorical column, each distinct value decoded once.

    ``decode(trimmed text) -> float | None`` gives the code (None: not accepted).
    Returns the codes (NaN = missing or bad) and, when ``labels``, the trimmed labels
    (null where missing).
    """
    encoded = _encoded(column)
    distinct = encoded.dictionary.to_pylist()
    missing_value = [is_missing(v, plan.missing) for v in distinct]
    table = np.array(
        [
            np.nan if gone else (np.nan if (code := decode(v.strip())) is None else code)
            for v, gone in zip(distinct, missing_value, strict=True)
        ]
        + [np.nan]
    )
    positions = _positions(encoded)
    codes = table[positions]
    gone_rows = np.append(np.asarray(missing_value, dtype=bool), True)[positions]
    bad = np.isnan(codes) & ~gone_rows
    if bad.any():
        rows = np.flatnonzero(bad)
        hint = " (add an alias in the mapping)" if plan.mapped else ""
        values = take_text(encoded, rows)
        reasons = [f"{(v or '').strip()!r} is not {expected}{hint}" for v in values]
        kind = "unknown building type" if plan.role == "building_type" else "unknown value"
        if plan.role != "building_type":
            kind += f" of {plan.target}"
        out.problems.append(ProblemSet(rows, plan.label, values, reasons, kind=kind))
    if not labels:
        return codes, None
    texts = [None if gone else v.strip() for v, gone in zip(distinct, missing_value, strict=True)]
    return codes, _distinct_labels(texts, encoded)


def _distinct_labels(texts: list[str | None], encoded: pa.DictionaryArray) -> pa.DictionaryArray:
    """``texts[i]`` for each row of dictionary entry ``i`` as a :data:`LABELS` column (one
    entry per distinct text; null where the text is None or the row is null)."""
    entries = list(dict.fromkeys(t for t in texts if t is not None))
    index = {t: i for i, t in enumerate(entries)}
    lookup = np.asarray([-1 if t is None else index[t] for t in texts] + [-1], dtype=np.int32)
    return _labels(entries, lookup[_positions(encoded)])


def _parse_choice(
    plan: FieldPlan, column: pa.Array, out: Prepared, labels: bool = False
) -> tuple[np.ndarray, pa.Array | None]:
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
    return _codes(plan, column, out, decode, expected, labels)


def _boolean_floats(column: pa.BooleanArray) -> np.ndarray:
    """1.0 or 0.0 per row, NaN where null, unpacked from the Arrow bitmaps."""
    size, offset = len(column), column.offset
    if not size:
        return np.empty(0)
    validity, data = column.buffers()[:2]

    def bits(buffer: pa.Buffer) -> np.ndarray:
        packed = np.frombuffer(buffer, np.uint8)
        return np.unpackbits(packed, count=offset + size, bitorder="little")[offset:]

    values = bits(data).astype(np.float64)
    if column.null_count:
        values[bits(validity) == 0] = np.nan
    return values


def _parse_boolean(plan: FieldPlan, column: pa.Array, out: Prepared) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_boolean(column.type):
        return _boolean_floats(column)

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
    present = pc.utf8_trim_whitespace(text_array(column))
    missing = missing_trimmed(present, plan.missing)
    if missing.any():
        present = pc.if_else(pa.array(~missing), present, pa.scalar(None, pa.string()))
    if plan.aliases:
        encoded = present.dictionary_encode()
        mapped = [None if v is None else _lookup(plan, v) for v in encoded.dictionary.to_pylist()]
        present = pc.take(pa.array(mapped, pa.string()), encoded.indices)
    return present


def _parse_field(field_plan: FieldPlan, column: pa.Array | pa.ChunkedArray, out: Prepared) -> None:
    """Parse one mapped column into ``out`` (arrays, text and problems)."""
    if field_plan.role == "keep" or field_plan.role in ("id", "name", "award", "scheme"):
        out.text[field_plan.target] = _parse_text(field_plan, column)
    elif field_plan.kind in ("number", "integer"):
        out.arrays[field_plan.target] = _parse_number(field_plan, column, out)
    elif field_plan.kind == "boolean":
        out.arrays[field_plan.target] = _parse_boolean(field_plan, column, out)
    else:
        encoded = _encoded(column)
        untyped = field_plan.role == "building_type" and not field_plan.options
        codes, labels = _parse_choice(field_plan, encoded, out, labels=untyped)
        if untyped:
            assert labels is not None
            out.text["building_type"] = labels  # the scheme has no types: keep the label
        else:
            out.arrays[field_plan.target] = codes
        if field_plan.role == "building_type" and field_plan.options:
            _refuse_blank_types(field_plan, encoded, out)


def _refuse_blank_types(plan: FieldPlan, encoded: pa.DictionaryArray, out: Prepared) -> None:
    """A row without a building type cannot be scored against type-dependent rules: it is
    skipped with a reason, never scored as if no rule applied."""
    marked = missing_cells(encoded.dictionary, plan.missing)  # each distinct text once
    blank = np.append(marked, True)[_positions(encoded)]
    if blank.any():
        rows = np.flatnonzero(blank)
        reason = f"no building type given (expected one of: {', '.join(plan.options)})"
        values = take_text(encoded, rows)
        out.problems.append(
            ProblemSet(rows, plan.label, values, [reason] * len(rows), kind="no building type")
        )


def prepare(plan: Plan, batch: pa.RecordBatch | pa.Table, source: str = "") -> Prepared:
    """Parse the mapped columns of one chunk into engine arrays and problems.

    A column whose Arrow type cannot be read as numbers or text raises
    :class:`GreenmarkError` naming it (sources refuse such columns before reading).
    """
    size = batch.num_rows
    out = Prepared(size=size, arrays={}, text={})
    names = batch.schema.names
    for field_plan in plan.fields:
        try:
            _parse_field(field_plan, _field_input(field_plan, batch, out), out)
        except pa.ArrowException as exc:  # not-implemented casts, type errors, …
            kinds = ", ".join(str(batch.column(names.index(c)).type) for c in field_plan.reads)
            raise GreenmarkError(
                f"column {field_plan.label!r} (for {field_plan.target}) of Arrow type "
                f"{kinds or 'string'} cannot be read: {exc}",
                file=source or None,
            ) from None
    if "id" in out.text:
        out.ids = out.text["id"]
    out.out_of_scope = out_of_scope(plan.filters, batch)
    return out


def _field_input(
    plan: FieldPlan, batch: pa.RecordBatch | pa.Table, out: Prepared
) -> pa.Array | pa.ChunkedArray | np.ndarray:
    """What a field is parsed from: its column (or the part ``extract`` takes from it), a
    constant repeated on every row, or the values of its formula."""
    if plan.value is not None:
        return pa.repeat(pa.scalar(plan.value, pa.string()), batch.num_rows)
    if plan.formula is not None:
        return evaluate(plan.formula, plan.variables, plan.formula_scale, batch, out.problems)
    column = batch.column(batch.schema.names.index(plan.column))
    if plan.extract is not None:
        return extract(column, plan.extract)
    return column


# ----------------------------------------------------------------------------- results


def _nullable(values: np.ndarray) -> pa.Array:
    """Floats with NaN as null."""
    return pa.array(values, pa.float64(), from_pandas=True)


def _labels(options: Sequence[str], codes: np.ndarray) -> pa.DictionaryArray:
    """A :data:`LABELS` column of ``options[code]`` per row, null where the code is
    negative or out of range."""
    invalid = (codes < 0) | (codes >= len(options))
    indices = pa.array(np.where(invalid, 0, codes).astype(np.int32), mask=invalid)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(options), pa.string()))


def _badges(scores: Scores) -> pa.Array:
    """Badge ids per building, joined with ";" ("" when none)."""
    matrix = scores.badges
    ids = [b.id for b in scores.scheme.badges]
    if not ids:
        return _labels([""], np.zeros(scores.size, dtype=np.int32))
    codes = matrix.astype(np.int64) @ (np.int64(1) << np.arange(len(ids), dtype=np.int64))
    unique, inverse = np.unique(codes, return_inverse=True)
    texts = [";".join(i for b, i in enumerate(ids) if code >> b & 1) for code in unique.tolist()]
    return _labels(texts, inverse.reshape(-1))


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
    elif "building_type" in prepared.text:
        building_type = text("building_type")  # labels, as the file gives them
    else:
        building_type = pa.nulls(n, LABELS)
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
        "blocking": blocking(scores),
    }
    for s, section in enumerate(scheme.sections):
        columns[f"sec_{section.id}"] = pa.array(np.round(scores.section_points[:, s], _DIGITS))
    status = scores.status
    for name, code in STATUS_COLUMNS:
        columns[name] = pa.array((status == code).sum(axis=1, dtype=np.int32), pa.int32())
    for name in plan.metrics:
        columns[name] = _nullable(env[name])
    if plan.award:
        awards, flags = award_columns(scheme, text("award"), columns["tier"])
        if flags:
            rows_kept = np.flatnonzero(keep) if keep is not None else np.arange(n)
            prepared.flags += [(rows_kept[local], messages) for local, messages in flags]
    columns["flags"] = _flags(prepared, keep)
    for name in plan.keep:
        columns[name] = text(name)
    if plan.award:
        columns.update(awards)
    if plan.detail == "criteria":
        columns.update(detail_columns(scores, _DIGITS))
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


def _leave_out(plan: Plan, prepared: Prepared) -> tuple[np.ndarray, dict[str, int]]:
    """Rows out of scope (their problems dropped) and the count per filter reason."""
    first = prepared.out_of_scope
    if first is None:
        return np.zeros(prepared.size, dtype=bool), {}
    excluded = first >= 0
    counts: dict[str, int] = {}
    for index, count in enumerate(np.bincount(first[excluded], minlength=len(plan.filters))):
        if count:
            label = plan.filters[index].label
            counts[label] = counts.get(label, 0) + int(count)
    kept: list[ProblemSet] = []
    for problem in prepared.problems:
        inside = ~excluded[problem.rows]
        if inside.all():
            kept.append(problem)
        elif inside.any():
            pick = np.flatnonzero(inside).tolist()
            kept.append(
                ProblemSet(
                    problem.rows[inside],
                    problem.column,
                    [problem.values[i] for i in pick],
                    [problem.reasons[i] for i in pick],
                    None if problem.lines is None else [problem.lines[i] for i in pick],
                    None if problem.source is None else [problem.source[i] for i in pick],
                    problem.kind,
                )
            )
    prepared.problems = kept
    return excluded, counts


def _skipped_by(prepared: Prepared) -> dict[str, int]:
    """Rows with problems, counted by their first problem's kind and column."""
    first = np.full(prepared.size, -1, dtype=np.int64)
    for index, problem in enumerate(prepared.problems):
        rows = problem.rows[first[problem.rows] < 0]
        first[rows] = index
    counts: dict[str, int] = {}
    found = first[first >= 0]
    for index, count in enumerate(np.bincount(found, minlength=len(prepared.problems))):
        if count:
            problem = prepared.problems[index]
            key = (
                f"{problem.kind or 'problem'} ({problem.column})"
                if problem.column
                else (problem.kind or "problem")
            )
            counts[key] = counts.get(key, 0) + int(count)
    return counts


def score_prepared(plan: Plan, prepared: Prepared, source: str = "") -> ChunkResult:
    """Score the rows of a prepared chunk that have no problem and are in scope, with one
    engine call."""
    size = prepared.size
    excluded, out_of_scope_counts = _leave_out(plan, prepared)
    bad = excluded.copy()
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
    scores = score(plan.compiled, arrays, size=len(rows), not_applicable=marks, explain=False)
    return ChunkResult(
        read=size,
        results=results_table(plan, prepared, scores, rows, keep),
        errors=errors_table(prepared, source),
        out_of_scope=out_of_scope_counts,
        skipped_by=_skipped_by(prepared),
    )


@dataclass
class CheckResult:
    """What the rows of one chunk would get, without scoring them."""

    read: int
    ready: int  # rows that would be scored
    out_of_scope: dict[str, int]
    skipped_by: dict[str, int]
    given: dict[str, int]  # per mapped input: rows that would be scored with a value


def check_chunk(plan: Plan, batch: pa.RecordBatch | pa.Table) -> CheckResult:
    """Parse one chunk as :func:`score_chunk` does and count the outcomes (no engine call)."""
    prepared = prepare(plan, batch)
    excluded, out_of_scope_counts = _leave_out(plan, prepared)
    bad = excluded.copy()
    for problem in prepared.problems:
        bad[problem.rows] = True
    ready = ~bad
    given = {
        f.target: int((~np.isnan(prepared.arrays[f.target]) & ready).sum())
        for f in plan.fields
        if f.role == "input" and f.target in prepared.arrays
    }
    return CheckResult(
        prepared.size, int(ready.sum()), out_of_scope_counts, _skipped_by(prepared), given
    )


def score_chunk(plan: Plan, batch: pa.RecordBatch | pa.Table, source: str = "") -> ChunkResult:
    """Parse and score one chunk of rows (Arrow): the function every runner calls."""
    if plan.routes:
        return _score_routed(plan, batch, source)
    return score_prepared(plan, prepare(plan, batch, source), source)


def _route_codes(plan: Plan, batch: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, pa.Array]:
    """Per row, the index of its scheme in ``[plan.scheme.id, *plan.routes]`` (-1: a value
    naming none of them); and the column's text, for messages."""
    scheme_field = next(f for f in plan.fields if f.role == "scheme")
    column = text_array(batch.column(batch.schema.names.index(scheme_field.column)))
    encoded = column.dictionary_encode()
    keys = [plan.scheme.id.lower(), *plan.routes]
    table = []
    for value in encoded.dictionary.to_pylist():
        if is_missing(value, scheme_field.missing):
            table.append(0)
            continue
        target = (_lookup(scheme_field, value or "") or "").strip().lower()
        table.append(keys.index(target) if target in keys else -1)
    indices = pc.fill_null(encoded.indices, len(table)).to_numpy(zero_copy_only=False)
    codes = np.asarray([*table, 0], dtype=np.int64)[indices.astype(np.intp)]
    return codes, column


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` laid out as ``schema``: missing columns null, types cast."""
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _score_routed(plan: Plan, batch: pa.RecordBatch | pa.Table, source: str) -> ChunkResult:
    """Score each row with the scheme its scheme column names (one engine call per scheme)."""
    codes, cells = _route_codes(plan, batch)
    schema = plan.results_schema()
    plans = [plan, *plan.routes.values()]
    results: list[pa.Table] = []
    errors: list[pa.Table] = []
    out_of_scope: dict[str, int] = {}
    skipped_by: dict[str, int] = {}
    for index, route in enumerate(plans):
        rows = np.flatnonzero(codes == index)
        if not len(rows):
            continue
        part = batch.take(pa.array(rows, pa.int64()))
        alone = Plan(route.scheme, route.fields, route.key, route.filters, route.detail)
        done = score_prepared(alone, prepare(alone, part, source), source)
        local = done.results.column("row").to_numpy(zero_copy_only=False)
        table = done.results.set_column(0, "row", pa.array(rows[local], pa.int64()))
        label = f"{route.scheme.id} {route.scheme.version}"
        table = table.append_column("scheme", pa.repeat(pa.scalar(label), table.num_rows))
        results.append(_conform(table, schema))
        if done.errors.num_rows:
            local = done.errors.column("row").to_numpy(zero_copy_only=False)
            errors.append(done.errors.set_column(1, "row", pa.array(rows[local], pa.int64())))
        for counts, found in ((out_of_scope, done.out_of_scope), (skipped_by, done.skipped_by)):
            for key, count in found.items():
                counts[key] = counts.get(key, 0) + count
    unknown = np.flatnonzero(codes < 0)
    if len(unknown):
        scheme_field = next(f for f in plan.fields if f.role == "scheme")
        known = ", ".join([plan.scheme.id, *(p.scheme.id for p in plan.routes.values())])
        values = take_text(cells, unknown)
        reasons = [
            f"{(v or '').strip()!r} names none of the run's schemes ({known}); add an alias"
            for v in values
        ]
        problem = ProblemSet(unknown, scheme_field.column, values, reasons, kind="unknown scheme")
        prepared = Prepared(size=batch.num_rows, arrays={}, text={}, problems=[problem])
        errors.append(errors_table(prepared, source))
        key = f"unknown scheme ({scheme_field.column})"
        skipped_by[key] = skipped_by.get(key, 0) + len(unknown)
    merged = pa.concat_tables(results) if results else schema.empty_table()
    merged = merged.take(pc.sort_indices(merged, [("row", "ascending")]))
    failed = pa.concat_tables(errors) if errors else ERRORS_SCHEMA.empty_table()
    failed = failed.take(pc.sort_indices(failed, [("row", "ascending")]))
    return ChunkResult(batch.num_rows, merged, failed, out_of_scope, skipped_by)


def score_projects(plan: Plan, paths: Sequence[str]) -> ChunkResult:
    """Score a chunk of project TOML files (one building each) with one engine call.

    Each file is validated against ``plan.scheme`` (not the scheme it names); a
    file with problems becomes error rows located at file:line.
    """
    from greenmark.core.engine import encode_inputs
    from greenmark.core.project import load_project
    from greenmark.core.projectinputs import not_applicable_marks, resolve_inputs

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
                    kind="invalid project file",
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
