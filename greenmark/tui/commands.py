"""Command palette provider: jump to any criterion or prerequisite by id or title."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from greenmark.tui.marks import MARKS


class CriteriaProvider(Provider):
    """Lists the scheme's criteria and gates; choosing one selects it in the tree."""

    def _items(self) -> list[tuple[str, str, str, str]]:
        screen: Any = self.screen
        session = getattr(screen, "session", None)
        if session is None:  # the palette opened over another screen
            session = getattr(self.app, "session", None)
        if session is None:
            return []
        result = session.scored.result
        items = [("criterion", c.id, c.title, c.status) for c in result.criteria]
        items += [("gate", g.id, g.title, g.status) for g in result.gates]
        return items

    async def _goto(self, kind: str, item_id: str) -> None:
        goto = getattr(self.app, "goto", None)
        if goto is not None:
            await goto(kind, item_id)

    async def discover(self) -> Hits:
        for kind, item_id, title, status in self._items():
            yield DiscoveryHit(
                f"{MARKS.get(status, '?')} {item_id}  {title}",
                partial(self._goto, kind, item_id),
                help=f"Go to {kind} {item_id}",
            )

    async def search(self, query: str) -> Hits:
        """Hits for ``query``: an exact id first (score 1), then fuzzy matches below it."""
        matcher = self.matcher(query)
        wanted = query.strip().lower()
        for kind, item_id, title, status in self._items():
            text = f"{item_id}  {title}"
            score = rank(matcher.match(text), item_id.lower() == wanted)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(f"{MARKS.get(status, '?')} {text}"),
                    partial(self._goto, kind, item_id),
                    help=f"Go to {kind} {item_id}",
                )


def rank(fuzzy: float, exact: bool) -> float:
    """A hit's score: 1 for the exact id; a fuzzy match (Textual's matcher scores above 1
    for long matches) scaled into 0..0.9, so it never outranks the id typed in full."""
    if exact:
        return 1.0
    if fuzzy <= 0:
        return 0.0
    return 0.9 * fuzzy / (1.0 + fuzzy)
