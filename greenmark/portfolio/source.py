"""What every portfolio input is: a :class:`Source` handing out :class:`Chunk` objects, and
the options for reading one (:class:`ReadOptions`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa


@dataclass
class Chunk:
    """A piece of one input: Arrow rows (CSV/Parquet) or project file paths (folders)."""

    offset: int  # rows of this input before the chunk
    rows: int
    batch: pa.RecordBatch | None = None
    paths: list[str] | None = None
    progress: int = 0  # position reached in the source (bytes for CSV, rows otherwise)
    malformed: list[tuple[int | None, str]] = field(default_factory=list)  # (line, reason)
    lines: np.ndarray | None = None  # physical line (1-based) of each row, when known


class Source(ABC):
    """One input given on the command line."""

    kind: str = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)

    @property
    def columns(self) -> list[str]:
        return []

    @property
    def total(self) -> int | None:
        """Size in progress units (bytes for CSV, rows otherwise), when known."""
        return None

    @property
    def rows(self) -> int | None:
        """How many rows (buildings) the input holds, when known before reading it (for
        CSV an estimate, from the bytes per line of its first megabyte)."""
        return self.total

    def check_types(self, used: dict[str, str]) -> None:
        """Raise :class:`GreenmarkError` for columns of ``used`` (column -> what it is
        for) that cannot be read; text inputs have nothing to check."""
        return None

    @abstractmethod
    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[Chunk]:
        """The input in chunks of at most ``chunk_rows`` rows, reading ``columns``."""


#: Stored bytes per row (dictionary page included) up to which a text column counts as one
#: of few distinct values (its row indices take a few bits each).
DICTIONARY_BYTES_PER_ROW = 2


@dataclass(frozen=True)
class ReadOptions:
    """How to read inputs: CSV delimiter and encoding (None: sniffed), spreadsheet sheet."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
