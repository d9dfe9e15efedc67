"""The Project tab: name, address, building type, gross floor area, stage, assessor."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from greenmark.core.edits import parse_gfa
from greenmark.tui.session import Session, Target
from greenmark.tui.values import Refused, area_text
from greenmark.tui.widgets.fields import ChoiceEditor, Controller, Editor, NoteEditor, TextEditor

__all__ = ["AreaEditor", "ProjectPane", "parse_gfa"]

STAGES = [(s, s) for s in ("pre-assessment", "design", "as-built", "existing")]


def parse_required(text: str) -> str:
    if not text.strip():
        raise Refused("required")
    return text.strip()


def parse_text(text: str) -> str:
    return text.strip()


class AreaEditor(TextEditor):
    """The gross floor area: typed in m2 or another unit, shown in both
    (``263,716 ft² (24,500 m²)``) under the field, following what is typed."""

    DEFAULT_CSS = """
    AreaEditor > .editor--area { height: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(area_text(self.stored), classes="editor--area")

    def _show_area(self, value: Any) -> None:
        if self.is_mounted:
            self.query_one(".editor--area", Static).update(area_text(value))

    def on_input_changed(self, event: Input.Changed) -> None:
        super().on_input_changed(event)
        try:
            self._show_area(self.parse(event.value))
        except Refused:
            self._show_area(self.stored)

    def flush(self, text: str | None = None) -> None:
        super().flush(text)
        self._show_area(self.stored)

    def reload(self, value: Any) -> None:
        super().reload(value)
        self._show_area(value)


class ProjectPane(VerticalScroll):
    """Editors for the ``[project]`` table; Escape leaves a field (the tab keys work again)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave the field", show=False)
    ]

    DEFAULT_CSS = """
    ProjectPane { padding: 0 1; }
    ProjectPane > .heading { margin: 1 0 0 0; color: $accent; text-style: bold; }
    """

    def __init__(self, session: Session, controller: Controller, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.controller = controller

    def compose(self) -> ComposeResult:
        session = self.session
        info = session.project.project
        scheme = session.scheme

        def target(name: str) -> Target:
            return Target("project", name)

        yield Static(self._scheme_text(), id="project-scheme")
        yield TextEditor(
            self.controller,
            target("name"),
            "Name",
            info.name,
            parse_required,
            live=False,
            id="project-name",
        )
        yield TextEditor(
            self.controller,
            target("address"),
            "Address",
            info.address,
            parse_text,
            live=False,
            id="project-address",
        )
        types = list(scheme.scheme.building_types)
        if types:
            if info.building_type and info.building_type not in types:
                types.append(info.building_type)  # a shared type the scheme files under its own
            yield ChoiceEditor(
                self.controller,
                target("building_type"),
                "Building type",
                info.building_type,
                options=[(t.replace("_", " "), t) for t in types],
                id="project-building_type",
            )
        yield AreaEditor(
            self.controller,
            target("gross_floor_area"),
            "Gross floor area",
            info.gross_floor_area,
            parse_gfa,
            hint="m2, or with a unit, e.g. 263716 ft2",
            id="project-gross_floor_area",
        )
        yield ChoiceEditor(
            self.controller,
            target("stage"),
            "Stage",
            info.stage,
            options=STAGES,
            nullable=False,
            id="project-stage",
        )
        yield TextEditor(
            self.controller,
            target("assessor"),
            "Assessor",
            info.assessor,
            parse_text,
            live=False,
            id="project-assessor",
        )
        yield TextEditor(
            self.controller,
            target("reference"),
            "Reference",
            info.reference,
            parse_text,
            live=False,
            id="project-reference",
        )
        yield NoteEditor(
            self.controller,
            target("description"),
            "Description",
            info.description,
            id="project-description",
        )

    def _scheme_text(self) -> Text:
        scheme = self.session.scheme
        return Text.assemble(
            ("Scheme ", "bold"),
            f"{scheme.id} {scheme.version} — {scheme.scheme.title}\n",
            ("File ", "bold"),
            self.session.path.name,
            ("   edits recorded as ", "dim"),
            (self.session.who, "bold"),
        )

    def reload(self, session: Session) -> None:
        """Show the stored values again (after undo, redo or reload)."""
        self.session = session
        info = session.project.project
        for editor in self.query(Editor):
            editor.reload(getattr(info, editor.target.name))
        self.query_one("#project-scheme", Static).update(self._scheme_text())

    def flush(self) -> None:
        for editor in self.query(Editor):
            editor.flush()

    def action_leave(self) -> None:
        self.focus()  # the field loses focus: what was typed is stored (or refused)
