"""``greenmark scenario``: proposals kept beside the assessed values, scored, accepted.

``propose`` keeps catalogue measures as a named scenario (the assessed values do not
change); ``list`` scores each beside the assessed values; ``accept`` applies one to the
assessed values (each change recorded in the history); ``discard`` drops one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.text import Text

from greenmark.cli.common import handles_errors, out_console
from greenmark.cli.saving import save
from greenmark.core import scenarios as core
from greenmark.core.edits import default_who
from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.explain import BuildingResult, fmt
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject, load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.core.stages import refuse_if_locked

_PROJECT = click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
_WHO = click.option("--assessor", "who", metavar="NAME", help="Who (default: $USER).")
_NOTE = click.option("--note", default="", help="Why: recorded in the history.")


def _echo(line: str) -> None:
    out_console().print(Text(line), soft_wrap=True)


def _total(result: BuildingResult) -> str:
    if result.scoring == "percent":
        return f"{fmt(round(result.total_percent, 2))} %, {result.tier_title or 'no tier'}"
    return f"{fmt(round(result.total_points, 2))} points, {result.tier_title or 'no tier'}"


def _applied(
    loaded: LoadedProject, scheme: Scheme, measures: Sequence[str], who: str = ""
) -> LoadedProject:
    """The project with ``measures`` applied (history recorded), or a clear error."""
    from greenmark.design.measures import load_catalogue
    from greenmark.design.plan import apply_measures

    catalogue = load_catalogue()
    return apply_measures(
        loaded, scheme, list(measures), catalogue, record=True, who=who or default_who()
    )


def _refused(exc: core.ScenarioError, loaded: LoadedProject) -> GreenmarkError:
    return GreenmarkError(problems=[Problem(str(exc), loaded.display)])


@click.group("scenario")
def scenario() -> None:
    """Proposals (catalogue measures) scored beside the assessed values, not part of them."""


@scenario.command("propose")
@_PROJECT
@click.argument("measures", nargs=-1, required=True)
@click.option("--name", default="", help="The scenario's name (default: the measures' ids).")
@_WHO
@_NOTE
@handles_errors
def propose(
    project: Path, measures: tuple[str, ...], name: str, who: str | None, note: str
) -> None:
    """Keep MEASURES (catalogue ids) as a scenario of PROJECT; its values stay as assessed."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    refuse_if_locked(loaded.project, loaded.display)
    assessed = score_project(loaded, scheme).result
    proposed = score_project(_applied(loaded, scheme, measures), scheme).result
    try:
        key = core.propose(loaded.project, measures, who or default_who(), note, name)
    except core.ScenarioError as exc:
        raise _refused(exc, loaded) from None
    save(loaded.project, loaded.path, loaded.source)
    _echo(f"Scenario {key}: {_total(proposed)} (assessed: {_total(assessed)})")


@scenario.command("list")
@_PROJECT
@handles_errors
def list_scenarios(project: Path) -> None:
    """Each scenario of PROJECT scored beside the assessed values."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    _echo(f"Assessed: {_total(score_project(loaded, scheme).result)}")
    if not loaded.project.scenarios:
        _echo("No scenarios.")
    for name, item in loaded.project.scenarios.items():
        try:
            shown = _total(score_project(_applied(loaded, scheme, item.measures), scheme).result)
        except GreenmarkError as exc:
            shown = f"cannot be scored: {exc.problems[0].message}"
        _echo(f"{name}: {shown} — measures {', '.join(item.measures)}; {item.created:%Y-%m-%d}")


@scenario.command("accept")
@_PROJECT
@click.argument("name")
@_WHO
@_NOTE
@handles_errors
def accept(project: Path, name: str, who: str | None, note: str) -> None:
    """Make scenario NAME the assessed values of PROJECT (each change recorded)."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    refuse_if_locked(loaded.project, loaded.display)
    person = who or default_who()
    try:
        key = core.find(loaded.project, name)
    except core.ScenarioError as exc:
        raise _refused(exc, loaded) from None
    before = score_project(loaded, scheme).result
    marked = loaded.project.model_copy(deep=True)
    core.accepted(marked, key, person, note)
    measures = loaded.project.scenarios[key].measures
    applied = _applied(LoadedProject(marked, loaded.path, loaded.lines), scheme, measures, person)
    after = score_project(applied, scheme).result
    save(applied.project, loaded.path, loaded.source)
    _echo(f"Accepted {key}: {_total(before)} → {_total(after)}")


@scenario.command("discard")
@_PROJECT
@click.argument("name")
@_WHO
@_NOTE
@handles_errors
def discard(project: Path, name: str, who: str | None, note: str) -> None:
    """Drop scenario NAME of PROJECT (the assessed values are untouched)."""
    loaded = load_project(project)
    refuse_if_locked(loaded.project, loaded.display)
    try:
        core.discard(loaded.project, name, who or default_who(), note)
    except core.ScenarioError as exc:
        raise _refused(exc, loaded) from None
    save(loaded.project, loaded.path, loaded.source)
    _echo(f"Discarded {name}")
