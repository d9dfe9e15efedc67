"""Small modal dialogs: the file-changed-on-disk prompt and a yes/no confirmation."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConflictScreen(ModalScreen[str]):
    """The project file changed on disk behind the app: reload, overwrite, copy or later."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('reload')", "Reload from disk"),
        Binding("o", "choose('overwrite')", "Overwrite with mine"),
        Binding("c", "choose('copy')", "Save mine as a copy"),
        Binding("escape,l", "choose('later')", "Decide later"),
    ]

    def __init__(self, file_name: str, unsaved: bool, missing: bool = False) -> None:
        super().__init__()
        self.file_name = file_name
        self.unsaved = unsaved
        self.missing = missing

    def compose(self) -> ComposeResult:
        what = "was deleted or moved" if self.missing else "changed on disk"
        text = Text.assemble(
            ("⚠ ", "bold yellow"),
            (self.file_name, "bold"),
            f" {what} since this session opened or last saved it",
            " (another program or person edited it).\n\n",
        )
        if self.unsaved:
            text.append("You have changes that are not in that file.\n", "bold")
        else:
            text.append("You have no unsaved changes here.\n")
        text.append(
            "Autosave is paused until you decide. Overwriting replaces what is on disk; "
            "a copy keeps both.",
            "dim",
        )
        with Vertical(id="dialog"):
            yield Static(text, id="dialog-text")
            with Horizontal(id="dialog-buttons"):
                if not self.missing:
                    yield Button(Text("Reload from disk [r]"), id="reload", variant="primary")
                yield Button(Text("Overwrite [o]"), id="overwrite", variant="warning")
                yield Button(Text("Save mine as copy [c]"), id="copy")
                yield Button(Text("Later [esc]"), id="later")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "later")

    def action_choose(self, choice: str) -> None:
        if choice == "reload" and self.missing:
            return
        self.dismiss(choice)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; No is the default. A long question scrolls."""

    DEFAULT_CSS = """
    ConfirmScreen #dialog-text { max-height: 70vh; overflow-y: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str | Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="dialog-text")
            with Horizontal(id="dialog-buttons"):
                yield Button(Text("Yes [y]"), id="yes", variant="warning")
                yield Button(Text("No [n]"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
