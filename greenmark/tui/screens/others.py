"""The main screen's way to the other screens: summary, history, scenarios, stage, path
to target, other schemes and help (a base of :class:`~greenmark.tui.screens.main.MainScreen`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from greenmark.tui.screens.saving import SavingScreen

if TYPE_CHECKING:
    from greenmark.tui.screens.main import MainScreen


class OtherScreens(SavingScreen):
    """Opens the other screens over the main one (what is typed is stored first)."""

    @property
    def _main(self) -> MainScreen:
        return cast("MainScreen", self)

    def action_summary(self) -> None:
        from greenmark.tui.screens.summary import SummaryScreen

        self.flush_edits()
        self.app.push_screen(SummaryScreen(self.session))

    def action_history(self) -> None:
        from greenmark.tui.screens.history import HistoryScreen

        self.flush_edits()
        self.app.push_screen(HistoryScreen(self.session))

    def action_scenarios(self) -> None:
        from greenmark.tui.screens.scenarios import ScenariosScreen

        self.flush_edits()
        self.app.push_screen(ScenariosScreen(self.session, host=self._main))

    def action_stage(self) -> None:
        from greenmark.tui.screens.stage import StageScreen

        self.flush_edits()
        self.app.push_screen(StageScreen(self.session, host=self._main))

    def stage_changed(self) -> None:
        """After a sign-off, a new revision or a new stage: redraw and save at once."""
        self.call_later(self.refresh_all)
        self.call_after_refresh(self.autosave)

    def action_path(self) -> None:
        from greenmark.tui.screens.path import PathScreen

        self.flush_edits()
        self.app.push_screen(PathScreen(self.session, host=self._main))

    def action_compare(self) -> None:
        from greenmark.tui.screens.compare import CompareScreen

        self.flush_edits()
        self.app.push_screen(CompareScreen(self.session, host=self))

    async def scheme_changed(self) -> None:
        """After the project moved to another scheme: rebuild what the scheme shapes (the
        tree's order, the score panel's sections, the project pane's building types, every
        view), then save at once."""
        from greenmark.tui.widgets.project_pane import ProjectPane
        from greenmark.tui.widgets.score import ScorePanel
        from greenmark.tui.widgets.tree import CriteriaTree

        session = self.session
        tree = self.query_one(CriteriaTree)
        tree.prerequisites_first = session.scheme.scheme.prerequisites_first
        panel = self.query_one(ScorePanel)  # one part per section of the scheme
        panel.view = self._main._score_view(session.project, session.scored)
        await panel.recompose()
        await self.query_one(ProjectPane).recompose()
        await self.refresh_all()
        self.autosave()

    def action_help(self) -> None:
        from greenmark.tui.help_groups import help_groups, help_notes
        from greenmark.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(help_groups(self.app, type(self)), help_notes()))
