"""The user's private cache folder of built objects (checked schemes, validated factor
tables, the project file a single-file command read), so that a command does not read,
validate and check the same file on every run.

An entry is a pickle of one object under a key, a SHA-256 of

- the cache format, greenmark's version, the Python and pydantic versions (:func:`runtime`);
- the size and modification time of every module of ``greenmark.core`` and
  ``greenmark.calc`` (the code that builds what is kept, so an edited checkout never
  reuses what older code built: :func:`code_stamp`), or what the caller stamps instead
  (the scheme cache adds the files beside the bundled schemes);
- what the caller adds: the path of the file the object was built from and the SHA-256
  of its bytes (and of any file it draws on).

Anything else is a miss, never an error: no cache folder, an unreadable, truncated or
corrupt entry, another key, an object of another type. A miss builds the object as if
there were no cache and then stores it (atomically: a temporary file renamed into
place); a read-only or missing cache folder just means nothing is stored.
``GREENMARK_NO_CACHE=1`` turns the cache off.

Where: ``$GREENMARK_CACHE_DIR``, else ``$XDG_CACHE_HOME/greenmark``, else
``~/.cache/greenmark``. Pickle runs code named in what it reads, so an entry is read only
from a folder owned by this user and writable by nobody else, and only when its key names
this exact greenmark, these exact files and their contents: the objects read back are
greenmark's own, written by this code into the user's own cache; nothing that came from
elsewhere is ever unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

from greenmark.core.version import __version__

FORMAT = b"greenmark-cache 1\n"
_PACKAGE = Path(__file__).resolve().parent.parent  # greenmark/
_CODE_FOLDERS = ("core", "calc")
T = TypeVar("T")


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


def folder() -> Path | None:
    """:func:`cache_dir`, or None when the cache is off."""
    return cache_dir() if enabled() else None


def cached(
    kind: str,
    name: str,
    parts: Callable[[], Sequence[bytes]],
    build: Callable[[], T],
    accept: type[T],
    stamp: Callable[[], bytes] | None = None,
) -> T:
    """``build()``, or what an earlier ``build()`` stored under the same key.

    ``kind`` and ``name`` (a file's resolved path) name the entry; ``parts`` lists what
    the key holds beyond the runtime and the code (:func:`code_stamp`, or ``stamp()``):
    the SHA-256 of each file the object is built from. ``parts`` may raise (a file cannot
    be read): the cache then stays out of the way and ``build()`` says what is wrong. A
    stored object that is not an ``accept`` is a miss. What ``build()`` raises is never
    stored.
    """
    where = folder()
    if where is None:
        return build()
    try:
        key = digest(runtime(), (stamp or code_stamp)(), name.encode(), *parts()).encode()
    except Exception:  # the builder says what is wrong with the file
        return build()
    entry = where / f"{kind}-{digest(name.encode(), runtime())[:32]}.pickle"
    found = read(entry, where, key, accept)
    if found is not None:
        return found
    built = build()
    store(entry, where, key, built)
    return built


def read(entry: Path, where: Path, key: bytes, accept: type[T]) -> T | None:
    """The object stored in ``entry`` under ``key``, or None (any doubt is a miss)."""
    try:
        if not private(where):
            return None
        with open(entry, "rb") as handle:
            if handle.read(len(FORMAT) + len(key)) != FORMAT + key:
                return None  # another version, another file, or what is left of a bad write
            # only greenmark's own object, written by this code for exactly this key
            found = pickle.loads(handle.read())
    except Exception:  # missing, unreadable, truncated, corrupt: a miss
        return None
    return found if isinstance(found, accept) else None


def store(entry: Path, where: Path, key: bytes, value: object) -> None:
    """Keep ``value`` in ``entry`` under ``key`` (nothing when it does not pickle)."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an object that does not pickle: no entry
        return
    write_atomic(where, entry, FORMAT + key + data)


def write_atomic(where: Path, target: Path, data: bytes) -> None:
    """``data`` into ``target`` whole or not at all; nothing when the folder cannot be
    made or written, or others may write to it."""
    temporary = None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not private(where):
            return
        import tempfile  # writing only: not loaded to read

        handle, temporary = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=where)
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


def private(where: Path) -> bool:
    """The folder is this user's and nobody else may write to it (POSIX; elsewhere, yes)."""
    if not hasattr(os, "getuid"):
        return True
    info = where.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def digest(*parts: bytes) -> str:
    """SHA-256 (hex) of ``parts``, each kept apart from the next."""
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data`` (raw bytes)."""
    return hashlib.sha256(data).digest()


@cache
def runtime() -> bytes:
    """The cache format, greenmark's version, the Python, pickle and pydantic versions."""
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


@cache
def code_stamp() -> bytes:
    """Sizes and modification times of the code that builds what is cached, taken once:
    this process runs the code it loaded, whatever becomes of the files later."""
    return "\n".join(stamps(_PACKAGE / name for name in _CODE_FOLDERS)).encode()


def stamps(folders: Iterable[Path]) -> list[str]:
    """``path size mtime`` of every ``.py`` and ``.toml`` file at the top of ``folders``
    (``folder -`` for one that cannot be read)."""
    found = []
    for where in folders:
        try:
            entries = sorted(os.scandir(where), key=lambda e: e.name)
        except OSError:
            found.append(f"{where} -")
            continue
        for entry in entries:
            if entry.name.endswith((".py", ".toml")) and entry.is_file():
                info = entry.stat()
                found.append(f"{entry.path} {info.st_size} {info.st_mtime_ns}")
    return found
