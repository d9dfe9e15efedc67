"""The change history: every recorded change to the project, newest first, filterable."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from greenmark.core.project import HistoryEntry
from greenmark.tui.session import Session
from greenmark.tui.values import show_value


def entry_cells(entry: HistoryEntry) -> tuple[str, str, str, str, str, str]:
    """When (UTC), who, field, old and new value, and the note of one history entry."""
    return (
        entry.at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.who or "–",
        entry.field,
        show_value(entry.old) or "–",
        show_value(entry.new) or "–",
        entry.note,
    )


def matching(entries: list[HistoryEntry], query: str) -> list[HistoryEntry]:
    """Entries whose cells contain every word of ``query`` (any case), newest first."""
    words = query.lower().split()
    found = [e for e in entries if all(w in " ".join(entry_cells(e)).lower() for w in words)]
    return found[::-1]


class HistoryScreen(Screen[None]):
    """Who changed what, when: the project's whole ``[[history]]``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(id="history-title")
        yield Input(
            placeholder="filter: words to find in any column (e.g. ettv or facades)",
            compact=True,
            id="history-filter",
        )
        table: DataTable[str] = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        for label in ("When (UTC)", "Who", "Field", "Old", "New", "Note"):
            table.add_column(label)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.show("")
        self.query_one(DataTable).focus()

    def show(self, query: str) -> None:
        """Fill the table with the entries matching ``query``."""
        history = self.session.project.history
        shown = matching(history, query)
        table: DataTable[str] = self.query_one(DataTable)
        table.clear()
        for entry in shown:
            table.add_row(*entry_cells(entry))
        title = Text.assemble(("Change history", "bold"), f" · {self.session.path.name} · ")
        if query.strip():
            title.append(f"{len(shown)} of {len(history)} changes match")
        else:
            title.append(f"{len(history)} changes, newest first")
        self.query_one("#history-title", Static).update(title)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#history-filter", Input).focus()

    def action_cursor(self, direction: str) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        if direction == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_close(self) -> None:
        self.app.pop_screen()
