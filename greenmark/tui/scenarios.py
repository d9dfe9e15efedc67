"""Scenarios in the assessor's session: propose measures, score them beside the assessed
values, accept one (its measures applied, recorded) or discard it. Each is undoable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from greenmark.core import scenarios as core
from greenmark.core.project import Project
from greenmark.tui.session import Session, Step, Target, Tried, _copy
from greenmark.tui.values import Refused

if TYPE_CHECKING:
    from greenmark.design.measures import Catalogue


def _make_current(session: Session, step: Step) -> Step:
    session.loaded.project = step.after
    session.undo_stack.append(step)
    session.redo_stack.clear()
    session.unsaved = True
    return step


def propose(
    session: Session, measures: Sequence[str], catalogue: Catalogue, name: str = ""
) -> tuple[str, Tried]:
    """Keep ``measures`` as a scenario (checked to apply, scored); its name and scores."""
    tried = session.try_measures(measures, catalogue)
    existing = [k for k, s in session.project.scenarios.items() if s.measures == list(measures)]
    if existing and not name:
        return existing[0], tried
    session.refuse_if_locked()
    candidate = _copy(session.project)
    try:
        key = core.propose(candidate, measures, session.who, name=name)
    except core.ScenarioError as exc:
        raise Refused(str(exc)) from None
    shown = core.describe(candidate.scenarios[key])
    step = Step(f"propose {key}", Target("scenarios", key), None, shown, session.project, candidate)
    _make_current(session, step)
    return key, tried


def score(session: Session, name: str, catalogue: Catalogue) -> Tried:
    """Scenario ``name`` scored (the assessed values untouched)."""
    scenario = session.project.scenarios[name]
    return session.try_measures(scenario.measures, catalogue)


def accept(session: Session, name: str, catalogue: Catalogue) -> Step:
    """Make scenario ``name`` the assessed values: its measures applied and recorded."""
    tried = score(session, name, catalogue)
    session.refuse_if_locked()
    candidate: Project = tried.project
    scenario = core.accepted(candidate, name, session.who)
    candidate.history.extend(tried.changes)
    step = Step(
        f"accept {name}",
        Target("scenarios", name),
        core.describe(scenario),
        "accepted",
        session.project,
        candidate,
    )
    session.scored = tried.scored
    return _make_current(session, step)


def discard(session: Session, name: str) -> Step:
    """Drop scenario ``name``."""
    session.refuse_if_locked()
    candidate = _copy(session.project)
    scenario = core.discard(candidate, name, session.who)
    step = Step(
        f"discard {name}",
        Target("scenarios", name),
        core.describe(scenario),
        None,
        session.project,
        candidate,
    )
    return _make_current(session, step)
