"""Lossless edits of a TOML file: only the values that change are rewritten (tomlkit).

:func:`patch` applies the differences between two plain dicts — what a document held
and what it should hold now — to the parsed tomlkit document, so every comment, blank
line, key order and number format elsewhere stays as the person wrote it:

* a changed value is replaced in place (its end-of-line comment stays); a nested table
  (e.g. a quantity ``{ value = 42, unit = "W/m2" }``) is patched key by key, so it keeps
  its shape;
* a key that disappears is deleted; a new key goes after the last key of its table
  (before the blank lines and comments that end it); a new top-level table goes before
  the first table that comes after it in ``order``;
* rows of an array of tables (``[[facades]]``) are matched with difflib: an edited row is
  patched in place, added rows are inserted, removed rows deleted;
* numbers keep their form: a whole value is written as an integer unless a float written
  whole (``90.0``) stood there; floats lose representation noise (``0.30000000000000004``
  -> ``0.3``).

``fresh`` (same shape as ``new``) gives the content written for a table or row that did
not exist before, e.g. without its default values.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import tomlkit
from tomlkit.container import Container, OutOfOrderTableProxy
from tomlkit.items import (
    AoT,
    Array,
    Comment,
    Float,
    InlineTable,
    Item,
    Table,
    Whitespace,
)
from tomlkit.toml_document import TOMLDocument

#: A table-like part of a document that :func:`patch` can edit.
Node = TOMLDocument | Container | Table | InlineTable | OutOfOrderTableProxy


def parse_document(text: str) -> TOMLDocument:
    """The tomlkit document of ``text`` (comments, spacing and formats kept)."""
    return tomlkit.parse(text)


def patch(
    node: Node,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    fresh: Mapping[str, Any] | None = None,
    *,
    order: Sequence[str] = (),
) -> None:
    """Make ``node`` (holding ``old``) hold ``new``, changing only what differs.

    ``order``: the preferred order of the node's keys, used to place a new one.
    """
    fresh = new if fresh is None else fresh
    for key in old:
        if key not in new and key in node:
            del node[key]
    for key, value in new.items():
        before = old.get(key)
        if key in old and same(before, value):
            continue
        written = fresh.get(key, value)
        if key not in node:
            _add(node, key, written, new, order)
            continue
        item = _item_of(node, key)
        if isinstance(value, dict) and isinstance(before, dict) and _is_table(item):
            patch(item, before, value, written if isinstance(written, dict) else value)
        elif _rows(value) and _rows(before) and isinstance(item, AoT | Array):
            fresh_rows = written if isinstance(written, list) else value
            _patch_rows(node, key, item, list(before or ()), value, fresh_rows)
        else:
            node[key] = make_item(written, item)


def same(a: Any, b: Any, rel: float = 0.0) -> bool:
    """Equal as TOML values: a boolean is never a number, ``1 == 1.0``; numbers within
    ``rel`` of each other (e.g. ``1e-12``: what :func:`clean_float` may change) agree."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (rel > 0 and math.isclose(a, b, rel_tol=rel))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def clean_float(value: float) -> float:
    """``value`` without representation noise (15 significant digits, lossless for typed
    decimals): ``0.1 + 0.2`` -> ``0.3``."""
    if not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.15g}")


def make_item(value: Any, like: Any = None) -> Item:
    """A tomlkit item for a plain value, in the form of ``like`` (the item it replaces).

    A whole number is an integer unless ``like`` is a whole float (``90.0``: the person
    writes floats); an array is multi-line when ``like`` was; text with line breaks is a
    multi-line string; a UTC time ends in ``Z``.
    """
    if isinstance(value, bool):
        return tomlkit.item(value)
    if isinstance(value, int):
        return tomlkit.integer(value)
    if isinstance(value, float):
        number = clean_float(value)
        whole_float = isinstance(like, Float) and float(like).is_integer()  # written "90.0"
        if number.is_integer() and abs(number) < 1e15 and not whole_float:
            return tomlkit.integer(int(number))
        return tomlkit.item(number)
    if isinstance(value, str):
        multiline = "\n" in value and "\r" not in value
        return tomlkit.string(value, multiline=multiline)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(None):
            return tomlkit.value(value.replace(tzinfo=None).isoformat() + "Z")
        return tomlkit.item(value)
    if isinstance(value, date | time):
        return tomlkit.item(value)
    if isinstance(value, dict):  # spaced as people write it: { value = 42, unit = "W/m2" }
        pairs = ", ".join(
            f"{tomlkit.key(key).as_string()} = {make_item(member).as_string()}"
            for key, member in value.items()
        )
        return tomlkit.value(f"{{ {pairs} }}" if pairs else "{}")
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        for member in value:
            array.append(make_item(member))
        if isinstance(like, Array) and "\n" in like.as_string():
            array.multiline(True)
        return array
    return tomlkit.item(value)


# ---------------------------------------------------------------------- keys


def _item_of(node: Node, key: str) -> Any:
    """The item at ``key`` (a boolean as its item, a split table as its proxy)."""
    if isinstance(node, Container):
        return node.item(key)
    if isinstance(node, Table | InlineTable):
        return node.value.item(key)
    return node[key]


def _is_table(item: Any) -> bool:
    return isinstance(item, Table | InlineTable | OutOfOrderTableProxy | Container)


def _rows(value: Any) -> bool:
    """A list of tables (possibly empty)."""
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _add(
    node: Node, key: str, value: Any, siblings: Mapping[str, Any], order: Sequence[str]
) -> None:
    """Add ``key``: a table, an array of tables or a value after the node's last key."""
    inline = isinstance(node, InlineTable)
    top = isinstance(node, TOMLDocument)
    item: Any
    if _rows(value) and value and not inline:
        item = tomlkit.aot()
        for row in value:
            item.append(_table(row))
    elif isinstance(value, dict) and not inline and (top or _map_of_tables(siblings, value)):
        item = _table(value, super_table=_map_of_tables(value))
    else:
        item = make_item(value)
    if top and order and key in order:
        later = [k for k in order[order.index(key) + 1 :] if k in node]
        if later and isinstance(node, Container):
            _insert_before(node, later[0], key, item)
            return
    if isinstance(node, Table) and not isinstance(item, Table | AoT):
        tail = _pop_trailing(node)
        node[key] = item
        for trivia in tail:
            node.add(trivia)
        return
    node[key] = item


def _map_of_tables(siblings: Mapping[str, Any], value: Mapping[str, Any] | None = None) -> bool:
    """True when ``siblings`` map names to tables (``[responses."EN-1"]``), not to values;
    a value with its unit (``{ value, unit }``) is always written inline."""
    if value is not None and _quantity(value):
        return False
    members = list(siblings.values())
    return bool(members) and all(isinstance(v, dict) and not _quantity(v) for v in members)


def _quantity(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= {"value", "unit"}


def _table(data: Mapping[str, Any], super_table: bool = False) -> Table:
    """A standard table for ``data``; nested tables become sub-tables."""
    table = tomlkit.table(is_super_table=super_table and bool(data))
    for key, value in data.items():
        if _rows(value) and value:
            aot = tomlkit.aot()
            for row in value:
                aot.append(_table(row))
            table[key] = aot
        elif isinstance(value, dict) and super_table:
            table[key] = _table(value)
        else:
            table[key] = make_item(value)
    return table


def _insert_before(doc: Container, other: str, key: str, item: Any) -> None:
    """Insert a top-level ``key`` just before ``other``, a blank line after it."""
    index = next((i for i, (k, _) in enumerate(doc.body) if k is not None and k.key == other), None)
    insert = getattr(doc, "_insert_at", None)
    if index is None or insert is None:
        doc[key] = item
        return
    if isinstance(item, Table):
        item.add(tomlkit.nl())
    elif isinstance(item, AoT) and len(item):
        item[-1].add(tomlkit.nl())
    else:
        item = make_item(item) if not isinstance(item, Item) else item
    insert(index, key, item)


# ---------------------------------------------------------------------- rows


def _patch_rows(
    node: Node,
    key: str,
    seq: AoT | Array,
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
) -> None:
    """Patch the rows of an array of tables: edited rows in place, others inserted/deleted."""
    if not new:
        del node[key]
        return
    if len(seq) != len(old):  # the document does not hold what ``old`` says: rewrite
        node[key] = _fresh_rows(seq, fresh)
        return
    matcher = difflib.SequenceMatcher(
        None, [repr(r) for r in old], [repr(r) for r in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        for step in reversed(_align(old[i1:i2], new[j1:j2])):
            kind, i, j = step
            if kind == "pair":
                patch(seq[i1 + i], old[i1 + i], new[j1 + j], fresh[j1 + j])
            elif kind == "delete":
                _delete_row(seq, i1 + i)
            else:
                _insert_row(seq, i1 + i, fresh[j1 + j])


def _align(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """Rows of ``old`` edited into rows of ``new`` (in order), the rest deleted or inserted.

    Steps ``("pair", i, j)``, ``("delete", i, -1)`` and ``("insert", i, j)`` (insert new row
    ``j`` before old row ``i``). Two rows pair when at least half their values agree (or
    when one row replaces one row: an edit of every value is still an edit).
    """

    def likeness(a: dict[str, Any], b: dict[str, Any]) -> float:
        keys = a.keys() | b.keys()
        agree = sum(1 for k in keys if k in a and k in b and same(a[k], b[k]))
        return agree / len(keys) if keys else 1.0

    n, m = len(old), len(new)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = likeness(old[i], new[j])
            paired = best[i + 1][j + 1] + score if score >= 0.5 or n == m == 1 else -1.0
            best[i][j] = max(paired, best[i + 1][j], best[i][j + 1])
    steps: list[tuple[str, int, int]] = []
    i = j = 0
    while i < n and j < m:
        score = likeness(old[i], new[j])
        if (score >= 0.5 or n == m == 1) and best[i][j] == best[i + 1][j + 1] + score:
            steps.append(("pair", i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            steps.append(("delete", i, -1))
            i += 1
        else:
            steps.append(("insert", i, j))
            j += 1
    steps += [("delete", k, -1) for k in range(i, n)]
    steps += [("insert", n, k) for k in range(j, m)]
    return steps


def _fresh_rows(seq: AoT | Array, rows: list[dict[str, Any]]) -> Any:
    if isinstance(seq, AoT):
        aot = tomlkit.aot()
        for row in rows:
            aot.append(_table(row))
        return aot
    return make_item(rows, seq)


def _insert_row(seq: AoT | Array, index: int, row: Mapping[str, Any]) -> None:
    """Insert a row; in an array of tables the row before it hands over its trailing
    blank lines and comments (they introduce what follows) and ends with a blank line."""
    if isinstance(seq, Array):
        seq.insert(index, make_item(dict(row)))
        return
    table = _table(row)
    if index > 0:
        previous = seq[index - 1]
        for trivia in _pop_trailing(previous):
            table.add(trivia)
        previous.add(tomlkit.nl())
    else:
        table.add(tomlkit.nl())
    indents = [other.trivia.indent for other in seq]
    seq.insert(index, table)  # tomlkit may add line breaks to the rows' indents: undone
    table.trivia.indent = ""
    others = (other for k, other in enumerate(seq) if k != index)
    for other, indent in zip(others, indents, strict=True):
        other.trivia.indent = indent


def _delete_row(seq: AoT | Array, index: int) -> None:
    """Delete a row; the row before it takes over its trailing blank lines and comments."""
    if isinstance(seq, Array):
        del seq[index]
        return
    tail = _pop_trailing(seq[index])
    del seq[index]
    if index > 0:
        previous = seq[index - 1]
        _pop_trailing(previous)
        for trivia in tail:
            previous.add(trivia)


def _pop_trailing(table: Table) -> list[Whitespace | Comment]:
    """Remove and return the blank lines and comments after a table's last key."""
    body = table.value.body
    tail: list[Whitespace | Comment] = []
    while body and body[-1][0] is None:
        last = body[-1][1]
        if not isinstance(last, Whitespace | Comment):
            break
        body.pop()
        tail.insert(0, last)
    return tail
