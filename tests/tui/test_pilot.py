"""The main flows, driven headless with Textual's pilot."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Switch

from greenmark.core.project import load_project
from greenmark.tui.screens.dialogs import ConflictScreen
from greenmark.tui.screens.help import HelpScreen
from greenmark.tui.screens.main import MainScreen, TopBar
from greenmark.tui.screens.summary import SummaryScreen
from greenmark.tui.widgets.quiet import QuietStatic
from greenmark.tui.widgets.tree import NodeRef
from tui.helpers import main_screen, run_async, score_text, type_into, until

SIZE = (100, 32)


@run_async
async def test_open_sample_shows_tree_detail_and_score(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        assert screen.current == NodeRef("criterion", "EN-1")
        labels = [str(node.label) for node in screen.criteria_tree.nodes_by_ref.values()]
        assert any(label.startswith("◐ EN-1") for label in labels)
        assert any("Prerequisites" in label for label in labels)
        text = score_text(pilot)
        assert "53.7 / 60 pts" in text and "GoldPLUS" in text and "1.3 pts short" in text
        assert app.focused is screen.criteria_tree


@run_async
async def test_move_through_criteria_with_arrows_and_vim_keys(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("j")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-2")
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-4")
        await pilot.press("k")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-3")
        await pilot.press("h")  # to the section
        await pilot.pause()
        assert screen.current == NodeRef("section", "energy")
        await pilot.press("h")  # collapse it
        await pilot.pause()
        assert not screen.criteria_tree.nodes_by_ref[NodeRef("section", "energy")].is_expanded
        await pilot.press("l", "l")  # expand, then into the first criterion
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-1")
        await pilot.press("l")  # and edit it
        await pilot.pause()
        assert isinstance(app.focused, Input)  # editing EN-1's ettv


@run_async
async def test_enter_a_value_and_see_score_and_tier_change(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await type_into(pilot, "#input-ettv Input", "35")
        # as you type: a preview, nothing stored yet
        assert screen.previewing and "Platinum" in score_text(pilot)
        assert load_project(demo_file).project.inputs["ettv"].value == 41.5  # type: ignore[union-attr]
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.previewing
        assert app.session.scored.result.tier == "platinum"
        assert "55.5 / 60 pts" in score_text(pilot) and "Top tier reached" in score_text(pilot)
        label = str(screen.criteria_tree.nodes_by_ref[NodeRef("criterion", "EN-1")].label)
        assert label.startswith("✔ EN-1") and "12/12" in label
        # autosaved, with the change in the history
        saved = load_project(demo_file).project
        assert saved.inputs["ettv"] == 35
        assert saved.history[-1].field == "inputs.ettv" and saved.history[-1].who == "tester"


@run_async
async def test_invalid_value_is_refused_and_the_file_is_unchanged(
    demo_file: Path, make_app
) -> None:
    original = demo_file.read_bytes()
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        field = await type_into(pilot, "#input-ettv Input", "999")
        editor = screen.query_one("#input-ettv")
        assert editor.has_class("-error")
        assert "above the maximum 200 W/m2" in str(editor.query_one(".editor--message").render())
        assert "GoldPLUS" in score_text(pilot)  # no preview of an invalid value
        await pilot.press("enter")  # refused, back to the stored value
        await pilot.pause()
        assert field.value == "41.5 W/m2"
        assert any("Refused" in (n.title or "") for n in app._notifications)
        await type_into(pilot, "#input-ettv Input", "abc")
        await pilot.press("escape")  # leaving the field: refused too
        await pilot.pause()
        assert field.value == "41.5 W/m2"
        assert app.session.project.inputs["ettv"].value == 41.5  # type: ignore[union-attr]
        assert not app.session.project.history
    assert demo_file.read_bytes() == original


@run_async
async def test_booleans_and_choices(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await screen.goto("criterion", "EN-4")
        await pilot.pause()
        switch = screen.query_one("#input-has_carpark Switch", Switch)
        switch.focus()
        await pilot.press("space")  # no car park: EN-4 becomes not applicable
        await pilot.pause()
        statuses = {c.id: c.status for c in app.session.scored.result.criteria}
        assert statuses["EN-4"] == "not_applicable"
        await pilot.press("delete")  # not given any more
        await pilot.pause()
        assert "has_carpark" not in app.session.project.inputs
        select = screen.query_one("#input-carpark_ventilation Select", Select)
        select.value = "natural"
        await pilot.pause()
        assert app.session.project.inputs["carpark_ventilation"] == "natural"


@run_async
async def test_add_duplicate_and_remove_facade_rows(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("2")
        await pilot.pause()
        panel = screen.panel("facades")
        assert app.focused is panel.table and panel.table.row_count == 4
        await pilot.press("a")
        await pilot.pause()
        assert panel.table.row_count == 5 and panel.row_index == 1
        assert len(load_project(nrb_file).project.facades) == 5  # autosaved
        await pilot.press("x")
        await pilot.pause()
        assert panel.table.row_count == 4
        await pilot.press("c")
        await pilot.pause()
        names = [f.name for f in app.session.project.facades]
        assert names == ["North", "East", "East (copy)", "South", "West"]
        await pilot.press("ctrl+z", "ctrl+z")  # undo the copy, then the delete
        await pilot.pause()
        names = [f.name for f in load_project(nrb_file).project.facades]
        assert names == ["North", "Facade 5", "East", "South", "West"]


@run_async
async def test_facade_edit_updates_derived_results_as_you_type(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("2", "j")
        await pilot.pause()
        panel = screen.panel("facades")
        row_line = panel.query_one(".row-derived", QuietStatic)
        summary = panel.query_one(".summary", QuietStatic)
        assert "ETTV 28.0" in row_line.shown.plain
        assert "building ETTV 25.28 W/m2" in summary.shown.plain
        await type_into(pilot, "#facades-panel #cell-window_area Input", "900")
        # previewed as you type: this facade's and the building's ETTV
        assert "WWR 0.75" in row_line.shown.plain and "preview" in row_line.shown.plain
        assert "building ETTV 29.13 W/m2" in summary.shown.plain
        assert app.session.project.facades[1].window_area == 480  # not stored yet
        await type_into(pilot, "#facades-panel #cell-window_area Input", "1300")
        editor = screen.query_one("#facades-panel #cell-window_area")
        assert editor.has_class("-error")
        assert "exceeds the gross wall area" in editor.query_one(".editor--message").content
        await type_into(pilot, "#facades-panel #cell-window_area Input", "900", submit=True)
        assert app.session.project.facades[1].window_area == 900
        assert str(panel.table.get_cell("1", "window_area")) == "900"
        assert str(panel.table.get_cell("1", "=WWR")) == "0.75"  # the table follows
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is panel.table


@run_async
async def test_undo_and_redo(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await type_into(pilot, "#input-ettv Input", "35", submit=True)
        await type_into(pilot, "#input-ettv Input", "3")  # typed, not stored
        await pilot.press("ctrl+z")  # first: discard the typing
        await pilot.pause()
        assert screen.query_one("#input-ettv Input", Input).value == "35"
        await pilot.press("ctrl+z")  # then: undo the stored change
        await pilot.pause()
        assert screen.query_one("#input-ettv Input", Input).value == "41.5 W/m2"
        assert app.session.scored.result.tier == "goldplus"
        assert load_project(demo_file).project.inputs["ettv"].value == 41.5  # type: ignore[union-attr]
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert app.session.project.inputs["ettv"] == 35
        assert screen.query_one("#input-ettv Input", Input).value == "35"


@run_async
async def test_save_and_reload_with_nothing_lost(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await screen.goto("criterion", "EN-2")
        await pilot.pause()
        await type_into(pilot, "#input-eui Input", "120", submit=True)
        area = screen.query_one("#response-answer TextArea")
        area.focus()
        area.text = "Modelled by the energy consultant."  # type: ignore[attr-defined]
        evidence = screen.query_one("#response-evidence TextArea")
        evidence.focus()  # leaving the answer stores it
        evidence.text = "Energy model report rev B\nUtility bills 2025"  # type: ignore[attr-defined]
        await pilot.pause()
        screen.query_one("#response-review_state Select", Select).value = "needs_clarification"
        await pilot.pause()
        await type_into(pilot, "#response-review_comment Input", "Which baseline year?")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.session.unsaved
        await pilot.press("ctrl+q")
        await pilot.pause()
    saved = load_project(demo_file).project
    response = saved.responses["EN-2"]
    assert saved.inputs["eui"] == 120
    assert response.answer == "Modelled by the energy consultant."
    assert response.evidence == ["Energy model report rev B", "Utility bills 2025"]
    assert response.review_state == "needs_clarification"
    assert response.review_comment == "Which baseline year?"
    # reopening shows exactly that
    again = make_app(demo_file)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await screen.goto("criterion", "EN-2")
        await pilot.pause()
        assert screen.query_one("#input-eui Input", Input).value == "120"
        assert screen.query_one("#response-evidence TextArea").text.splitlines() == [  # type: ignore[attr-defined]
            "Energy model report rev B",
            "Utility bills 2025",
        ]
        assert screen.query_one("#response-review_comment Input", Input).value == (
            "Which baseline year?"
        )
        label = str(screen.criteria_tree.nodes_by_ref[NodeRef("criterion", "EN-2")].label)
        assert "⚑" in label


@run_async
async def test_external_change_prompts_and_reloads(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        demo_file.write_text(demo_file.read_text().replace("eui = 128", "eui = 110"))
        screen.check_disk()
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("r")
        await pilot.pause()
        assert app.screen is screen
        assert app.session.project.inputs["eui"] == 110
        assert "✔ saved" in screen.query_one(TopBar).text


@run_async
async def test_external_change_before_saving_is_not_overwritten(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        theirs = demo_file.read_text().replace("eui = 128", "eui = 110")
        demo_file.write_text(theirs)
        await type_into(pilot, "#input-ettv Input", "35", submit=True)  # autosave finds it
        await until(pilot, lambda: isinstance(app.screen, ConflictScreen))
        assert isinstance(app.screen, ConflictScreen)
        assert demo_file.read_text() == theirs  # nothing overwritten behind the prompt
        await pilot.press("escape")  # decide later: autosave paused
        await pilot.pause()
        assert screen.conflict_deferred and app.session.unsaved
        assert "autosave paused" in screen.query_one(TopBar).text
        await pilot.press("ctrl+s")  # asks again
        await pilot.pause()
        await pilot.press("c")  # keep both: mine goes to a copy
        await pilot.pause()
    assert demo_file.read_text() == theirs
    copy = demo_file.with_name("demo-office-tester.toml")
    assert load_project(copy).project.inputs["ettv"] == 35


@run_async
async def test_prompt_on_start_when_the_file_changed_after_loading(
    demo_file: Path, make_app
) -> None:
    app = make_app(demo_file)
    demo_file.write_text(demo_file.read_text().replace("eui = 128", "eui = 111"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("o")  # keep mine
        await pilot.pause()
    assert load_project(demo_file).project.inputs["eui"] == 128


@run_async
async def test_review_filter_shows_what_needs_attention(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        screen.query_one("#response-review_state Select", Select).value = "needs_clarification"
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        refs = set(screen.criteria_tree.nodes_by_ref)
        shown = {r.id for r in refs if r.kind in ("criterion", "gate")}
        assert shown == {
            "NRB-1-1",  # needs clarification
            "NRB-1-4",
            "NRB-1-9b",
            "NRB-3-7",
            "NRB-4-4",
            "NRB-5-2",
            "NRB-5-3",  # not assessed
            "NRB-P-4",  # failing gate
        }
        assert "filter: needs attention" in screen.query_one(TopBar).text
        await pilot.press("f")
        await pilot.pause()
        assert len(screen.criteria_tree.nodes_by_ref) > 40


@run_async
async def test_next_unassessed_and_palette_jump(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "NRB-1-4")
        await pilot.press("n")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "NRB-1-9b")
        await pilot.press("N")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "NRB-1-4")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"NRB-3-5")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "NRB-3-5")


@run_async
async def test_help_lists_every_binding(demo_file: Path, make_app) -> None:
    from greenmark.tui.help_groups import help_groups

    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {keys for _, rows in help_groups(app, MainScreen) for keys, _ in rows}
        for keys in (
            "ctrl+s",
            "ctrl+z",
            "ctrl+y",
            "n",
            "N",
            "f",
            "s",
            "p",
            "H",
            "r",
            "? / f1",
            "ctrl+p",
            "j",
            "k",
            "h",
            "l",
            "a / ins",
            "c",
            "x / del",
            "ctrl+t",
            "ctrl+q",
            "del / ⌫",
            "1",
            "5",
            "esc",
            "e",
            "g / :",
        ):
            assert keys in listed, keys
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is main_screen(pilot)


@run_async
async def test_summary_screen(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("escape")
        await pilot.pause()
        main_screen(pilot)


@run_async
async def test_report_writes_the_certificate(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = demo_file.with_name("demo-office-certificate.html")
    assert written.exists() and "Harbourfront" in written.read_text()


@run_async
async def test_theme_toggle_and_narrow_layout(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        assert screen.has_class("-narrow")
        assert "Tier GoldPLUS" in score_text(pilot)  # compact strip
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


@run_async
async def test_project_tab_edits_gfa_and_feeds_carbon(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        await type_into(pilot, "#project-gross_floor_area Input", "344445 ft2", submit=True)
        info = app.session.project.project
        assert info.gross_floor_area is not None
        await type_into(pilot, "#project-name Input", "", submit=True)  # required: refused
        assert app.session.project.project.name == "Marina Link Office"
        await pilot.press("escape", "3")
        await pilot.pause()
        summary = str(main_screen(pilot).panel("boq").query_one(".summary").render())
        assert "kgCO2e/m2" in summary


def _first_sample_of_each_scheme() -> set[str]:
    seen: dict[str, str] = {}
    for path in sorted(Path(__file__).parents[2].joinpath("samples").glob("*.toml")):
        scheme = tomllib.loads(path.read_text(encoding="utf-8"))["project"]["scheme"]
        seen.setdefault(scheme, path.name)
    return set(seen.values())


WALK_EVERY_SCREEN = _first_sample_of_each_scheme()


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in Path(__file__).parents[2].joinpath("samples").glob("*.toml"))
)
@run_async
async def test_every_bundled_sample_opens(sample: str, tmp_path: Path, make_app) -> None:
    """Every sample opens and its tables render; one sample per scheme also walks the
    project tab, the next-unassessed and filter keys and the summary (the same code for
    every sample of a scheme, so once per scheme keeps the suite fast)."""
    from tui.conftest import SAMPLES, copy_project

    path = copy_project(SAMPLES / sample, tmp_path)
    app = make_app(path)
    keys = ("2", "3", "4", "5", "1", "n", "f", "s") if sample in WALK_EVERY_SCREEN else "234"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        assert app.session is not None
        assert screen.session.scored.result.scheme_id


@run_async
async def test_click_shows_a_criterion_double_click_edits_it(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        tree = screen.criteria_tree
        line = tree.nodes_by_ref[NodeRef("criterion", "EN-3")].line
        y = line - int(tree.scroll_y)
        await pilot.click(tree, offset=(8, y))
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-3")
        assert app.focused is tree  # the next key goes to the tree, not into a field
        await pilot.press("j")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-4")
        section = tree.nodes_by_ref[NodeRef("section", "energy")]
        await pilot.click(tree, offset=(8, section.line - int(tree.scroll_y)))
        await pilot.pause()
        assert not section.is_expanded  # a click on a section closes it
        await pilot.click(tree, offset=(8, section.line - int(tree.scroll_y)))
        await pilot.pause()
        assert section.is_expanded
        line = tree.nodes_by_ref[NodeRef("criterion", "EN-2")].line
        await pilot.click(tree, offset=(8, line - int(tree.scroll_y)), times=2)
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-2")
        assert app.focused is not tree and screen.detail in app.focused.ancestors
