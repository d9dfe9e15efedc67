"""The other-schemes screen (o): the project under several schemes side by side, and
switching the project to one of them (asked first, saved at once, recorded)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from greenmark.core.compare import compare, plan_switch
from greenmark.core.project import load_project
from greenmark.core.records import SignOff
from greenmark.tui.help_groups import help_groups
from greenmark.tui.screens.compare import CompareScreen
from greenmark.tui.screens.dialogs import ConfirmScreen
from greenmark.tui.screens.help import HelpScreen
from greenmark.tui.screens.main import MainScreen, TopBar
from greenmark.tui.session import Session
from greenmark.tui.switch import plan_for
from greenmark.tui.values import Refused
from greenmark.tui.widgets.keybar import HINTS
from tui.conftest import SAMPLES, copy_project
from tui.helpers import main_screen, run_async, score_text

SIZE = (120, 40)
OFFICE = SAMPLES / "gm2021-office-sle.toml"  # gm-2021, Platinum


@pytest.fixture
def office(tmp_path: Path) -> Path:
    return copy_project(OFFICE, tmp_path, "office.toml")


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(2):  # the scores come from a worker thread
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _open(pilot: Pilot[None], schemes: str = "") -> CompareScreen:
    """Press o; with ``schemes``, type them into the screen's field."""
    await pilot.pause()
    await pilot.press("o")
    await _settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    if schemes:
        await pilot.press("slash", *schemes, "enter")
        await _settle(pilot)
    return screen


def _detail(screen: CompareScreen) -> str:
    return str(screen.query_one("#compare-detail", Static).render())


@run_async
async def test_o_lists_the_project_under_every_bundled_scheme(office: Path, make_app) -> None:
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        outcomes = [outcome for _, outcome in screen.rows]
        assert outcomes[0].scheme == "gm-2021" and outcomes[0].tier == "platinum"
        schemes = [o.scheme for o in outcomes]
        assert {"gm-nrb", "edge", "gm-2021-existing"} <= set(schemes)
        assert len(schemes) == len(set(schemes))
        # every scored row says how many unverified values its scheme holds
        table = screen.table
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0].startswith("● gm-2021") and first[1] == "Platinum"
        assert first[2] == f"{outcomes[0].provisional} provisional"
        detail = _detail(screen)
        assert "provisional: the scheme marks" in detail and "The project's own scheme" in detail
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@run_async
async def test_a_chosen_set_and_a_scheme_that_cannot_take_the_building(
    office: Path, make_app
) -> None:
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, "gm-nrb,gm-rb")
        assert [reference for reference, _ in screen.rows] == ["gm-nrb", "gm-rb"]
        nrb = screen.rows[0][1]
        assert nrb.error is None and nrb.provisional > 0
        assert f"Left out ({len(nrb.left_out)})" in _detail(screen)
        await pilot.press("j")
        assert "cannot score this project" in _detail(screen)
        before = office.read_bytes()
        await pilot.press("enter")  # not scored: nothing to switch to
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert office.read_bytes() == before


@run_async
async def test_switching_asks_first_and_no_leaves_everything(office: Path, make_app) -> None:
    app = make_app(office)
    before = office.read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "gm-nrb")
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        plan = plan_switch(load_project(office), "gm-nrb")
        question = str(dialog.question)
        assert "Switch Kallang Riverside Offices from gm-2021 to gm-nrb" in question
        assert '[project] scheme becomes "gm-nrb"' in question
        assert f"Inputs left out ({len(plan.left_out)}): {plan.left_out[0]}" in question
        assert all(f"{old} → {new}" in question for old, new in plan.renamed.items())
        assert "(kept for gm-2021 alone under [inputs_for.gm-2021])" in question
        dropped = len(plan.responses_dropped)
        assert f"Responses dropped ({dropped} of {dropped})" in question
        assert "indicative, provisional" in question
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        assert app.session.scheme.id == "gm-2021"
    assert office.read_bytes() == before


@run_async
async def test_switching_saves_the_scheme_losslessly_and_records_it(office: Path, make_app) -> None:
    original = office.read_text(encoding="utf-8")
    before = load_project(office).project
    plan = plan_switch(load_project(office), "gm-nrb")
    assert plan.left_out and plan.renamed and plan.responses_dropped
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "gm-nrb")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await _settle(pilot)
        main = main_screen(pilot)
        session = app.session
        assert session.scheme.id == "gm-nrb" and not session.unsaved
        assert "gm-nrb 4.1-gm.1" in main.query_one(TopBar).text
        assert f"Tier   {plan.scored.result.tier_title}" in score_text(pilot)
        assert not session.undo_stack  # a switch is not undone with ctrl+z
        await pilot.press("ctrl+z")
        assert session.scheme.id == "gm-nrb"

    text = office.read_text(encoding="utf-8")
    after = load_project(office).project
    assert after.project.scheme == "gm-nrb" and after.project.scheme_version is None
    assert 'scheme = "gm-nrb"' in text and "scheme_version" not in text
    for old, new in plan.renamed.items():
        assert after.inputs[new] == before.inputs[old] and old not in after.inputs
    # what gm-nrb has no use for is kept for gm-2021 alone, as it was
    assert not set(plan.left_out) & set(after.inputs)
    assert after.inputs_for["gm-2021"] == {n: before.inputs[n] for n in plan.left_out}
    assert {k: v for k, v in after.inputs_for.items() if k != "gm-2021"} == before.inputs_for
    assert not set(plan.responses_dropped) & set(after.responses)
    # everything else as it was: the comments, the tables, the untouched values
    assert text.startswith(original[: original.index("[project]")])
    tables = original[original.index("\n[[facades]]\n") : original.index("\n# ----")]
    assert tables in text
    assert 'address = "31 Kallang Avenue, Singapore 339416"' in text
    # the history: the scheme, each rename and each value set aside, by the assessor
    history = after.history[len(before.history) :]
    entries = {(e.field, e.note.split(": ")[-1]) for e in history}
    switch = next(e for e in history if e.field == "project.scheme")
    assert (switch.old, switch.new, switch.who) == ("gm-2021", "gm-nrb", "tester")
    assert all(
        (f"inputs.{new}", f"was inputs.{old}") in entries for old, new in plan.renamed.items()
    )
    kept = "kept as inputs_for.gm-2021"
    assert all((f"inputs.{name}", kept) in entries for name in plan.left_out)
    assert all((f"responses.{c}", "no such criterion") in entries for c in plan.responses_dropped)
    # it opens again under its new scheme, and under gm-2021 it scores as it did
    reopened = Session.open(office, "tester")
    assert reopened.scored.result.tier == plan.scored.result.tier
    outcome = compare(load_project(office), ["gm-2021"])[0]
    assert outcome.tier == "platinum" and outcome.headline == "77 points"


@run_async
async def test_a_scheme_the_project_gives_values_for_alone(office: Path, make_app) -> None:
    """Values under [inputs_for.edge] become the project's inputs once it is on edge."""
    given = load_project(office).project.inputs_for["edge"]
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "edge")
        await pilot.press("enter")
        await pilot.pause()
        assert f"From [inputs_for.edge] ({len(given)})" in str(app.screen.question)
        await pilot.press("y")
        await _settle(pilot)
    after = load_project(office).project
    assert "edge" not in after.inputs_for
    assert all(after.inputs[name] == value for name, value in given.items())


@run_async
async def test_a_scheme_with_other_sections_and_building_types(office: Path, make_app) -> None:
    """The score panel gets one part per section of the new scheme; the project pane keeps
    the building type the scheme files under one of its own."""
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, "gbt-50378")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await _settle(pilot)
        assert app.session.scheme.id == "gbt-50378"
        sections = [s.title for s in app.session.scored.result.sections]
        assert len(sections) > 5
        panel = score_text(pilot)
        assert all(title.split()[0] in panel for title in sections)
        await pilot.press("5")
        await pilot.pause()
        select = main_screen(pilot).query_one("#project-building_type Select", Select)
        assert select.value == "office"
    assert load_project(office).project.project.scheme == "gbt-50378"


def test_a_signed_off_stage_cannot_switch(office: Path) -> None:
    session = Session.open(office, "tester")
    signoff = SignOff(stage="design", revision=1, who="reviewer", at=datetime.now(UTC))
    session.loaded.project.signoffs = [signoff]
    with pytest.raises(Refused, match="signed off"):
        plan_for(session, "gm-nrb")
    with pytest.raises(Refused, match="already assessed against gm-2021"):
        plan_for(Session.open(office, "tester"), "gm-2021")


@run_async
async def test_the_key_in_the_bar_the_help_and_the_palette(office: Path, make_app) -> None:
    assert ("o", "schemes") in HINTS["tree"]
    app = make_app(office)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Other schemes" in commands
        groups = dict(help_groups(app, MainScreen))
        assert ("o", "The project under other schemes side by side; switch it to one") in groups[
            "Everywhere"
        ]
        assert ("enter / w", "Switch to this scheme") in groups["Other schemes screen"]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


def test_compare_screen_snapshot(snap_compare, tmp_path: Path, make_app) -> None:
    """A fixed set of schemes (the bundled ones grow): the own, one other, one refused."""
    demo = copy_project(SAMPLES / "demo-office.toml", tmp_path, "office.toml")

    async def open_compare(pilot: Pilot[None]) -> None:
        await pilot.pause()
        app = pilot.app
        host = app.main
        assert host is not None
        app.push_screen(CompareScreen(app.session, host, ["demo", "edge", "gm-rb"]))
        await _settle(pilot)
        pilot.app.screen.query_one(Input).blur()

    assert snap_compare(make_app(demo), terminal_size=(100, 32), run_before=open_compare)
