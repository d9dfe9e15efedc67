"""Open one INPUT argument of ``greenmark batch`` (or ``mapping``) by its type: a folder of
project files, a CSV, Parquet or ``.xlsx`` file."""

from __future__ import annotations

from pathlib import Path

from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.csvread import CsvSource
from greenmark.portfolio.io import ParquetSource, ProjectFolder
from greenmark.portfolio.source import ReadOptions, Source
from greenmark.portfolio.xlsx import XlsxSource

INPUT_KINDS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def open_source(path: Path, options: ReadOptions | None = None) -> Source:
    """The source for one INPUT argument, by its type (folder) or extension."""
    options = options or ReadOptions()
    if path.is_dir():
        return ProjectFolder(path)
    if not path.exists():
        raise GreenmarkError("file not found", file=path)
    kind = INPUT_KINDS.get(path.suffix.lower())
    if kind == "csv":
        return CsvSource(path, options.delimiter, options.encoding)
    if kind == "parquet":
        return ParquetSource(path)
    if kind == "xlsx":
        return XlsxSource(path, options.sheet)
    raise GreenmarkError(
        "expected a folder of project files, a .csv, .xlsx or .parquet file", file=path
    )
