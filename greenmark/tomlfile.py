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


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
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
