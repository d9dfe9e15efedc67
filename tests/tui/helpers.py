"""Helpers for driving the app with the pilot."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from greenmark.tui.screens.main import MainScreen
from greenmark.tui.widgets.score import ScorePanel


async def type_into(pilot: Pilot[None], selector: str, text: str, submit: bool = False) -> Input:
    """Focus the input at ``selector``, clear it and type ``text`` key by key."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text) if text else None
    if submit:
        await pilot.press("enter")
    await pilot.pause()
    return field


async def until(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let the app run until ``condition`` holds (work queued after a refresh, a screen
    pushed from a callback), at most ``seconds``: a loaded machine needs more than one
    pause; the condition is asserted by the caller afterwards."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition() and loop.time() < deadline:
        await pilot.pause(0.05)


def main_screen(pilot: Pilot[None]) -> MainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen), screen
    return screen


def score_text(pilot: Pilot[None]) -> str:
    """What the score panel shows, as plain text."""
    return pilot.app.screen.query_one(ScorePanel).text


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test with asyncio (no pytest async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper
