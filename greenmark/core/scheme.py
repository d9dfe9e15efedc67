"""Scheme files: load ``criteria/*.toml`` into a :class:`~greenmark.core.model.Scheme`.

:func:`load_scheme` reads a file, validates it into the models of
:mod:`greenmark.core.model` and runs the cross-checks of :mod:`greenmark.core.checks`
(ids, references, formulas, units, band order, tier order, cycles), reporting *every*
problem with its file, line and dotted field path. Also the bundled schemes and how a
project's scheme reference resolves. A checked scheme is kept on disk between runs
(:mod:`greenmark.core.scheme_cache`), keyed by its file's content and everything else it
depends on.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from greenmark.core.errors import GreenmarkError, Problem, SchemeError
from greenmark.core.inherit import merge_scheme
from greenmark.core.model import Scheme
from greenmark.core.named import resolve_named_numbers
from greenmark.core.resources import criteria_dir
from greenmark.core.scheme_cache import load as load_cached
from greenmark.core.scheme_cache import scheme_heads
from greenmark.core.tomlfile import (
    LineIndex,
    decode_text,
    dotted,
    friendly_errors,
    parse_toml,
    read_bytes,
    read_toml,
)


def _locate(
    location: tuple[str | int, ...], lines: LineIndex | None, file: str | None, message: str
) -> Problem:
    line = lines.line_of(location) if lines else None
    return Problem(message, file, dotted(location) or None, line)


def _pydantic_problems(
    exc: ValidationError, lines: LineIndex | None, file: str | None
) -> list[Problem]:
    return [
        _locate(location, lines, file, message)
        for location, message in friendly_errors(exc, tags_after="points")
    ]


def parse_scheme(data: dict[str, Any], text: str | None = None, file: str | None = None) -> Scheme:
    """Validate parsed TOML into a :class:`Scheme`; :class:`SchemeError` lists every problem."""
    lines = LineIndex(text) if text is not None else None
    data, named = resolve_named_numbers(data, file)
    problems = [
        Problem(p.message, file, p.location, lines.line_of(_path(p.location)) if lines else None)
        for p in named
    ]
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        # an unknown constant name is said once, as such (not also as "expected a number")
        named_at = {p.location for p in named}
        problems += [p for p in _pydantic_problems(exc, lines, file) if p.location not in named_at]
        raise SchemeError(problems=problems) from None
    if problems:  # pragma: no cover - a name left in a number position never validates
        raise SchemeError(problems=problems)
    from greenmark.core.checks import check_scheme  # not needed for a scheme from the cache

    found = check_scheme(scheme)
    if found:
        raise SchemeError(problems=[_locate(loc, lines, file, msg) for loc, msg in found])
    return scheme


def load_scheme(path: str | Path) -> Scheme:
    """Read and validate a scheme file."""
    return _load_scheme_cached(str(Path(path).resolve()), _mtime(path))


def _mtime(path: str | Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return -1.0


@lru_cache(maxsize=32)
def _load_scheme_cached(path: str, mtime: float) -> Scheme:
    scheme: Scheme = load_cached(path, lambda: _chain_files(path), lambda: _build(path))
    return scheme


def _build(path: str) -> Scheme:
    """Read, merge, validate and check a scheme file (no cache)."""
    data, text = _read_scheme_data(path, ())
    base = data.get("scheme", {}).get("extends") if isinstance(data.get("scheme"), dict) else None
    # line numbers locate problems only in a file read as it is, not in a merged one
    return parse_scheme(data, text if base is None else None, _display(path))


def _read_scheme_data(path: str, chain: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """A scheme file's data, merged onto the scheme it ``extends`` (recursively)."""
    shown = _display(path)
    try:
        data, text = read_toml(path)
    except GreenmarkError as exc:
        raise SchemeError(
            problems=[Problem(p.message, shown, p.location, p.line) for p in exc.problems]
        ) from None
    info = data.get("scheme")
    base_id = info.get("extends") if isinstance(info, dict) else None
    if base_id is None:
        return data, text
    if not isinstance(base_id, str):
        raise SchemeError(problems=[Problem("expected a scheme id", shown, "scheme.extends")])
    base_path = _find_base(base_id, Path(path).parent)
    if base_path is None or str(base_path) in (*chain, path):
        why = "not found" if base_path is None else "extends itself (a cycle)"
        raise SchemeError(problems=[Problem(f"scheme {base_id!r} {why}", shown, "scheme.extends")])
    load_scheme(base_path)  # the base must be a valid scheme on its own (its own file's errors)
    base, _ = _read_scheme_data(str(base_path), (*chain, path))
    merged, problems = merge_scheme(base, data, shown)
    if problems:
        raise SchemeError(problems=problems)
    return merged, text


def _chain_files(path: str) -> list[tuple[str, bytes]]:
    """``(path, bytes)`` of a scheme file and of each file it extends, nearest first (what
    the cache key is made of); raises when a file cannot be read or a base is unknown."""
    found: list[tuple[str, bytes]] = []
    current = path
    while True:
        raw = read_bytes(current)
        found.append((current, raw))
        info = _head_table(decode_text(raw, current), current)
        base_id = info.get("extends") if isinstance(info, dict) else None
        if base_id is None:
            return found
        if not isinstance(base_id, str):
            raise SchemeError("expected a scheme id", file=current)
        base = _find_base(base_id, Path(current).parent)
        if base is None or str(base) in (name for name, _ in found):
            raise SchemeError(f"scheme {base_id!r} not found or a cycle", file=current)
        current = str(base)


def _find_base(scheme_id: str, folder: Path) -> Path | None:
    """The file of scheme ``scheme_id``: beside the extending file first, then bundled."""
    for source in (folder, None):
        for entry in bundled_schemes(source):
            if entry.id == scheme_id:
                return entry.path.resolve()
    return None


def _display(path: str | Path) -> str:
    """A path as the user would like to read it: relative to the working folder when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


@dataclass(frozen=True)
class SchemeEntry:
    """A scheme file found in a folder, described by its ``[scheme]`` table alone."""

    id: str
    version: str
    title: str
    path: Path
    effective_from: date | None = None
    superseded_by: str | None = None
    superseded_from: date | None = None
    current: bool = True  # the version new projects get: the latest in effect

    def sort_key(self) -> tuple[date, tuple[object, ...]]:
        """Older versions first: by the date in effect, then by version number."""
        return (self.effective_from or date.min, _natural(self.version))


def _natural(text: str) -> tuple[object, ...]:
    """``"4.10"`` after ``"4.9"``: digit runs compare as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


_TABLE_START = re.compile(r"^\s*\[", re.MULTILINE)
#: Where a file could start its ``scheme`` table or key: ``[scheme]``, ``[scheme.x]``,
#: ``scheme.x =``, ``scheme =`` (bare or quoted). A file without any is no scheme.
_SCHEME_KEY = re.compile(
    r"""^[ \t]*(\[[ \t]*["']?scheme["']?[ \t]*[\].]|["']?scheme["']?[ \t]*[.=])""", re.MULTILINE
)


def _scheme_table(path: Path) -> Any:
    """The ``[scheme]`` table of a file, parsing that table alone when it stands apart
    (listing schemes then reads no criteria); the whole file otherwise."""
    return _head_table(decode_text(read_bytes(path), str(path)), str(path))


def _head_table(text: str, file: str) -> Any:
    """The ``[scheme]`` table of a file's text (see :func:`_scheme_table`)."""
    if _SCHEME_KEY.search(text) is None:
        return None  # e.g. the measure catalogue or the vocabulary: not read as TOML here
    start = re.search(r"^\[scheme\][ \t]*(#.*)?$", text, re.MULTILINE)
    if start is not None:
        following = _TABLE_START.search(text, start.end())
        head = text[start.start() : following.start() if following else len(text)]
        try:
            return tomllib.loads(head).get("scheme")
        except tomllib.TOMLDecodeError:
            pass  # e.g. a multi-line string holding a "[": parse the whole file
    return parse_toml(text, file).get("scheme")


def bundled_schemes(folder: Path | None = None) -> list[SchemeEntry]:
    """Schemes shipped in ``criteria/`` (files with a ``[scheme]`` table), sorted by id."""
    paths = sorted((folder or criteria_dir()).glob("*.toml"))
    entries = [
        SchemeEntry(
            str(head["id"]),
            str(head["version"]),
            str(head["title"]),
            path,
            _day(head["effective_from"]),
            head["superseded_by"],
            _day(head["superseded_from"]),
        )
        for path, head in zip(paths, scheme_heads(paths, _summary, _SUMMARY), strict=True)
        if head is not None
    ]
    entries.sort(key=lambda e: (e.id, e.sort_key()))
    latest: dict[str, SchemeEntry] = {}
    for entry in entries:
        latest[entry.id] = entry  # sorted: the last of an id is its current version
    return [replace(e, current=latest[e.id] is e) for e in entries]


#: The fields of :func:`_summary` and their kinds (see :func:`scheme_heads`).
_SUMMARY = {
    "id": "text",
    "version": "text",
    "title": "text",
    "effective_from": "day?",
    "superseded_by": "text?",
    "superseded_from": "day?",
}


def _summary(path: Path, raw: bytes) -> dict[str, str | None] | None:
    """What :class:`SchemeEntry` needs of a file's ``[scheme]`` table, as text (what the
    listing cache keeps); None for a file that holds no scheme or cannot be read."""
    try:
        info = _head_table(decode_text(raw, str(path)), str(path))
    except GreenmarkError:
        return None
    if not (isinstance(info, dict) and isinstance(info.get("id"), str)):
        return None
    successor = info.get("superseded_by")
    return {
        "id": info["id"],
        "version": str(info.get("version", "")),
        "title": str(info.get("title", "")),
        "effective_from": _iso(info.get("effective_from")),
        "superseded_by": successor if isinstance(successor, str) else None,
        "superseded_from": _iso(info.get("superseded_from")),
    }


def _iso(value: object) -> str | None:
    day = _date(value)
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _date(value: object) -> date | None:
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


def resolve_scheme(
    reference: str, relative_to: Path | None = None, version: str | None = None
) -> Path:
    """Find a scheme by path (absolute, or relative to a project file) or by bundled id:
    the given ``version`` of that id when installed, else its current version."""
    candidates = [Path(reference)]
    if relative_to is not None:
        candidates.insert(0, relative_to / reference)
    if reference.endswith(".toml"):
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    versions = [e for e in bundled_schemes() if e.id == reference]
    for entry in versions:
        if version and entry.version == version:
            return entry.path
    for entry in versions:
        if entry.current:
            return entry.path
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted({e.id for e in bundled_schemes()})) or "none"
    raise SchemeError(f"unknown scheme {reference!r} (bundled schemes: {known})")


def unverified_constants(scheme: Scheme) -> list[tuple[str, str]]:
    """``(where, note)`` for every value the scheme marks ``verified = false``."""
    found: list[tuple[str, str]] = []
    for name, constant in scheme.constants.items():
        if not constant.verified:
            found.append((f"constants.{name}", constant.source or constant.note))
    for kind in ("sections", "groups", "criteria", "gates", "tiers", "badges"):
        for item in getattr(scheme, kind):
            if not item.verified:
                found.append((f"{kind}.{item.id}", item.source))
    return found


def _path(dotted_location: str | None) -> tuple[str | int, ...]:
    """``criteria[3].points.at[1]`` -> ``("criteria", 3, "points", "at", 1)``."""
    parts: list[str | int] = []
    for piece in re.split(r"\.", dotted_location or ""):
        name, *indices = re.split(r"\[", piece)
        if name:
            parts.append(name)
        parts.extend(int(i.rstrip("]")) for i in indices)
    return tuple(parts)


def scheme_id_of(reference: str, relative_to: Path | None = None) -> str | None:
    """The id of the scheme a project's ``scheme`` reference names (a bundled id, or a
    file's ``[scheme] id``), without loading it; None when it cannot be found."""
    if not reference.endswith(".toml"):
        return reference
    for candidate in ([relative_to / reference] if relative_to else []) + [Path(reference)]:
        if candidate.is_file():
            try:
                info = _scheme_table(candidate)
            except GreenmarkError:
                return None
            return info.get("id") if isinstance(info, dict) else None
    return None
