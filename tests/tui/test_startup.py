"""Keys typed while the app starts are held and replayed once the main screen is ready."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from greenmark.tui.widgets.tree import NodeRef
from tui.helpers import main_screen, run_async

SIZE = (100, 32)


@run_async
async def test_keys_typed_during_start_up_are_replayed_in_order(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    assert app.holding_keys  # from the start, until the main screen is ready
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")  # at once: possibly before the main screen is up
        await pilot.pause()
        await pilot.pause()
        screen = main_screen(pilot)
        assert not app.holding_keys and not app.held_keys
        assert screen.current == NodeRef("criterion", "EN-3")

        app.holding_keys = True  # as while starting: nothing is acted on yet
        await pilot.press("j", "k", "k", "e")
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-3")
        assert [k.key for k in app.held_keys] == ["j", "k", "k", "e"]
        app.release_keys()
        await pilot.pause()
        await pilot.pause()
        assert screen.current == NodeRef("criterion", "EN-2")
        assert isinstance(app.focused, Input)  # e: editing EN-2's first input


@run_async
async def test_quit_is_never_held(demo_file: Path, make_app) -> None:
    app = make_app(demo_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.holding_keys = True
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
