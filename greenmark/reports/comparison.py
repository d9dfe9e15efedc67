"""The assessment report's "Under other rating systems" section: the building scored
under other schemes (:func:`greenmark.core.compare.compare`), as plain data.

Every row says whether the scheme holds unverified values: a rating indicated under a
scheme with any reads as provisional. The section as a whole is indicative; no rating
in it was assessed or awarded by anyone.
"""

from __future__ import annotations

from typing import Any

from greenmark.core.compare import SchemeOutcome, compare, default_references
from greenmark.reports.prepared import Prepared

#: ``--compare all``: the project's own scheme and every current bundled one.
ALL = "all"


def references_of(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (blanks and repeats dropped)."""
    seen: list[str] = []
    for part in text.split(","):
        if part.strip() and part.strip() not in seen:
            seen.append(part.strip())
    return seen


def add_comparison(prepared: Prepared, references: list[str]) -> None:
    """Score the prepared project under ``references`` (ids or files; ``all``: every
    current bundled scheme and the project's own) for the assessment report; the scheme
    the report is about is left out of the section."""
    loaded = prepared.scored.loaded
    if ALL in references:
        wanted = default_references(loaded)
        wanted += [r for r in references if r != ALL and r not in wanted]
    else:
        wanted = references
    reported = prepared.scored.scheme.id
    outcomes = [o for o in compare(loaded, wanted) if o.scheme != reported]
    prepared.comparison = [comparison_row(o) for o in outcomes]


def comparison_row(outcome: SchemeOutcome) -> dict[str, Any]:
    """One scheme's row: its indicated rating, headline, next level, what it still
    needs, what it leaves out, and whether it is provisional (never an award)."""
    if outcome.error is not None:
        return {
            "scheme": outcome.scheme,
            "version": "",
            "title": "",
            "scored": False,
            "reason": outcome.reason or outcome.error,
            "rating": "Not scored",
            "reached": False,
            "provisional": 0,
            "status": "–",
            "headline": "",
            "next": "",
            "missing": [],
            "left_out": [],
        }
    count = outcome.provisional
    return {
        "scheme": outcome.scheme,
        "version": outcome.version,
        "title": outcome.title,
        "scored": True,
        "reason": "",
        "rating": outcome.tier_title or "No rating reached",
        "reached": outcome.tier is not None,
        "provisional": count,
        "status": (
            f"Provisional: {count} value{'s' if count != 1 else ''} unverified"
            if count
            else "Indicative: no value unverified"
        ),
        "headline": outcome.headline,
        "next": (
            f"{outcome.next_tier}: {outcome.next_needs}"
            if outcome.next_tier and outcome.next_needs
            else outcome.next_tier or "Top level reached"
        ),
        "missing": list(outcome.missing),
        "left_out": list(outcome.left_out),
    }
