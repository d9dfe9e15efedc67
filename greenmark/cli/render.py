"""Rich terminal rendering of results and scheme lists (readable at 80 columns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from greenmark.core.explain import BuildingResult, fmt
from greenmark.core.scheme import SchemeEntry

STATUS_MARKS = {
    "awarded": ("✔", "green"),
    "partial": ("◐", "yellow"),
    "not_met": ("✘", "red"),
    "not_assessed": ("?", "magenta"),
    "not_applicable": ("–", "dim"),
}
GATE_MARKS = {
    "passed": ("✔ passed", "green"),
    "failed": ("✘ failed", "red"),
    "not_assessed": ("? not assessed", "magenta"),
    "not_applicable": ("– n/a", "dim"),
}


def _bar(points: float, maximum: float, width: int = 12) -> Text:
    filled = 0 if maximum <= 0 else round(width * min(points / maximum, 1.0))
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


def render_result(console: Console, result: BuildingResult) -> None:
    """Print one building's result: header, criteria, sections, gates, tier and next tier."""
    project = result.project
    title = Text(str(project.get("name") or "building"), style="bold")
    subtitle = f"{result.scheme_title} · {result.scheme_id} {result.scheme_version}"
    facts = []
    if project.get("building_type"):
        facts.append(f"type: {project['building_type']}")
    if project.get("gross_floor_area"):
        facts.append(f"GFA: {fmt(project['gross_floor_area'])} m²")
    if project.get("stage"):
        revision = project.get("revision")
        facts.append(f"stage: {project['stage']}" + (f", revision {revision}" if revision else ""))
    console.print(
        Panel(Group(title, Text(subtitle, style="dim"), Text(" · ".join(facts))), expand=False)
    )

    criteria = Table(title="Criteria", title_justify="left", expand=True, show_lines=False)
    criteria.add_column("ID", no_wrap=True, style="bold")
    criteria.add_column("", no_wrap=True, width=1)
    criteria.add_column("Points", justify="right", no_wrap=True)
    criteria.add_column("Criterion / reason", ratio=1, overflow="fold")
    for c in result.criteria:
        mark, style = STATUS_MARKS[c.status]
        body = Text(c.title + (" (bonus)" if c.bonus and "bonus" not in c.title.lower() else ""))
        body.append("\n" + c.reason, style="dim")
        criteria.add_row(
            c.id, Text(mark, style=style), f"{fmt(c.points)}/{fmt(c.max_points)}", body
        )
    if result.criteria:  # a scheme without points (thresholds only) has none
        console.print(criteria)

    sections = Table(title="Sections", title_justify="left", expand=False)
    sections.add_column("Section")
    sections.add_column("Points", justify="right")
    sections.add_column("", no_wrap=True)
    sections.add_column("Floor", justify="right")
    for s in result.sections:
        bonus = f" +{fmt(s.bonus_points)}" if s.bonus_points else ""
        floor = (
            ""
            if s.floor is None
            else (f"✔ ≥{fmt(s.floor)}" if s.floor_met else f"✘ ≥{fmt(s.floor)}")
        )
        sections.add_row(
            s.title,
            f"{fmt(s.points - s.bonus_points)}/{fmt(s.max_points)}{bonus}",
            _bar(s.points - s.bonus_points, s.max_points),
            floor,
        )
    for g in result.groups:
        cap = f" (cap {fmt(g['cap'])})" if g.get("cap") else ""
        floor = (
            ""
            if g.get("floor") is None
            else ("✔" if g["floor_met"] else "✘") + f" ≥{fmt(g['floor'])}"
        )
        sections.add_row(Text(f"{g['title']}{cap}", style="italic"), fmt(g["points"]), "", floor)
    if result.sections:
        console.print(sections)

    if result.gates:
        gates = Table(title="Gates", title_justify="left", expand=True)
        gates.add_column("ID", no_wrap=True, style="bold")
        gates.add_column("Status", no_wrap=True)
        gates.add_column("Requirement", ratio=1, overflow="fold")
        for gate in result.gates:
            label, style = GATE_MARKS[gate.status]
            tier_title = gate.from_tier_title or gate.from_tier
            mentioned = tier_title and tier_title.lower() in gate.title.lower()
            scope = f" (from {tier_title})" if tier_title and not mentioned else ""
            body = Text(gate.title + scope)
            body.append("\n" + gate.reason, style="dim")
            gates.add_row(gate.id, Text(label, style=style), body)
        console.print(gates)

    total = result.headline_text()
    tier = Text(
        result.tier_title or "no tier reached",
        style="bold green" if result.tier_title else "bold red",
    )
    lead = "" if result.headline is not None else "Total: "
    lines = [Text.assemble(lead, (total, "bold"), "   Tier: ", tier)]
    for metric in result.metrics if result.headline is not None else []:
        if metric is not result.headline and metric["value"] is not None:
            lines.append(Text(f"{metric['label']}: {fmt(round(metric['value'], 4))}", style="dim"))
    if result.badges:
        lines.append(Text("Badges: " + ", ".join(b["title"] for b in result.badges), style="cyan"))
    nxt = result.next_tier
    if nxt is not None:
        unit = "%" if result.scoring == "percent" else " points"
        need = f"{fmt(nxt.points_needed)}{unit} short" if nxt.points_needed > 0 else "enough points"
        if result.scoring == "none":
            need = "needs its conditions"
        lines.append(Text(f"Next tier: {nxt.title} — {need}"))
        for blocker in nxt.blocking:
            lines.append(Text(f"  ✘ {blocker.kind} {blocker.id}: {blocker.message}", style="red"))
    else:
        lines.append(Text("Top tier reached.", style="green"))
    console.print(Panel(Group(*lines), title=Text("Result"), title_align="left"))


@dataclass(frozen=True)
class SchemeFacts:
    """What ``greenmark schemes`` shows of a scheme beyond its ``[scheme]`` table."""

    owner: str = ""
    verified: int | None = None  # values marked verified (None: the file did not load)
    unverified: int | None = None
    error: str | None = None


def render_schemes(
    console: Console, entries: Sequence[SchemeEntry], facts: Sequence[SchemeFacts]
) -> None:
    """Print the bundled schemes and their versions: owner, in effect from, which is
    current, and how many of each scheme's values are verified against the owner's own
    text; under the table, what superseded each legacy scheme and from when."""
    table = Table(title="Bundled schemes", title_justify="left")
    table.add_column("Scheme", ratio=3)
    table.add_column("Version", no_wrap=True)
    table.add_column("In effect", no_wrap=True)
    table.add_column("Owner", ratio=2)
    table.add_column("Values verified", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    notes = []
    for entry, fact in zip(entries, facts, strict=True):
        status = scheme_status(entry)
        short = "superseded" if entry.superseded_by else status
        if fact.verified is None or fact.unverified is None:
            counts = Text("does not load", style="red")
            notes.append(Text.assemble((entry.id, "bold"), f": {fact.error}"))
        else:
            total = fact.verified + fact.unverified
            counts = Text(
                f"{fact.verified} of {total}", style="green" if not fact.unverified else ""
            )
        table.add_row(
            Text.assemble((entry.id, "bold"), "\n", (entry.title, "dim")),
            entry.version,
            entry.effective_from.isoformat() if entry.effective_from else "",
            fact.owner,
            counts,
            Text(short, style="green" if short == "current" else "yellow"),
        )
        if entry.superseded_by:
            notes.append(Text.assemble((entry.id, "bold"), f": {status}"))
    console.print(table)
    console.print(
        Text(
            "Values verified: the scheme's constants, sections, criteria, gates, levels and "
            "badges read in the owner's own text; the others are provisional "
            "(`greenmark validate criteria -v` lists each with its source).",
            style="dim",
        )
    )
    for note in notes:
        console.print(note)


def long_date(day: date) -> str:
    """``2021-11-01`` -> ``1 November 2021``."""
    return f"{day.day} {day.strftime('%B')} {day.year}"


def scheme_status(entry: SchemeEntry) -> str:
    """``current``, ``older version`` or ``superseded by X from DATE``."""
    if entry.superseded_by:
        when = f" from {long_date(entry.superseded_from)}" if entry.superseded_from else ""
        return f"superseded by {entry.superseded_by}{when}"
    return "current" if entry.current else "older version"
