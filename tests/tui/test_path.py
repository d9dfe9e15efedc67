"""The "Path to target" screen and the session's measure methods behind it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from greenmark.core.project import load_project
from greenmark.design.measures import load_catalogue
from greenmark.design.plan import plan
from greenmark.tui.path_view import plan_rows
from greenmark.tui.screens.main import MainScreen
from greenmark.tui.screens.path import PathScreen, default_target
from greenmark.tui.screens.scenarios import ScenariosScreen
from greenmark.tui.session import Session
from greenmark.tui.values import Refused
from tui.conftest import SAMPLES, copy_project
from tui.helpers import run_async, score_text

SIZE = (100, 32)


def plain(widget: Static) -> str:
    console = Console(width=200, record=True, color_system=None, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def settle(pilot: Pilot[None]) -> None:
    """Let the search and effect workers finish and their results be drawn."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def path_screen(pilot: Pilot[None]) -> PathScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PathScreen), screen
    return screen


def texts(screen: PathScreen) -> dict[str, str]:
    return {
        name: plain(screen.query_one(f"#path-{name}", Static))
        for name in ("gap", "status", "effect")
    }


def table_rows(screen: PathScreen) -> list[str]:
    table: DataTable[object] = screen.query_one("#path-plan", DataTable)
    return [
        " ".join(str(cell) for cell in table.get_row_at(i)).strip() for i in range(table.row_count)
    ]


async def choose_target(pilot: Pilot[None], tier: str) -> None:
    screen = path_screen(pilot)
    screen.query_one("#path-target", Select).value = tier
    await pilot.pause()
    await settle(pilot)


async def open_path(pilot: Pilot[None], tier: str | None = None) -> PathScreen:
    """Press p on the main screen, wait for the plan, then choose ``tier`` if given."""
    await pilot.pause()
    await pilot.press("p")
    await settle(pilot)
    if tier is not None:
        await choose_target(pilot, tier)
    return path_screen(pilot)


# ---------------------------------------------------------------------- the screen


@run_async
async def test_p_opens_the_plan_for_the_next_tier_with_its_effect(mall_file: Path, make_app):
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await settle(pilot)
        screen = path_screen(pilot)
        assert screen.target == "goldplus"  # the mall is Gold: the next tier up
        shown = texts(screen)
        assert "Now Gold, 78.75 pts · GoldPLUS: 6.25 pts short" in shown["gap"]
        assert "gate NRB-P-3" in shown["gap"]
        assert shown["status"].startswith("exact:")
        rows = table_rows(screen)
        assert rows[0].startswith("▸ Cheapest plan") and "GoldPLUS" in rows[0]
        assert rows[1].startswith("chiller-065")
        # the first row is highlighted and its effect worked out on a copy
        assert "Applying chiller-065" in shown["effect"]
        assert "Gold → GoldPLUS" in shown["effect"]
        assert "chiller_eff 0.72 → 0.65 kW/RT" in shown["effect"]
        assert "Now passes: NRB-P-3" in shown["effect"]
        assert app.focused is screen.table
        # nothing was stored by looking
        assert screen.session.project.inputs["chiller_eff"] == 0.72
        assert not screen.session.unsaved


@run_async
async def test_plan_matches_the_designer_proposed_then_accepted_reaches_platinum(
    mall_file: Path, make_app
):
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_path(pilot, "platinum")
        session = screen.session
        expected = plan(session.loaded, session.scheme, "platinum")
        assert expected.best is not None
        assert screen.found is not None
        assert [r.measures for r in plan_rows(screen.found)] == [
            r.measures for r in plan_rows(expected)
        ]
        best = [m.id for m in expected.best.measures]
        assert screen.selected() is not None and list(screen.selected().measures) == best

        await pilot.press("a")  # a proposal, not a fact: the assessed values stay
        await settle(pilot)
        assert session.scored.result.tier == "gold"
        on_disk = load_project(mall_file).project
        assert on_disk.inputs["chiller_eff"] == 0.72
        (name,) = on_disk.scenarios
        assert on_disk.scenarios[name].measures == best
        assert on_disk.history[-1].field == f"scenarios.{name}"

        await pilot.press("escape", "c")  # the scenarios screen: scored beside the assessed
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)
        table = app.screen.query_one(DataTable)
        assert "Platinum" in str(table.get_row_at(0)[3])
        await pilot.press("a")  # accepted: now the assessed values, each change recorded
        await settle(pilot)
        assert session.scored.result.tier == "platinum"
        assert session.scored.result.total_points == pytest.approx(expected.best.total)
        on_disk = load_project(mall_file).project
        assert on_disk.inputs["chiller_eff"] == pytest.approx(0.6)
        assert not on_disk.scenarios
        fields = [entry.field for entry in on_disk.history]
        assert fields[-3:] == [f"scenarios.{name}", "inputs.chiller_eff", "inputs.eui"]
        assert on_disk.history[-3].new == "accepted"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "Platinum" in score_text(pilot)
        await pilot.press("ctrl+z")  # the acceptance is undoable
        await settle(pilot)
        assert session.scored.result.tier == "gold" and name in session.project.scenarios


@run_async
async def test_propose_one_measure_row_then_undo_and_redo(mall_file: Path, make_app):
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_path(pilot, "platinum")
        rows = table_rows(screen)
        row = next(i for i, text in enumerate(rows) if text.startswith("led-lpd-8"))
        for _ in range(row):
            await pilot.press("j")
        await settle(pilot)
        assert "Applying led-lpd-8" in texts(screen)["effect"]
        session = screen.session
        lpd_before = session.project.inputs.get("lpd")
        await pilot.press("enter")  # enter proposes the row, like a
        await settle(pilot)
        assert session.project.inputs.get("lpd") == lpd_before
        assert list(session.project.scenarios) == ["led-lpd-8"]
        assert "led-lpd-8" in load_project(mall_file).project.scenarios

        await pilot.press("ctrl+z")
        await settle(pilot)
        assert not session.project.scenarios
        assert not load_project(mall_file).project.scenarios
        assert isinstance(app.screen, PathScreen)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert list(session.project.scenarios) == ["led-lpd-8"]


@run_async
async def test_budget_shows_the_over_budget_plan_and_the_best_within(mall_file: Path, make_app):
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_path(pilot, "platinum")
        await pilot.press("b", *"900k", "enter")
        await settle(pilot)
        assert screen.budget == 900_000
        assert app.focused is screen.table
        rows = table_rows(screen)
        assert rows[0].startswith("▸ Cheapest, SGD 223,636 over budget")
        assert any(r.startswith("▸ Best within budget") and "GoldPLUS" in r for r in rows)
        assert "not reachable within the budget" in texts(screen)["status"]

        await pilot.press("b", "ctrl+a", "ctrl+k", *"lots", "enter")  # refused, kept
        await settle(pilot)
        assert screen.budget == 900_000
        assert any("expected an amount" in n.message for n in app._notifications)


@run_async
async def test_unreachable_target_names_what_blocks_it(tmp_path: Path, make_app):
    hotel = copy_project(SAMPLES / "eb-hotel-existing.toml", tmp_path)
    app = make_app(hotel)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_path(pilot, "platinum")
        status = texts(screen)["status"]
        assert "Platinum cannot be reached with the catalogue's measures" in status
        assert "✘" in status
        assert table_rows(screen) == []
        await pilot.press("a")  # nothing to propose: said, nothing changes
        await pilot.pause()
        assert not screen.session.unsaved


@run_async
async def test_path_from_the_command_palette_and_back(mall_file: Path, make_app):
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Path to target")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PathScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


# ---------------------------------------------------------------------- session methods


def test_try_measures_changes_nothing_and_apply_is_undoable(tmp_path: Path) -> None:
    path = copy_project(SAMPLES / "nrb-shopping-mall.toml", tmp_path)
    session = Session.open(path, "assessor")
    catalogue = load_catalogue()
    history = len(session.project.history)
    tried = session.try_measures(["chiller-060"], catalogue)
    assert tried.scored.result.tier == "platinum"
    first = tried.changes[0]
    assert (first.field, first.old, first.new) == ("inputs.chiller_eff", 0.72, 0.6)
    assert session.project.inputs["chiller_eff"] == 0.72
    assert len(session.project.history) == history and not session.unsaved

    step = session.apply_measures(["chiller-060"], catalogue)
    assert step.label == "apply chiller-060"
    assert session.scored.result.tier == "platinum" and session.unsaved
    assert [e.field for e in session.project.history[history:]][:2] == [
        "measures",
        "inputs.chiller_eff",
    ]
    assert all(e.who == "assessor" for e in session.project.history[history:])
    session.undo()
    assert session.project.inputs["chiller_eff"] == 0.72
    assert session.scored.result.tier == "gold"
    assert session.project.history[-1].field == "measures"  # the undo is recorded


def test_unknown_or_conflicting_measures_are_refused(tmp_path: Path) -> None:
    path = copy_project(SAMPLES / "nrb-shopping-mall.toml", tmp_path)
    session = Session.open(path, "assessor")
    catalogue = load_catalogue()
    with pytest.raises(Refused, match="no-such-measure"):
        session.try_measures(["no-such-measure"], catalogue)
    with pytest.raises(Refused, match="exclude each other"):
        session.apply_measures(["chiller-060", "chiller-065"], catalogue)
    assert not session.unsaved and not session.undo_stack


def test_default_target_is_the_next_tier_up(tmp_path: Path) -> None:
    mall = Session.open(copy_project(SAMPLES / "nrb-shopping-mall.toml", tmp_path), "a")
    assert default_target(mall) == "goldplus"
    top = Session.open(copy_project(SAMPLES / "nrb-office-tower.toml", tmp_path), "a")
    assert top.scored.result.tier == "platinum"
    assert default_target(top) == "platinum"


@run_async
async def test_a_failing_search_is_shown_not_lost(
    mall_file: Path, make_app, monkeypatch: pytest.MonkeyPatch
):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("greenmark.tui.screens.path.plan", broken)
    app = make_app(mall_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")
        await settle(pilot)
        status = texts(path_screen(pilot))["status"]
        assert "No plan: the search failed (RuntimeError: boom)" in status
