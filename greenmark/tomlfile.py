"""Reading TOML files with precise error locations, and writing them atomically."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from .errors import GreenmarkError, Problem

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_\-]+", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class LineIndex:
    """Maps dotted TOML paths (with array-of-table indices) to the line that defines them."""

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        current: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                keys = _split_key(header[2])
                if header[1] == "[[":
                    # resolve the array's parent through the current indices
                    path = self._resolve(tuple(keys), current, array=True)
                    index = counters.get(path, -1) + 1
                    counters[path] = index
                    current = (*path, str(index))
                else:
                    current = self._resolve(tuple(keys), current)
                self.lines.setdefault(current, number)
                continue
            key = _KEY.match(line)
            if key:
                self.lines.setdefault((*current, *_split_key(key[1])), number)

    @staticmethod
    def _resolve(
        keys: tuple[str, ...], current: tuple[str, ...], array: bool = False
    ) -> tuple[str, ...]:
        """Place ``keys`` under the array indices already open in ``current``."""
        resolved: list[str] = []
        rest = list(current)
        for position, key in enumerate(keys):
            last = position == len(keys) - 1
            if rest and rest[0] == key:
                resolved.append(rest.pop(0))
                if rest and rest[0].isdigit() and not (array and last):
                    resolved.append(rest.pop(0))
            else:
                rest = []
                resolved.append(key)
        return tuple(resolved)

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """The line of the longest prefix of ``location`` that the file defines."""
        path = tuple(str(part) for part in location)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def dotted(location: Iterable[str | int]) -> str:
    """``("criteria", 3, "points")`` -> ``criteria[3].points``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read and parse a TOML file; errors name the file and the line."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=file) from None
    except IsADirectoryError:
        raise GreenmarkError("is a folder, expected a TOML file", file=file) from None
    except UnicodeDecodeError as exc:
        raise GreenmarkError(f"not UTF-8 text ({exc.reason})", file=file) from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror}", file=file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        line = int(position[1]) if position else None
        message = _TOML_POSITION.sub("", message).strip()
        if position:
            message += f" (column {position[2]})"
        raise GreenmarkError(
            problems=[Problem(f"invalid TOML: {message}", file, None, line)]
        ) from None
    return data, text


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` atomically: temp file in the same folder,
    fsync, rename. A failure leaves the old file (or no file) and no temp file behind."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temp_name, target.stat().st_mode & 0o777)
        else:
            os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def dump_toml(data: dict[str, Any]) -> str:
    """Serialise to TOML 1.0 with tomli-w (multi-line arrays for readable diffs)."""
    return tomli_w.dumps(data, multiline_strings=True)


_BRANCH = re.compile(
    r"^(bool|int|float|str|none|list\[.*\]|dict\[.*\]|Quantity|constrained-\w+|strict-\w+"
    r"|function-\w+\[.*\]|lax-or-strict\[.*\]|json-or-python\[.*\])$"
)


def friendly_errors(exc: Any, tags_after: str | None = None) -> list[tuple[tuple[Any, ...], str]]:
    """``(location, message)`` for each pydantic error, worded for a person.

    Union-branch names pydantic puts in locations (``float``, ``constrained-str``,
    ``Quantity``...) are dropped, as is the tag after a ``tags_after`` key (a
    discriminated union), and several errors at one place become one.
    """
    merged: dict[tuple[Any, ...], list[str]] = {}
    for error in exc.errors(include_url=False):
        location = tuple(
            part
            for i, part in enumerate(error["loc"])
            if not (isinstance(part, str) and i > 0 and _BRANCH.match(part))
            and not (tags_after is not None and i > 0 and error["loc"][i - 1] == tags_after)
        )
        kind = error["type"]
        message = error["msg"]
        if kind == "extra_forbidden":
            message = "unknown key (not part of the format)"
        elif kind == "missing":
            message = "required key is missing"
        elif kind == "string_pattern_mismatch":
            pattern = str(error.get("ctx", {}).get("pattern", ""))
            if "\\-" in pattern or "." in pattern:
                message = "use a letter or digit first, then letters, digits, '_', '-' or '.'"
            else:
                message = "must be a name: a letter first, then letters, digits or '_'"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        merged.setdefault(location, []).append(message)
    problems = []
    for location, messages in merged.items():
        deeper = any(
            len(other) > len(location) and other[: len(location)] == location for other in merged
        )
        if deeper:  # a nested error says more (e.g. { value, unit } missing its unit)
            continue
        if len(messages) == 1:
            problems.append((location, messages[0]))
        else:
            problems.append((location, _union_message(messages)))
    return problems


def _union_message(messages: list[str]) -> str:
    """One message for a value that matched none of several accepted forms."""
    specific = [m for m in messages if not m.startswith("Input should be")]
    if len(specific) == 1:
        return specific[0]
    return "expected a number, true/false, an option name or { value = ..., unit = ... }"
