"""The evidence part of the detail pane: attached files with their state, a field to
attach another, and the scheme's checklist of required documents."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from greenmark.core.evidence import FileCheck
from greenmark.tui.evidence import StateCache
from greenmark.tui.session import Session, Target
from greenmark.tui.widgets.fields import Controller, TextEditor


class EvidenceHost(Controller, Protocol):
    """What the evidence panel needs from its screen, beyond editing values."""

    def attach_file(self, criterion: str, file: str) -> str | None:
        """Attach (or re-attach) ``file``; a refusal message or None."""

    def detach_file(self, criterion: str, path: str) -> str | None:
        """Detach the file at ``path``; a refusal message or None."""


_MARKS = {
    "ok": ("✔", "green"),
    "changed": ("✘ changed", "bold red"),
    "missing": ("✘ missing", "bold red"),
}


def size_text(size: int) -> str:
    """``48,213 B`` / ``47.1 kB`` / ``3.2 MB``."""
    if size < 10_000:
        return f"{size:,} B"
    if size < 10_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def file_line(found: FileCheck) -> Text:
    """One attached file: its mark, path, size, hash and date (and what changed)."""
    entry = found.entry
    mark, style = _MARKS[found.state]
    line = Text.assemble(
        (mark, style),
        " ",
        (entry.path, "bold"),
        (f"  {size_text(entry.size)} · sha256 {entry.sha256[:10]}… · ", "dim"),
        (entry.attached.strftime("%Y-%m-%d"), "dim"),
    )
    if found.state != "ok":
        line.append(f"\n  {found.text()}", "red")
    return line


class FileList(OptionList):
    """The attached files; Delete detaches one, u records its current hash."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "detach", "Detach file"),
        Binding("u", "reattach", "Accept the file as it is now (re-hash)"),
    ]

    DEFAULT_CSS = """
    FileList { height: auto; max-height: 8; border: none; padding: 0; }
    """

    def _chosen(self) -> str | None:
        index = self.highlighted
        if index is None:
            return None
        return self.get_option_at_index(index).id

    def action_detach(self) -> None:
        path = self._chosen()
        if path is not None:
            panel = next(a for a in self.ancestors if isinstance(a, EvidencePanel))
            panel.act("detach", path)

    def action_reattach(self) -> None:
        path = self._chosen()
        if path is not None:
            panel = next(a for a in self.ancestors if isinstance(a, EvidencePanel))
            panel.act("attach", path)


class AttachEditor(TextEditor):
    """Type a path and press Enter to attach it; the field then empties for the next."""

    def flush(self, text: str | None = None) -> None:
        if not self.is_mounted:
            return
        text = (self.input.value if text is None else text).strip()
        if not text:
            return
        panel = next(a for a in self.ancestors if isinstance(a, EvidencePanel))
        message = panel.act("attach", text)
        if message:
            self.show_error(message)
            return
        self.reload("")


class EvidencePanel(Vertical):
    """Attached files, a field to attach one, and the documents checklist."""

    DEFAULT_CSS = """
    EvidencePanel { height: auto; }
    EvidencePanel > .evidence--none { color: $text-muted; }
    EvidencePanel > SelectionList { height: auto; max-height: 10; border: none; padding: 0; }
    """

    def __init__(self, host: EvidenceHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.host = host
        self.criterion = ""
        self.states = StateCache()

    def compose(self) -> ComposeResult:
        yield Static("Evidence files", classes="heading")
        yield Static("none attached", classes="evidence--none", id="evidence-none")
        yield FileList(id="evidence-files")
        yield Static(
            "Delete detaches the selected file · u accepts it as it is now (hashes it again)",
            classes="evidence--none",
            id="evidence-keys",
        )
        yield AttachEditor(
            self.host,
            Target("responses", "files", ""),
            "Attach a file",
            "",
            str,
            live=False,
            hint="path relative to the project file; Enter attaches",
            placeholder="e.g. evidence/ettv-calculation.pdf",
            id="evidence-attach",
        )
        yield Static("Documents required", classes="heading", id="documents-heading")
        yield SelectionList[str](id="documents")

    def show(self, session: Session, criterion: str) -> None:
        """List ``criterion``'s files (checked against their hashes) and documents."""
        self.criterion = criterion
        found = self.states.states(session, criterion)
        files = self.query_one(FileList)
        highlighted = files.highlighted
        files.clear_options()
        files.add_options([Option(file_line(f), id=f.entry.path) for f in found])
        if found:
            files.highlighted = min(highlighted or 0, len(found) - 1)
        files.display = bool(found)
        self.query_one("#evidence-none").display = not found
        self.query_one("#evidence-keys").display = bool(found)
        editor = self.query_one(AttachEditor)
        editor.target = Target("responses", "files", criterion)
        spec = session.scheme.criterion(criterion)
        response = session.project.responses.get(criterion)
        ticked = set(response.documents_received) if response else set()
        documents = self.query_one("#documents", SelectionList)
        with documents.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            documents.clear_options()
            documents.add_options([(d, d, d in ticked) for d in spec.documents])
        documents.display = bool(spec.documents)
        self.query_one("#documents-heading").display = bool(spec.documents)

    def problems(self, session: Session) -> list[FileCheck]:
        """The shown criterion's files that changed or vanished."""
        return [f for f in self.states.states(session, self.criterion) if f.state != "ok"]

    def act(self, action: str, path: str) -> str | None:
        """Attach or detach ``path`` through the host; a refusal is also notified."""
        if action == "attach":
            message = self.host.attach_file(self.criterion, path)
        else:
            message = self.host.detach_file(self.criterion, path)
        if message:
            self.app.notify(message, title="Refused", severity="error")
        return message

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        documents = event.selection_list
        chosen = set(documents.selected)
        ordered = [documents.get_option_at_index(i).value for i in range(documents.option_count)]
        value = [d for d in ordered if d in chosen]
        message = self.host.commit(Target("responses", "documents_received", self.criterion), value)
        if message:
            self.app.notify(message, title="Refused", severity="error")
