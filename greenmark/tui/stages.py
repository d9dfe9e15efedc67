"""Stage steps in the assessor's session: sign off, start a new revision, move on.

Unlike edits these are not undoable (a sign-off is a record, not a value): each clears
the undo history, and the screen saves at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from greenmark.core import stages
from greenmark.core.errors import GreenmarkError
from greenmark.core.project import Project
from greenmark.tui.session import Session, _copy
from greenmark.tui.values import Refused


def _step(session: Session, change: Callable[[Project], object]) -> object:
    """Apply ``change`` to a copy of the project and make it current (not undoable)."""
    candidate = _copy(session.project)
    try:
        outcome = change(candidate)
    except GreenmarkError as exc:
        raise Refused("; ".join(p.message for p in exc.problems)) from None
    session.loaded.project = candidate
    session.scored = session.score(candidate)
    session.undo_stack.clear()
    session.redo_stack.clear()
    session.unsaved = True
    return outcome


def sign_off(session: Session, note: str = "") -> None:
    """Sign off the current stage as the session's user."""
    result = session.scored.result
    _step(session, lambda p: stages.sign_off(p, result, session.path, session.who, note))


def revise(session: Session, note: str) -> int:
    """Start a new revision of the signed-off stage."""
    if not note.strip():
        raise Refused("say why the signed-off values must change (type it in the note field)")
    number = _step(session, lambda p: stages.revise(p, session.who, note.strip()))
    assert isinstance(number, int)
    return number


def advance(session: Session, to: str | None = None, note: str = "") -> Path:
    """Move on to the next stage (``to``: which verification); returns the kept file."""
    result = session.scored.result
    source = session.loaded.source
    kept = _step(
        session,
        lambda p: stages.advance(
            p, result, session.path, session.who, to=to, note=note, source=source
        ),
    )
    assert isinstance(kept, Path)
    return kept
