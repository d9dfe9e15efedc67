"""``greenmark new``: a form that writes a new project file, then opens it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from greenmark.core.errors import GreenmarkError
from greenmark.core.scheme import bundled_schemes
from greenmark.tui.create import (
    STAGES,
    NewProject,
    build_project,
    scheme_of,
    target_path,
    write_project,
)
from greenmark.tui.screens.dialogs import ConfirmScreen
from greenmark.tui.values import Refused
from greenmark.tui.widgets.project_pane import parse_gfa


class WizardScreen(Screen[Path | None]):
    """Scheme, building type, name, address, GFA and stage; then the file to write."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, answers: NewProject, who: str) -> None:
        super().__init__()
        self.answers = answers
        self.who = who
        self.schemes = [e for e in bundled_schemes() if e.current]  # new projects: current

    def compose(self) -> ComposeResult:
        answers = self.answers
        ids = [entry.id for entry in self.schemes]
        chosen = (
            answers.scheme if answers.scheme in ids else ("gm-nrb" if "gm-nrb" in ids else ids[0])
        )
        answers.scheme = chosen
        with VerticalScroll(id="wizard"):
            yield Static(Text("New project", "bold"), classes="title")
            yield Static(Text("Fill in the building; ctrl+s writes the file and opens it.", "dim"))
            yield Label("Scheme")
            yield Select(
                [(f"{e.id}  {e.version} — {e.title}", e.id) for e in self.schemes],
                value=chosen,
                allow_blank=False,
                id="wizard-scheme",
                compact=True,
            )
            yield Label("Building type")
            yield Select([], id="wizard-type", prompt="choose", compact=True)
            yield Label("Name")
            yield Input(
                answers.name, id="wizard-name", placeholder="e.g. Marina Link Office", compact=True
            )
            yield Label("Address")
            yield Input(answers.address, id="wizard-address", compact=True)
            yield Label("Gross floor area (m2, or with a unit such as ft2)")
            gfa = "" if answers.gross_floor_area is None else str(answers.gross_floor_area)
            yield Input(gfa, id="wizard-gfa", compact=True)
            yield Label("Stage")
            yield Select(
                [(s, s) for s in STAGES],
                value=answers.stage,
                allow_blank=False,
                id="wizard-stage",
                compact=True,
            )
            yield Label("Assessor")
            yield Input(answers.assessor, id="wizard-assessor", compact=True)
            yield Label("File")
            yield Input(
                answers.file,
                id="wizard-file",
                placeholder="<name>.toml in this folder",
                compact=True,
            )
            yield Static("", id="wizard-error")
            with Horizontal(id="wizard-buttons"):
                yield Button("Create [ctrl+s]", id="create", variant="primary")
                yield Button("Cancel [esc]", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self._fill_types(self.answers.scheme, self.answers.building_type)
        if not getattr(self.app, "blink", True):
            for widget in self.query(Input):
                widget.cursor_blink = False
        self.query_one("#wizard-name", Input).focus()

    def _fill_types(self, scheme: str, current: str | None) -> None:
        select: Select[str] = self.query_one("#wizard-type", Select)
        try:
            types = scheme_of(scheme).scheme.building_types
        except GreenmarkError:
            types = []
        select.set_options([(t.replace("_", " "), t) for t in types])
        select.disabled = not types
        if current in types:
            select.value = current
        elif types:
            select.value = types[0]

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "wizard-scheme" and isinstance(event.value, str):
            self._fill_types(event.value, None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def _answers(self) -> NewProject:
        def text(ident: str) -> str:
            return self.query_one(f"#{ident}", Input).value

        def choice(ident: str) -> Any:
            value = self.query_one(f"#{ident}", Select).value
            return None if value is Select.NULL else value

        return NewProject(
            scheme=choice("wizard-scheme") or "",
            building_type=choice("wizard-type"),
            name=text("wizard-name"),
            address=text("wizard-address"),
            gross_floor_area=parse_gfa(text("wizard-gfa")),
            stage=choice("wizard-stage") or "design",
            assessor=text("wizard-assessor"),
            file=text("wizard-file"),
        )

    def _error(self, message: str) -> None:
        self.query_one("#wizard-error", Static).update(Text(f"✘ {message}", "bold red"))

    def action_create(self) -> None:
        try:
            answers = self._answers()
            project = build_project(answers, self.who)
        except Refused as exc:
            self._error(str(exc))
            return
        path = target_path(answers)
        if path.exists():

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._write(project, path, overwrite=True)

            self.app.push_screen(
                ConfirmScreen(f"{path} already exists. Overwrite it with the new project?"),
                confirmed,
            )
            return
        self._write(project, path, overwrite=False)

    def _write(self, project: Any, path: Path, overwrite: bool) -> None:
        try:
            write_project(project, path, overwrite=overwrite)
        except (GreenmarkError, OSError) as exc:
            self._error(f"cannot write {path}: {exc}")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
