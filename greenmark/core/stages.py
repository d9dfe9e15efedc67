"""A project's stages, their sign-off, and the lock that follows.

A project moves through pre-assessment, design assessment and verification (as built,
or in operation for an existing building). A reviewer signs off a stage once nothing
blocks it (:func:`blockers`: every criterion assessed or ruled not applicable, no open
"needs clarification" or "rejected" item, every evidence file as attached); the stage's
values are then locked (:func:`refuse_if_locked`) until a new revision is started
(:func:`revise`). Moving to the next stage (:func:`advance`) needs the sign-off; the stage
left behind is kept as it was in a file next to the project (``office.design.toml``),
whose name and SHA-256 the sign-off records. Each step is recorded in the history; the
functions change the project in place (new objects, never edited ones).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.evidence import check
from greenmark.core.explain import BuildingResult
from greenmark.core.project import Project, ProjectSource, save_project
from greenmark.core.records import SignOff

ORDER = ("pre-assessment", "design", "as-built")
#: Where a stage leads; "as-built" and "existing" are both verification (the last stage).
NEXT = {"pre-assessment": ("design",), "design": ("as-built", "existing")}
LABELS = {
    "pre-assessment": "pre-assessment",
    "design": "design assessment",
    "as-built": "verification (as built)",
    "existing": "verification (in operation)",
}


class Locked(GreenmarkError):
    """An edit of a stage that was signed off (its values are locked)."""


class Blocked(GreenmarkError):
    """A sign-off or a move to the next stage that something blocks."""


def label(stage: str) -> str:
    """``design`` -> ``design assessment``."""
    return LABELS.get(stage, stage)


def signed_off(project: Project) -> SignOff | None:
    """The sign-off of the project's current stage and revision (None: not signed off)."""
    info = project.project
    return next(
        (
            s
            for s in reversed(project.signoffs)
            if (s.stage, s.revision) == (info.stage, info.revision)
        ),
        None,
    )


def lock_message(signoff: SignOff) -> str:
    """Why an edit is refused, and how to make it possible."""
    return (
        f"the {label(signoff.stage)} stage (revision {signoff.revision}) was signed off by "
        f"{signoff.who} on {signoff.at:%Y-%m-%d %H:%M} UTC: its values are locked; start a "
        "new revision to change them (`greenmark stage revise PROJECT --note WHY`, or "
        "key t then v in the assessor's UI)"
    )


def refuse_if_locked(project: Project, file: str | None = None) -> None:
    """Raise :class:`Locked` when the current stage is signed off."""
    signoff = signed_off(project)
    if signoff is not None:
        raise Locked(problems=[Problem(lock_message(signoff), file)])


def blockers(project: Project, result: BuildingResult, project_path: Path | None) -> list[str]:
    """What keeps the current stage from being signed off or left, one line each."""
    found: list[str] = []
    for criterion in result.criteria:
        if criterion.status == "not_assessed":
            found.append(f"{criterion.id} is not assessed (give its inputs or rule it N/A)")
    for cid, response in project.responses.items():
        if response.review_state == "needs_clarification":
            comment = f": {response.review_comment}" if response.review_comment else ""
            found.append(f"{cid} needs clarification{comment}")
        elif response.review_state == "rejected":
            found.append(f"{cid} was rejected by the reviewer (revise it, or rule it N/A)")
    if project_path is not None:
        for item in check(project, project_path):
            if item.state != "ok":
                found.append(f"{item.criterion} evidence {item.entry.path}: {item.text()}")
    return found


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def sign_off(
    project: Project,
    result: BuildingResult,
    project_path: Path | None,
    who: str,
    note: str = "",
) -> SignOff:
    """Sign off the current stage and revision; raises :class:`Blocked` with the reasons."""
    info = project.project
    done = signed_off(project)
    if done is not None:
        raise Blocked(problems=[Problem(f"already signed off: {lock_message(done)}")])
    found = blockers(project, result, project_path)
    if found:
        raise Blocked(
            problems=[Problem(f"cannot sign off {label(info.stage)}: {b}") for b in found]
        )
    if not who.strip():
        raise Blocked(problems=[Problem("who signs off? (--who NAME)")])
    signoff = SignOff(
        stage=info.stage, revision=info.revision, who=who.strip(), at=_now(), note=note
    )
    project.signoffs = [*project.signoffs, signoff]
    project.record(
        "signoffs", None, f"{label(info.stage)} revision {info.revision} signed off", who, note
    )
    return signoff


def revise(project: Project, who: str, note: str = "") -> int:
    """Start a new revision of a signed-off stage (unlocking it); returns its number."""
    info = project.project
    if signed_off(project) is None:
        raise Blocked(
            problems=[
                Problem(
                    f"{label(info.stage)} revision {info.revision} is not signed off: "
                    "it can be edited as it is"
                )
            ]
        )
    project.project = info.model_copy(update={"revision": info.revision + 1})
    project.record("project.revision", info.revision, info.revision + 1, who, note)
    return info.revision + 1


def next_stages(stage: str) -> Sequence[str]:
    """The stages ``stage`` may move to (none from verification)."""
    return NEXT.get(stage, ())


def kept_path(project_path: Path, stage: str, revision: int) -> Path:
    """A free file name next to the project for the stage left behind."""
    stem = project_path.stem
    candidate = project_path.with_name(f"{stem}.{stage}.toml")
    count = 1
    while candidate.exists():
        count += 1
        candidate = project_path.with_name(f"{stem}.{stage}-r{revision}-{count}.toml")
    return candidate


def advance(
    project: Project,
    result: BuildingResult,
    project_path: Path,
    who: str,
    *,
    to: str | None = None,
    note: str = "",
    source: ProjectSource | None = None,
) -> Path:
    """Move to the next stage (``to``: which verification); returns the file keeping the
    stage left behind. Raises :class:`Blocked` listing what blocks the move."""
    info = project.project
    choices = next_stages(info.stage)
    if not choices:
        raise Blocked(problems=[Problem(f"{label(info.stage)} is the last stage")])
    target = to or choices[0]
    if target not in choices:
        raise Blocked(
            problems=[
                Problem(f"{label(info.stage)} moves on to {' or '.join(choices)}, not {target!r}")
            ]
        )
    found = blockers(project, result, project_path)
    signoff = signed_off(project)
    if signoff is None:
        found.append(f"{label(info.stage)} revision {info.revision} is not signed off")
    if found or signoff is None:
        problems = [Problem(f"cannot move to {label(target)}: {b}") for b in found]
        raise Blocked(problems=problems)
    kept = kept_path(project_path, info.stage, info.revision)
    try:
        save_project(project, kept, ProjectSource(source.text, source.bom) if source else None)
    except OSError as exc:
        problem = f"cannot keep {label(info.stage)} in {kept}: {exc.strerror or exc}"
        raise Blocked(problems=[Problem(problem)]) from None
    digest = hashlib.sha256(kept.read_bytes()).hexdigest()
    updated = signoff.model_copy(update={"kept": kept.name, "kept_sha256": digest})
    project.signoffs = [updated if s is signoff else s for s in project.signoffs]
    project.responses = {
        cid: response.model_copy(update={"review_state": "open", "review_comment": ""})
        for cid, response in project.responses.items()
    }
    project.project = info.model_copy(update={"stage": target, "revision": 1})
    kept_note = f"{label(info.stage)} kept in {kept.name} (sha256 {digest[:12]}…)"
    project.record(
        "project.stage", info.stage, target, who, f"{note}; {kept_note}" if note else kept_note
    )
    return kept


def stage_edit_problem(project: Project) -> str | None:
    """Why the stage may not be set directly (once signed off, it moves by :func:`advance`)."""
    if project.signoffs:
        return (
            "the stage moves on by sign-off and `greenmark stage advance` (key t in the "
            "assessor's UI) once a stage has been signed off"
        )
    return None
