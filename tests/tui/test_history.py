"""The change-history screen: every entry, newest first, filtered by words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable

from greenmark.core.project import HistoryEntry
from greenmark.tui.screens.history import HistoryScreen, matching
from greenmark.tui.screens.main import MainScreen
from greenmark.tui.screens.summary import SummaryScreen
from greenmark.tui.session import Target
from tui.helpers import main_screen, run_async

SIZE = (100, 32)


def entry(field: str, old: object, new: object, who: str = "assessor") -> HistoryEntry:
    return HistoryEntry(at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), who=who, field=field,
                        old=old, new=new)  # fmt: skip


def test_matching_needs_every_word_and_lists_newest_first() -> None:
    entries = [
        entry("inputs.ettv", 40.0, 35.0),
        entry("facades[1].sc1", 0.5, 0.3, who="reviewer"),
        entry("inputs.ettv", 35.0, 30.0, who="reviewer"),
    ]
    assert matching(entries, "") == entries[::-1]
    assert matching(entries, "ETTV") == [entries[2], entries[0]]
    assert matching(entries, "ettv reviewer") == [entries[2]]
    assert matching(entries, "30") == [entries[2]]  # values are searched too
    assert matching(entries, "nothing like it") == []


def rows(screen: HistoryScreen) -> list[list[str]]:
    table: DataTable[str] = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@run_async
async def test_history_screen_shows_and_filters_the_changes(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        session = main_screen(pilot).session
        session.commit(Target("inputs", "ettv"), 35.0)
        session.commit(Target("responses", "notes", "EN-1"), "checked on site")
        await pilot.press("H")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        shown = rows(screen)
        assert [r[1:] for r in shown] == [
            ["tester", "responses.EN-1.notes", "–", "checked on site", ""],
            ["tester", "inputs.ettv", "41.5 W/m2", "35", ""],
        ]
        await pilot.press("slash", *"ettv")
        await pilot.pause()
        assert [r[2] for r in rows(screen)] == ["inputs.ettv"]
        await pilot.press("enter")  # back to the table
        await pilot.pause()
        assert app.focused is screen.query_one(DataTable)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


@run_async
async def test_summary_opens_the_whole_history(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert rows(app.screen) == []
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)


def test_notes_are_shown_and_searched() -> None:
    from greenmark.tui.screens.history import entry_cells

    noted = HistoryEntry(
        at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), who="a", field="inputs.eui",
        old=120, new=112, note="energy model rev C",
    )  # fmt: skip
    assert entry_cells(noted)[-1] == "energy model rev C"
    assert matching([noted, entry("inputs.ettv", 1.0, 2.0)], "rev C") == [noted]


def test_summary_shows_the_area_as_entered_and_in_m2(demo_file: Path) -> None:
    from rich.console import Console

    from greenmark.tui.screens.summary import project_block
    from greenmark.tui.session import Session

    text = demo_file.read_text(encoding="utf-8")
    demo_file.write_text(
        text.replace(
            "gross_floor_area = 24500", 'gross_floor_area = { value = 263716, unit = "ft2" }'
        ),
        encoding="utf-8",
    )
    console = Console(width=100, record=True)
    console.print(project_block(Session.open(demo_file)))
    assert "263,716 ft² (24,500 m²)" in console.export_text()
