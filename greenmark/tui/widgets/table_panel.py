"""A repeated-data table (facades, BoQ, fittings): rows, derived columns and a row form."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.widgets import DataTable

from greenmark.calc.registry import table_of
from greenmark.core.edits import gfa_m2
from greenmark.core.model import Scheme
from greenmark.core.project import Project, Quantity
from greenmark.tui.session import Session, Table, Target
from greenmark.tui.tables import (
    Column,
    Derived,
    TableSpec,
    cell_display,
    cell_text,
    derive,
    parse_cell,
    typed_for,
)
from greenmark.tui.widgets.fields import ChoiceEditor, Controller, Editor, TextEditor
from greenmark.tui.widgets.quiet import QuietStatic


class TableController(Controller, Protocol):
    """What a table panel needs from its screen besides editing cells."""

    def add_row(self, table: Table, at: int | None) -> None: ...

    def duplicate_row(self, table: Table, index: int) -> None: ...

    def delete_row(self, table: Table, index: int) -> None: ...


class RowsTable(DataTable[Any]):
    """The rows; keys add, duplicate and delete rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a,insert", "add", "Add row"),
        Binding("c", "duplicate", "Duplicate row"),
        Binding("x,delete", "delete", "Delete row"),
        Binding("e", "edit", "Edit row", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("h", "scroll_left", "Scroll left", show=False),
        Binding("l", "scroll_right", "Scroll right", show=False),
    ]

    @property
    def panel(self) -> TablePanel:
        return self.query_ancestor(TablePanel)

    def action_add(self) -> None:
        self.panel.add()

    def action_duplicate(self) -> None:
        self.panel.duplicate()

    def action_delete(self) -> None:
        self.panel.delete()

    def action_edit(self) -> None:
        self.panel.focus_form()


def _column_editor(controller: Controller, spec: TableSpec, column: Column, value: Any) -> Editor:
    target = Target(spec.name, column.key, 0)  # type: ignore[arg-type]
    label = column.label
    ident = f"cell-{column.key}"
    if column.kind == "choice":
        options = [(o, o) for o in column.options()]
        return ChoiceEditor(
            controller, target, label, value, options=options, nullable=False, id=ident
        )

    def parse(text: str) -> Any:
        return parse_cell(column, text)

    def note(value: Any) -> str:  # typed in another unit: both, e.g. 8,611 ft² (800 m²)
        return cell_display(column, value) if isinstance(value, Quantity) else ""

    return TextEditor(
        controller,
        target,
        label,
        value,
        parse,
        to_text=cell_text,
        note=note,
        unit=column.unit,
        placeholder="–" if column.optional else "",
        id=ident,
    )


class TablePanel(Vertical):
    """The table of one kind of row, its derived results and the form for the selected row."""

    DEFAULT_CSS = """
    TablePanel { height: 1fr; }
    TablePanel > RowsTable { height: auto; max-height: 70%; }
    TablePanel > .summary { height: auto; padding: 0 1; background: $boost; }
    TablePanel > .problem { height: auto; padding: 0 1; color: $text-error; display: none; }
    TablePanel > .problem.-shown { display: block; }
    TablePanel > .row-derived { height: 1; padding: 0 1; }
    TablePanel > .form { height: auto; grid-size: 5; grid-gutter: 0 2; padding: 0 1; }
    TablePanel > .form Editor { margin: 0; }
    TablePanel > .form.-empty { display: none; }
    """

    def __init__(self, spec: TableSpec, controller: TableController, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.controller = controller
        self.row_index = 0

    @property
    def table_name(self) -> Table:
        return self.spec.name  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        table = RowsTable(cursor_type="row", zebra_stripes=True, id=f"{self.spec.name}-table")
        table.add_column("#", key="#")
        for item in self.spec.layout():
            if isinstance(item, str):
                table.add_column(Text(item, "bold"), key=f"={item}")
            else:
                table.add_column(item.label, key=item.key)
        yield table
        yield QuietStatic("", classes="summary")
        yield QuietStatic("", classes="problem")
        yield QuietStatic("", classes="row-derived")
        with Grid(classes="form"):
            for column in self.spec.columns:
                first = column.options()[0] if column.kind == "choice" else None
                yield _column_editor(self.controller, self.spec, column, first)

    @property
    def table(self) -> RowsTable:
        return self.query_one(RowsTable)

    # ------------------------------------------------------------------ showing

    def load(self, session: Session, cursor: int | None = None) -> None:
        """Show the session's rows (rebuilt), with the cursor on ``cursor`` (or kept)."""
        project = session.project
        rows = session.rows(self.table_name)
        derived = derive(self.table_name, rows, _gfa(project))
        table = self.table
        keep = self.row_index if cursor is None else cursor
        table.clear()
        for index, cells in enumerate(self._cells(project, derived)):
            table.add_row(str(index + 1), *cells, key=str(index))
        self._show_summary(derived, project, session.scheme)
        self.row_index = max(0, min(keep, len(rows) - 1))
        self._show_row(derived, preview=False)
        if rows:
            table.move_cursor(row=self.row_index, animate=False)
        self._retarget(session)

    def _cells(self, project: Project, derived: Derived) -> list[list[Any]]:
        """Every row's cells in display order, each value in full (typed units kept)."""
        rows = getattr(project, self.table_name)
        typed = typed_for(self.table_name, rows, project.history)
        shown: list[list[Any]] = []
        for index, row in enumerate(rows):
            values = dict(zip(self.spec.derived, derived.rows[index], strict=True))
            cells: list[Any] = []
            for item in self.spec.layout():
                if isinstance(item, str):
                    cells.append(Text(values.get(item, "–"), "bold"))
                else:
                    value = getattr(row, item.key)
                    cells.append(cell_display(item, value, typed.get((index, item.key))))
            shown.append(cells)
        return shown

    def show_derived(self, project: Project, scheme: Scheme, preview: bool = False) -> None:
        """Update the derived results for ``project`` (a preview, or what is stored).

        While previewing what is typed, the selected row's results and the summary are
        updated; the table's cells follow when the value is stored (a change to any
        cell repaints the whole table, too slow for every keystroke), each column
        widened or narrowed to show its values in full.
        """
        rows = getattr(project, self.table_name)
        derived = derive(self.table_name, rows, _gfa(project))
        self._show_summary(derived, project, scheme)
        self._show_row(derived, preview)
        table = self.table
        if preview or table.row_count != len(rows):
            return
        keys = [f"={item}" if isinstance(item, str) else item.key for item in self.spec.layout()]
        for index, cells in enumerate(self._cells(project, derived)):
            for key, value in zip(keys, cells, strict=True):
                current = table.get_cell(str(index), key)
                if str(current) != str(value) or index == self.row_index:
                    table.update_cell(str(index), key, value, update_width=True)

    def _show_row(self, derived: Derived, preview: bool) -> None:
        """The selected row's derived results, next to its form."""
        text = Text()
        if self.row_index < len(derived.rows):
            text.append(f"Row {self.row_index + 1}: ", "bold")
            for name, value in zip(self.spec.derived, derived.rows[self.row_index], strict=True):
                text.append(f"{name} ", "dim")
                text.append(f"{value}   ", "bold")
            if preview:
                text.append("preview", "italic yellow")
        self.query_one(".row-derived", QuietStatic).show(text, fixed=True)

    def _show_summary(self, derived: Derived, project: Project, scheme: Scheme) -> None:
        text = Text()
        text.append(f"{self.spec.title} → {self.spec.feeds}", "bold")
        for label, value in derived.summary:
            text.append("  ·  " if text else "")
            text.append(f"{label} ", "dim")
            text.append(value)
        note = usage_note(self.table_name, project, scheme)
        if note:
            text.append(f"\n{note}", "italic yellow")
        self.query_one(".summary", QuietStatic).show(text)
        problem = self.query_one(".problem", QuietStatic)
        problem.show(Text(f"✘ {derived.error}" if derived.error else ""))
        problem.set_class(bool(derived.error), "-shown")

    def _retarget(self, session: Session) -> None:
        rows = session.rows(self.table_name)
        form = self.query_one(".form", Grid)
        form.set_class(not rows, "-empty")
        if not rows:
            return
        row = rows[self.row_index]
        typed = typed_for(self.table_name, rows, session.project.history)
        for editor in form.query(Editor):
            column = editor.target.name
            editor.target = Target(self.spec.name, column, self.row_index)  # type: ignore[arg-type]
            editor.reload(typed.get((self.row_index, column), getattr(row, column)))

    def flush(self) -> None:
        for editor in self.query(Editor):
            editor.flush()

    # ------------------------------------------------------------------ events

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        index = event.cursor_row
        if index == self.row_index or index < 0:
            return
        self.flush()  # what was typed belongs to the previous row
        self.row_index = index
        session = getattr(self.screen, "session", None)
        if session is not None:
            self._retarget(session)
            project = session.project
            self._show_row(
                derive(self.table_name, session.rows(self.table_name), _gfa(project)), preview=False
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.focus_form()

    def focus_form(self) -> None:
        editors = list(self.query_one(".form", Grid).query(Editor))
        if editors and self.table.row_count:
            focusable = editors[0].query("Input, Select, Switch, TextArea")
            if focusable:
                focusable.first().focus()

    def add(self) -> None:
        self.flush()
        at = self.row_index + 1 if self.table.row_count else None
        self.controller.add_row(self.table_name, at)

    def duplicate(self) -> None:
        if self.table.row_count:
            self.flush()
            self.controller.duplicate_row(self.table_name, self.row_index)

    def delete(self) -> None:
        if self.table.row_count:
            self.flush()
            self.controller.delete_row(self.table_name, self.row_index)


def usage_note(table: str, project: Project, scheme: Scheme) -> str:
    """Say when the scheme does not score this table (no input, or given directly)."""
    fed = [
        name
        for name, spec in scheme.inputs.items()
        if spec.calculator and table_of(spec.calculator) == table
    ]
    if not fed:
        return f"Scheme {scheme.id} reads no input from this table; it does not change the score."
    given = [name for name in fed if name in project.inputs]
    if given:
        return (
            f"Given directly in the inputs, so not taken from this table: {', '.join(given)}"
            " (clear the value to use the table)."
        )
    return ""


def _gfa(project: Project) -> float | None:
    return gfa_m2(project.project)
