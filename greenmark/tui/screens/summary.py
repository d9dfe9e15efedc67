"""The summary screen: the whole assessment at a glance."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from greenmark.core.edits import area_text
from greenmark.core.explain import fmt
from greenmark.core.stages import label as stage_label
from greenmark.core.stages import signed_off
from greenmark.tui.marks import MARKS, STYLES
from greenmark.tui.session import Session
from greenmark.tui.values import show_value
from greenmark.tui.widgets.score import bar, blocking_lines, counts_text, total_text


def _heading(text: str) -> Text:
    return Text(text, "bold underline")


def stage_line(session: Session) -> str:
    """``design assessment, revision 2, signed off by R on 2026-12-06``."""
    info = session.project.project
    signoff = signed_off(session.project)
    state = f"signed off by {signoff.who} on {signoff.at:%Y-%m-%d}" if signoff else "open"
    return f"{stage_label(info.stage)}, revision {info.revision}, {state}"


def project_block(session: Session) -> RenderableType:
    info = session.project.project
    scheme = session.scheme
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("Project", info.name),
        ("Address", info.address or "–"),
        ("Building type", (info.building_type or "–").replace("_", " ")),
        ("Gross floor area", area_text(info.gross_floor_area)),
        ("Stage", stage_line(session)),
        ("Assessor", info.assessor or "–"),
        ("Scheme", f"{scheme.id} {scheme.version} — {scheme.scheme.title}"),
        ("File", session.path.name),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def result_block(session: Session) -> RenderableType:
    result = session.scored.result
    counts = Counter(c.status for c in result.criteria)
    lines: list[RenderableType] = [
        Text.assemble(
            ("Total ", "bold"),
            total_text(result),
            ("   Tier ", "bold"),
            (result.tier_title or "none", "bold green" if result.tier else "bold red"),
            ("   Badges ", "bold"),
            ", ".join(b["title"] for b in result.badges) or "–",
        ),
        Text.assemble(("Criteria ", "bold"), counts_text(counts)),
        *blocking_lines(result),
    ]
    return Group(*lines)


def sections_block(session: Session, width: int = 24) -> RenderableType:
    result = session.scored.result
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("Section")
    table.add_column("Points", justify="right")
    table.add_column("")
    table.add_column("Floor")
    for section in result.sections:
        share = section.points / section.max_points if section.max_points else 0.0
        floor = "–"
        if section.floor is not None:
            floor = f"{fmt(section.floor)} " + ("✔" if section.floor_met else "✘")
        table.add_row(
            section.title,
            f"{fmt(round(section.points, 2))}/{fmt(section.max_points)}",
            bar(share, width),
            Text(floor, "" if section.floor_met else "red"),
        )
    for group in result.groups:
        floor = "–"
        if group.get("floor") is not None:
            floor = f"{fmt(group['floor'])} " + ("✔" if group["floor_met"] else "✘")
        cap = f"/{fmt(group['cap'])}" if group.get("cap") is not None else ""
        table.add_row(
            Text(f"{group['title']} (group)", "italic"),
            f"{fmt(group['points'])}{cap}",
            "",
            Text(floor, "" if group["floor_met"] else "red"),
        )
    return table


def gates_block(session: Session) -> RenderableType:
    result = session.scored.result
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("Gate")
    table.add_column("Requirement", ratio=1)
    for gate in result.gates:
        table.add_row(
            Text(MARKS.get(gate.status, "?"), STYLES.get(gate.status, "")),
            gate.id,
            Text(gate.title + (f" (from {gate.from_tier})" if gate.from_tier else "")),
        )
    return table


def criteria_block(session: Session) -> RenderableType:
    result = session.scored.result
    responses = session.project.responses
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column("Criterion", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Title", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("Evid.", justify="right")
    table.add_column("Review", no_wrap=True)
    for criterion in result.criteria:
        response = responses.get(criterion.id)
        state = response.review_state if response else "open"
        table.add_row(
            Text(MARKS[criterion.status], STYLES[criterion.status]),
            criterion.id,
            f"{fmt(round(criterion.points, 2))}/{fmt(criterion.max_points)}",
            criterion.title,
            str(len(response.evidence) + len(response.files))
            if response and (response.evidence or response.files)
            else "–",
            Text(state.replace("_", " "), "yellow" if state == "needs_clarification" else "dim"),
        )
    return table


def review_block(session: Session) -> RenderableType:
    responses = session.project.responses
    states = Counter(r.review_state for r in responses.values())
    open_count = len(session.scheme.criteria) - states["accepted"] - states["needs_clarification"]
    lines: list[RenderableType] = [
        Text(
            f"{states['accepted']} accepted · {states['needs_clarification']} need clarification"
            f" · {open_count} open"
        )
    ]
    for cid, response in responses.items():
        if response.review_state == "needs_clarification" or response.review_comment:
            lines.append(
                Text.assemble(
                    ("⚑ " if response.review_state == "needs_clarification" else "  ", "yellow"),
                    (cid, "bold"),
                    f": {response.review_comment or '(no comment)'}",
                )
            )
    return Group(*lines)


def history_block(session: Session, last: int = 8) -> RenderableType:
    history = session.project.history
    if not history:
        return Text("No changes recorded yet.", "dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Who", no_wrap=True)
    table.add_column("Field", no_wrap=True)
    table.add_column("Change", ratio=1)
    for entry in history[-last:]:
        table.add_row(
            entry.at.strftime("%Y-%m-%d %H:%M"),
            entry.who or "–",
            entry.field,
            f"{show_value(entry.old)} → {show_value(entry.new)}",
        )
    shown = min(last, len(history))
    return Group(Text(f"{len(history)} changes, last {shown} (h: all of them):", "dim"), table)


class SummaryScreen(Screen[None]):
    """Everything about the assessment on one scrolling page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,s", "close", "Back"),
        Binding("h", "history", "All changes"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False),
        Binding("k,up", "scroll('up')", "Scroll up", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        session = self.session
        with VerticalScroll(id="summary"):
            yield Static(Text("Assessment summary", "bold"), classes="title")
            yield Static(project_block(session), classes="block")
            yield Static(result_block(session), classes="block")
            yield Static(_heading("Sections"), classes="heading")
            yield Static(sections_block(session), classes="block")
            if session.scored.result.gates:
                yield Static(_heading("Prerequisites"), classes="heading")
                yield Static(gates_block(session), classes="block")
            yield Static(_heading("Criteria"), classes="heading")
            yield Static(criteria_block(session), classes="block")
            yield Static(_heading("Review"), classes="heading")
            yield Static(review_block(session), classes="block")
            yield Static(_heading("Recent changes"), classes="heading")
            yield Static(history_block(session), classes="block")
        yield Footer()

    def action_history(self) -> None:
        from greenmark.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.session))

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one("#summary", VerticalScroll)
        if direction == "down":
            scroller.scroll_down(animate=False)
        else:
            scroller.scroll_up(animate=False)
