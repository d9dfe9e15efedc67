"""What the "Path to target" screen shows, as Rich text: the gap, the plan's rows, an effect.

Pure functions of the designer's results (no widgets), so they are tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text

from greenmark.core.explain import Blocker, BuildingResult, fmt
from greenmark.design.plan import Gap, Plan, PlanMeasure, PlanOption
from greenmark.tui.session import Tried
from greenmark.tui.values import show_value


def money(value: float, currency: str) -> str:
    """An amount as ``SGD 1,234,567`` (rounded to the unit)."""
    return f"{currency} {value:,.0f}"


def total_of(result: BuildingResult) -> float:
    """The number the tiers are set on: points, or % for percent schemes."""
    return result.total_percent if result.scoring == "percent" else result.total_points


def amount(value: float, scoring: str) -> str:
    """Points or percent, rounded for display: ``90.75 pts`` / ``62.5 %``."""
    return f"{fmt(round(value, 2))} %" if scoring == "percent" else f"{fmt(round(value, 2))} pts"


def gap_text(found: Gap) -> RenderableType:
    """Where the project stands against the target, and every requirement that blocks it."""
    now = Text.assemble(
        ("Now ", "bold"),
        (found.tier_title or "no tier", "bold green" if found.tier else "bold red"),
        f", {amount(found.total, found.scoring)}",
    )
    if found.reached:
        now.append(f" · {found.target_title} is reached", "bold green")
        return now
    short = (
        f"{amount(found.points_needed, found.scoring)} short"
        if found.points_needed > 0
        else "enough points"
    )
    now.append(f" · {found.target_title}: {short}")
    return Group(now, *blocker_lines(found.blocking))


def blocker_lines(blockers: list[Blocker], most: int = 5) -> list[Text]:
    """One line per blocker (cut to the width; the full text is in ``greenmark check``)."""
    lines = []
    for blocker in blockers[:most]:
        label = f"{blocker.kind} {blocker.id}".strip()
        lines.append(
            Text(f"  ✘ {label}: {blocker.message}", "red", no_wrap=True, overflow="ellipsis")
        )
    if len(blockers) > most:
        lines.append(Text(f"  … and {len(blockers) - most} more", "red"))
    return lines


@dataclass(frozen=True)
class PlanRow:
    """One row of the plan table: a whole option, or one measure of an option."""

    key: str
    measures: tuple[str, ...]  # the measure ids applying this row applies
    label: str  # e.g. "Cheapest plan" or "chiller-060"
    cost: float
    option: PlanOption
    measure: PlanMeasure | None = None  # None: the row is the whole option


def options_of(found: Plan) -> list[tuple[str, PlanOption]]:
    """The plan's designs worth showing, labelled, cheapest reaching the target first."""
    shown: list[tuple[str, PlanOption]] = []
    if found.best is not None:
        shown.append(("Cheapest plan", found.best))
    elif found.cheapest is not None:
        over = found.cheapest.cost - (found.budget or 0.0)
        shown.append((f"Cheapest, {money(over, found.currency)} over budget", found.cheapest))
    shown += [(f"Alternative {i}", o) for i, o in enumerate(found.alternatives, 1)]
    if found.best_within_budget is not None:
        shown.append(("Best within budget", found.best_within_budget))
    return [(label, option) for label, option in shown if option.measures]


def plan_rows(found: Plan) -> list[PlanRow]:
    """Each option followed by its measures (an option row applies all of them)."""
    rows: list[PlanRow] = []
    for i, (label, option) in enumerate(options_of(found)):
        ids = tuple(m.id for m in option.measures)
        rows.append(PlanRow(f"o{i}", ids, label, option.cost, option))
        for j, measure in enumerate(option.measures):
            rows.append(
                PlanRow(f"o{i}m{j}", (measure.id,), measure.id, measure.cost, option, measure)
            )
    return rows


def status_text(found: Plan) -> RenderableType:
    """How the plan was found, or why there is none."""
    if found.already:
        return Text(
            f"{found.target_title} is already reached: nothing to do. Choose a higher target.",
            "green",
        )
    head = Text(found.method_label, "dim", no_wrap=True, overflow="ellipsis")
    if found.budget is not None:
        head.append(f" · budget {money(found.budget, found.currency)}", "dim")
    lines: list[RenderableType] = [head]
    if found.best is None and found.cheapest is not None:
        lines.append(
            Text(
                f"{found.target_title} is not reachable within the budget: the cheapest plan "
                f"costs {money(found.cheapest.cost, found.currency)}.",
                "yellow",
            )
        )
    elif found.cheapest is None and found.best is None:
        lines.append(
            Text(f"{found.target_title} cannot be reached with the catalogue's measures:", "red")
        )
        lines += blocker_lines(found.unreachable)
    return Group(*lines)


def row_cells(row: PlanRow, scoring: str) -> tuple[Text, str, Text]:
    """The three cells of a plan row: what, cost, and what the option gives."""
    if row.measure is None:
        option = row.option
        badges = f" +{', '.join(option.badges)}" if option.badges else ""
        gives = Text.assemble(
            amount(option.total, scoring), " ", (option.tier_title or "no tier", "bold"), badges
        )
        return Text(f"▸ {row.label}", "bold"), f"{row.cost:,.0f}", gives
    return Text(f"    {row.measure.id}"), f"{row.cost:,.0f}", Text(row.measure.title, "dim")


def change_text(field: str, old: object, new: object, units: dict[str, str]) -> str:
    """``chiller_eff 0.72 → 0.6 kW/RT`` (inputs by name, in the scheme's unit) or a table cell."""
    name = field.removeprefix("inputs.")
    unit = units.get(name, "") if name != field else ""
    return f"{name} {show_value(old)} → {show_value(new, unit)}"


def effect_text(
    tried: Tried,
    before: BuildingResult,
    cost: float,
    currency: str,
    units: dict[str, str] | None = None,
    basis: str = "",
) -> Text:
    """Before → after for measures applied to a copy: total, tier, sections, gates, changes.

    ``units`` maps input names to the scheme's units (for the list of changes);
    ``basis`` says how the cost was worked out.
    """
    after = tried.scored.result
    names = ", ".join(tried.measures)
    costed = money(cost, currency) + (f": {basis}" if basis else "")
    text = Text.assemble(("Applying ", "bold"), (names, "bold cyan"), f" ({costed})")
    old_total, new_total = total_of(before), total_of(after)
    delta = new_total - old_total
    text.append("\n  Total ")
    text.append(f"{amount(old_total, before.scoring)} → {amount(new_total, after.scoring)}")
    text.append(f" ({delta:+.2f})", "green" if delta > 1e-9 else ("red" if delta < -1e-9 else ""))
    old_tier, new_tier = before.tier_title or "no tier", after.tier_title or "no tier"
    tier_style = "bold green" if after.tier != before.tier else "bold"
    text.append(" · ")
    text.append(f"{old_tier} → {new_tier}" if after.tier != before.tier else new_tier, tier_style)
    gained = {b["title"] for b in after.badges} - {b["title"] for b in before.badges}
    if gained:
        text.append(f" · badges +{', '.join(sorted(gained))}", "green")
    moved = []
    for old, new in zip(before.sections, after.sections, strict=True):
        change = new.points - old.points
        if abs(change) > 1e-9:
            moved.append(f"{new.title} {change:+.2f}")
    if moved:
        text.append("\n  Sections: " + " · ".join(moved))
    passed = [
        new.id
        for old, new in zip(before.gates, after.gates, strict=True)
        if new.status == "passed" and old.status != "passed"
    ]
    failing = [g.id for g in after.gates if g.status == "failed"]
    if passed:
        text.append("\n  Now passes: " + ", ".join(passed), "green")
    if failing:
        text.append("\n  Still failing: " + ", ".join(failing), "red")
    if tried.changes:
        parts = [change_text(c.field, c.old, c.new, units or {}) for c in tried.changes]
        text.append("\n  Changes: " + " · ".join(parts), "dim")
    else:
        text.append("\n  Changes nothing in this project.", "dim")
    return text
