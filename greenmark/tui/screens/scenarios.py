"""The scenarios screen: proposals scored beside the assessed values; accept or discard."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from greenmark.core.errors import GreenmarkError
from greenmark.tui.path_view import amount, total_of
from greenmark.tui.session import Session
from greenmark.tui.values import Refused

if TYPE_CHECKING:
    from greenmark.design.measures import Catalogue
    from greenmark.tui.screens.main import MainScreen


class ScenariosScreen(Screen[None]):
    """Each scenario with its score and tier beside the assessed ones."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("a", "accept", "Accept (becomes assessed)"),
        Binding("delete,x", "discard", "Discard"),
    ]

    DEFAULT_CSS = """
    ScenariosScreen #scenarios-head { padding: 1 2 0 2; height: auto; }
    ScenariosScreen DataTable { margin: 1 2; height: 1fr; }
    """

    def __init__(self, session: Session, host: MainScreen) -> None:
        super().__init__()
        self.session = session
        self.host = host
        self._catalogue: Catalogue | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="scenarios-head")
        yield DataTable(cursor_type="row", id="scenarios-table")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("Scenario", "Measures", "Score", "Tier", "Proposed"):
            table.add_column(label, key=label.lower())
        self.fill()
        table.focus()

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from greenmark.design.measures import load_catalogue

            self._catalogue = load_catalogue()
        return self._catalogue

    def fill(self) -> None:
        """List the scenarios, each scored now."""
        from greenmark.tui.scenarios import score

        result = self.session.scored.result
        assessed = amount(total_of(result), result.scoring)
        head = Text.assemble(
            ("Scenarios", "bold"),
            ("  proposals, scored beside the assessed values; not part of them", "dim"),
            "\nAssessed: ",
            (f"{assessed}, {result.tier_title or 'no tier'}", "bold"),
            ("   a accepts the selected scenario (recorded), x discards it", "dim"),
        )
        self.query_one("#scenarios-head", Static).update(head)
        table = self.query_one(DataTable)
        table.clear()
        for name, scenario in self.session.project.scenarios.items():
            try:
                tried = score(self.session, name, self.catalogue)
                now = tried.scored.result
                total = amount(total_of(now), now.scoring)
                tier = now.tier_title or "no tier"
            except (Refused, GreenmarkError) as exc:
                total, tier = "cannot score", str(exc)[:60]
            table.add_row(
                name,
                ", ".join(scenario.measures),
                total,
                tier,
                f"{scenario.created:%Y-%m-%d} {scenario.who}",
                key=name,
            )
        if not self.session.project.scenarios:
            head.append("\nNo scenarios yet: propose one from the path to target (p, then a).")
            self.query_one("#scenarios-head", Static).update(head)

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.session.project.scenarios or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if key in self.session.project.scenarios else None

    async def action_accept(self) -> None:
        from greenmark.tui.scenarios import accept

        name = self._selected()
        if name is None:
            self.notify("No scenario selected.", severity="warning")
            return
        before = self.session.scored.result
        try:
            accept(self.session, name, self.catalogue)
        except (Refused, GreenmarkError) as exc:
            self.notify(str(exc), title="Not accepted", severity="error")
            return
        after = self.session.scored.result
        await self.host.refresh_all()
        self.host.autosave()
        self.fill()
        self.notify(
            f"Accepted {name}: {amount(total_of(before), before.scoring)} → "
            f"{amount(total_of(after), after.scoring)}, {after.tier_title or 'no tier'} "
            "(now the assessed values; ctrl+z on the main screen undoes)",
            title="Accepted",
        )

    async def action_discard(self) -> None:
        from greenmark.tui.scenarios import discard

        name = self._selected()
        if name is None:
            return
        try:
            discard(self.session, name)
        except Refused as exc:
            self.notify(str(exc), title="Not discarded", severity="error")
            return
        await self.host.refresh_all()
        self.host.autosave()
        self.fill()
        self.notify(f"Discarded {name}")
