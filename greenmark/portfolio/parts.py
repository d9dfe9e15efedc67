"""One Parquet file from Parquet parts written elsewhere, without decoding or re-encoding them.

Pool workers encode their results as small Parquet files (one row group each);
:class:`PartsFile` copies each part's column chunks byte for byte into the output
and writes one footer listing every row group, its offsets moved by where the
part landed. The parent process so never encodes a page: writing scales with
the workers. The footer is Thrift's compact protocol, read and written here
field by field (unknown fields kept as they are); only the offsets, the row
group ordinals and the row count change. Parts must share one schema.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

MAGIC = b"PAR1"

# compact protocol types
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)

#: offsets (i64 fields) to move, by structure: ColumnChunk and ColumnMetaData
_CHUNK_OFFSETS = {2, 4, 6}  # file_offset, offset_index_offset, column_index_offset
_META_OFFSETS = {9, 10, 11, 14}  # data page, index page, dictionary page, bloom filter


class PartError(ValueError):
    """A part that is not a Parquet file this module can join."""


@dataclass
class Field:
    id: int
    type: int
    value: Any


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int) -> Any:
        if kind in (_TRUE, _FALSE):  # in a collection: one byte, 1 true
            return self.byte() == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            raw = self.data[self.pos : self.pos + 8]
            self.pos += 8
            return raw
        if kind == _BINARY:
            size = self.varint()
            raw = self.data[self.pos : self.pos + size]
            self.pos += size
            return raw
        if kind in (_LIST, _SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            return (element, [self.value(element) for _ in range(size)])
        if kind == _MAP:
            size = self.varint()
            if not size:
                return (0, 0, [])
            types = self.byte()
            key, val = types >> 4, types & 0x0F
            return (key, val, [(self.value(key), self.value(val)) for _ in range(size)])
        if kind == _STRUCT:
            return self.struct()
        raise PartError(f"unknown Thrift type {kind}")

    def struct(self) -> list[Field]:
        fields: list[Field] = []
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            delta, kind = header >> 4, header & 0x0F
            last = last + delta if delta else self.zigzag()
            if kind in (_TRUE, _FALSE):
                fields.append(Field(last, kind, kind == _TRUE))
            else:
                fields.append(Field(last, kind, self.value(kind)))


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def varint(self, n: int) -> None:
        while n > 0x7F:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n: int) -> None:
        self.varint((n << 1) ^ (n >> 63))

    def value(self, kind: int, value: Any) -> None:
        if kind in (_TRUE, _FALSE):
            self.out.append(_TRUE if value else _FALSE)
        elif kind == _BYTE:
            self.out.append(value)
        elif kind in (_I16, _I32, _I64):
            self.zigzag(value)
        elif kind == _DOUBLE:
            self.out += value
        elif kind == _BINARY:
            self.varint(len(value))
            self.out += value
        elif kind in (_LIST, _SET):
            element, items = value
            if len(items) < 15:
                self.out.append(len(items) << 4 | element)
            else:
                self.out.append(0xF0 | element)
                self.varint(len(items))
            for item in items:
                self.value(element, item)
        elif kind == _MAP:
            key, val, items = value
            self.varint(len(items))
            if items:
                self.out.append(key << 4 | val)
                for k, v in items:
                    self.value(key, k)
                    self.value(val, v)
        elif kind == _STRUCT:
            self.struct(value)
        else:
            raise PartError(f"unknown Thrift type {kind}")

    def struct(self, fields: list[Field]) -> None:
        last = 0
        for f in fields:
            kind = (_TRUE if f.value else _FALSE) if f.type in (_TRUE, _FALSE) else f.type
            delta = f.id - last
            if 0 < delta <= 15:
                self.out.append(delta << 4 | kind)
            else:
                self.out.append(kind)
                self.zigzag(f.id)
            if f.type not in (_TRUE, _FALSE):
                self.value(f.type, f.value)
            last = f.id
        self.out.append(0)


def _field(fields: list[Field], field_id: int) -> Field | None:
    return next((f for f in fields if f.id == field_id), None)


def _shift(fields: list[Field], ids: set[int], by: int) -> None:
    for f in fields:
        if f.id in ids and f.type == _I64:
            f.value += by


def read_part(data: bytes) -> tuple[bytes, list[Field]]:
    """A part's body (column chunks, after the leading magic) and its decoded footer."""
    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise PartError("not a Parquet file")
    (length,) = struct.unpack("<I", data[-8:-4])
    start = len(data) - 8 - length
    if start < 4:
        raise PartError("bad Parquet footer length")
    footer = _Reader(data[start:-8]).struct()
    return data[4:start], footer


class PartsFile:
    """A Parquet file written as a sequence of parts: :meth:`add` each, then :meth:`close`."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.stream.write(MAGIC)
        self.position = len(MAGIC)
        self.footer: list[Field] | None = None
        self.row_groups: list[list[Field]] = []
        self.rows = 0

    def add(self, data: bytes) -> None:
        """Append one part (a whole Parquet file's bytes)."""
        body, footer = read_part(data)
        groups = _field(footer, 4)
        if groups is None or not groups.value[1]:
            return  # no rows
        if self.footer is None:
            self.footer = footer
        by = self.position - len(MAGIC)
        for group in groups.value[1]:
            _shift(group, {5}, by)  # RowGroup.file_offset
            columns = _field(group, 1)
            for chunk in columns.value[1] if columns is not None else []:
                _shift(chunk, _CHUNK_OFFSETS, by)
                meta = _field(chunk, 3)
                if meta is not None:
                    _shift(meta.value, _META_OFFSETS, by)
            ordinal = _field(group, 7)
            if ordinal is not None:
                ordinal.value = len(self.row_groups)
            self.row_groups.append(group)
            rows = _field(group, 3)
            self.rows += rows.value if rows is not None else 0
        self.stream.write(body)
        self.position += len(body)

    def add_file(self, path: str) -> None:
        """Append a part written to ``path``, then delete the file."""
        with open(path, "rb") as stream:
            data = stream.read()
        os.unlink(path)
        self.add(data)

    def close(self, empty: bytes) -> None:
        """Write the footer; ``empty`` is a Parquet file of the schema with no rows, used
        for its footer when no part had any."""
        footer = self.footer if self.footer is not None else read_part(empty)[1]
        for f in footer:
            if f.id == 3:
                f.value = self.rows
            elif f.id == 4:
                f.value = (_STRUCT, self.row_groups)
        writer = _Writer()
        writer.struct(footer)
        self.stream.write(bytes(writer.out))
        self.stream.write(struct.pack("<I", len(writer.out)))
        self.stream.write(MAGIC)
