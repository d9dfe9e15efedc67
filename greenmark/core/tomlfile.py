"""Reading TOML files with precise error locations, and writing them atomically."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import tomli_w
from pydantic import Field

from greenmark.core.errors import GreenmarkError, Problem

#: Environment variable that sets the largest TOML file read, in megabytes.
MAX_FILE_ENV = "GREENMARK_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 20.0
#: Longest text of a title, id, name, label or unit; of a description, note or formula.
SHORT_TEXT = 200
LONG_TEXT = 10_000
ShortText = Annotated[str, Field(max_length=SHORT_TEXT)]
LongText = Annotated[str, Field(max_length=LONG_TEXT)]
_MB = 1024 * 1024
_DEEP = 64  # nesting depth from which a line is named as "too deep" (legal files stay far below)

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


def max_file_bytes() -> int:
    """The largest file :func:`read_bytes` reads: ``GREENMARK_MAX_FILE_MB`` or 20 MB."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    if not raw:
        return int(DEFAULT_MAX_FILE_MB * _MB)
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not (0 < megabytes <= 1_000_000):
        raise GreenmarkError(
            f"{MAX_FILE_ENV} must be a number of megabytes above 0, got {raw[:40]!r}"
        )
    return int(megabytes * _MB)


def _too_big(size: int, limit: int) -> str:
    return (
        f"file is too large ({size / _MB:.1f} MB; the limit is {limit / _MB:g} MB, "
        f"set {MAX_FILE_ENV} to change it)"
    )


def _check_kind(info: os.stat_result, file: str, limit: int) -> None:
    """Refuse folders, devices, FIFOs and sockets, and files over ``limit`` bytes."""
    if stat.S_ISDIR(info.st_mode):
        raise GreenmarkError("is a folder, expected a TOML file", file=file)
    if not stat.S_ISREG(info.st_mode):
        raise GreenmarkError(
            "not a regular file (a device, FIFO or socket), expected a TOML file", file=file
        )
    if info.st_size > limit:
        raise GreenmarkError(_too_big(info.st_size, limit), file=file)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file of at most ``GREENMARK_MAX_FILE_MB``.

    The file is checked (``stat``) before it is opened, opened without blocking (a
    FIFO swapped in meanwhile is refused, not waited on), and never read past the limit.
    """
    file = str(path)
    limit = max_file_bytes()
    try:
        _check_kind(os.stat(path), file, limit)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=file) from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror}", file=file) from None
    with os.fdopen(descriptor, "rb") as stream:
        _check_kind(os.fstat(stream.fileno()), file, limit)
        try:
            raw = stream.read(limit + 1)
        except OSError as exc:
            raise GreenmarkError(f"cannot read: {exc.strerror}", file=file) from None
    if len(raw) > limit:
        raise GreenmarkError(_too_big(len(raw), limit), file=file)
    return raw


def decode_text(raw: bytes, file: str | None = None) -> str:
    """UTF-8 text of ``raw``; a byte-order mark at the start is dropped."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GreenmarkError(f"not UTF-8 text ({exc.reason})", file=file) from None


def parse_toml(text: str, file: str | None = None) -> dict[str, Any]:
    """Parse TOML text; errors name the file and the line."""
    try:
        return tomllib.loads(text)
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
    except RecursionError:
        message = "invalid TOML: arrays or inline tables nested too deeply"
        raise GreenmarkError(problems=[Problem(message, file, None, _deep_line(text))]) from None


def _deep_line(text: str) -> int | None:
    """The line where brackets outside strings and comments first nest ``_DEEP`` deep."""
    depth = 0
    quote = ""
    for number, line in enumerate(text.splitlines(), start=1):
        escaped = False
        for char in line:
            if quote:
                if escaped:
                    escaped = False
                elif char == "\\" and quote == '"':
                    escaped = True
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char == "#":
                break
            elif char in "[{":
                depth += 1
                if depth >= _DEEP:
                    return number
            elif char in "]}":
                depth = max(depth - 1, 0)
        quote = ""  # only multi-line strings span lines; counting restarts safely
    return None


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read and parse a TOML file; errors name the file and the line.

    Refuses what is not a regular file and files over ``GREENMARK_MAX_FILE_MB``
    (see :func:`read_bytes`) before reading them; accepts a UTF-8 byte-order mark.
    """
    file = str(path)
    text = decode_text(read_bytes(path), file)
    return parse_toml(text, file), text


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` atomically: temp file in the same folder,
    fsync, rename. A failure leaves the old file (or no file) and no temp file behind."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    import tempfile  # writing only: not loaded to read

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
    merged: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for error in exc.errors(include_url=False):
        location = tuple(
            part
            for i, part in enumerate(error["loc"])
            if not (isinstance(part, str) and i > 0 and _BRANCH.match(part))
            and not (tags_after is not None and i > 0 and error["loc"][i - 1] == tags_after)
        )
        merged.setdefault(location, []).append(error)
    problems = []
    for location, errors in merged.items():
        deeper = any(
            len(other) > len(location) and other[: len(location)] == location for other in merged
        )
        if deeper:  # a nested error says more (e.g. { value, unit } missing its unit)
            continue
        if len(errors) == 1:
            problems.append((location, _reword(errors[0], alone=True)))
        else:
            problems.append((location, _union_message([_reword(e) for e in errors])))
    return problems


def _reword(error: dict[str, Any], alone: bool = False) -> str:
    """Pydantic's message for one error, in the words of the file format.

    ``alone``: the only error at its place (not one branch of several accepted forms).
    """
    kind = error["type"]
    message = str(error["msg"])
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (not part of the format)"
    if kind == "missing":
        return "required key is missing"
    if kind == "finite_number":
        return "must be a finite number (not inf or nan)"
    if kind == "string_too_long":
        size = len(error["input"]) if isinstance(error.get("input"), str) else None
        got = f" (got {size:,})" if size is not None else ""
        return f"too long: at most {context.get('max_length', '?'):,} characters{got}"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        if "\\-" in pattern or "." in pattern:
            return "use a letter or digit first, then letters, digits, '_', '-' or '.'"
        return "must be a name: a letter first, then letters, digits or '_'"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if alone and kind == "bool_type":
        return f"expected true or false (without quotes), got {_short(error.get('input'))}"
    if alone and kind in _GOT_KINDS:
        return f"{_expected(message)}, got {_short(error.get('input'))}"
    return _expected(message) if alone else message


def _expected(message: str) -> str:
    """Pydantic's "Input should be ..." in the file's words: "expected ..." (the word
    "input" means a scheme's [inputs] to an author, not the value being read)."""
    if message.startswith("Input should be "):
        rest = message.removeprefix("Input should be ")
        for prefix in ("a valid ", "an ", "a "):
            if rest.startswith(prefix) and prefix == "a valid ":
                rest = rest.removeprefix(prefix)
                rest = {
                    "number": "a number",
                    "integer": "a whole number",
                    "string": "text",
                    "boolean": "true or false",
                    "dictionary": "a table",
                    "list": "an array",
                }.get(rest, rest)
                break
        return f"expected {rest}"
    return message


_GOT_KINDS = {"float_type", "int_type", "int_from_float", "string_type", "list_type", "dict_type"}


def _short(value: Any) -> str:
    """A short quote of a value read from TOML (tables and arrays only by kind)."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


#: What each form a value may take is called in messages, in the order they are listed.
_FORMS = {
    "Input should be a valid number": "a number",
    "Input should be a valid integer": "a whole number",
    "Input should be a valid boolean": "true/false",
    "Input should be a valid string": "text",
    "Input should be a valid dictionary or instance of Quantity": "{ value = ..., unit = ... }",
    "Input should be a valid dictionary": "a table",
    "Input should be a valid list": "an array",
}
_ORDER = list(_FORMS.values())


def _union_message(messages: list[str]) -> str:
    """One message for a value that matched none of several accepted forms."""
    specific = [m for m in messages if not m.startswith("Input should be")]
    if len(specific) == 1:
        return specific[0]
    forms = {_FORMS[m] for m in messages if m in _FORMS}
    if not forms:
        return messages[0]
    if "a number" in forms:
        forms.discard("a whole number")
    if "true/false" in forms and "text" in forms:  # a scheme input's value
        forms.discard("text")
        forms.add("an option name")
    ordered = sorted(forms, key=lambda f: _ORDER.index(f) if f in _ORDER else 3)
    listed = ", ".join(ordered[:-1]) + " or " + ordered[-1] if len(ordered) > 1 else ordered[0]
    return f"expected {listed}"
