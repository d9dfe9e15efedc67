"""Tables take units and show values in full; edits save without loss; the palette ranks an
exact id first."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from textual.widgets import Input

from greenmark.core.project import Quantity, load_project
from greenmark.tui.commands import rank
from greenmark.tui.tables import BOQ, FACADES, FITTINGS, cell_display, parse_cell
from greenmark.tui.values import Refused, area_text
from greenmark.tui.widgets.tree import NodeRef
from tui.conftest import SAMPLES, copy_project
from tui.helpers import main_screen, run_async, type_into

SIZE = (120, 36)
WALL = "#facades-panel #cell-wall_area Input"


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def table_text(pilot, table: str) -> list[str]:
    """The table's lines as shown on screen."""
    rows = main_screen(pilot).panel(table).table
    return [
        "".join(segment.text for segment in rows.render_line(y)) for y in range(rows.row_count + 1)
    ]


def column(spec, key: str):
    return next(c for c in spec.columns if c.key == key)


def test_cells_take_units_like_every_input() -> None:
    wall = column(FACADES, "wall_area")
    typed = parse_cell(wall, "8611 ft2")
    assert typed == Quantity(value=8611, unit="ft2")
    assert parse_cell(wall, "1200 m²") == 1200  # its own unit, however spelled
    with pytest.raises(Refused, match="must be above 0 m2, got 0 m2"):
        parse_cell(wall, "0 ft2")  # the range is checked on the converted value
    with pytest.raises(Refused, match="cannot convert"):
        parse_cell(wall, "5 kg")
    assert parse_cell(column(FACADES, "wall_u"), "0.5 W/m2K") == 0.5
    u = parse_cell(column(FACADES, "wall_u"), "0.1 Btu/h/ft2/degF")
    assert isinstance(u, Quantity)
    assert parse_cell(column(FITTINGS, "rating"), "1.8 L/min") == 1.8
    with pytest.raises(Refused, match="Count takes a plain number"):
        parse_cell(column(FITTINGS, "count"), "3 pcs")
    with pytest.raises(Refused, match="the Unit column"):
        parse_cell(column(BOQ, "quantity"), "5 m3")


@run_async
async def test_a_facade_area_in_ft2_is_stored_in_m2_and_shown_in_both(
    nrb_file: Path, make_app
) -> None:
    before = nrb_file.read_text()
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("2", "j")
        await pilot.pause()
        panel = screen.panel("facades")
        await type_into(pilot, WALL, "8611 ft2", submit=True)
        assert app.session.project.facades[1].wall_area == 799.988
        assert str(panel.table.get_cell("1", "wall_area")) == "8,611 ft² (800 m²)"
        assert any("8,611 ft² (800 m²)" in line for line in table_text(pilot, "facades"))
        assert screen.query_one(WALL, Input).value == "8611 ft2"  # as typed
        entry = app.session.project.history[-1]
        assert entry.field == "facades[1].wall_area" and entry.new == Quantity(
            value=8611, unit="ft2"
        )
        await pilot.press("escape", "k", "j")  # away and back: the form shows it as typed
        await pilot.pause()
        assert screen.query_one(WALL, Input).value == "8611 ft2"
        await type_into(pilot, WALL, "5 kg")
        editor = screen.query_one("#facades-panel #cell-wall_area")
        assert editor.has_class("-error") and "cannot convert" in str(
            editor.query_one(".editor--message").render()
        )
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    lines = changed_lines(before, nrb_file.read_text())
    assert lines[:2] == ["-wall_area = 1200", "+wall_area = 799.988"]
    assert [line for line in lines[2:] if not line.startswith("+at = ")] == [
        "+",
        "+[[history]]",
        '+who = "tester"',
        '+field = "facades[1].wall_area"',
        "+old = 1200",
        '+new = { value = 8611, unit = "ft2" }',
    ]
    again = make_app(nrb_file)  # reopened: still shown as typed
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert str(main_screen(pilot).panel("facades").table.get_cell("1", "wall_area")) == (
            "8,611 ft² (800 m²)"
        )
        await pilot.press("ctrl+z")  # nothing to undo in a fresh session: no change
        await pilot.pause()


@run_async
async def test_cells_show_their_values_in_full(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "j")
        await pilot.pause()
        await type_into(pilot, "#facades-panel #cell-sc1 Input", "0.28", submit=True)
        await type_into(pilot, "#facades-panel #cell-name Input", "East tower", submit=True)
        await pilot.pause()
        row = next(line for line in table_text(pilot, "facades") if line.lstrip().startswith("2"))
        assert "East tower" in row and "0.28" in row
        await pilot.press("ctrl+z")  # undo the name: the column narrows again, still in full
        await pilot.pause()
        row = next(line for line in table_text(pilot, "facades") if line.lstrip().startswith("2"))
        assert " East " in row and "0.28" in row


@run_async
async def test_a_tui_edit_of_a_commented_sample_changes_only_its_lines(
    tmp_path: Path, make_app
) -> None:
    path = copy_project(SAMPLES / "nrb-office-tower.toml", tmp_path)
    before = path.read_text()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("5")
        await pilot.pause()
        await type_into(pilot, "#project-gross_floor_area Input", "845000 ft2", submit=True)
        area = screen.query_one("#project-gross_floor_area .editor--area")
        assert str(area.render()) == "845,000 ft² (78,503 m²)"
        for key in ("escape", "2", "j"):
            await pilot.press(key)
            await pilot.pause()
        assert screen.panel("facades").row_index == 1
        await type_into(pilot, "#facades-panel #cell-sc1 Input", "0.3", submit=True)
        await pilot.press("ctrl+s")
        await pilot.pause()
    lines = [line for line in changed_lines(before, path.read_text()) if not line.startswith("+at")]
    assert lines == [
        "-gross_floor_area = 78500",
        '+gross_floor_area = { value = 845000, unit = "ft2" }',
        "-sc1 = 0.34",
        "+sc1 = 0.3",
        "+",
        "+[[history]]",
        '+who = "tester"',
        '+field = "project.gross_floor_area"',
        "+old = 78500",
        '+new = { value = 845000, unit = "ft2" }',
        "+",
        "+[[history]]",
        '+who = "tester"',
        '+field = "facades[1].sc1"',
        "+old = 0.34",
        "+new = 0.3",
    ]
    assert load_project(path).project.project.stage == "design"


def test_an_exact_id_outranks_any_fuzzy_match() -> None:
    assert rank(0.0, exact=True) == 1.0
    assert rank(50.0, exact=False) < 0.9 < rank(0.0, exact=True)
    assert rank(2.0, exact=False) > rank(1.0, exact=False) > 0
    assert rank(0.0, exact=False) == 0.0


@run_async
async def test_palette_goes_to_the_id_typed_exactly(nrb_file: Path, make_app) -> None:
    app = make_app(nrb_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        for wanted in ("NRB-1-2a", "NRB-1-2b"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*wanted)
            await pilot.pause(0.5)
            await pilot.press("enter")
            await pilot.pause()
            assert screen.current == NodeRef("criterion", wanted)


def test_areas_read_in_the_unit_typed_and_in_m2() -> None:
    assert area_text(Quantity(value=263716, unit="ft2")) == "263,716 ft² (24,500 m²)"
    assert area_text(24500.0) == "24,500 m²"
    assert area_text(None) == "not given"
    assert cell_display(column(FACADES, "wall_area"), 1800.0) == "1800"
    assert cell_display(column(FACADES, "sc1"), 0.28) == "0.28"
