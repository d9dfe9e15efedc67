"""A cache of checked schemes on disk, so that a command does not read, validate and check
the same scheme file again on every run.

An entry holds one scheme file's :class:`~greenmark.core.model.Scheme` as
:func:`greenmark.core.scheme.load_scheme` built it: validated, merged onto the schemes it
``extends`` and cross-checked. It is used only when its key matches, a SHA-256 of

- the cache format, greenmark's version, the Python and pydantic versions;
- the size and modification time of every module of ``greenmark.core`` and
  ``greenmark.calc`` (the code that builds and checks a scheme, so an edited checkout
  never reuses what older code built) and of every file at the top of the criteria
  folders (the shared vocabulary and the bundled schemes a scheme may extend);
- the scheme file's path and the SHA-256 of its bytes and of every file it extends.

Listing the schemes of a folder reads the ``[scheme]`` table of every file in it; what
the listing needs of each file is kept too, in ``schemes-index-*.json`` (plain JSON, no
pickle), under the SHA-256 of the file's bytes, with greenmark's version and the state of
its code as above (:func:`scheme_heads`).

Anything else is a miss, never an error: no cache folder, an unreadable, truncated or
corrupt entry, another key, an entry written by another version. A miss builds the
scheme as if there were no cache and then stores it (atomically: a temporary file renamed
into place); a read-only or missing cache folder just means nothing is stored. A scheme
that fails to load is never stored. ``GREENMARK_NO_CACHE=1`` turns the cache off.

Where: ``$GREENMARK_CACHE_DIR``, else ``$XDG_CACHE_HOME/greenmark``, else
``~/.cache/greenmark``. Entries are pickles: pickle runs code named in what it reads, so
an entry is read only from a folder owned by this user and writable by nobody else, and
only when its key names this exact greenmark, these exact files and their contents.
The pickled object is our own Scheme, written by this code into the user's own cache;
nothing that came from elsewhere is ever unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.resources import criteria_dir, shipped_criteria_dir
from greenmark.core.tomlfile import read_bytes
from greenmark.core.version import __version__

FORMAT = b"greenmark-scheme-cache 1\n"
INDEX = "schemes-index-{runtime}.json"  # one per greenmark, Python and pydantic
_INDEX_SIZE = 512  # files remembered in the index (the oldest go first)
Summary = dict[str, str | None]
_PACKAGE = Path(__file__).resolve().parent.parent  # greenmark/
_CODE_FOLDERS = ("core", "calc")


def enabled() -> bool:
    """False when ``GREENMARK_NO_CACHE`` is set to anything but ``""`` or ``0``."""
    return os.environ.get("GREENMARK_NO_CACHE", "").strip() in ("", "0")


def cache_dir() -> Path | None:
    """The folder of the cache (it may not exist yet), None when there is no home."""
    explicit = os.environ.get("GREENMARK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "greenmark"
    try:
        return Path.home() / ".cache" / "greenmark"
    except RuntimeError:  # no home folder to be found
        return None


def load(path: str, files: Callable[[], list[tuple[str, bytes]]], build: Callable[[], Any]) -> Any:
    """The scheme of the file at ``path`` (resolved): from the cache when an entry's key
    matches, else ``build()`` stored for next time.

    ``files`` lists ``(path, bytes)`` of the scheme file and every file it extends; it may
    raise (the file is unreadable, its base is unknown, ...), and then the cache stays out
    of the way and ``build()`` reports the problem.
    """
    folder = cache_dir() if enabled() else None
    if folder is None:
        return build()
    try:
        key = _key(path, files())
    except Exception:  # the loader says what is wrong with the file
        return build()
    entry = folder / f"scheme-{_digest(path.encode(), _runtime())[:32]}.pickle"
    found = _read(entry, folder, key)
    if found is not None:
        return found
    scheme = build()
    _write(entry, folder, key, scheme)
    return scheme


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
    folder = cache_dir() if enabled() else None
    if folder is None:
        pairs = zip(paths, raws, strict=True)
        return [None if raw is None else summarise(path, raw) for path, raw in pairs]
    key = _digest(_runtime(), _code_stamp(), json.dumps(fields, sort_keys=True).encode())
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
    return folder / INDEX.format(runtime=_digest(_runtime())[:16])


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
    _write_atomic(folder, index, json.dumps({"key": key, "files": kept}).encode())


def _read(entry: Path, folder: Path, key: bytes) -> Scheme | None:
    try:
        if not _private(folder):
            return None
        with open(entry, "rb") as handle:
            if handle.read(len(FORMAT) + len(key)) != FORMAT + key:
                return None  # another version, another file, or what is left of a bad write
            # only our own Scheme, written by this code for exactly this key (see above)
            found = pickle.loads(handle.read())
    except Exception:  # missing, unreadable, truncated, corrupt: a miss
        return None
    return found if isinstance(found, Scheme) else None


def _write(entry: Path, folder: Path, key: bytes, scheme: Scheme) -> None:
    try:
        data = pickle.dumps(scheme, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a scheme that does not pickle: no entry
        return
    _write_atomic(folder, entry, FORMAT + key + data)


def _write_atomic(folder: Path, target: Path, data: bytes) -> None:
    """``data`` into ``target`` whole or not at all; nothing when the folder cannot be
    made or written, or others may write to it."""
    temporary = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        import tempfile  # writing only: not loaded to read

        handle, temporary = tempfile.mkstemp(prefix=".scheme-", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
        temporary = None
    except Exception:  # read-only, full, gone: nothing stored
        pass
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _private(folder: Path) -> bool:
    """The folder is this user's and nobody else may write to it (POSIX; elsewhere, yes)."""
    if not hasattr(os, "getuid"):
        return True
    info = folder.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _key(path: str, files: list[tuple[str, bytes]]) -> bytes:
    parts = [_runtime(), _code_stamp(), path.encode()]
    for name, data in files:
        parts += [name.encode(), hashlib.sha256(data).digest()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest().encode()


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def _runtime() -> bytes:
    import pydantic
    import pydantic_core

    return "|".join(
        [
            FORMAT.decode().strip(),
            __version__,
            sys.implementation.cache_tag or sys.version,
            str(pickle.HIGHEST_PROTOCOL),
            pydantic.VERSION,
            pydantic_core.__version__,
        ]
    ).encode()


def _code_stamp() -> bytes:
    """Sizes and modification times of the code that builds a scheme and of the files
    beside the bundled schemes."""
    folders = [_PACKAGE / name for name in _CODE_FOLDERS]
    folders += sorted({criteria_dir().resolve(), shipped_criteria_dir().resolve()})
    return "\n".join(_stamps(folders)).encode()


def _stamps(folders: Iterable[Path]) -> list[str]:
    found = []
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            found.append(f"{folder} -")
            continue
        for entry in entries:
            if entry.name.endswith((".py", ".toml")) and entry.is_file():
                info = entry.stat()
                found.append(f"{entry.path} {info.st_size} {info.st_mtime_ns}")
    return found
