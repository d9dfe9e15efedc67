"""Pick a light or dark theme that matches the terminal, and its counterpart for toggling."""

from __future__ import annotations

import os
from collections.abc import Mapping

DARK = "textual-dark"
LIGHT = "textual-light"
PAIRS: dict[str, str] = {
    DARK: LIGHT,
    LIGHT: DARK,
    "ansi-dark": "ansi-light",
    "ansi-light": "ansi-dark",
    "solarized-dark": "solarized-light",
    "solarized-light": "solarized-dark",
    "catppuccin-mocha": "catppuccin-latte",
    "catppuccin-latte": "catppuccin-mocha",
    "rose-pine": "rose-pine-dawn",
    "rose-pine-dawn": "rose-pine",
    "atom-one-dark": "atom-one-light",
    "atom-one-light": "atom-one-dark",
}


def terminal_is_light(environ: Mapping[str, str] | None = None) -> bool:
    """True when the terminal says its background is light (``COLORFGBG``, e.g. ``0;15``)."""
    env = os.environ if environ is None else environ
    value = env.get("COLORFGBG", "")
    try:
        background = int(value.split(";")[-1])
    except ValueError:
        return False
    return background == 7 or 9 <= background <= 15


def choose_theme(requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The theme to start with: ``requested`` (a name, ``light``, ``dark``, ``ansi`` or
    ``auto``), else ``$GREENMARK_THEME``, else light or dark by the terminal background."""
    env = os.environ if environ is None else environ
    choice = (requested or env.get("GREENMARK_THEME") or "auto").strip()
    light = terminal_is_light(env)
    if choice == "auto":
        return LIGHT if light else DARK
    if choice == "light":
        return LIGHT
    if choice == "dark":
        return DARK
    if choice == "ansi":
        return "ansi-light" if light else "ansi-dark"
    return choice


def counterpart(theme: str) -> str:
    """The light theme of a dark one and vice versa (dark when unknown)."""
    return PAIRS.get(theme, LIGHT if theme.endswith("dark") else DARK)
