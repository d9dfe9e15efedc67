"""Reading cells of one Arrow column: text, missing markers, well-formed numbers.

Whole-column Arrow/numpy operations shared by the chunk parser
(:mod:`greenmark.portfolio.chunk`), the derived values of a mapping
(:mod:`greenmark.portfolio.derive`) and the row filters
(:mod:`greenmark.portfolio.filters`). A bad cell becomes a :class:`ProblemSet`
entry (local 0-based rows, the raw text and the reason), never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class ProblemSet:
    """Bad cells of one column: local rows (0-based), the raw values and the reasons.

    ``kind`` is the short reason used to break skipped rows down in the summary
    (e.g. ``"not a number"``); it never holds a cell value.
    """

    rows: np.ndarray
    column: str
    values: list[str | None]
    reasons: list[str]
    lines: list[int | None] | None = None
    source: list[str] | None = None
    kind: str = ""


def text_array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow column as a plain string array (nulls kept)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    return column


def missing_cells(text: pa.Array, markers: Sequence[str]) -> np.ndarray:
    """True where a cell is null or one of the missing markers (trimmed, case-insensitive)."""
    return missing_trimmed(pc.utf8_trim_whitespace(text), markers)


def missing_trimmed(trimmed: pa.Array, markers: Sequence[str]) -> np.ndarray:
    """:func:`missing_cells` of text already trimmed of white space.

    No pattern is matched over the column: only a cell short enough to be a marker and
    starting with a byte a marker may start with (either case of an ASCII letter, any
    non-ASCII byte) is lower-cased and looked up among the markers, so a column of ids or
    names costs a pass over its offsets and first bytes.
    """
    missing = np.array(pc.is_null(trimmed), dtype=bool)
    folded = sorted({m.strip().lower() for m in markers})
    if not folded or not len(trimmed):
        return missing
    starts, lengths, data = _layout(trimmed)
    leads = np.zeros(256, dtype=bool)
    leads[0x80:] = True  # a non-ASCII first character may fold to anything
    for marker in folded:
        if marker:
            for variant in {marker[0].lower(), marker[0].upper()}:
                if variant.isascii():
                    leads[ord(variant)] = True
    # A character is at most 4 bytes in UTF-8, and lower-casing keeps the count.
    candidate = ~missing & (lengths <= 4 * max(len(m) for m in folded))
    empty = lengths == 0
    candidate[empty] &= "" in folded
    filled = np.flatnonzero(candidate & ~empty)
    candidate[filled] = leads[data[starts[filled]]]
    rows = np.flatnonzero(candidate)
    if len(rows):
        found = pc.is_in(pc.utf8_lower(trimmed.take(pa.array(rows))), value_set=pa.array(folded))
        missing[rows] = np.asarray(pc.fill_null(found, False))
    return missing


def _layout(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's first byte offset and its length in bytes, and the bytes, of a string
    column (read from its Arrow buffers, not copied)."""
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        text = text.cast(pa.string())
    width = np.dtype(np.int64 if pa.types.is_large_string(text.type) else np.int32)
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=width)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
    lengths = np.diff(offsets)
    if data is None or not len(data):
        data = np.zeros(1, dtype=np.uint8)
    return offsets[:-1].astype(np.int64), lengths, data


def is_missing(value: str | None, markers: Sequence[str]) -> bool:
    """The scalar form of :func:`missing_cells`, for the distinct values of a column."""
    if value is None:
        return True
    folded = value.strip().casefold()
    return any(folded == m.strip().casefold() for m in markers)


def number_pattern(thousands: str, decimal: str) -> str:
    """RE2 pattern of a well-formed number: optional sign, digits grouped by ``thousands``
    only in threes ("65,640" but not "1,5"), optional ``decimal`` part and exponent."""
    d = re.escape(decimal)
    whole = r"\d+"
    if thousands:
        whole += r"|\d{1,3}(?:" + re.escape(thousands) + r"\d{3})+"
    return rf"^[+-]?(?:(?:{whole})(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?$"


def fmt(value: float) -> str:
    """A number for messages: ``2,865,168``, ``12.5``, ``1e+20``."""
    if abs(value) < 1e15 and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"


def unit_suffix(unit: str) -> str:
    """`` unit`` for messages, nothing for a dimensionless one."""
    return "" if unit in ("", "1") else f" {unit}"


def take_text(text: pa.Array, rows: np.ndarray) -> list[str | None]:
    return pc.take(text, pa.array(rows, pa.int64())).to_pylist()


def read_numbers(
    column: pa.Array | pa.ChunkedArray,
    name: str,
    markers: Sequence[str],
    thousands: str,
    decimal: str,
    problems: list[ProblemSet],
) -> tuple[np.ndarray, pa.Array | None]:
    """Numbers as written in the file (NaN = missing) and, for text columns, the raw text.

    Text cells are trimmed; missing markers become NaN; a cell that is not a
    well-formed number (in the given thousands/decimal format) is a problem of ``name``.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        # unsafe: integers beyond 2**53 become the nearest float instead of failing
        values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        infinite = np.isinf(values)
        if infinite.any():
            rows = np.flatnonzero(infinite)
            texts: list[str | None] = [fmt(v) for v in values[rows]]
            reasons = ["not a finite number"] * len(rows)
            problems.append(ProblemSet(rows, name, texts, reasons, kind="not a finite number"))
            values = np.where(infinite, np.nan, values)
        return values, None
    raw_text = text_array(column)
    trimmed = pc.utf8_trim_whitespace(raw_text)
    missing = missing_cells(raw_text, markers)
    pattern = number_pattern(thousands, decimal)
    well_formed = np.asarray(pc.fill_null(pc.match_substring_regex(trimmed, pattern), False))
    bad = ~well_formed & ~missing
    if bad.any():
        rows = np.flatnonzero(bad)
        reasons = ["not a number"] * len(rows)
        problems.append(
            ProblemSet(rows, name, take_text(raw_text, rows), reasons, kind="not a number")
        )
    cleaned = trimmed
    if thousands:
        cleaned = pc.replace_substring(cleaned, thousands, "")
    if decimal != ".":
        cleaned = pc.replace_substring(cleaned, decimal, ".")
    cleaned = pc.if_else(pa.array(well_formed & ~missing), cleaned, pa.scalar(None, pa.string()))
    return cleaned.cast(pa.float64()).to_numpy(zero_copy_only=False), raw_text
