"""The help screen: every key binding, grouped by where it works (built from the bindings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_KEY_NAMES = {
    "question_mark": "?",
    "escape": "esc",
    "delete": "del",
    "backspace": "⌫",
    "insert": "ins",
    "colon": ":",
    "slash": "/",
}


def key_text(keys: str) -> str:
    """``"ctrl+s,f2"`` -> ``"ctrl+s / f2"`` with readable names."""
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def bindings_of(classes: Sequence[type]) -> list[tuple[str, str]]:
    """(keys, description) for the described bindings of ``classes`` and their bases."""
    seen: set[str] = set()
    rows: list[tuple[str, str]] = []
    for cls in classes:
        for klass in cls.__mro__:
            for item in klass.__dict__.get("BINDINGS", []):
                binding = item if isinstance(item, Binding) else Binding(*item)
                text = binding.tooltip or binding.description
                if not text or binding.system:
                    continue
                keys = key_text(binding.key)
                if keys in seen:
                    continue
                seen.add(keys)
                rows.append((keys, text))
    return rows


HelpGroups = list[tuple[str, list[tuple[str, str]]]]


def help_table(groups: HelpGroups, notes: Iterable[str] = ()) -> Group:
    """One small table per group, then the notes."""
    width = max((len(keys) for _, rows in groups for keys, _ in rows), default=8)
    parts: list[Text | Table] = []
    for title, rows in groups:
        parts.append(Text(title, "bold underline"))
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True, min_width=width)
        table.add_column()
        for keys, description in rows:
            table.add_row(keys, description)
        parts += [table, Text("")]
    parts += [Text(note, "dim") for note in notes]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Lists every key binding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False),
        Binding("k,up", "scroll('up')", "Scroll up", show=False),
    ]

    def __init__(self, groups: HelpGroups, notes: Iterable[str] = ()) -> None:
        super().__init__()
        self.groups = groups
        self.notes = list(notes)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("Keys  (esc closes)", "bold"), classes="title")
            yield Static(help_table(self.groups, self.notes))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one("#help", VerticalScroll)
        if direction == "down":
            scroller.scroll_down(animate=False)
        else:
            scroller.scroll_up(animate=False)
