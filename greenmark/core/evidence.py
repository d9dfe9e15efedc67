"""Evidence files attached to a criterion, and the scheme's checklist of documents.

A file is attached by its path relative to the project file's folder (it must lie in
that folder or below, so the folder can be handed over whole), with its SHA-256, size
and the time attached (:class:`~greenmark.core.records.EvidenceFile`). :func:`check`
hashes each again and says which changed or vanished since. Every attach, detach and
tick is recorded in the project's history; the functions change the project in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from greenmark.core.model import Scheme
from greenmark.core.project import Project, Response
from greenmark.core.records import EvidenceFile

_CHUNK = 1 << 20

FileState = Literal["ok", "changed", "missing"]


class EvidenceError(ValueError):
    """A file that cannot be attached (or detached, or a document not on the list)."""


def digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in chunks."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def relative_name(project_path: Path, file: str | Path, base: Path | None = None) -> str:
    """``file`` (relative to ``base``, default the project's folder) as the path to store.

    Raises :class:`EvidenceError` when it is not a file inside the project's folder.
    """
    folder = project_path.resolve().parent
    given = Path(file).expanduser()
    target = given if given.is_absolute() else (base or folder) / given
    try:
        target = target.resolve()
    except (OSError, RuntimeError) as exc:
        raise EvidenceError(f"{file}: cannot be read ({exc})") from None
    if not target.is_relative_to(folder):
        raise EvidenceError(
            f"{file}: not in the project file's folder ({folder}) or below it; "
            "copy it there so the folder holds the whole assessment"
        )
    if not target.exists():
        raise EvidenceError(f"{file}: no such file")
    if not target.is_file():
        raise EvidenceError(f"{file}: not a file")
    return PurePosixPath(*target.relative_to(folder).parts).as_posix()


def criterion_ids(scheme: Scheme) -> list[str]:
    return [c.id for c in scheme.criteria]


def check_criterion(scheme: Scheme, criterion: str) -> str:
    """The criterion id (any case); :class:`EvidenceError` naming close ones otherwise."""
    ids = criterion_ids(scheme)
    if criterion in ids:
        return criterion
    lowered = {i.lower(): i for i in ids}
    if criterion.lower() in lowered:
        return lowered[criterion.lower()]
    import difflib

    close = difflib.get_close_matches(criterion, ids, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise EvidenceError(f"scheme {scheme.id} has no criterion {criterion!r}{hint}")


def describe(entry: EvidenceFile) -> str:
    """``evidence/a.pdf (48,213 bytes, sha256 9f86d081…)`` for the history."""
    return f"{entry.path} ({entry.size:,} bytes, sha256 {entry.sha256[:12]}…)"


def attach(
    project: Project,
    project_path: Path,
    criterion: str,
    file: str | Path,
    who: str = "",
    base: Path | None = None,
) -> tuple[EvidenceFile, EvidenceFile | None]:
    """Attach ``file`` (relative to ``base``, default the project's folder) to
    ``criterion``, hashed now; returns it and the entry it replaces.

    Attaching a path already attached records its current hash (accepting a new version).
    """
    name = relative_name(project_path, file, base)
    folder = project_path.resolve().parent
    try:
        sha, size = digest(folder / name)
    except OSError as exc:
        raise EvidenceError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    entry = EvidenceFile(
        path=name,
        sha256=sha,
        size=size,
        attached=datetime.now(UTC).replace(microsecond=0),
        who=who,
    )
    response = project.responses.get(criterion) or Response()
    files = list(response.files)
    old = next((f for f in files if f.path == name), None)
    if old is not None:
        files[files.index(old)] = entry
    else:
        files.append(entry)
    project.responses[criterion] = response.model_copy(update={"files": files})
    return entry, old


def detach(project: Project, criterion: str, path: str) -> EvidenceFile:
    """Remove the file attached to ``criterion`` at ``path``; returns what was removed."""
    response = project.responses.get(criterion) or Response()
    wanted = path.replace("\\", "/").removeprefix("./")
    found = next((f for f in response.files if f.path == wanted), None)
    if found is None:
        attached = ", ".join(f.path for f in response.files) or "none"
        raise EvidenceError(f"{path} is not attached to {criterion} (attached: {attached})")
    files = [f for f in response.files if f is not found]
    _store(project, criterion, response.model_copy(update={"files": files}))
    return found


def tick(project: Project, scheme: Scheme, criterion: str, document: str, on: bool) -> bool:
    """Tick (or untick) a required document of ``criterion``; False when already so."""
    required = scheme.criterion(criterion).documents
    chosen = next((d for d in required if d.lower() == document.strip().lower()), None)
    if chosen is None:
        listed = "; ".join(required) if required else "none listed by the scheme"
        raise EvidenceError(f"{criterion} requires no document {document!r} (documents: {listed})")
    response = project.responses.get(criterion) or Response()
    ticked = list(response.documents_received)
    if (chosen in ticked) == on:
        return False
    ticked = [d for d in required if (d in ticked or d == chosen) and (on or d != chosen)]
    _store(project, criterion, response.model_copy(update={"documents_received": ticked}))
    return True


def _store(project: Project, criterion: str, response: Response) -> None:
    if response == Response():
        project.responses.pop(criterion, None)
    else:
        project.responses[criterion] = response


@dataclass(frozen=True)
class FileCheck:
    """One attached file as it is now."""

    criterion: str
    entry: EvidenceFile
    state: FileState
    sha256: str = ""  # now (when readable)
    size: int = -1

    def text(self) -> str:
        """``changed since attached: 48,213 → 50,120 bytes`` and the like."""
        if self.state == "missing":
            return "missing: no longer in the project's folder"
        if self.state == "changed":
            return (
                f"changed since attached: {self.entry.size:,} → {self.size:,} bytes, "
                f"sha256 {self.entry.sha256[:12]}… → {self.sha256[:12]}…"
            )
        return "unchanged"


def check_file(project_path: Path, criterion: str, entry: EvidenceFile) -> FileCheck:
    """Hash the file again and compare with what was recorded when it was attached."""
    target = project_path.resolve().parent / entry.path
    try:
        if not target.is_file():
            return FileCheck(criterion, entry, "missing")
        sha, size = digest(target)
    except OSError:
        return FileCheck(criterion, entry, "missing")
    state: FileState = "ok" if (sha, size) == (entry.sha256, entry.size) else "changed"
    return FileCheck(criterion, entry, state, sha, size)


def check(project: Project, project_path: Path, criterion: str | None = None) -> list[FileCheck]:
    """Every attached file (of ``criterion``, or all), checked against its recorded hash."""
    return [
        check_file(project_path, cid, entry)
        for cid, response in project.responses.items()
        if criterion is None or cid == criterion
        for entry in response.files
    ]


def missing_documents(project: Project, scheme: Scheme, criterion: str) -> list[str]:
    """The scheme's required documents for ``criterion`` not yet ticked."""
    response = project.responses.get(criterion) or Response()
    return [
        d for d in scheme.criterion(criterion).documents if d not in response.documents_received
    ]
