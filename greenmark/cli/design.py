"""``greenmark check`` and ``greenmark whatif``: the designer's self-check commands.

``check PROJECT --target TIER[+BADGE...]`` shows the gap to a tier, with any badges
asked for (points, blocking gates, floors, conditions and badges, criteria with points
left) and the cheapest catalogue measures that close it; ``--sensitivity`` adds the
inputs that move the total most.
``whatif PROJECT --set NAME=VALUE ...`` scores before and after and shows the
difference per section and criterion. Registered lazily by :mod:`greenmark.cli.main`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from greenmark.cli.common import format_option, handles_errors, out_console, scheme_option
from greenmark.cli.score import warn_if_superseded
from greenmark.core.explain import fmt
from greenmark.core.project import load_project
from greenmark.core.scoring import project_summary, scheme_for, score_project
from greenmark.design.measures import load_catalogue
from greenmark.design.plan import (
    Gap,
    Plan,
    PlanOption,
    gap,
    parse_budget,
    plan,
    resolve_target,
)
from greenmark.design.sensitivity import InputSensitivity, project_sensitivity
from greenmark.design.whatif import WhatIf
from greenmark.design.whatif import whatif as run_whatif


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _value(value: Any, unit: str = "") -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = fmt(value) if isinstance(value, int | float) else str(value)
    return text + ("" if unit in ("", "1") or isinstance(value, str) else f" {unit}")


def _blockers(console: Console, blockers: Any) -> None:
    """One line per blocker, wrapped with a hanging indent."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for blocker in blockers:
        label = f"{blocker.kind} {blocker.id}".strip()
        grid.add_row(Text("  ✘", style="red"), Text(f"{label}: {blocker.message}", style="red"))
    console.print(grid)


def _header(console: Console, project: dict[str, Any], lines: list[Text]) -> None:
    title = Text(str(project.get("name") or "building"), style="bold")
    console.print(Panel(Group(title, *lines), expand=False))


# ----------------------------------------------------------------------------- check


def render_gap(console: Console, found: Gap, top: int) -> None:
    """The gap: points missing, blockers, criteria with points left."""
    unit = "%" if found.scoring == "percent" else " points"
    if found.reached:
        console.print(Text(f"{found.target_title} is already reached.", style="bold green"))
    else:
        need = (
            f"{fmt(round(found.points_needed, 2))}{unit} short"
            if found.points_needed > 0
            else "enough points"
        )
        console.print(Text.assemble(("Gap to ", "bold"), (found.target_title, "bold"), f": {need}"))
        if found.blocking:
            console.print("Blocking:")
            _blockers(console, found.blocking)
        met = [b for b in found.badges if b.met]
        if met:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(ratio=1, overflow="fold")
            for b in met:
                grid.add_row(Text("  ✔", style="green"), f"badge {b.id}: {b.title}: {b.reason}")
            console.print(grid)
    shown = found.available[:top]
    if not shown:
        return
    open_items = [a for a in found.available if a.status == "not_assessed"]
    if open_items:
        console.print(
            Text(
                f"{len(open_items)} criteria not assessed yet: assess them first (the search "
                "counts them as 0; the table lists what each could bring).",
                style="yellow",
            )
        )
    table = Table(
        title=f"Points still available (top {len(shown)} of {len(found.available)})",
        title_justify="left",
        expand=True,
    )
    table.add_column("ID", no_wrap=True, style="bold")
    table.add_column("Avail.", justify="right", no_wrap=True)
    table.add_column("Criterion", ratio=1, overflow="fold")
    for a in shown:
        avail = fmt(round(a.effective, 2))
        if a.effective < a.available - 1e-9:
            avail += f" ({fmt(round(a.available, 2))})"
        body = Text(a.title)
        if a.note:
            body.append("\n" + a.note, style="dim")
        table.add_row(a.id, avail, body)
    console.print(table)


def _option_table(option: PlanOption, currency: str) -> Table:
    table = Table(expand=True, show_footer=True)
    table.add_column("Measure", no_wrap=True, style="bold", footer="Total")
    table.add_column(
        f"Cost ({currency})",
        justify="right",
        no_wrap=True,
        footer=f"{option.cost:,.0f}",
    )
    table.add_column("What / cost basis", ratio=1, overflow="fold", footer="indicative, unverified")
    for m in option.measures:
        body = Text(m.title)
        body.append(f"\n{m.basis}" + ("" if m.verified else " (unverified)"), style="dim")
        if m.note:
            body.append(f"\n{m.note}", style="dim")
        table.add_row(m.id, f"{m.cost:,.0f}", body)
    return table


def _result_line(option: PlanOption, scoring: str) -> str:
    unit = "%" if scoring == "percent" else " points"
    badges = f", badges: {', '.join(option.badges)}" if option.badges else ""
    return f"{fmt(round(option.total, 2))}{unit}, {option.tier_title or 'no tier'}{badges}"


def render_plan(console: Console, found: Plan, scoring: str) -> None:
    """The cheapest plan, its whatif command, the alternatives and what was left out."""
    currency = found.currency
    console.print()
    console.print(Text(f"Cheapest path to {found.target_title}", style="bold"))
    if found.already:
        console.print("Nothing to do: the project already reaches it.")
        return
    console.print(
        Text(f"{found.method_label} ({found.seconds:.2f} s)", style="dim"), soft_wrap=True
    )
    if found.budget is not None:
        console.print(f"Budget: {_money(found.budget, currency)}")
    best = found.best
    if best is not None:
        console.print(_option_table(best, currency))
        console.print(f"Result: {_result_line(best, scoring)}")
        for change in best.changes:
            console.print(
                Text(
                    f"  {change.input}: {_value(change.before, change.unit)} → "
                    f"{_value(change.after, change.unit)}",
                    style="dim",
                )
            )
        command = found.whatif_command()
        if command:
            console.print("Check it with:")
            console.print(command, soft_wrap=True, markup=False)
    elif found.cheapest is not None:
        over = found.cheapest.cost - (found.budget or 0.0)
        console.print(
            Text(
                f"{found.target_title} is not reachable within the budget: the cheapest plan "
                f"costs {_money(found.cheapest.cost, currency)} ({_money(over, currency)} over).",
                style="red",
            )
        )
        console.print(_option_table(found.cheapest, currency))
    else:
        console.print(
            Text(
                f"{found.target_title} cannot be reached with the catalogue's measures:",
                style="red",
            )
        )
        _blockers(console, found.unreachable)
    within = found.best_within_budget
    if within is not None:
        names = ", ".join(m.id for m in within.measures) or "no measures"
        console.print(
            f"Best within the budget: {_result_line(within, scoring)} "
            f"for {_money(within.cost, currency)}: {names}"
        )
    if found.alternatives:
        console.print("Alternatives:")
        for i, option in enumerate(found.alternatives, 1):
            names = ", ".join(m.id for m in option.measures)
            console.print(
                f"  {i}. {_money(option.cost, currency)}: {names} → {_result_line(option, scoring)}"
            )
    if found.skipped:
        console.print(Text(f"Not considered ({len(found.skipped)}):", style="dim"))
        for skipped in found.skipped:
            console.print(Text(f"  {skipped.id}: {skipped.reason}", style="dim"))


def render_sensitivity(console: Console, rows: list[InputSensitivity], top: int) -> None:
    """Ranked table: the inputs that move the total most."""
    table = Table(
        title="Sensitivity: inputs that move the total most (finite differences)",
        title_justify="left",
        expand=True,
    )
    table.add_column("Input", no_wrap=True, style="bold")
    table.add_column("Now", justify="right")
    table.add_column("Pts/unit", justify="right")
    table.add_column("Next point at", justify="right")
    table.add_column("Max gain", justify="right")
    for row in rows[:top]:
        slope = "" if row.slope is None else f"{row.slope:+.3g}"
        if row.next_change is not None:
            nxt = f"{_value(row.next_value)} ({row.next_change:+.3g})"
        elif row.next_value is not None:
            nxt = _value(row.next_value)
        else:
            nxt = "–"
        gain = f"+{fmt(round(row.max_gain, 2))}" if row.max_gain > 0 else "0"
        if row.best_value is not None:
            gain += f" at {_value(row.best_value)}"
        table.add_row(row.input, _value(row.current, row.unit), slope, nxt, gain)
    console.print(table)


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--target",
    "target",
    required=True,
    metavar="TIER[+BADGE...]",
    help="Tier id or title, then any badges (ids or titles) joined with '+': "
    "platinum+sle+maintainability.",
)
@format_option
@click.option("--budget", metavar="AMOUNT", help="Spending limit, e.g. 250000, 250k or 1.2M.")
@scheme_option
@click.option(
    "--measures",
    "measures_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Measures catalogue (default: the bundled criteria/measures.toml).",
)
@click.option(
    "--sensitivity", is_flag=True, help="Add the inputs that move the total most (ranked)."
)
@click.option("--no-plan", is_flag=True, help="Only the gap: skip the cheapest-path search.")
@click.option(
    "--alternatives",
    default=3,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Runner-up plans to show.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "heuristic"]),
    default="auto",
    show_default=True,
    help="auto: exact while the allowed designs number at most 2^22 (always for up to 20 "
    "measures), else the heuristic.",
)
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, 200),
    help="Rows of the 'points still available' and sensitivity tables.",
)
@handles_errors
def check(
    project: Path,
    target: str,
    output_format: str,
    budget: str | None,
    scheme_ref: str | None,
    measures_path: Path | None,
    sensitivity: bool,
    no_plan: bool,
    alternatives: int,
    method: str,
    top: int,
) -> None:
    """Gap from PROJECT to a target tier (and badges), and the cheapest measures that close it.

    Shows the tier reached now; for the target: the points missing, every gate,
    floor, condition or badge that blocks it (a badge is met when earned or when a
    badge that supersedes it is earned), the criteria with the most points left, and
    the cheapest set of catalogue measures reaching it (costs are indicative), with
    the `greenmark whatif` command that reproduces it.
    """
    limit = parse_budget(budget) if budget is not None else None
    loaded = load_project(project)
    scheme = scheme_for(loaded, scheme_ref)
    warn_if_superseded(loaded, scheme)
    scored = score_project(loaded, scheme)
    goal = resolve_target(scheme, target)
    found_gap = gap(scored, goal)
    catalogue = None if no_plan else load_catalogue(measures_path)
    found_plan = (
        None
        if catalogue is None
        else plan(
            loaded,
            scheme,
            goal,
            limit,
            catalogue=catalogue,
            catalogue_file=measures_path,
            alternatives=alternatives,
            method=method,  # type: ignore[arg-type]
            scheme_ref=scheme_ref,
        )
    )
    rows = project_sensitivity(loaded, scheme) if sensitivity else None
    if output_format == "json":
        out: dict[str, Any] = {
            "project": project_summary(loaded),
            "scheme": {"id": scheme.id, "version": scheme.version},
            **found_gap.to_dict(),
            "plan": None if found_plan is None else found_plan.to_dict(),
        }
        if rows is not None:
            out["sensitivity"] = [r.to_dict() for r in rows]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    console = out_console()
    unit = "%" if scheme.scheme.scoring == "percent" else " points"
    _header(
        console,
        scored.result.project,
        [
            Text(f"{scheme.scheme.title} · {scheme.id} {scheme.version}", style="dim"),
            Text(
                f"Now: {found_gap.tier_title or 'no tier'}, {fmt(round(found_gap.total, 2))}{unit}"
                f" · Target: {found_gap.target_title}"
            ),
        ],
    )
    render_gap(console, found_gap, top)
    if found_plan is not None:
        render_plan(console, found_plan, scheme.scheme.scoring)
    if rows is not None:
        console.print()
        render_sensitivity(console, rows, top)


# ----------------------------------------------------------------------------- whatif


def render_whatif(console: Console, result: WhatIf) -> None:
    """Before and after: totals, tier, sections, changed criteria and gates."""
    scheme = result.scheme
    _header(
        console,
        result.project,
        [Text(f"{scheme.scheme.title} · {scheme.id} {scheme.version}", style="dim")],
    )
    for a in result.assignments:
        note = "" if a.used else "   (not used by this scheme)"
        console.print(
            Text(f"{a.input}: {_value(a.before, a.unit)} → {_value(a.after, a.unit)}{note}"),
        )
    style = "bold green" if result.changed else "yellow"
    console.print(Text(result.message(), style=style))
    if not result.changed:
        return
    sections = Table(title="Sections", title_justify="left")
    sections.add_column("Section")
    sections.add_column("Before", justify="right")
    sections.add_column("After", justify="right")
    sections.add_column("Δ", justify="right")
    for row in result.section_diffs():
        delta = row["delta"]
        sections.add_row(
            row["title"],
            fmt(row["before"]),
            fmt(row["after"]),
            Text(f"{delta:+g}" if delta else "", style="green" if delta > 0 else "red"),
        )
    console.print(sections)
    criteria = result.criterion_diffs()
    if criteria:
        table = Table(title="Criteria that change", title_justify="left", expand=True)
        table.add_column("ID", no_wrap=True, style="bold")
        table.add_column("Points", justify="right", no_wrap=True)
        table.add_column("Δ", justify="right", no_wrap=True)
        table.add_column("Reason (after)", ratio=1, overflow="fold")
        for row in criteria:
            delta = row["delta"]
            table.add_row(
                row["id"],
                f"{fmt(row['before'])} → {fmt(row['after'])}",
                Text(f"{delta:+g}", style="green" if delta > 0 else "red"),
                row["reason"],
            )
        console.print(table)
    for row in result.gate_diffs():
        console.print(f"Gate {row['id']}: {row['before']} → {row['after']} ({row['reason']})")
    nxt = result.after.next_tier
    if nxt is not None:
        unit = "%" if result.after.scoring == "percent" else " points"
        need = (
            f"{fmt(round(nxt.points_needed, 2))}{unit} short"
            if nxt.points_needed > 0
            else "enough points"
        )
        console.print(f"Next tier after the change: {nxt.title} — {need}")
        _blockers(console, nxt.blocking)


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="NAME=VALUE",
    help="An input and its new value, with an optional unit: eui=40kBtu/ft2/yr. Repeatable.",
)
@scheme_option
@format_option
@handles_errors
def whatif(
    project: Path, assignments: tuple[str, ...], scheme_ref: str | None, output_format: str
) -> None:
    """Score PROJECT before and after changing inputs; show the difference.

    Values follow the input's type: numbers (in the scheme's unit, or with a unit:
    ettv=45W/m2, eui=40kBtu/ft2/yr), true/false, or an option name. A calculated
    input (e.g. ettv from the facades) set here overrides the calculation.
    """
    loaded = load_project(project)
    scheme = scheme_for(loaded, scheme_ref)
    result = run_whatif(loaded, scheme, list(assignments))
    if output_format == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    render_whatif(out_console(), result)
