"""The Project tab: name, address, building type, gross floor area, stage, assessor."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from greenmark.core.errors import UnitError
from greenmark.core.project import Quantity
from greenmark.core.units import convert
from greenmark.tui.session import Session, Target
from greenmark.tui.values import Refused, split_number
from greenmark.tui.widgets.fields import ChoiceEditor, Controller, Editor, NoteEditor, TextEditor

STAGES = [("design", "design"), ("as-built", "as-built"), ("existing", "existing")]


def parse_gfa(text: str) -> Any:
    """Gross floor area: m2, or any area unit (stored with it, e.g. ``263716 ft2``)."""
    text = text.strip()
    if not text:
        return None
    number, unit = split_number(text)
    area = number
    if unit and unit not in ("m2", "m²"):
        try:
            area = float(convert(number, unit, "m2"))
        except UnitError as exc:
            raise Refused(exc.problems[0].message) from None
    if not area > 0:
        raise Refused("must be a positive area")
    return Quantity(value=number, unit=unit) if unit and unit not in ("m2", "m²") else number


def parse_required(text: str) -> str:
    if not text.strip():
        raise Refused("required")
    return text.strip()


def parse_text(text: str) -> str:
    return text.strip()


class ProjectPane(VerticalScroll):
    """Editors for the ``[project]`` table."""

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
        types = scheme.scheme.building_types
        if types:
            yield ChoiceEditor(
                self.controller,
                target("building_type"),
                "Building type",
                info.building_type,
                options=[(t.replace("_", " "), t) for t in types],
                id="project-building_type",
            )
        yield TextEditor(
            self.controller,
            target("gross_floor_area"),
            "Gross floor area",
            info.gross_floor_area,
            parse_gfa,
            unit="m2",
            hint="or with a unit, e.g. 263716 ft2",
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
