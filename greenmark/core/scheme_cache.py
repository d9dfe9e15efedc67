"""The cache of checked schemes (see :mod:`greenmark.core.diskcache` for where it lives,
what a key holds and why anything doubtful is a miss), so that a command does not read,
validate and check the same scheme file again on every run.

An entry holds one scheme file's :class:`~greenmark.core.model.Scheme` as
:func:`greenmark.core.scheme.load_scheme` built it: validated, merged onto the schemes it
``extends`` and cross-checked, keyed by the scheme file's path and the SHA-256 of its
bytes and of every file it extends. A scheme that fails to load is never stored.

Listing the schemes of a folder reads the ``[scheme]`` table of every file in it; what
the listing needs of each file is kept too, in ``schemes-index-*.json`` (plain JSON, no
pickle), under the SHA-256 of the file's bytes, with greenmark's version and the state of
its code (:func:`scheme_heads`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from greenmark.core import diskcache
from greenmark.core.diskcache import FORMAT, cache_dir, enabled
from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.resources import criteria_dir, shipped_criteria_dir
from greenmark.core.tomlfile import read_bytes

__all__ = ["FORMAT", "cache_dir", "enabled", "index_file", "load", "scheme_heads"]

INDEX = "schemes-index-{runtime}.json"  # one per greenmark, Python and pydantic
_INDEX_SIZE = 512  # files remembered in the index (the oldest go first)
Summary = dict[str, str | None]


def load(path: str, files: Callable[[], list[tuple[str, bytes]]], build: Callable[[], Any]) -> Any:
    """The scheme of the file at ``path`` (resolved): from the cache when an entry's key
    matches, else ``build()`` stored for next time.

    ``files`` lists ``(path, bytes)`` of the scheme file and every file it extends; it may
    raise (the file is unreadable, its base is unknown, ...), and then the cache stays out
    of the way and ``build()`` reports the problem.
    """

    def parts() -> list[bytes]:
        found = []
        for name, data in files():
            found += [name.encode(), diskcache.sha256(data)]
        return found

    return diskcache.cached("scheme", path, parts, build, Scheme, stamp=_code_stamp)


def scheme_heads(
    paths: list[Path],
    summarise: Callable[[Path, bytes], Summary | None],
    fields: dict[str, str],
) -> list[Summary | None]:
    """``summarise(path, bytes)`` of each file (None for a file that cannot be read),
    from the index when it knows the file's content, worked out and remembered otherwise.
    ``summarise`` returns None or a dict of exactly ``fields``, name -> kind: ``text``,
    ``text?`` (text or None), ``day?`` (an ISO date or None); an index whose entries are
    not all of that shape is not used."""
    raws: list[bytes | None] = []
    for path in paths:
        try:
            raws.append(read_bytes(path))
        except GreenmarkError:
            raws.append(None)
    folder = diskcache.folder()
    if folder is None:
        pairs = zip(paths, raws, strict=True)
        return [None if raw is None else summarise(path, raw) for path, raw in pairs]
    key = diskcache.digest(
        diskcache.runtime(), _code_stamp(), json.dumps(fields, sort_keys=True).encode()
    )
    index = index_file(folder)
    known = _read_index(index, key, fields)
    found: list[Summary | None] = []
    added = False
    for path, raw in zip(paths, raws, strict=True):
        if raw is None:
            found.append(None)
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest in known:
            found.append(known[digest])
        else:
            found.append(known.setdefault(digest, summarise(path, raw)))
            added = True
    if added:
        _write_index(folder, index, key, known)
    return found


def index_file(folder: Path) -> Path:
    """The listing index of this greenmark (and Python, pydantic) in ``folder``."""
    return folder / INDEX.format(runtime=diskcache.digest(diskcache.runtime())[:16])


def _read_index(index: Path, key: str, fields: dict[str, str]) -> dict[str, Summary | None]:
    try:
        with open(index, encoding="utf-8") as handle:
            data = json.load(handle)
        if data["key"] != key:
            return {}
        files = data["files"]
        if isinstance(files, dict) and all(_is_summary(v, fields) for v in files.values()):
            return files
    except Exception:  # missing, unreadable, not JSON, another shape: start afresh
        pass
    return {}


def _is_summary(value: object, fields: dict[str, str]) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict) or value.keys() != fields.keys():
        return False
    for name, kind in fields.items():
        item = value[name]
        if item is None and kind.endswith("?"):
            continue
        if not isinstance(item, str):
            return False
        if kind == "day?":
            try:
                date.fromisoformat(item)
            except ValueError:
                return False
    return True


def _write_index(folder: Path, index: Path, key: str, files: dict[str, Summary | None]) -> None:
    kept = dict(list(files.items())[-_INDEX_SIZE:])
    diskcache.write_atomic(folder, index, json.dumps({"key": key, "files": kept}).encode())


def _code_stamp() -> bytes:
    """Greenmark's code and the files beside the bundled schemes (the shared vocabulary,
    the schemes a scheme may extend), whose stamps are taken on every load: they may be
    edited while a process runs."""
    folders = sorted({criteria_dir().resolve(), shipped_criteria_dir().resolve()})
    return b"\n".join([diskcache.code_stamp(), "\n".join(diskcache.stamps(folders)).encode()])
