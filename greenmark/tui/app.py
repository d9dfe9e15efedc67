"""The Textual application: opens a project (or the new-project wizard) on the main screen."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from greenmark.tui.commands import CriteriaProvider
from greenmark.tui.create import NewProject
from greenmark.tui.screens.dialogs import ConfirmScreen
from greenmark.tui.screens.main import MainScreen
from greenmark.tui.session import Session, default_who
from greenmark.tui.theme import choose_theme, counterpart

#: Keys never held during start-up (quitting works at once).
PASS_THROUGH = frozenset({"ctrl+q", "ctrl+c"})


class GreenmarkApp(App[None]):
    """The assessor's tool."""

    CSS_PATH = "app.tcss"
    TITLE = "greenmark"
    COMMANDS: ClassVar = App.COMMANDS | {CriteriaProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (saves first)"),
        Binding("ctrl+t", "toggle_theme", "Theme", tooltip="Switch between light and dark"),
    ]

    def __init__(
        self,
        session: Session | None = None,
        *,
        theme: str | None = None,
        blink: bool = True,
        new: NewProject | None = None,
        who: str = "",
    ) -> None:
        super().__init__()
        self.session = session
        self.blink = blink
        self.new_answers = new or NewProject()
        self.who = who or (session.who if session else default_who())
        self.theme = choose_theme(theme)
        # Keys typed while the app starts (a slow start under load) are held, then
        # replayed once the main screen is ready, so none goes to the wrong place.
        self.holding_keys = session is not None
        self.held_keys: list[events.Key] = []

    async def on_event(self, event: events.Event) -> None:
        if (
            self.holding_keys
            and isinstance(event, events.Key)
            and not event.is_forwarded
            and event.key not in PASS_THROUGH
        ):
            self.held_keys.append(event)
            return
        await super().on_event(event)

    def release_keys(self) -> None:
        """Replay the keys typed during start-up, in order (the main screen is ready)."""
        self.holding_keys = False
        held, self.held_keys = self.held_keys, []
        for key in held:
            self.post_message(events.Key(key.key, key.character))

    def on_mount(self) -> None:
        if self.session is not None:
            self.push_screen(MainScreen(self.session))
        else:
            from greenmark.tui.screens.wizard import WizardScreen

            self.push_screen(WizardScreen(self.new_answers, self.who), self._created)

    def _created(self, path: Path | None) -> None:
        if path is None:
            self.exit()
            return
        self.call_later(self._open, path)

    def _open(self, path: Path) -> None:
        self.session = Session.open(path, self.who)
        self.push_screen(MainScreen(self.session))
        self.notify(f"Created {path.name}; assess it here.")

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    async def goto(self, kind: str, item_id: str) -> None:
        """Select a criterion or gate (from the command palette)."""
        main = self.main
        if main is None:
            return
        while self.screen is not main:
            self.pop_screen()
        await main.goto(kind, item_id)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        if main is None:
            return
        yield SystemCommand("Summary", "The whole assessment at a glance", main.action_summary)
        yield SystemCommand(
            "Path to target",
            "The cheapest measures to reach a tier, and what each one does",
            main.action_path,
        )
        yield SystemCommand(
            "Change history", "Every recorded change: who, when, old, new", main.action_history
        )
        yield SystemCommand(
            "Other schemes",
            "The project under other rating schemes side by side; switch it to one",
            main.action_compare,
        )
        yield SystemCommand("Write certificate", "Write the certificate report", main.action_report)
        yield SystemCommand(
            "Next unassessed", "Go to the next criterion not assessed", main.action_next_unassessed
        )
        yield SystemCommand(
            "Toggle attention filter", "Only what needs attention", main.action_toggle_filter
        )
        yield SystemCommand("Save", "Save the project file now", main.action_save)
        yield SystemCommand(
            "Toggle light/dark", "Switch between light and dark themes", self.action_toggle_theme
        )

    def action_toggle_theme(self) -> None:
        self.theme = counterpart(self.theme)

    async def action_quit(self) -> None:
        main = self.main
        if main is None or self.session is None:
            self.exit()
            return
        main.flush_edits()
        main.autosave()
        if not self.session.unsaved:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "Your latest changes are NOT saved (the file changed on disk or "
                "cannot be written). Quit anyway and lose them?"
            ),
            answered,
        )
