"""``greenmark set``: change a project's values from the command line (scriptable).

Each ``NAME=VALUE`` is checked as the assessor's UI checks it (type, range, unit; see
:mod:`greenmark.core.edits`), the changed project is scored, and only then saved —
atomically and losslessly (only the changed values are rewritten) — with one history
entry per change. Any refused assignment: every problem listed, exit 2, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from greenmark.cli.common import handles_errors, out_console
from greenmark.core.edits import apply_assignments, default_who
from greenmark.core.explain import BuildingResult, fmt
from greenmark.core.project import LoadedProject, load_project, save_project
from greenmark.core.scoring import scheme_for, score_project


@click.command("set")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE[unit]...")
@click.option("--note", default="", help="Why: recorded with each change in the history.")
@click.option("--assessor", "who", metavar="NAME", help="Who makes the change (default: $USER).")
@handles_errors
def set_values(project: Path, assignments: tuple[str, ...], note: str, who: str | None) -> None:
    """Change values of PROJECT and save it, recording each change in its history.

    NAME is a scheme input (eui=128, ettv="38.5 W/m2", eui=40kBtu/ft2/yr,
    has_carpark=yes, carpark_ventilation=natural), gfa (gfa="263716 ft2") or a
    [project] field (name, address, building_type, stage, assessor, reference,
    description); NAME= with nothing after it removes the value. Values with another
    unit are kept with it and converted when scored. Prints each change and the new
    total and tier; nothing is written when any assignment is refused (exit 2).
    """
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    before = score_project(loaded, scheme).result
    changed = loaded.project.model_copy(deep=True)
    changes = apply_assignments(
        changed,
        scheme,
        assignments,
        who=who or default_who(),
        note=note,
        file=loaded.display,
    )
    console = out_console()
    if not changes:
        console.print("Nothing changed: every value was already as given.")
        return
    candidate = LoadedProject(changed, loaded.path, loaded.lines, loaded.source)
    after = score_project(candidate, scheme).result  # refuses what the scorer refuses
    save_project(changed, loaded.path, loaded.source)
    for change in changes:
        console.print(Text(change.text()), soft_wrap=True)
    console.print(Text(_total_line(before, after)), soft_wrap=True)


def _total_line(before: BuildingResult, after: BuildingResult) -> str:
    """``Total: 53.7 → 55.1 points · tier GoldPLUS → Platinum``."""

    def total(result: BuildingResult) -> str:
        if result.scoring == "percent":
            return f"{fmt(result.total_percent)}%"
        return fmt(result.total_points)

    unit = "" if after.scoring == "percent" else " points"
    old_tier = before.tier_title or "no tier"
    new_tier = after.tier_title or "no tier"
    tier = new_tier if old_tier == new_tier else f"{old_tier} → {new_tier}"
    return f"Total: {total(before)} → {total(after)}{unit} · tier {tier}"
