"""A Static that repaints itself without laying the screen out again when it can.

A full layout of the main screen costs tens of milliseconds; most updates (a new score,
a new reason) keep the widget's height, and then a repaint is enough.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.widgets import Static


def same_content(one: Any, two: Any) -> bool:
    """True when two texts (or groups of texts) show the same thing in the same styles."""
    if isinstance(one, Text) and isinstance(two, Text):
        return bool(one == two)
    if isinstance(one, Group) and isinstance(two, Group):
        first, second = one.renderables, two.renderables
        return len(first) == len(second) and all(
            same_content(a, b) for a, b in zip(first, second, strict=True)
        )
    return False


class QuietStatic(Static):
    """Updates lay out again only when the rendered height changes."""

    shown: Any = None
    _height = -1
    _width = -1

    def show(self, content: Any, fixed: bool = False, sticky: bool = False) -> None:
        """Show ``content`` (skipped when it is what is shown already).

        ``fixed``: the widget's height does not depend on its content (set by CSS).
        ``sticky``: keep the current height when the content gets shorter (padded with
        blank lines), so alternating values while typing do not lay the screen out.
        """
        if same_content(content, self.shown):
            return
        self.shown = content
        if fixed:
            self.update(content, layout=False)
            return
        width = self.content_region.width
        if not width or not self.is_mounted:
            self.update(content)
            return
        console = self.app.console
        options = console.options.update(width=width, height=None)
        height = len(console.render_lines(content, options, pad=False))
        if width != self._width:  # measured at another width: unknown
            self._height, self._width = -1, width
        if sticky and 0 < height < self._height:
            self.update(Group(content, Text("\n" * (self._height - height - 1))), layout=False)
            return
        self.update(content, layout=height != self._height)
        self._height = height

    def release(self) -> None:
        """Let the next content set the height again (e.g. a new item is shown)."""
        self._height = -1
