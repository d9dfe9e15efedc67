"""Screenshots of the main screens at fixed sizes (pytest-textual-snapshot).

Regenerate after a deliberate change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs under ``__snapshots__/`` before committing.
Deterministic: private copies with fixed names, fixed theme, no blinking cursor, no
history shown (the copies are unedited).
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

WIDE = (100, 32)
NARROW = (80, 24)


def test_main_screen(snap_compare, demo_file: Path, make_app) -> None:
    assert snap_compare(make_app(demo_file), terminal_size=WIDE)


def test_main_screen_80x24(snap_compare, nrb_file: Path, make_app) -> None:
    assert snap_compare(make_app(nrb_file), terminal_size=NARROW)


def test_criterion_with_validation_error(snap_compare, demo_file: Path, make_app) -> None:
    async def type_invalid(pilot: Pilot[None]) -> None:
        await pilot.pause()
        field = pilot.app.screen.query_one("#input-ettv Input", Input)
        field.focus()
        field.value = ""
        await pilot.press("9", "9", "9")
        await pilot.pause()

    assert snap_compare(make_app(demo_file), terminal_size=WIDE, run_before=type_invalid)


def test_facade_table(snap_compare, nrb_file: Path, make_app) -> None:
    assert snap_compare(make_app(nrb_file), terminal_size=WIDE, press=["2", "j"])


def test_summary(snap_compare, nrb_file: Path, make_app) -> None:
    assert snap_compare(make_app(nrb_file), terminal_size=WIDE, press=["s"])


def test_help(snap_compare, demo_file: Path, make_app) -> None:
    assert snap_compare(make_app(demo_file), terminal_size=WIDE, press=["question_mark"])


def test_path_to_target(snap_compare, mall_file: Path, make_app) -> None:
    async def open_path(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("p")
        for _ in range(3):  # the plan and the effect come from worker threads
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    assert snap_compare(make_app(mall_file), terminal_size=WIDE, run_before=open_path)
