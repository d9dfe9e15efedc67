"""The other-schemes screen: the project under several schemes side by side (the facts of
``greenmark compare``), and switching the project over to one of them.

The scores come from :func:`greenmark.core.compare.compare` on the project as it is now
(saved or not), in a worker thread. Every result is indicative, and provisional under a
scheme that marks values unverified. Enter on a row asks before moving the project over
(:mod:`greenmark.tui.switch`): what is renamed, which inputs and responses are left out.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from greenmark.core.compare import SchemeOutcome, compare, default_references
from greenmark.core.project import LoadedProject
from greenmark.core.scheme import scheme_id_of
from greenmark.tui.session import Session
from greenmark.tui.switch import apply_switch, confirm_text, names, plan_for
from greenmark.tui.values import Refused

COLUMNS = ("Scheme", "Rating", "Unverified", "Headline", "Needs", "Left out", "Next level")


class CompareHost(Protocol):
    """What the screen needs of the main screen: to rebuild after a switch."""

    async def scheme_changed(self) -> None: ...


def row_cells(outcome: SchemeOutcome, own: bool) -> tuple[Text | str, ...]:
    """One scheme's row: id (● the project's own), rating, unverified values, headline,
    how many inputs it still needs and leaves out, and the next level."""
    name = Text(("● " if own else "  ") + outcome.scheme, "bold" if own else "")
    if outcome.error is not None:
        return (name, Text("not scored", "red"), "", "", "", "", outcome.reason or "")
    rating = Text(outcome.tier_title or "none", "green" if outcome.tier else "yellow")
    count = outcome.provisional
    unverified = Text(f"{count} provisional" if count else "0", "yellow" if count else "green")
    nxt = f"{outcome.next_tier}: {outcome.next_needs}" if outcome.next_tier else "top reached"
    return (
        name,
        rating,
        unverified,
        outcome.headline,
        str(len(outcome.missing)),
        str(len(outcome.left_out)),
        nxt.rstrip(": "),
    )


def detail_text(outcome: SchemeOutcome, own: bool) -> Text:
    """Everything about one scheme's row, the lists in full."""
    if outcome.error is not None:
        return Text.assemble(
            (outcome.scheme, "bold"), " cannot score this project: ", (outcome.reason or "", "red")
        )
    text = Text.assemble(
        (f"{outcome.scheme} {outcome.version}", "bold"), " — ", outcome.title, "\n"
    )
    text.append(outcome.tier_title or "no rating reached", "bold")
    count = outcome.provisional
    if count:
        text.append(f" (provisional: the scheme marks {count} values unverified)", "yellow")
    text.append(f", {outcome.headline}; ")
    if outcome.next_tier and outcome.next_needs:
        text.append(f"next {outcome.next_tier}: {outcome.next_needs}")
    else:
        text.append(f"next {outcome.next_tier}" if outcome.next_tier else "top level reached")
    text.append(f"\nStill needs ({len(outcome.missing)}): ", "bold")
    text.append(names(outcome.missing, 12) or "nothing")
    text.append(f"\nLeft out ({len(outcome.left_out)}): ", "bold")
    text.append(names(outcome.left_out, 12) or "nothing")
    text.append(
        "\nThe project's own scheme." if own else "\nenter: switch the project to this scheme",
        "dim",
    )
    return text


class CompareScreen(Screen[None]):
    """The project under several schemes; switch it to the one selected."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("enter,w", "switch", "Switch to this scheme"),
        Binding("slash", "choose", "Choose schemes"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    CompareScreen { padding: 0 1; }
    CompareScreen #compare-head { height: auto; }
    CompareScreen #compare-schemes { background: $panel; }
    CompareScreen DataTable { height: 1fr; min-height: 4; margin-top: 1; }
    CompareScreen #compare-detail { height: auto; max-height: 9; border-top: solid $primary; }
    """

    def __init__(
        self, session: Session, host: CompareHost, references: list[str] | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.host = host
        self.references = references
        self.rows: list[tuple[str, SchemeOutcome]] = []
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="compare-head")
        yield Input(
            placeholder="schemes to compare, e.g. gm-nrb,edge (enter); empty: every bundled one",
            compact=True,
            value=",".join(self.references or []),
            id="compare-schemes",
        )
        table: DataTable[object] = DataTable(id="compare-table", cursor_type="row")
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        yield table
        yield Static(id="compare-detail")
        yield Footer()

    def _head(self) -> Text:
        scheme = self.session.scheme
        return Text.assemble(
            ("Other schemes", "bold"),
            f" · {self.session.project.project.name} · assessed against ",
            (f"{scheme.id} {scheme.version}", "bold"),
            "\n",
            (
                "Indicative: the inputs scored as far as they carry over; provisional where a "
                "scheme marks values unverified; no rating here is an award.",
                "dim",
            ),
        )

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#compare-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.rescore()

    # ------------------------------------------------------------------ scoring

    def rescore(self) -> None:
        """Score the project under the chosen schemes, in a worker."""
        session = self.session
        loaded = LoadedProject(session.project, session.path, session.loaded.lines)
        references = self.references or default_references(loaded)
        self.generation += 1
        self.rows = []
        self.table.clear()
        self.query_one("#compare-detail", Static).update(
            Text(f"Scoring under {len(references)} schemes…", "dim")
        )
        self._score(self.generation, loaded, references)

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def _score(self, generation: int, loaded: LoadedProject, references: list[str]) -> None:
        try:
            rows = list(zip(references, compare(loaded, references), strict=True))
        except Exception as exc:  # a bug: say so on the screen, not in the thread
            message = f"{type(exc).__name__}: {exc}"
            self.app.call_from_thread(self._failed, generation, message)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, generation, rows)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.query_one("#compare-detail", Static).update(Text(message, "red"))

    def _own(self, outcome: SchemeOutcome) -> bool:
        info = self.session.project.project
        return outcome.scheme == scheme_id_of(info.scheme, self.session.path.parent)

    def _show(self, generation: int, rows: list[tuple[str, SchemeOutcome]]) -> None:
        if generation != self.generation:
            return
        self.rows = rows
        table = self.table
        table.clear()
        for index, (_, outcome) in enumerate(rows):
            table.add_row(*row_cells(outcome, self._own(outcome)), key=str(index))
        if rows:
            table.move_cursor(row=0)
            self._detail(0)

    def _detail(self, index: int) -> None:
        _, outcome = self.rows[index]
        self.query_one("#compare-detail", Static).update(detail_text(outcome, self._own(outcome)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        index = int(str(event.row_key.value))
        if index < len(self.rows):
            self._detail(index)

    def selected(self) -> tuple[str, SchemeOutcome] | None:
        table = self.table
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters typed in the schemes field are text, not keys."""
        return action == "close" or not isinstance(self.focused, Input)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on a row
        self.action_switch()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        chosen = [part.strip() for part in event.value.split(",") if part.strip()]
        self.references = chosen or None
        self.table.focus()
        self.rescore()

    def action_choose(self) -> None:
        self.query_one("#compare-schemes", Input).focus()

    def action_cursor(self, direction: str) -> None:
        if direction == "down":
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def action_close(self) -> None:
        if isinstance(self.focused, Input):
            self.table.focus()
            return
        self.app.pop_screen()

    def action_switch(self) -> None:
        from greenmark.tui.screens.dialogs import ConfirmScreen

        chosen = self.selected()
        if chosen is None:
            return
        reference, outcome = chosen
        if outcome.error is not None:
            self.notify(outcome.reason or outcome.error, title="Cannot switch", severity="error")
            return
        try:
            plan = plan_for(self.session, reference)
        except Refused as exc:
            self.notify(str(exc), title="Cannot switch", severity="error")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                apply_switch(self.session, plan)
            except Refused as exc:
                self.notify(str(exc), title="Not switched", severity="error")
                return
            self.app.pop_screen()
            self.app.call_later(self.host.scheme_changed)
            left = len(plan.left_out)
            aside = f"kept for {plan.kept_for} alone" if plan.kept_for else "left out"
            self.notify(
                f"Now assessed against {plan.scheme.id} {plan.scheme.version}"
                + (f"; {left} input{'s' if left != 1 else ''} {aside}" if left else ""),
                title="Scheme switched",
            )

        question = confirm_text(self.session, plan, outcome.provisional)
        self.app.push_screen(ConfirmScreen(question), answered)
