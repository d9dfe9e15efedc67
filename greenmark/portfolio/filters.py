"""Row filters of a mapping: ``[[where]]`` keeps rows, ``[[exclude]]`` drops them.

A row a filter leaves out is *out of scope*: not scored, not an error, counted by
the filter's reason in the summary, and it never makes the exit code 1. Each
filter tests one column; all the tests it gives (``in``, ``matches``, ``min``,
``max``, ``blank``) must hold for the filter to hold. A ``where`` filter that does
not hold, or an ``exclude`` filter that holds, puts the row out of scope; the
first such filter (in file order, ``where`` first) is the row's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.portfolio.cells import fmt, missing_cells, read_numbers, text_array


@dataclass(frozen=True)
class FilterPlan:
    """One bound filter (picklable)."""

    kind: str  # "where" or "exclude"
    column: str
    values: tuple[str, ...] | None = None  # ``in``: trimmed, compared case-insensitively
    pattern: str | None = None  # ``matches``: RE2, case-insensitive, anywhere in the cell
    min: float | None = None
    max: float | None = None
    blank: bool | None = None
    reason: str = ""  # the mapping's words for it, else a description
    missing: tuple[str, ...] = ()
    thousands: str = ","
    decimal: str = "."

    @property
    def label(self) -> str:
        """The out-of-scope reason shown in the summary."""
        return self.reason or f"{self.kind} {self.describe()}"

    def describe(self) -> str:
        """The filter's tests in words: ``'Outlier' in [High, Low]``."""
        parts = []
        if self.values is not None:
            parts.append(f"in [{', '.join(self.values)}]")
        if self.pattern is not None:
            parts.append(f"matches {self.pattern!r}")
        if self.min is not None:
            parts.append(f">= {fmt(self.min)}")
        if self.max is not None:
            parts.append(f"<= {fmt(self.max)}")
        if self.blank is not None:
            parts.append("is blank" if self.blank else "is not blank")
        return f"{self.column!r} " + " and ".join(parts)


def holds(plan: FilterPlan, column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True per row where every test of ``plan`` holds."""
    text = text_array(column)
    size = len(text)
    result = np.ones(size, dtype=bool)
    blank = missing_cells(text, plan.missing)
    if plan.values is not None:
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(text))
        wanted = pa.array([v.strip().lower() for v in plan.values], pa.string())
        result &= np.asarray(pc.fill_null(pc.is_in(folded, value_set=wanted), False))
    if plan.pattern is not None:
        found = pc.match_substring_regex(text, f"(?i:{plan.pattern})")
        result &= np.asarray(pc.fill_null(found, False))
    if plan.min is not None or plan.max is not None:
        numbers, _ = read_numbers(text, plan.column, plan.missing, plan.thousands, plan.decimal, [])
        with np.errstate(invalid="ignore"):
            if plan.min is not None:
                result &= numbers >= plan.min
            if plan.max is not None:
                result &= numbers <= plan.max
    if plan.blank is not None:
        result &= blank if plan.blank else ~blank
    return result


def out_of_scope(
    filters: Sequence[FilterPlan], batch: pa.RecordBatch | pa.Table
) -> np.ndarray | None:
    """Per row, the index in ``filters`` of the first filter that leaves it out (-1: in
    scope); None when no row is left out."""
    if not filters:
        return None
    names = batch.schema.names
    first = np.full(batch.num_rows, -1, dtype=np.int64)
    for index, plan in enumerate(filters):
        found = holds(plan, batch.column(names.index(plan.column)))
        leaves = ~found if plan.kind == "where" else found
        first[(first < 0) & leaves] = index
    return first if (first >= 0).any() else None
