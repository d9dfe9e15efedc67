"""CSV input read in blocks of whole records, each row with its physical line number.

The file is read in byte blocks cut at record boundaries (a newline outside
quotes, found with numpy from the positions of quotes and newlines). Per block,
the same vectorised scan counts each record's fields and its first physical line,
so a line with the wrong number of fields is named by its line and left out
before Arrow parses the rest; every row read keeps its line for the errors file.
Blank lines are skipped, as spreadsheets write them.

Encodings: the text is checked (and, when it is not UTF-8, converted) block by
block; a byte that does not decode is reported with its byte offset and line.
Only encodings that write ASCII as ASCII (UTF-8, Latin-1, Windows-1252, …) are
read: the record scan works on bytes. The delimiter, when not given, is the one
of ``,`` ``;`` tab ``|`` that the header line holds most often outside quotes.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.source import Chunk, Source

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_QUOTE, _NEWLINE, _CR = 0x22, 0x0A, 0x0D
_SAMPLE = 1 << 20  # bytes read to find the header, the delimiter and the row size
_SHOWN = 200  # characters of a malformed line shown in its message


def check_encoding(name: str) -> str:
    """The codec's canonical name; :class:`GreenmarkError` for unknown or non-ASCII ones."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise GreenmarkError(
            f"unknown encoding {name!r} (e.g. utf-8, cp1252, latin-1)", location="--encoding"
        ) from None
    try:
        ascii_safe = 'a,;"\n'.encode(info.name) == b'a,;"\n'
    except UnicodeError:
        ascii_safe = False
    if not ascii_safe:
        raise GreenmarkError(
            f"encoding {name!r} does not write ASCII as ASCII; save the file as UTF-8 first",
            location="--encoding",
        )
    return info.name


def sniff_delimiter(header: bytes) -> str:
    """The delimiter the header line holds most often outside quotes (``,`` on a tie)."""
    outside = bytearray()
    quoted = False
    for byte in header:
        if byte == _QUOTE:
            quoted = not quoted
        elif not quoted:
            outside.append(byte)
    counts = {d: outside.count(d.encode()) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


class CsvSource(Source):
    """A CSV file with a header row; every column read as text."""

    kind = "csv"

    def __init__(
        self, path: Path, delimiter: str | None = None, encoding: str | None = None
    ) -> None:
        super().__init__(path)
        self.encoding = check_encoding(encoding) if encoding else "utf-8"
        try:
            with path.open("rb") as stream:
                sample = stream.read(_SAMPLE)
        except OSError as exc:
            raise GreenmarkError(f"cannot read: {exc.strerror}", file=path) from None
        self._skip = 3 if sample.startswith(codecs.BOM_UTF8) and self.encoding == "utf-8" else 0
        sample = sample[self._skip :]
        ends = _record_ends(np.frombuffer(sample, np.uint8))
        header = sample[: int(ends[0])] if len(ends) else sample
        if not header.strip():
            raise GreenmarkError("empty file, expected a header row", file=path)
        self.delimiter = delimiter if delimiter is not None else sniff_delimiter(header)
        if len(self.delimiter) != 1 or not self.delimiter.isascii():
            raise GreenmarkError(
                f"the delimiter must be one ASCII character, got {self.delimiter!r}",
                location="--delimiter",
            )
        text = self._decode(header, 0, 1)
        self._columns = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter), [])
        self._header_bytes = len(header) + 1 if len(ends) else len(header)
        self._per_row = max(16, len(sample) // max(1, len(ends)))
        duplicated = sorted({c for c in self._columns if self._columns.count(c) > 1})
        if duplicated:
            raise GreenmarkError(f"duplicate column names: {', '.join(duplicated)}", file=path)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def total(self) -> int | None:
        return self.path.stat().st_size

    @property
    def rows(self) -> int | None:
        return max(0, self.path.stat().st_size - self._header_bytes) // self._per_row

    def _decode(self, data: bytes, offset: int, line: int) -> str:
        """``data`` as text; a byte that does not decode is named by offset and line."""
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            where = offset + self._skip + exc.start
            at_line = line + data.count(b"\n", 0, exc.start)
            hint = (
                " (try --encoding cp1252 or --encoding latin-1)" if self.encoding == "utf-8" else ""
            )
            raise GreenmarkError(
                f"line {at_line}, byte offset {where:,}: byte 0x{data[exc.start]:02x} is not "
                f"{self.encoding} text{hint}",
                file=self.path,
            ) from None

    def chunks(self, columns: list[str], chunk_rows: int) -> Iterator[Chunk]:
        """Chunks of about ``chunk_rows`` rows (text columns), each row with its line."""
        block = int(min(max(self._per_row * chunk_rows, 1 << 16), 1 << 27))
        offset = 0
        with self.path.open("rb") as stream:
            stream.seek(self._skip + self._header_bytes)
            position = self._header_bytes  # bytes after the BOM consumed so far
            line = 2  # physical line of the next record
            carry = b""
            while True:
                data = stream.read(block)
                piece = carry + data
                if not piece:
                    break
                if data:
                    end = _last_record_end(piece)
                    if end < 0 and len(piece) > 4 * block:
                        # a stray quote (an inch mark in an unquoted field) makes every
                        # later newline look quoted: cut at a newline anyway, so memory
                        # stays bounded (Arrow reads such quotes as text)
                        end = piece.rfind(b"\n")
                    if end < 0:
                        carry = piece
                        continue
                    cut = end + 1
                else:
                    cut = len(piece)
                body, carry = piece[:cut], piece[cut:]
                chunk = self._chunk(body, columns, offset, position, line)
                position += len(body)
                line += body.count(b"\n")
                if chunk.rows or chunk.malformed:
                    chunk.progress = position + self._skip
                    yield chunk
                offset += chunk.rows
                if not data:
                    break

    def _chunk(
        self, body: bytes, columns: list[str], offset: int, position: int, line: int
    ) -> Chunk:
        """Parse whole records; lines with the wrong field count are set aside, by line."""
        raw = np.frombuffer(body, np.uint8)
        newlines = np.flatnonzero(raw == _NEWLINE)
        quotes = np.flatnonzero(raw == _QUOTE)
        ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0] if len(quotes) else newlines
        lines = _record_lines(raw, newlines, ends, line)
        self._decode(body, position, line)  # every byte decodes, or its offset is named
        if self.encoding != "utf-8":
            body = body.decode(self.encoding).encode("utf-8")
        invalid: list[tuple[int, str]] = []

        def refuse(row: Any) -> str:
            text = row.text if len(row.text) <= _SHOWN else row.text[: _SHOWN - 1] + "…"
            reason = f"expected {row.expected_columns} fields, got {row.actual_columns}: {text}"
            invalid.append((row.number, reason))
            return "skip"

        batch = self._parse(body, columns, refuse)
        if len(lines) != batch.num_rows + len(invalid) and len(quotes):
            # a quote inside an unquoted field (an inch mark) upset the count: follow
            # quoting as Arrow does, from field-start quotes to their closing quotes
            ends = newlines[_outside_fields(raw, newlines, quotes, ord(self.delimiter))]
            lines = _record_lines(raw, newlines, ends, line)
        good = np.ones(len(lines), dtype=bool)
        malformed: list[tuple[int | None, str]] = []
        for number, reason in invalid:
            known = number is not None and 0 < number <= len(lines)
            if known:
                good[number - 1] = False
            malformed.append((int(lines[number - 1]) if known else None, reason))
        row_lines = lines[good] if int(good.sum()) == batch.num_rows else None
        rows = batch.num_rows
        return Chunk(
            offset, rows, batch=batch if rows else None, malformed=malformed, lines=row_lines
        )

    def _parse(self, body: bytes, columns: list[str], refuse: Any) -> pa.RecordBatch:
        text = {name: pa.string() for name in columns}
        try:
            table = pa_csv.read_csv(
                io.BytesIO(body),
                read_options=pa_csv.ReadOptions(
                    column_names=self._columns,
                    block_size=max(1 << 16, len(body) + 1),
                    use_threads=False,
                ),
                parse_options=pa_csv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=refuse,
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=text,
                    include_columns=columns,
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    null_values=[],
                ),
            )
        except pa.ArrowInvalid as exc:
            raise GreenmarkError(f"not a readable CSV file ({exc})", file=self.path) from None
        batches = table.combine_chunks().to_batches()
        if not batches:
            return pa.RecordBatch.from_pylist([], schema=pa.schema(text))
        return batches[0]


def _record_lines(raw: np.ndarray, newlines: np.ndarray, ends: np.ndarray, line: int) -> np.ndarray:
    """The first physical line of each record that is not blank (Arrow skips blank lines)."""
    size = len(raw)
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [size]])
    length = stops - starts
    first = raw[np.minimum(starts, max(size - 1, 0))] if size else starts
    records = (length > 1) | ((length == 1) & (first != _CR))
    return (line + np.searchsorted(newlines, starts))[records]


def _outside_fields(
    raw: np.ndarray, newlines: np.ndarray, quotes: np.ndarray, delimiter: int
) -> np.ndarray:
    """Per newline, True when it is outside quoted fields, quoting as Arrow reads it: a
    quote opens a field only at the field's start and closes it before a delimiter or
    the end of a line; other quotes are text (a walk over the candidate quotes only)."""
    size = len(raw)
    before = np.where(quotes > 0, raw[np.maximum(quotes - 1, 0)], _NEWLINE)
    after = np.where(quotes < size - 1, raw[np.minimum(quotes + 1, size - 1)], _NEWLINE)
    opens = quotes[(quotes == 0) | (before == delimiter) | (before == _NEWLINE)]
    closes = quotes[(after == delimiter) | (after == _NEWLINE) | (after == _CR)]
    spans: list[tuple[int, int]] = []
    position = -1
    while True:
        at = int(np.searchsorted(opens, position, side="right"))
        if at >= len(opens):
            break
        start = int(opens[at])
        end_at = int(np.searchsorted(closes, start, side="right"))
        end = int(closes[end_at]) if end_at < len(closes) else size
        spans.append((start, end))
        position = end
    if not spans:
        return np.ones(len(newlines), dtype=bool)
    starts = np.asarray([a for a, _ in spans])
    stops = np.asarray([b for _, b in spans])
    index = np.searchsorted(starts, newlines, side="right") - 1
    inside = (index >= 0) & (newlines < stops[np.maximum(index, 0)])
    return ~inside


def _record_ends(raw: np.ndarray) -> np.ndarray:
    """Positions of the newlines that end a record (outside quotes)."""
    newlines = np.flatnonzero(raw == _NEWLINE)
    if not len(newlines):
        return newlines
    quotes = np.flatnonzero(raw == _QUOTE)
    return newlines[np.searchsorted(quotes, newlines) % 2 == 0]


def _last_record_end(data: bytes) -> int:
    """Position of the last newline outside quotes, or -1."""
    end = data.rfind(b"\n")
    quotes = data.count(b'"', 0, end) if end >= 0 else 0
    while end >= 0 and quotes % 2:
        previous = data.rfind(b"\n", 0, end)
        quotes -= data.count(b'"', previous + 1 if previous >= 0 else 0, end)
        end = previous
    return end
