"""The detail pane: the selected criterion (or gate, or section) with its editors."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from greenmark.core.explain import BuildingResult, CriterionResult, fmt
from greenmark.core.project import Response
from greenmark.tui.marks import LABELS, MARKS, REVIEW_STATES, STYLES, criterion_inputs, gate_inputs
from greenmark.tui.session import Session, Target
from greenmark.tui.values import Refused, parse_input, show_value, unit_text
from greenmark.tui.widgets.evidence import AttachEditor, EvidenceHost, EvidencePanel
from greenmark.tui.widgets.fields import (
    BoolEditor,
    ChoiceEditor,
    Controller,
    Editor,
    NoteEditor,
    TextEditor,
)
from greenmark.tui.widgets.quiet import QuietStatic
from greenmark.tui.widgets.tree import NodeRef


def _evidence_value(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _evidence_text(value: Any) -> str:
    return "\n".join(value or [])


def _range_hint(minimum: float | None, maximum: float | None, unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    if minimum is not None and maximum is not None:
        return f"{minimum:g} – {maximum:g}{suffix}"
    if minimum is not None:
        return f"≥ {minimum:g}{suffix}"
    if maximum is not None:
        return f"≤ {maximum:g}{suffix}"
    return ""


def input_editor(
    session: Session, controller: Controller, name: str, calculated: dict[str, str]
) -> Widget:
    """The editor for scheme input ``name`` (or a note for the built-in ``gfa``/type)."""
    if name == "gfa":
        return Static(Text("Reads the gross floor area (Project tab, key 5).", "dim italic"))
    if name == "building_type":
        return Static(Text("Reads the building type (Project tab, key 5).", "dim italic"))
    spec = session.scheme.inputs[name]
    target = Target("inputs", name)
    value = session.value(target)
    label = spec.label
    ident = f"input-{name}"
    if spec.type == "boolean":
        return BoolEditor(controller, target, label, value, hint=spec.help, id=ident)
    if spec.type == "choice":
        options = [(c.replace("_", " "), c) for c in spec.choices or []]
        return ChoiceEditor(
            controller, target, label, value, options=options, hint=spec.help, id=ident
        )
    unit = unit_text(spec.unit)
    hint = _range_hint(spec.min, spec.max, unit)
    placeholder = "not given"
    if spec.calculator and name in calculated:
        placeholder = f"calculated {calculated[name]} (blank = use it)"
    if spec.help:
        hint = f"{hint}  {spec.help}" if hint else spec.help

    def parse(text: str) -> Any:
        return parse_input(spec, text)

    return TextEditor(
        controller,
        target,
        label,
        value,
        parse,
        unit=unit,
        hint=hint,
        placeholder=placeholder,
        id=ident,
    )


def calculated_values(session: Session) -> dict[str, str]:
    """Values of calculated inputs the project does not give directly, as text."""
    env = session.scored.scores.env
    found: dict[str, str] = {}
    for name, spec in session.scheme.inputs.items():
        if spec.calculator and name not in session.project.inputs:
            raw = env.get(name)
            try:
                value = float(raw[0])  # type: ignore[index]
            except (TypeError, ValueError, IndexError):
                continue
            if value == value:  # not NaN
                found[name] = show_value(value, spec.unit)
    return found


def criterion_header(result: BuildingResult, criterion: CriterionResult, guidance: str) -> Group:
    section = next((s.title for s in result.sections if s.id == criterion.section), "")
    title = Text.assemble((criterion.id, "bold"), "  ", (criterion.title, "bold"))
    status = Text.assemble(
        (f"{MARKS[criterion.status]} {LABELS[criterion.status]}", STYLES[criterion.status]),
        f" · {fmt(round(criterion.points, 2))} of {fmt(criterion.max_points)} points",
        (" · bonus" if criterion.bonus else "", "cyan"),
        (f" · {section}", "dim"),
    )
    parts: list[Any] = [title, status, Text(criterion.reason, "italic")]
    if guidance:
        parts.append(Text.assemble(("Guidance ", "bold"), guidance))
    return Group(*parts)


class Header(QuietStatic):
    """The detail header (status, points, reason, guidance)."""


class DetailPane(VerticalScroll):
    """Shows and edits whatever is selected in the tree.

    The editors are built once and reused (input editors on first use, one per input),
    so moving through criteria only retargets and refills them: no remounting.
    """

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; }
    DetailPane .heading { margin: 1 0 0 0; color: $accent; text-style: bold; }
    DetailPane > #detail-header { margin: 0; }
    DetailPane > #detail-inputs { height: auto; }
    DetailPane > #detail-response { height: auto; }
    """

    def __init__(self, controller: EvidenceHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.controller = controller
        self.ref: NodeRef | None = None
        self.input_editors: dict[str, Widget] = {}

    def compose(self) -> ComposeResult:
        yield Header("Select a criterion in the tree.", id="detail-header")
        with Vertical(id="detail-inputs"):
            yield Static("Inputs", classes="heading")
        with Vertical(id="detail-response"):
            yield from self._response_editors()

    def _response_editors(self) -> list[Widget]:
        controller = self.controller

        def target(name: str) -> Target:
            return Target("responses", name, "")

        return [
            Static("Assessment", classes="heading"),
            BoolEditor(
                controller,
                target("not_applicable"),
                "Not applicable",
                False,
                hint="ruled out by the assessor (leaves the denominator)",
                nullable=False,
                id="response-not_applicable",
            ),
            NoteEditor(controller, target("answer"), "Answer", "", id="response-answer"),
            NoteEditor(
                controller,
                target("evidence"),
                "Evidence",
                [],
                hint="one reference per line",
                to_value=_evidence_value,
                to_text=_evidence_text,
                id="response-evidence",
            ),
            EvidencePanel(controller, id="evidence"),
            NoteEditor(controller, target("notes"), "Notes", "", id="response-notes"),
            Static("Review", classes="heading"),
            ChoiceEditor(
                controller,
                target("review_state"),
                "Review state",
                "open",
                options=list(REVIEW_STATES),
                nullable=False,
                id="response-review_state",
            ),
            TextEditor(
                controller,
                target("review_comment"),
                "Reviewer comment",
                "",
                _plain,
                live=False,
                id="response-review_comment",
            ),
        ]

    @property
    def editors(self) -> list[Editor]:
        return list(self.query(Editor))

    def flush(self) -> None:
        """Commit whatever is typed in any editor of the pane."""
        for editor in self.editors:
            editor.flush()

    async def show(self, ref: NodeRef | None, session: Session, controller: Controller) -> None:
        """Show ``ref``: refill the reused editors, mounting input editors on first use."""
        self.ref = ref
        names: list[str] = []
        compiled = session.scored.scores.compiled
        if ref is not None and ref.kind == "criterion":
            index = next(i for i, c in enumerate(compiled.criteria) if c.id == ref.id)
            names = criterion_inputs(compiled, index)
        elif ref is not None and ref.kind == "gate":
            index = next(i for i, g in enumerate(compiled.gates) if g.id == ref.id)
            names = gate_inputs(compiled, index)
        box = self.query_one("#detail-inputs", Vertical)
        calculated = calculated_values(session)
        new = [n for n in names if n not in self.input_editors]
        if new:
            widgets = [input_editor(session, self.controller, n, calculated) for n in new]
            self.input_editors.update(zip(new, widgets, strict=True))
            await box.mount_all(widgets)
        for name, widget in self.input_editors.items():
            _show(widget, name in names)
        for position, name in enumerate(names):
            widget = self.input_editors[name]
            if box.children.index(widget) != position + 1:  # the heading is child 0
                box.move_child(widget, after=position)
            if isinstance(widget, Editor):
                widget.reload(session.value(widget.target))
                if isinstance(widget, TextEditor) and name in calculated:
                    widget.input.placeholder = f"calculated {calculated[name]} (blank = use it)"
        _show(box, bool(names))
        self._show_response(ref, session)
        self.query_one("#detail-header", Header).release()
        self.refresh_status(session.scored.result, session)
        self.scroll_home(animate=False)

    def _show_response(self, ref: NodeRef | None, session: Session) -> None:
        box = self.query_one("#detail-response", Vertical)
        is_criterion = ref is not None and ref.kind == "criterion"
        _show(box, is_criterion)
        if not is_criterion or ref is None:
            return
        response = session.project.responses.get(ref.id) or Response()
        box.query_one(EvidencePanel).show(session, ref.id)
        for editor in box.query(Editor):
            if isinstance(editor, AttachEditor):
                continue
            editor.target = Target("responses", editor.target.name, ref.id)
            editor.reload(getattr(response, editor.target.name))

    def refresh_status(self, result: BuildingResult, session: Session) -> None:
        """Update the header (status, points, reason) without touching the editors."""
        header = self.query_one("#detail-header", Header)
        ref = self.ref
        if ref is None:
            header.show(Text("Select a criterion in the tree (arrows or j/k).", "dim"))
        elif ref.kind == "criterion":
            criterion = next(c for c in result.criteria if c.id == ref.id)
            spec = session.scheme.criterion(ref.id)
            header.show(criterion_header(result, criterion, spec.guidance), sticky=True)
        elif ref.kind == "gate":
            header.show(self._gate_header(result, ref.id, session))
        elif ref.kind == "section":
            header.show(self._section_summary(result, ref.id))
        else:
            header.show(self._gates_summary(result))

    # ------------------------------------------------------------------ summaries

    def _gate_header(self, result: BuildingResult, gid: str, session: Session) -> Group:
        gate = next(g for g in result.gates if g.id == gid)
        spec = next(g for g in session.scheme.gates if g.id == gid)
        label = LABELS.get(gate.status, gate.status.replace("_", " "))
        tier = f" · from {gate.from_tier}" if gate.from_tier else " · every tier"
        return Group(
            Text.assemble((gate.id, "bold"), "  ", (gate.title, "bold")),
            Text.assemble(
                (f"{MARKS.get(gate.status, '?')} {label}", STYLES.get(gate.status, "")),
                (f" · prerequisite{tier}", "dim"),
            ),
            Text.assemble(("Condition ", "bold"), (spec.condition, "")),
            Text(gate.reason, "italic"),
        )

    # ------------------------------------------------------------------ summaries

    def _section_summary(self, result: BuildingResult, sid: str) -> Group:
        section = next(s for s in result.sections if s.id == sid)
        table = Table.grid(padding=(0, 1))
        for criterion in (c for c in result.criteria if c.section == sid):
            table.add_row(
                Text(MARKS[criterion.status], STYLES[criterion.status]),
                Text(criterion.id, "bold"),
                Text(f"{fmt(round(criterion.points, 2))}/{fmt(criterion.max_points)}"),
                Text(criterion.title, overflow="ellipsis", no_wrap=True),
            )
        floor = ""
        if section.floor is not None:
            floor = f" · floor {fmt(section.floor)} {'met' if section.floor_met else 'NOT met'}"
        return Group(
            Text(section.title, "bold"),
            Text(
                f"{fmt(round(section.points, 2))} of {fmt(section.max_points)} points"
                f" (bonus {fmt(round(section.bonus_points, 2))}){floor}",
                "" if section.floor_met else "red",
            ),
            Text(""),
            table,
            Text(""),
            Text("Enter or l on a criterion edits it; n jumps to the next unassessed.", "dim"),
        )

    def _gates_summary(self, result: BuildingResult) -> Group:
        table = Table.grid(padding=(0, 1))
        for gate in result.gates:
            table.add_row(
                Text(MARKS.get(gate.status, "?"), STYLES.get(gate.status, "")),
                Text(gate.id, "bold"),
                Text(gate.title, overflow="ellipsis", no_wrap=True),
            )
        return Group(
            Text("Prerequisites", "bold"),
            Text("Gates that must hold for a tier (from the tier named, and up).", "dim"),
            Text(""),
            table,
        )


def _show(widget: Widget, shown: bool) -> None:
    """Show or hide without restyling the subtree (cheaper than toggling a CSS class)."""
    if widget.display != shown:
        widget.display = shown


def _plain(text: str) -> str:
    if "\n" in text:
        raise Refused("one line only")
    return text.strip()
