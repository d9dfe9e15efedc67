"""A scheme file in canonical order, so that diffs between versions stay small.

Top-level tables go in the order ``scheme, constants, inputs, derived, sections, groups,
criteria, metrics, gates, tiers, badges`` (then ``remove``, then anything else); the
entries of each keep their order (criteria order is meaning), and the keys inside each
entry follow the model's field order. Comments and blank lines travel with what they
introduce: the lines above a table header move with the table, the lines above a key
with the key; end-of-line comments stay on their line. Inline tables are kept as written.

The text is cut on line boundaries found by a small TOML scanner (strings, multi-line
strings and arrays spanning lines are skipped whole), so a value is never re-written.
The result is then parsed again and must hold exactly the same data, or the file is left
as it is (:class:`~greenmark.core.errors.SchemeError`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from greenmark.core.errors import GreenmarkError, Problem, SchemeError
from greenmark.core.inherit import LISTED, NAMED
from greenmark.core.model import (
    SCHEME_TABLES,
    BadgeSpec,
    ConstantSpec,
    CriterionSpec,
    DerivedSpec,
    GateSpec,
    GroupSpec,
    InputSpec,
    MetricSpec,
    SchemeInfo,
    SectionSpec,
    TierSpec,
)
from greenmark.core.tomlfile import decode_text, parse_toml, read_bytes, write_atomic

#: Top-level tables in the order a canonical scheme file lists them.
ORDER = (*SCHEME_TABLES, "crosswalk", "remove")

#: The model whose field order sets the key order inside an entry of each table.
MODELS: dict[str, type[BaseModel]] = {
    "scheme": SchemeInfo,
    "constants": ConstantSpec,
    "inputs": InputSpec,
    "derived": DerivedSpec,
    "metrics": MetricSpec,
    "sections": SectionSpec,
    "groups": GroupSpec,
    "criteria": CriterionSpec,
    "gates": GateSpec,
    "tiers": TierSpec,
    "badges": BadgeSpec,
}

_BARE = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass
class _Chunk:
    """One table of the file: the lines above its header, the header, its keys."""

    kind: str
    key: tuple[str, ...]  # the header's keys, e.g. ("constants", "eui_cap")
    lead: list[str]
    header: str
    items: list[list[str]] = field(default_factory=list)  # lead lines + key + continuation
    keys: list[str] = field(default_factory=list)  # first key part of each item
    subtables: list[_Chunk] = field(default_factory=list)  # [sections.weight] and the like

    def text(self) -> str:
        lines = [*self.lead, self.header]
        for item in self.items:
            lines += item
        text = "".join(lines)
        for sub in self.subtables:
            text = _joined(text, sub.text())
        return text


def _joined(first: str, second: str) -> str:
    if first and not first.endswith("\n"):
        first += "\n"
    return first + second


def _read_key(text: str, start: int) -> tuple[list[str], int]:
    """The dotted key at ``text[start:]`` and the index after it."""
    parts: list[str] = []
    i = start
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] in "\"'":
            quote = text[i]
            end = i + 1
            while end < len(text) and text[end] != quote:
                end += 2 if quote == '"' and text[end] == "\\" else 1
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE.match(text, i)
            if match is None:
                return parts, i
            parts.append(match[0])
            i = match.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return parts, i


@dataclass
class _Line:
    text: str
    kind: str  # blank | comment | header | key | more (continues a value)
    keys: list[str] = field(default_factory=list)
    array: bool = False  # a [[header]]


def _scan(text: str) -> list[_Line]:
    """Classify each line; a line starting inside a value is ``more``."""
    lines: list[_Line] = []
    depth = 0
    multi = ""  # the delimiter of the multi-line string the line starts in
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if multi or depth:
            kind = "more"
        elif not stripped:
            kind = "blank"
        elif stripped.startswith("#"):
            kind = "comment"
        elif stripped.startswith("["):
            array = stripped.startswith("[[")
            keys, _ = _read_key(stripped, 2 if array else 1)
            lines.append(_Line(raw, "header", keys, array))
            continue
        else:
            kind = "key"
        keys, at = _read_key(body, 0) if kind == "key" else ([], 0)
        depth, multi = _track(body, at, depth, multi)
        lines.append(_Line(raw, kind, keys))
    return lines


def _track(line: str, i: int, depth: int, multi: str) -> tuple[int, str]:
    """Bracket depth and open multi-line string after reading ``line`` from ``i``."""
    n = len(line)
    while i < n:
        if multi:
            end = line.find(multi, i)
            if multi == '"""':
                while end > 0 and _escaped(line, end):
                    end = line.find(multi, end + 1)
            if end < 0:
                return depth, multi
            i = end + 3
            while i < n and line[i] == multi[0]:  # """"" closes with quotes in the string
                i += 1
            multi = ""
            continue
        char = line[i]
        if line.startswith('"""', i) or line.startswith("'''", i):
            multi = line[i : i + 3]
            i += 3
        elif char in "\"'":
            end = i + 1
            while end < n and line[end] != char:
                end += 2 if char == '"' and line[end] == "\\" else 1
            i = end + 1
        elif char == "#":
            return depth, multi
        else:
            depth += char in "[{"
            depth -= char in "]}"
            i += 1
    return depth, multi


def _escaped(line: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes - 1 >= 0 and line[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _chunks(lines: list[_Line]) -> tuple[list[str], list[_Chunk], list[str]]:
    """The preamble, the tables (sub-tables of an entry under it) and the closing lines."""
    preamble: list[str] = []
    chunks: list[_Chunk] = []
    pending: list[str] = []  # blank lines and comments not yet placed
    current: _Chunk | None = None
    last_of: dict[tuple[str, ...], _Chunk] = {}
    for line in lines:
        if line.kind in ("blank", "comment"):
            pending.append(line.text)
            continue
        if line.kind == "header":
            if current is None:  # the file's opening comment stays at the top
                cut = max((i + 1 for i, t in enumerate(pending) if not t.strip()), default=0)
                preamble += pending[:cut]
                pending = pending[cut:]
            kind = line.keys[0] if line.keys else ""
            chunk = _Chunk(kind, tuple(line.keys), pending, line.text)
            pending = []
            parent = _parent(chunk, line.array, last_of)
            if parent is not None:
                parent.subtables.append(chunk)
            else:
                chunks.append(chunk)
                if len(chunk.key) == 2 or line.array:
                    last_of[chunk.key] = chunk
            current = chunk
            continue
        if current is None:  # keys before the first table: they stay at the top
            preamble += [*pending, line.text]
            pending = []
        elif line.kind == "more":
            (current.items[-1] if current.items else preamble).append(line.text)
        else:
            current.items.append([*pending, line.text])
            current.keys.append(line.keys[0] if line.keys else "")
            pending = []
    return preamble, chunks, pending


def _parent(chunk: _Chunk, array: bool, last_of: dict[tuple[str, ...], _Chunk]) -> _Chunk | None:
    """The entry a sub-table belongs to: ``[sections.weight]`` -> the last ``[[sections]]``,
    ``[constants.a.b]`` -> ``[constants.a]``."""
    key = chunk.key
    if chunk.kind in LISTED and len(key) > 1:
        return last_of.get((chunk.kind,))
    if (chunk.kind in NAMED and len(key) > 2) or (array and len(key) > 1):
        return last_of.get(key[:2])
    return None


def _rank(kind: str) -> int:
    return ORDER.index(kind) if kind in ORDER else len(ORDER)


def _order_keys(chunk: _Chunk) -> None:
    """Put the keys of one entry in its model's field order (unknown keys last)."""
    model = MODELS.get(chunk.kind)
    entry = len(chunk.key) == (2 if chunk.kind in NAMED else 1)
    if chunk.kind == "remove" and len(chunk.key) == 1:
        fields = list(ORDER)
    elif model is not None and entry:
        fields = list(model.model_fields)
    else:
        return
    position = {name: i for i, name in enumerate(fields)}
    paired = sorted(
        zip(chunk.keys, chunk.items, strict=True),
        key=lambda pair: position.get(pair[0], len(fields)),
    )
    if paired:
        items = [item for _, item in paired]
        last = items[-1][-1]
        if not last.endswith("\n"):  # the file's last line, moved up
            items[-1][-1] = last + "\n"
        chunk.keys = [key for key, _ in paired]
        chunk.items = items


def format_text(text: str, file: str | None = None) -> str:
    """The scheme text ``text`` in canonical order; :class:`SchemeError` when the file is
    not TOML, or when the order could not be changed without changing the data."""
    before = parse_toml(text, file)
    if not isinstance(before.get("scheme"), dict):
        raise SchemeError("not a scheme file: expected a [scheme] table", file=file)
    preamble, chunks, closing = _chunks(_scan(text))
    ordered = sorted(chunks, key=lambda c: _rank(c.kind))  # stable: entries keep their order
    for chunk in ordered:
        _order_keys(chunk)
        for sub in chunk.subtables:
            _order_keys(sub)
    out = "".join(preamble)
    previous = -1
    for chunk in ordered:
        position = chunks.index(chunk)
        if position != previous + 1:  # moved: one blank line before what introduces it
            _space(chunk, after=out)
        previous = position
        out = _joined(out, chunk.text())
    out += "".join(closing)
    if not text.endswith("\n") and out.endswith("\n") and out.rstrip("\r\n") == text:
        out = text
    _check_same(before, out, file)
    return out


def _space(chunk: _Chunk, after: str) -> None:
    """Start a moved table's lead with one blank line (none at the top of the file or
    after a blank line)."""
    lead = chunk.lead
    while lead and not lead[0].strip():
        lead.pop(0)
    ends_blank = after.endswith("\n\n") or after.endswith("\r\n\r\n")
    if after and not ends_blank:
        lead.insert(0, "\r\n" if chunk.header.endswith("\r\n") else "\n")


def _check_same(before: dict[str, Any], out: str, file: str | None) -> None:
    """Refuse a result that does not hold the same data (entries in the same order)."""
    try:
        after = tomllib.loads(out)
    except tomllib.TOMLDecodeError as exc:
        after = {"": str(exc)}
    same = after == before and all(
        list(before.get(kind, {})) == list(after.get(kind, {}))
        for kind in NAMED
        if isinstance(before.get(kind), dict)
    )
    if not same:
        raise SchemeError(
            "left as it is: this file's layout cannot be put in canonical order without "
            "changing its data (please report it, with the file)",
            file=file,
        )


@dataclass(frozen=True)
class FormatResult:
    """The outcome for one file: whether it changed (or would)."""

    path: Path
    changed: bool


def format_file(path: str | Path, check: bool = False) -> FormatResult:
    """Format a scheme file in place (atomically); with ``check``, only say if it would
    change."""
    file = Path(path)
    shown = str(path)
    try:
        raw = read_bytes(file)
        text = decode_text(raw, shown)
    except GreenmarkError as exc:
        raise SchemeError(
            problems=[Problem(p.message, shown, p.location, p.line) for p in exc.problems]
        ) from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    out = format_text(text, shown)
    changed = out != text
    if changed and not check:
        write_atomic(file, ("\ufeff" if bom else "") + out)
    return FormatResult(file, changed)
