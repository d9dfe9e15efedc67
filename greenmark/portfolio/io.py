"""Portfolio input and output: stream CSV, Parquet or project folders; write results atomically.

Sources read only the mapped columns, chunk by chunk, so memory stays flat
whatever the file size: CSV in blocks of whole records with every column read
as text (:mod:`greenmark.portfolio.csvread`; the batch parser handles missing
markers, thousands separators and bad cells itself), Parquet through
``ParquetFile.iter_batches``, spreadsheets one sheet at a time
(:mod:`greenmark.portfolio.xlsx`). Writers put
everything in a temporary file next to the target (``.NAME.<random>.tmp``) and
rename it into place only when the run completes; on error, Ctrl-C or a stop
signal the temporary file is removed, so a half-written file never sits under
the final name. A run killed outright (``kill -9``) cannot clean up: the next run
writing the same target removes such leftovers (:func:`remove_stale_temps`).

CSV outputs are safe to open in a spreadsheet: a text cell that starts like a
formula is prefixed with ``'`` (:func:`neutralise_formulas`); Parquet and JSON
keep the raw values.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import re
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.resources import make_parent
from greenmark.core.tomlfile import read_toml
from greenmark.portfolio.source import Chunk, Source
from greenmark.portfolio.stitch import ParquetStitcher, encode_parquet, parquet_options, read_part

OUTPUT_KINDS = {".csv": "csv", ".parquet": "parquet", ".json": "json", ".jsonl": "jsonl"}


#: Stored bytes per row (dictionary page included) up to which a text column counts as one
#: of few distinct values (its row indices take a few bits each).
DICTIONARY_BYTES_PER_ROW = 2


class ParquetSource(Source):
    """A Parquet file; read in record batches of ``chunk_rows`` rows."""

    kind = "parquet"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            # pre_buffer would keep every row group read so far cached until the end of
            # the file (about 30 MB per million rows here): memory would not stay flat
            self._file = pq.ParquetFile(str(path), pre_buffer=False)
        except (OSError, pa.ArrowException) as exc:
            raise GreenmarkError(f"not a readable Parquet file ({exc})", file=path) from None

    @property
    def columns(self) -> list[str]:
        return list(self._file.schema_arrow.names)

    @property
    def total(self) -> int | None:
        return int(self._file.metadata.num_rows)

    def check_types(self, used: dict[str, str]) -> None:
        """Refuse used columns of a type the batch parser cannot read (lists, structs,
        maps, binary…), naming the column, its Arrow type and the accepted types.
        Columns that are not used are never read, whatever their type."""
        schema = self._file.schema_arrow
        problems = [
            Problem(
                f"column {name!r} (for {purpose}) has Arrow type {schema.field(name).type}; "
                f"expected {ACCEPTED_TYPES}",
                str(self.path),
            )
            for name, purpose in used.items()
            if name in schema.names and not readable_type(schema.field(name).type)
        ]
        if problems:
            raise GreenmarkError(problems=problems)

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[Chunk]:
        offset = 0
        source = self._file
        dictionaries = self._dictionary_columns(columns)
        if dictionaries:
            source = pq.ParquetFile(str(self.path), pre_buffer=False, read_dictionary=dictionaries)
        for batch in source.iter_batches(batch_size=chunk_rows, columns=columns):
            if batch.num_rows:
                yield Chunk(offset, batch.num_rows, batch=batch, progress=offset + batch.num_rows)
            offset += batch.num_rows

    def row_groups(self, columns: list[str], chunk_rows: int) -> RowGroups | None:
        """The file split by row group, for pool workers that read their own rows; None
        when a row group is much larger than a chunk (each worker would hold it whole)."""
        metadata = self._file.metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        if len(sizes) < 2 or max(sizes) > 4 * chunk_rows:
            return None
        return RowGroups(str(self.path), columns, self._dictionary_columns(columns), sizes)

    def _dictionary_columns(self, columns: list[str]) -> list[str]:
        """Text columns stored dictionary-encoded with few distinct values (judged on the
        first row group): read as Arrow dictionaries, so their texts are neither decoded
        nor hashed again row by row (choices, booleans written as words)."""
        metadata = self._file.metadata
        if not metadata.num_row_groups:
            return []
        group = metadata.row_group(0)
        stored = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
        schema = self._file.schema_arrow
        found = []
        for name in columns:
            chunk = stored.get(name)
            if chunk is None or name not in schema.names or not chunk.num_values:
                continue
            text = pa.types.is_string(schema.field(name).type)
            small = chunk.total_uncompressed_size <= DICTIONARY_BYTES_PER_ROW * chunk.num_values
            if text and chunk.has_dictionary_page and small:
                found.append(name)
        return found


@dataclass(frozen=True)
class RowGroups:
    """A Parquet file by row group: what a worker needs to read one (picklable)."""

    path: str
    columns: list[str]
    dictionaries: list[str]  # text columns read as Arrow dictionaries
    sizes: list[int]  # rows of each row group

    def read(self, index: int, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        """Row group ``index`` in batches of at most ``chunk_rows`` rows."""
        key = (self.path, tuple(self.dictionaries))
        file = _open_files.get(key)
        if file is None:
            file = pq.ParquetFile(self.path, pre_buffer=False, read_dictionary=self.dictionaries)
            _open_files.clear()  # one file open per process
            _open_files[key] = file
        yield from file.iter_batches(
            batch_size=chunk_rows, row_groups=[index], columns=self.columns
        )


_open_files: dict[tuple[str, tuple[str, ...]], pq.ParquetFile] = {}


class ProjectFolder(Source):
    """A folder of project TOML files, one building each (searched recursively, sorted).

    TOML files that parse but have no ``[project]`` table (schemes, mappings, factor
    tables) are not buildings: they are left out and counted in :attr:`ignored`. A
    file that does not parse is kept, so that its problem is reported.
    """

    kind = "projects"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.files: list[str] = []
        self.ignored: list[str] = []
        for file in sorted(path.rglob("*.toml")):
            (self.files if _is_project(file) else self.ignored).append(str(file))

    @property
    def total(self) -> int | None:
        return len(self.files)

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[Chunk]:
        size = max(1, min(chunk_rows, 2_000))
        for start in range(0, len(self.files), size):
            paths = self.files[start : start + size]
            yield Chunk(start, len(paths), paths=paths, progress=start + len(paths))


#: What :func:`readable_type` accepts, for messages.
ACCEPTED_TYPES = (
    "text, whole or decimal numbers, booleans, dates or times (or a dictionary-encoded "
    "column of these); nested (list, struct, map) and binary columns cannot be read"
)


def readable_type(kind: pa.DataType) -> bool:
    """True for a column type the batch parser reads (as numbers or as text)."""
    types = pa.types
    if types.is_dictionary(kind):
        return readable_type(kind.value_type)
    return bool(
        types.is_string(kind)
        or types.is_large_string(kind)
        or types.is_string_view(kind)
        or types.is_integer(kind)
        or types.is_floating(kind)
        or types.is_decimal(kind)
        or types.is_boolean(kind)
        or types.is_null(kind)
        or types.is_date(kind)
        or types.is_time(kind)
        or types.is_timestamp(kind)
        or types.is_duration(kind)
    )


def _is_project(path: Path) -> bool:
    """True for a project file, or a file that cannot be parsed (its problem gets reported)."""
    try:
        data, _ = read_toml(path)  # regular files under the size limit only
    except GreenmarkError:
        return True
    return isinstance(data.get("project"), dict)


def temp_pattern(target: Path) -> re.Pattern[str]:
    """The names of the temporary files written for ``target``: ``.NAME.<random>.tmp``
    (:func:`tempfile.mkstemp`'s 8 random characters), also those of
    :func:`greenmark.core.tomlfile.write_atomic`."""
    return re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")


def owned(info: os.stat_result) -> bool:
    """True when this process's user owns the file (always, where there are no users)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def remove_stale_temps(target: Path, before: float) -> list[Path]:
    """Remove this process user's temporary files for ``target`` left by a run that was
    killed: regular files named by :func:`temp_pattern`, next to ``target``, last
    modified before ``before`` (a :func:`time.time`). Returns the files removed."""
    folder = target.parent if str(target.parent) else Path(".")
    pattern = temp_pattern(target)
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not pattern.fullmatch(name):
            continue
        path = folder / name
        try:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and owned(info) and info.st_mtime < before:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


class AtomicFile:
    """A temporary file next to ``target`` (missing folders created), renamed onto it by
    :meth:`commit`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        make_parent(target)
        folder = target.parent if str(target.parent) else Path(".")
        try:
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=target) from None
        os.close(handle)
        self.temp = Path(name)

    def commit(self) -> None:
        with self.temp.open("rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(self.temp, 0o644)
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


ArrowText = TypeVar("ArrowText", pa.Array, pa.ChunkedArray)
_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Text cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR prefixed with ``'``
    (OWASP CSV injection rule), so a spreadsheet shows them instead of running them.

    A text cell that is a plain number (``-3``, ``+1.5e3``) cannot be a formula and is
    kept as it is; numeric columns are never changed (-3.5 stays a number).
    """
    for index, column_field in enumerate(table.schema):
        kind = column_field.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            table = table.set_column(index, column_field, _neutralise(table.column(index)))
        elif pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
            column = pa.chunked_array(
                [_neutralise_entries(c) for c in table.column(index).chunks], kind
            )
            table = table.set_column(index, column_field, column)
    return table


def _neutralise_entries(labels: pa.DictionaryArray) -> pa.DictionaryArray:
    """A dictionary column with its texts neutralised (each distinct text once)."""
    safe = _neutralise(labels.dictionary)
    if safe is labels.dictionary:
        return labels
    return pa.DictionaryArray.from_arrays(labels.indices, safe)


def _neutralise(column: ArrowText) -> ArrowText:
    risky = pc.and_not(
        pc.match_substring_regex(column, _FORMULA_START),
        pc.match_substring_regex(column, _PLAIN_NUMBER),
    )
    if not pc.any(risky).as_py():
        return column
    quoted = pc.binary_join_element_wise("'", column, "")
    return pc.if_else(risky, quoted, column)


@dataclass(frozen=True)
class PartEncoder:
    """Encodes rows as :class:`TableWriter` writes them to a file of ``kind`` (picklable, for
    pool workers): a whole Parquet file (joined by :class:`ParquetStitcher`), CSV lines with
    formulas neutralised, JSON objects separated by commas, or JSON lines."""

    kind: str
    schema: pa.Schema

    def encode(self, table: pa.Table) -> bytes | memoryview:
        if self.kind == "parquet":
            return memoryview(encode_parquet(table, self.schema))
        return encode_part(self.kind, table)


def encode_part(kind: str, table: pa.Table, *, header: bool = False) -> bytes | memoryview:
    """CSV, JSON (objects joined by ``,\\n``, no brackets) or JSON Lines bytes of ``table``."""
    if kind == "csv":
        sink = pa.BufferOutputStream()
        options = pa_csv.WriteOptions(include_header=header)
        pa_csv.write_csv(neutralise_formulas(table), sink, options)
        return memoryview(sink.getvalue())
    lines = (json.dumps(_json_safe(row), ensure_ascii=False) for row in table.to_pylist())
    if kind == "jsonl":
        return ("\n".join(lines) + "\n").encode()
    return ",\n".join(lines).encode()


class TableWriter:
    """Writes Arrow tables chunk by chunk as CSV, Parquet, JSON (array) or JSON Lines
    (CSV text cells through :func:`neutralise_formulas`).

    ``path`` None writes CSV to stdout. Otherwise the data goes to a temporary file,
    renamed onto ``path`` by :meth:`commit`; :meth:`discard` removes it.
    """

    def __init__(self, path: Path | None, schema: pa.Schema, *, stitched: bool = False) -> None:
        self.path = path
        self.schema = schema
        self.kind = "csv" if path is None else OUTPUT_KINDS.get(path.suffix.lower(), "")
        if not self.kind:
            suffix = path.suffix if path is not None else ""
            raise GreenmarkError(
                f"unknown output type {suffix!r} (use .csv, .parquet, .json or .jsonl)", file=path
            )
        self.rows = 0
        self._atomic = AtomicFile(path) if path is not None else None
        self._stream: IO[bytes] | None = None
        self._writer: Any = None
        self._stitcher: ParquetStitcher | None = None
        self._background: Background | None = None
        self._first = True
        if self._atomic is None:
            self._stream = sys.stdout.buffer
        elif self.kind == "parquet" and not stitched:
            self._writer = pq.ParquetWriter(
                str(self._atomic.temp), schema, **parquet_options(schema)
            )
            self._background = Background()  # encoding overlaps the run's own work
        else:
            self._stream = self._atomic.temp.open("wb")
        if self.kind == "parquet" and stitched:
            assert self._stream is not None
            self._stitcher = ParquetStitcher(self._stream, schema)
        elif self.kind == "csv":
            assert self._stream is not None
            self._stream.write(encode_part("csv", pa.Table.from_batches([], schema), header=True))
        elif self.kind == "json":
            assert self._stream is not None
            self._stream.write(b"[")

    @property
    def encoder(self) -> PartEncoder:
        """What a pool worker needs to encode rows for :meth:`write_encoded` (picklable)."""
        return PartEncoder(self.kind, self.schema)

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self.kind == "parquet" and self._stitcher is None:
            self.rows += table.num_rows
            assert self._background is not None
            self._background.submit(self._writer.write_table, table)
            return
        self.write_encoded(self.encoder.encode(table), table.num_rows)

    def write_encoded(self, data: bytes | memoryview, rows: int) -> None:
        """Append ``rows`` rows encoded by :attr:`encoder` (in a pool worker, or here)."""
        if not rows:
            return
        self.rows += rows
        assert self._stream is not None
        if self._stitcher is not None:
            self._stitcher.append(data)
            return
        if self.kind == "json":
            self._stream.write(b"\n" if self._first else b",\n")
        self._stream.write(data)
        self._first = False

    def write_encoded_file(self, path: str, rows: int) -> None:
        """:meth:`write_encoded` for rows encoded into the file ``path`` (by a pool worker):
        a Parquet part's row groups are copied without being read into this process."""
        if not rows:
            return
        if self._stitcher is None:
            self.write_encoded(read_part(path), rows)
            return
        self.rows += rows
        self._stitcher.append_file(path)

    def _close(self) -> None:
        if self._background is not None:
            self._background.finish()
            self._background = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._stitcher is not None:
            self._stitcher.close()
            self._stitcher = None
        if self._stream is not None:
            if self.kind == "json":
                self._stream.write(b"\n]\n" if not self._first else b"]\n")
            if self._atomic is not None:
                self._stream.close()
            else:
                self._stream.flush()
            self._stream = None

    def commit(self) -> None:
        """Finish the file and move it under its final name."""
        self._close()
        if self._atomic is not None:
            self._atomic.commit()

    def discard(self) -> None:
        """Drop everything written so far (idempotent)."""
        if self._background is not None:
            self._background.stop()
            self._background = None
        try:
            if self._writer is not None:
                self._writer.close()
            if self._stream is not None and self._atomic is not None:
                self._stream.close()
        except Exception:  # pragma: no cover - closing a broken writer
            pass
        self._writer = self._stream = self._stitcher = None
        if self._atomic is not None:
            self._atomic.discard()


class Background:
    """Calls run one after another on a thread of their own (pyarrow encodes and compresses
    without holding the GIL), at most two waiting; a failure is raised to the caller at
    its next :meth:`submit` or at :meth:`finish`."""

    def __init__(self) -> None:
        self._calls: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None]
        self._calls = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="greenmark-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (call := self._calls.get()) is not None:
            if self._failure is None and not self._stopping:
                try:
                    call[0](*call[1])
                except BaseException as exc:  # raised in the caller's thread
                    self._failure = exc

    def _raise(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        self._raise()
        self._calls.put((function, args))

    def finish(self) -> None:
        """Wait for every call; raise the first failure."""
        self._calls.put(None)
        self._thread.join()
        self._raise()

    def stop(self) -> None:
        """Drop the calls still waiting, let the running one end, and return."""
        self._stopping = True
        with contextlib.suppress(queue.Empty):
            while True:
                self._calls.get_nowait()
        self._calls.put(None)
        self._thread.join()


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities become null (JSON has neither)."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in row.items()
    }
