"""The "Path to target" screen: the gap to a tier, the cheapest measures, and their effect.

The plan comes from :func:`greenmark.design.plan.plan` (the same search as ``greenmark
check``), run in a worker thread so the screen stays responsive while it searches.
Highlighting a row shows what applying it would do (on a copy); ``a`` or enter keeps it
as a scenario: a proposal scored beside the assessed values, which it does not change
until the assessor accepts it on the scenarios screen (recorded, undoable with ctrl+z).
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static
from textual.worker import get_current_worker

from greenmark.core.errors import GreenmarkError
from greenmark.core.project import LoadedProject
from greenmark.design.measures import Catalogue, load_catalogue
from greenmark.design.plan import Plan, gap, parse_budget, plan
from greenmark.tui.path_view import (
    PlanRow,
    amount,
    effect_text,
    gap_text,
    plan_rows,
    row_cells,
    status_text,
    total_of,
)
from greenmark.tui.session import Session, Tried
from greenmark.tui.values import Refused


class PathHost(Protocol):
    """What the path screen needs of the screen that opened it (the main screen)."""

    async def action_undo(self) -> None: ...

    async def action_redo(self) -> None: ...

    async def refresh_all(self) -> None: ...

    def autosave(self) -> None: ...


def default_target(session: Session) -> str:
    """The tier above the one reached (the top tier when it is reached already)."""
    tiers = [t.id for t in session.scheme.tiers]
    reached = session.scored.result.tier
    index = tiers.index(reached) + 1 if reached in tiers else 0
    return tiers[min(index, len(tiers) - 1)]


def _columns(
    table: DataTable[object], currency: str, cells: list[tuple[Text, str, Text]] | None = None
) -> None:
    """The plan table's columns, as wide as their widest cell (set here, not left to
    the table's own sizing, which could keep the header widths for a frame or more)."""
    labels = ("Plan / measure", f"Cost ({currency})" if currency else "Cost", "Gives")
    for index, (label, key) in enumerate(zip(labels, ("what", "cost", "gives"), strict=True)):
        widths = [Text(label).cell_len, *(Text(str(row[index])).cell_len for row in cells or ())]
        table.add_column(label, key=key, width=max(widths))


class PathScreen(Screen[None]):
    """Gap, cheapest plan and alternatives for a target tier; apply a measure to see it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("a", "apply", "Propose as scenario"),
        Binding("t", "focus_target", "Target tier"),
        Binding("b", "focus_budget", "Budget"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
        Binding("ctrl+z", "undo", "Undo", priority=True),
        Binding("ctrl+y", "redo", "Redo", show=False, priority=True),
    ]

    def __init__(
        self,
        session: Session,
        target: str | None = None,
        catalogue: Catalogue | None = None,
        host: PathHost | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self._opener = host
        self.target = target or default_target(session)
        self.budget: float | None = None
        self.catalogue = catalogue
        self.found: Plan | None = None
        self.rows: dict[str, PlanRow] = {}
        self.generation = 0  # bumped on every new search: stale results are dropped
        self.effect_key: str | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        scheme = self.session.scheme
        yield Static(
            Text.assemble(
                ("Path to target", "bold"),
                f" · {self.session.project.project.name} · {scheme.id}",
                no_wrap=True,
                overflow="ellipsis",
            ),
            id="path-title",
        )
        with Horizontal(id="path-controls"):
            yield Label("Target ")
            yield Select(
                [(t.title, t.id) for t in scheme.tiers],
                value=self.target,
                allow_blank=False,
                compact=True,
                id="path-target",
            )
            yield Label("  Budget ")
            yield Input(placeholder="no limit (e.g. 250k, enter)", compact=True, id="path-budget")
        yield Static(id="path-gap")
        yield Static(id="path-status")
        table: DataTable[object] = DataTable(id="path-plan", cursor_type="row")
        _columns(table, "")
        yield table
        yield Static(id="path-effect")
        yield Footer()

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#path-plan", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.replan()

    @property
    def main(self) -> PathHost | None:
        """The screen that opened this one, to redraw after a change (None in tests)."""
        return self._opener

    # ------------------------------------------------------------------ searching

    def replan(self) -> None:
        """Show the gap now and start searching for the cheapest plan in a worker."""
        session = self.session
        self.query_one("#path-gap", Static).update(gap_text(gap(session.scored, self.target)))
        self.generation += 1
        self.found = None
        self.rows = {}
        self.effect_key = None
        table = self.table
        table.clear()
        budget = f" within {self.budget:,.0f}" if self.budget is not None else ""
        self.query_one("#path-status", Static).update(
            Text(f"Searching the catalogue's measures for the cheapest plan{budget}…", "dim")
        )
        self.query_one("#path-effect", Static).update("")
        snapshot = LoadedProject(session.project, session.path, session.loaded.lines)
        self._search(self.generation, snapshot, self.target, self.budget)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _search(
        self, generation: int, loaded: LoadedProject, target: str, budget: float | None
    ) -> None:
        try:
            if self.catalogue is None:
                self.catalogue = load_catalogue()
            found = plan(loaded, self.session.scheme, target, budget, catalogue=self.catalogue)
        except GreenmarkError as exc:
            message = "; ".join(p.message for p in exc.problems)
            self.app.call_from_thread(self._failed, generation, message)
            return
        except Exception as exc:  # a bug: say so on the screen rather than search forever
            message = f"the search failed ({type(exc).__name__}: {exc})"
            self.app.call_from_thread(self._failed, generation, message)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_plan, generation, found)

    def _failed(self, generation: int, message: str) -> None:
        if generation != self.generation:
            return
        self.query_one("#path-status", Static).update(Text(f"No plan: {message}", "red"))

    def _show_plan(self, generation: int, found: Plan) -> None:
        if generation != self.generation:
            return
        self.found = found
        scoring = self.session.scheme.scheme.scoring
        table = self.table
        rows = plan_rows(found)
        cells = [row_cells(row, scoring) for row in rows]
        self.rows = {row.key: row for row in rows}
        table.clear(columns=True)
        _columns(table, found.currency, cells)
        for row, cell in zip(rows, cells, strict=True):
            table.add_row(*cell, key=row.key)
        self.query_one("#path-status", Static).update(status_text(found))
        if rows:
            table.move_cursor(row=0)
            self._show_effect(rows[0])

    # ------------------------------------------------------------------ effect of a row

    def selected(self) -> PlanRow | None:
        """The plan row under the cursor (None when the table is empty)."""
        table = self.table
        if not self.rows or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(str(key))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = self.rows.get(str(event.row_key.value))
        if row is not None and row.key != self.effect_key:
            self._show_effect(row)

    def _show_effect(self, row: PlanRow) -> None:
        self.effect_key = row.key
        self.query_one("#path-effect", Static).update(
            Text(f"Working out what applying {', '.join(row.measures)} does…", "dim")
        )
        self._try(self.generation, row)

    @work(thread=True, exclusive=True, group="effect", exit_on_error=False)
    def _try(self, generation: int, row: PlanRow) -> None:
        catalogue = self.catalogue
        if catalogue is None:
            return
        try:
            tried: Tried | str = self.session.try_measures(row.measures, catalogue)
        except Refused as exc:
            tried = str(exc)
        except Exception as exc:  # a bug: shown in the effect pane, not lost in the thread
            tried = f"{type(exc).__name__}: {exc}"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._effect_ready, generation, row, tried)

    def _effect_ready(self, generation: int, row: PlanRow, tried: Tried | str) -> None:
        if generation != self.generation or row.key != self.effect_key:
            return
        effect = self.query_one("#path-effect", Static)
        if isinstance(tried, str):
            effect.update(Text(f"Cannot apply {', '.join(row.measures)}: {tried}", "red"))
            return
        currency = self.found.currency if self.found else ""
        units = {name: spec.unit for name, spec in self.session.scheme.inputs.items()}
        basis = ""
        if row.measure is not None:
            basis = row.measure.basis + ("" if row.measure.verified else ", indicative")
        text = effect_text(tried, self.session.scored.result, row.cost, currency, units, basis)
        effect.update(text)

    # ------------------------------------------------------------------ applying

    async def action_apply(self) -> None:
        """Keep the selected row as a scenario (the assessed values stay as they are)."""
        from greenmark.tui.scenarios import propose

        row = self.selected()
        if row is None or self.catalogue is None:
            self.notify("Nothing to propose: no plan row is selected.", severity="warning")
            return
        before = self.session.scored.result
        try:
            name, tried = propose(self.session, row.measures, self.catalogue)
        except Refused as exc:
            self.notify(str(exc), title="Not proposed", severity="error")
            return
        after = tried.scored.result
        main = self.main
        if main is not None:
            main.autosave()
        self.notify(
            f"Scenario {name}: {amount(total_of(before), before.scoring)} → "
            f"{amount(total_of(after), after.scoring)}, {after.tier_title or 'no tier'}. "
            "The assessed values are unchanged: accept it on the scenarios screen (c).",
            title="Proposed",
        )

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_apply()

    async def action_undo(self) -> None:
        main = self.main
        if main is not None:
            await main.action_undo()
            self.replan()

    async def action_redo(self) -> None:
        main = self.main
        if main is not None:
            await main.action_redo()
            self.replan()

    async def _after_change(self) -> None:
        """Redraw the main screen from the session, save it, then search again."""
        main = self.main
        if main is not None:
            await main.refresh_all()
            main.autosave()
        self.replan()

    # ------------------------------------------------------------------ controls

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        if isinstance(value, str) and value != self.target:
            self.target = value
            self.replan()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        try:
            budget = parse_budget(text) if text else None
        except GreenmarkError as exc:
            self.notify(exc.problems[0].message, title="Budget", severity="error")
            return
        self.budget = budget
        self.table.focus()
        self.replan()

    def action_focus_target(self) -> None:
        self.query_one("#path-target", Select).focus()

    def action_focus_budget(self) -> None:
        self.query_one("#path-budget", Input).focus()

    def action_cursor(self, direction: str) -> None:
        table = self.table
        if direction == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_close(self) -> None:
        self.workers.cancel_group(self, "plan")
        self.workers.cancel_group(self, "effect")
        self.app.pop_screen()
