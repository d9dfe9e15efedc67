"""Evidence files bound to a certificate: the SHA-256 and size of every evidence entry of
a project that names a file.

Evidence is free text under ``[responses]`` (``evidence = ["A-201 facade schedule",
"evidence/ettv.pdf"]``) and files attached to a criterion (``files``, see
:mod:`greenmark.core.evidence`). An entry that is a relative path to an existing file inside the
project file's folder (or below it) is hashed; any other entry (a description, a
missing file, an absolute path, a path leading out of the folder) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from greenmark.core.evidence import digest


def _candidate(folder: Path, entry: str) -> tuple[str, Path] | None:
    """(path as written, posix; the file) if ``entry`` names a file inside ``folder``."""
    text = entry.strip().replace("\\", "/")
    if not text or "\x00" in text or len(text) > 1024:
        return None
    relative = PurePosixPath(text)
    if relative.is_absolute() or text.startswith("~"):
        return None
    try:
        target = (folder / Path(*relative.parts)).resolve()
        inside = target.is_relative_to(folder.resolve())
        if not inside or not target.is_file():
            return None
    except (OSError, ValueError):
        return None
    return relative.as_posix(), target


def evidence_paths(project_path: str | Path, entries: Iterable[str]) -> dict[str, Path]:
    """Evidence entries that name a file: path as written -> the file."""
    folder = Path(project_path).parent
    found: dict[str, Path] = {}
    for entry in entries:
        named = _candidate(folder, entry)
        if named is not None:
            found.setdefault(*named)
    return found


def _entries(responses: Mapping[str, Any]) -> list[str]:
    """Free-text entries that may name a file, and the files attached to a criterion."""
    named = [entry for response in responses.values() for entry in response.evidence]
    return named + [f.path for response in responses.values() for f in response.files]


def evidence_files(project_path: str | Path, responses: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{"path", "sha256", "size"}]`` of the project's evidence files, sorted by path."""
    files = []
    for name, target in sorted(evidence_paths(project_path, _entries(responses)).items()):
        try:
            sha, size = digest(target)
        except OSError:
            continue
        files.append({"path": name, "sha256": sha, "size": size})
    return files


def evidence_differences(certified: list[Any], current: list[dict[str, Any]]) -> list[str]:
    """Evidence files changed, missing or added since the certificate was issued."""
    old = {str(f.get("path")): f for f in certified if isinstance(f, dict)}
    new = {f["path"]: f for f in current}
    found = []
    for name in sorted(set(old) | set(new)):
        before, now = old.get(name), new.get(name)
        if now is None:
            found.append(f"evidence file {name} is missing (or no longer named by the project)")
        elif before is None:
            found.append(f"evidence file {name} was not certified (named by the project now)")
        elif before.get("sha256") != now["sha256"] or before.get("size") != now["size"]:
            found.append(
                f"evidence file {name} changed: certified {before.get('size')} bytes, "
                f"sha256 {str(before.get('sha256'))[:16]}…; now {now['size']} bytes, "
                f"sha256 {now['sha256'][:16]}…"
            )
    return found
