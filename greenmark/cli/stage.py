"""``greenmark stage``: where a project stands, sign-off, new revisions, the next stage.

``greenmark stage show PROJECT`` shows the stage, its revision and sign-off, and what blocks
moving on (exit 1 when something does). ``signoff`` locks the stage's values, ``revise``
unlocks them as a new revision, ``advance`` keeps the stage in a file next to the
project and moves on. Each is recorded in the history and saved atomically, losslessly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from pydantic import ValidationError
from rich.text import Text

from greenmark.cli.common import handles_errors, out_console, report_problems
from greenmark.cli.saving import save
from greenmark.core import stages
from greenmark.core.edits import default_who
from greenmark.core.errors import ExitCode, Problem
from greenmark.core.explain import BuildingResult
from greenmark.core.project import LoadedProject, load_project
from greenmark.core.scoring import scheme_for, score_project

_PROJECT = click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
_NOTE = click.option("--note", default="", help="Why: recorded in the history.")


def _who(option: str | None) -> str:
    return option or default_who()


def _result(loaded: LoadedProject) -> BuildingResult:
    return score_project(loaded, scheme_for(loaded)).result


def _echo(line: str) -> None:
    out_console().print(Text(line), soft_wrap=True)


@click.group("stage")
def stage() -> None:
    """Stages of a project: pre-assessment → design assessment → verification."""


@stage.command("show")
@_PROJECT
@handles_errors
def show(project: Path) -> None:
    """The stage of PROJECT, its revision and sign-off, and what blocks moving on (exit 1
    when something does)."""
    loaded = load_project(project)
    project_data = loaded.project
    info = project_data.project
    _echo(f"Stage: {stages.label(info.stage)} ({info.stage}), revision {info.revision}")
    signoff = stages.signed_off(project_data)
    if signoff:
        _echo(f"Signed off by {signoff.who} on {signoff.at:%Y-%m-%d %H:%M} UTC: values locked")
    else:
        _echo("Not signed off: values can be edited")
    for earlier in project_data.signoffs:
        if earlier is not signoff:
            kept = f", kept in {earlier.kept}" if earlier.kept else ""
            _echo(
                f"  {stages.label(earlier.stage)} revision {earlier.revision}: signed off by "
                f"{earlier.who} on {earlier.at:%Y-%m-%d}{kept}"
            )
    found = stages.blockers(project_data, _result(loaded), loaded.path)
    nexts = stages.next_stages(info.stage)
    if not nexts:
        _echo("This is the last stage.")
    if not signoff:
        found.append(f"{stages.label(info.stage)} revision {info.revision} is not signed off")
    if not found:
        if nexts:
            _echo(f"Ready to move on to {' or '.join(stages.label(n) for n in nexts)}.")
        return
    _echo(f"Blocking sign-off or the move on ({len(found)}):")
    for line in found:
        _echo(f"  - {line}")
    sys.exit(int(ExitCode.NOT_SCORED))


@stage.command("signoff")
@_PROJECT
@click.option("--who", metavar="NAME", help="Who signs off (default: $USER).")
@_NOTE
@handles_errors
def signoff(project: Path, who: str | None, note: str) -> None:
    """Sign off the current stage of PROJECT: its values are then locked."""
    loaded = load_project(project)
    try:
        done = stages.sign_off(loaded.project, _result(loaded), loaded.path, _who(who), note)
    except stages.Blocked as exc:
        report_problems([Problem(p.message, loaded.display) for p in exc.problems])
        sys.exit(int(ExitCode.NOT_SCORED))
    save(loaded.project, loaded.path, loaded.source)
    _echo(
        f"Signed off {stages.label(done.stage)} revision {done.revision} as {done.who}: "
        "its values are locked"
    )


@stage.command("revise")
@_PROJECT
@click.option("--who", metavar="NAME", help="Who starts it (default: $USER).")
@click.option("--note", required=True, help="Why the signed-off values must change.")
@handles_errors
def revise(project: Path, who: str | None, note: str) -> None:
    """Start a new revision of the signed-off stage, so its values can change again."""
    loaded = load_project(project)
    try:
        number = stages.revise(loaded.project, _who(who), note)
    except stages.Blocked as exc:
        report_problems([Problem(p.message, loaded.display) for p in exc.problems])
        sys.exit(int(ExitCode.INVALID))
    save(loaded.project, loaded.path, loaded.source)
    _echo(f"Revision {number} of {stages.label(loaded.project.project.stage)} started")


@stage.command("advance")
@_PROJECT
@click.option(
    "--to",
    type=click.Choice(["design", "as-built", "existing"]),
    help="The stage to move to (default: the next; from design, as-built).",
)
@click.option("--who", metavar="NAME", help="Who moves it on (default: $USER).")
@_NOTE
@handles_errors
def advance(project: Path, to: str | None, who: str | None, note: str) -> None:
    """Move PROJECT to its next stage; the stage left is kept in a file next to it."""
    loaded = load_project(project)
    before = loaded.project.project.stage
    try:
        kept = stages.advance(
            loaded.project,
            _result(loaded),
            loaded.path,
            _who(who),
            to=to,
            note=note,
            source=loaded.source,
        )
    except stages.Blocked as exc:
        report_problems([Problem(p.message, loaded.display) for p in exc.problems])
        sys.exit(int(ExitCode.NOT_SCORED))
    save(loaded.project, loaded.path, loaded.source)
    after = loaded.project.project.stage
    _echo(f"{stages.label(before)} kept in {kept.name}; now at {stages.label(after)}")


@stage.command("review")
@_PROJECT
@click.argument("criterion")
@click.argument("state", type=click.Choice(["open", "accepted", "needs_clarification", "rejected"]))
@click.option("--comment", default=None, help="The reviewer's remark on the criterion.")
@click.option("--who", metavar="NAME", help="Who reviews (default: $USER).")
@handles_errors
def review(project: Path, criterion: str, state: str, comment: str | None, who: str | None) -> None:
    """Set the review STATE of CRITERION (with --comment), as the reviewer."""
    from greenmark.core.evidence import EvidenceError, check_criterion
    from greenmark.core.project import Response

    loaded = load_project(project)
    stages.refuse_if_locked(loaded.project, loaded.display)
    try:
        cid = check_criterion(scheme_for(loaded), criterion)
    except EvidenceError as exc:
        report_problems([Problem(str(exc), loaded.display)])
        sys.exit(int(ExitCode.INVALID))
    person = _who(who)
    old = loaded.project.responses.get(cid) or Response()
    update: dict[str, str] = {"review_state": state}
    if comment is not None:
        update["review_comment"] = comment.strip()
    try:
        new = Response.model_validate({**old.model_dump(), **update})
    except ValidationError as exc:
        messages = [str(e["msg"]) for e in exc.errors()]
        report_problems([Problem(f"--comment: {'; '.join(messages)}", loaded.display)])
        sys.exit(int(ExitCode.INVALID))
    for name in update:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            loaded.project.record(f"responses.{cid}.{name}", before, after, person)
    if new == old:
        _echo("Nothing changed: already so.")
        return
    loaded.project.responses[cid] = new
    save(loaded.project, loaded.path, loaded.source)
    _echo(
        f"{cid}: {state.replace('_', ' ')}"
        + (f" — {new.review_comment}" if new.review_comment else "")
    )
