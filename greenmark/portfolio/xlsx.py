"""Spreadsheet input (``.xlsx``) through python-calamine: one sheet, first row the header.

Every cell is turned into the text a CSV export of the sheet would hold (whole
numbers without ``.0``, other numbers in their shortest exact form, booleans as
``true``/``false``, dates in ISO form), so a sheet scores exactly like the same
data saved as CSV. Each row keeps its sheet row number as its line. A sheet is
at most 1,048,576 rows: it is read whole, then handed on in chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.source import Chunk, Source


def cell_text(value: Any) -> str:
    """A cell as a CSV export would write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


class XlsxSource(Source):
    """One sheet of a workbook (``sheet`` by name, or the first)."""

    kind = "xlsx"

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        super().__init__(path)
        try:
            from python_calamine import CalamineWorkbook
        except ModuleNotFoundError:  # pragma: no cover - a dependency of greenmark
            raise GreenmarkError("reading .xlsx needs python-calamine", file=path) from None
        try:
            book = CalamineWorkbook.from_path(str(path))
            names = list(book.sheet_names)
            if sheet is not None and sheet not in names:
                raise GreenmarkError(
                    f"no sheet {sheet!r} (sheets: {', '.join(names)})",
                    file=path,
                    location="--sheet",
                )
            if not names:
                raise GreenmarkError("the workbook has no sheets", file=path)
            self.sheet = sheet if sheet is not None else names[0]
            found = book.get_sheet_by_name(self.sheet)
            rows = found.to_python(skip_empty_area=False)
        except GreenmarkError:
            raise
        except Exception as exc:  # calamine's errors: not a zip, broken XML, password
            raise GreenmarkError(f"not a readable .xlsx file ({exc})", file=path) from None
        lead = 0  # empty rows above the header
        while lead < len(rows) and not any(cell not in (None, "") for cell in rows[lead]):
            lead += 1
        rows = rows[lead:]
        if not rows:
            raise GreenmarkError(f"sheet {self.sheet!r} is empty, expected a header row", file=path)
        header = [cell_text(c).strip() for c in rows[0]]
        while header and not header[-1]:
            header.pop()
        duplicated = sorted({c for c in header if c and header.count(c) > 1})
        if duplicated:
            raise GreenmarkError(f"duplicate column names: {', '.join(duplicated)}", file=path)
        self._columns = header
        self._header_line = lead + 1
        self._rows = rows[1:]

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def total(self) -> int | None:
        return len(self._rows)

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[Chunk]:
        positions = [self._columns.index(name) for name in columns]
        kept: list[tuple[int, list[Any]]] = [
            (index, row)
            for index, row in enumerate(self._rows)
            if any(cell not in (None, "") for cell in row)
        ]
        for start in range(0, len(kept), chunk_rows):
            part = kept[start : start + chunk_rows]
            data = {
                name: pa.array(
                    [cell_text(row[p]) if p < len(row) else "" for _, row in part], pa.string()
                )
                for name, p in zip(columns, positions, strict=True)
            }
            batch = pa.RecordBatch.from_pydict(
                data, schema=pa.schema([(name, pa.string()) for name in columns])
            )
            first = self._header_line + 1
            lines = np.asarray([index + first for index, _ in part], dtype=np.int64)
            yield Chunk(start, len(part), batch=batch, progress=start + len(part), lines=lines)
