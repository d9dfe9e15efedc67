"""The always-visible score panel: total, tier, badges, section bars, what blocks the next tier."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from greenmark.core.explain import BuildingResult, fmt
from greenmark.tui.marks import MARKS, STYLES
from greenmark.tui.widgets.quiet import QuietStatic

_ORDER = ("awarded", "partial", "not_met", "not_assessed", "not_applicable")


@dataclass
class ScoreView:
    """What the score panel shows: the result plus the review counts."""

    result: BuildingResult
    needs_clarification: int = 0
    accepted: int = 0
    previewing: bool = False
    counts: Counter[str] = field(default_factory=Counter)


def short_title(title: str) -> str:
    """``Part 1 - Energy efficiency`` -> ``Energy efficiency`` (room is scarce in the panel)."""
    return re.sub(r"^(part|section)\s+\w+\s*[-–:]\s*", "", title, flags=re.IGNORECASE)


def bar(fraction: float, width: int) -> Text:
    """A horizontal bar of ``width`` cells filled to ``fraction`` (eighths for smoothness)."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return Text.assemble((text, "green"), ("·" * (width - len(text)), "dim"))


def total_text(result: BuildingResult) -> str:
    if result.headline is not None or result.scoring == "none":
        return result.headline_text()
    if result.scoring == "percent":
        return f"{fmt(round(result.total_percent, 1))} %"
    return f"{fmt(round(result.total_points, 2))} / {fmt(result.total_max)} pts"


def counts_text(counts: Counter[str]) -> Text:
    text = Text()
    for status in _ORDER:
        if text:
            text.append(" ")
        text.append(f"{MARKS[status]}{counts.get(status, 0)}", STYLES[status])
    return text


def blocking_lines(result: BuildingResult) -> list[Text]:
    """Lines saying how far the next tier is and what blocks it."""
    nxt = result.next_tier
    if nxt is None:
        return [Text("Top tier reached.", "green")]
    lines = []
    head = Text.assemble(("Next ", "bold"), (nxt.title, "bold"), ": ")
    if result.scoring == "none":
        head.append("its conditions", "yellow")
    elif nxt.points_needed > 0:
        unit = "%" if result.scoring == "percent" else "pts"
        head.append(f"{fmt(round(nxt.points_needed, 2))} {unit} short", "yellow")
    else:
        head.append("enough points", "green")
    lines.append(head)
    for blocker in nxt.blocking:
        lines.append(
            Text.assemble(
                ("✘ ", "red"), (f"{blocker.kind} {blocker.id}: ", "bold"), blocker.message
            )
        )
    return lines


def wide_parts(view: ScoreView, width: int) -> list[Text]:
    """The sidebar layout in parts: head, one per section, groups, next tier and review.

    Each part is its own widget, so a keystroke repaints only the parts it changes.
    """
    result = view.result
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append("Total  ", "bold")
    head.append(total_text(result) + "\n")
    head.append("Tier   ", "bold")
    head.append((result.tier_title or "none") + "\n", "bold green" if result.tier else "red")
    head.append("Badges ", "bold")
    head.append(", ".join(b["title"] for b in result.badges) or "–")
    head.append("\n")
    head.append_text(counts_text(view.counts))
    if view.previewing:
        head.append("  preview", "italic yellow")
    head.append("\n")
    parts = [head]
    for section in result.sections:
        maximum = section.max_points
        got = section.points
        title = short_title(section.title)
        label = f" {fmt(round(got, 2))}/{fmt(maximum)}"
        if not section.floor_met:  # the blockers below say by how much
            title = f"✘ {title}"
        name = title[: max(4, width - len(label) - 1)]
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(name, "bold" if section.floor_met else "bold red")
        line.append(" " * max(1, width - len(name) - len(label)) + label + "\n")
        line.append_text(bar(got / maximum if maximum else 0.0, width))
        parts.append(line)
    groups = Text(no_wrap=True, overflow="ellipsis")
    for group in result.groups:
        floor_ok = group.get("floor_met", True)
        cap = f"/{fmt(group['cap'])}" if group.get("cap") is not None else ""
        label = f" {fmt(group['points'])}{cap}"
        title = group["title"][: max(4, width - len(label) - 1)]
        if groups:
            groups.append("\n")
        groups.append(title, "italic" if floor_ok else "italic red")
        groups.append(
            " " * max(1, width - len(title) - len(label)) + label, "" if floor_ok else "red"
        )
    parts.append(groups)
    tail = Text("\n").join(blocking_lines(result))
    if view.needs_clarification or view.accepted:
        tail.append("\nReview ", "bold")
        tail.append(f"{view.accepted} accepted, ")
        tail.append(
            f"{view.needs_clarification} need clarification",
            "yellow" if view.needs_clarification else "",
        )
    parts.append(tail)
    return parts


def render_wide(view: ScoreView, width: int) -> Text:
    """The sidebar layout as one text."""
    return Text("\n").join(wide_parts(view, width))


def render_compact(view: ScoreView, width: int) -> Text:
    """The bottom-strip layout for narrow terminals (three to four lines)."""
    result = view.result
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append("Total ", "bold")
    out.append(total_text(result))
    out.append("  Tier ", "bold")
    out.append(result.tier_title or "none", "bold green" if result.tier else "red")
    if result.badges:
        out.append("  Badges ", "bold")
        out.append(", ".join(b["title"] for b in result.badges))
    out.append("  ")
    out.append_text(counts_text(view.counts))
    if view.previewing:
        out.append(" preview", "italic yellow")
    out.append("\n")
    line = Text()
    for section in result.sections:
        piece = Text.assemble(
            (section.id[:8], "bold" if section.floor_met else "bold red"),
            " ",
            bar(section.points / section.max_points if section.max_points else 0, 4),
            f" {fmt(round(section.points, 1))}/{fmt(section.max_points)}  ",
        )
        if line.cell_len + piece.cell_len > width:
            out.append_text(line)
            out.append("\n")
            line = Text()
        line.append_text(piece)
    out.append_text(line)
    out.append("\n")
    lines = blocking_lines(result)
    first = lines[0]
    if len(lines) > 1:
        first.append(f"  ({len(lines) - 1} blocking) ")
        first.append_text(lines[1])
    out.append_text(first)
    return out


class ScorePart(QuietStatic):
    """One part of the score panel; repaints only when its text changes."""

    @property
    def text(self) -> Text | None:
        return self.shown if isinstance(self.shown, Text) else None


class ScorePanel(Vertical):
    """Shows where the building stands: a sidebar, or a compact strip on narrow screens."""

    # Wide: every part has a fixed height (the last fills the rest), so a new score
    # repaints the parts without laying the screen out again.
    DEFAULT_CSS = """
    ScorePanel { height: auto; }
    ScorePanel > #score-head { height: 4; margin: 0 0 1 0; }
    ScorePanel > .section { height: 2; }
    ScorePanel > #score-groups { height: auto; margin: 1 0 0 0; }
    ScorePanel > #score-next { height: 1fr; margin: 1 0 0 0; overflow: hidden; }
    ScorePanel.-compact > .wide { display: none; }
    ScorePanel > #score-compact { display: none; height: auto; text-wrap: nowrap;
                                  text-overflow: ellipsis; }
    ScorePanel.-compact > #score-compact { display: block; }
    """

    def __init__(self, view: ScoreView, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view = view

    def compose(self) -> ComposeResult:
        yield ScorePart(id="score-head", classes="wide")
        for index, _ in enumerate(self.view.result.sections):
            yield ScorePart(id=f"score-section-{index}", classes="wide section")
        yield ScorePart(id="score-groups", classes="wide")
        yield ScorePart(id="score-next", classes="wide")
        yield ScorePart(id="score-compact")

    def on_mount(self) -> None:
        self.show(self.view)

    def on_resize(self) -> None:
        self.set_class(self.compact, "-compact")
        self.show(self.view)

    @property
    def compact(self) -> bool:
        """A full-width strip (narrow screens) rather than the sidebar."""
        return self.size.width >= 60

    @property
    def text(self) -> str:
        """What the panel shows, as plain text (for tests)."""
        parts = self.query(ScorePart)
        return "\n".join(p.text.plain for p in parts if p.text is not None and p.display)

    def show(self, view: ScoreView) -> None:
        """Show new scores, repainting only the parts that changed."""
        self.view = view
        width = max(20, self.content_region.width or 30)
        if self.compact:
            self.query_one("#score-compact", ScorePart).show(render_compact(view, width))
            return
        head, *rest = wide_parts(view, width)
        *sections, groups, tail = rest
        self.query_one("#score-head", ScorePart).show(head, fixed=True)
        for index, text in enumerate(sections):
            self.query_one(f"#score-section-{index}", ScorePart).show(text, fixed=True)
        self.query_one("#score-groups", ScorePart).show(groups)  # one line per group
        self.query_one("#score-next", ScorePart).show(tail, fixed=True)
