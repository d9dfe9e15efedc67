"""A one-line key hint bar that changes with what has focus (cheaper than Textual's Footer,
which re-renders on every keystroke)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

HINTS: dict[str, list[tuple[str, str]]] = {
    "tree": [
        ("↑↓/jk", "move"),
        ("⏎/l", "edit"),
        ("n", "next ?"),
        ("f", "attention"),
        ("s", "summary"),
        ("p", "path"),
        ("c", "scenarios"),
        ("t", "stage"),
        ("o", "schemes"),
        ("r", "report"),
        ("^z", "undo"),
        ("?", "help"),
        ("^q", "quit"),
    ],
    "field": [
        ("⏎/tab", "store"),
        ("esc", "back"),
        ("^z", "undo typing"),
        ("^s", "save"),
        ("f1", "help"),
        ("^p", "go to"),
        ("^q", "quit"),
    ],
    "table": [
        ("a", "add row"),
        ("c", "duplicate"),
        ("x", "delete"),
        ("⏎/e", "edit row"),
        ("1-5", "tabs"),
        ("^z", "undo"),
        ("?", "help"),
        ("^q", "quit"),
    ],
    "other": [
        ("1-5", "tabs"),
        ("tab", "next field"),
        ("^z", "undo"),
        ("^s", "save"),
        ("?", "help"),
        ("^q", "quit"),
    ],
}


class KeyBar(Static):
    """Key hints for the focused part of the screen."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $panel; color: $text-muted;
             text-wrap: nowrap; text-overflow: ellipsis; }
    """

    context = ""

    def show(self, context: str) -> None:
        if context == self.context:
            return
        self.context = context
        text = Text(no_wrap=True, overflow="ellipsis")
        for keys, what in HINTS.get(context, HINTS["other"]):
            text.append(f" {keys}", "bold")
            text.append(f" {what} ")
        self.update(text, layout=False)
