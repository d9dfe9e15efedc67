"""Evidence files in the assessor's session: attach, detach, re-attach, and their states.

Each change is one undoable step of the session (recorded in the history like any
edit). A file's state (unchanged, changed, missing) is worked out by hashing it again;
the hash is cached by the file's modification time and size, so moving through the
criteria does not re-read large drawings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from greenmark.core import evidence as ev
from greenmark.core.records import EvidenceFile
from greenmark.tui.session import Session, Step, Target, _copy
from greenmark.tui.values import Refused


def _target(criterion: str) -> Target:
    return Target("responses", "files", criterion)


def attach(session: Session, criterion: str, file: str) -> Step:
    """Attach ``file`` (relative to the project file's folder, or absolute)."""
    candidate = _copy(session.project)
    try:
        entry, old = ev.attach(candidate, session.path, criterion, file.strip(), session.who)
    except ev.EvidenceError as exc:
        raise Refused(str(exc)) from None
    before = ev.describe(old) if old else None
    label = f"{'re-attach' if old else 'attach'} {entry.path}"
    return session._apply(
        label, _target(criterion), before, ev.describe(entry), candidate, session.scored
    )


def detach(session: Session, criterion: str, path: str) -> Step:
    """Detach the file at ``path`` from ``criterion`` (the file itself stays)."""
    candidate = _copy(session.project)
    try:
        entry = ev.detach(candidate, criterion, path)
    except ev.EvidenceError as exc:
        raise Refused(str(exc)) from None
    return session._apply(
        f"detach {entry.path}", _target(criterion), ev.describe(entry), None, candidate,
        session.scored,
    )  # fmt: skip


def check_path(session: Session, text: str) -> str:
    """The path a typed file name would be stored as (:class:`Refused` when it cannot be)."""
    try:
        return ev.relative_name(session.path, text.strip())
    except ev.EvidenceError as exc:
        raise Refused(str(exc)) from None


@dataclass
class StateCache:
    """Attached files' states, re-hashed only when a file's time or size changes."""

    _known: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def states(self, session: Session, criterion: str) -> list[ev.FileCheck]:
        response = session.project.responses.get(criterion)
        if response is None:
            return []
        return [self.state(session.path, criterion, entry) for entry in response.files]

    def state(self, project_path: Path, criterion: str, entry: EvidenceFile) -> ev.FileCheck:
        target = project_path.resolve().parent / entry.path
        try:
            stat = target.stat()
        except OSError:
            return ev.FileCheck(criterion, entry, "missing")
        known = self._known.get(target)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            sha = known[2]
            state: ev.FileState = (
                "ok" if (sha, stat.st_size) == (entry.sha256, entry.size) else ("changed")
            )
            return ev.FileCheck(criterion, entry, state, sha, stat.st_size)
        found = ev.check_file(project_path, criterion, entry)
        if found.state != "missing":
            self._known[target] = (stat.st_mtime_ns, found.size, found.sha256)
        return found
