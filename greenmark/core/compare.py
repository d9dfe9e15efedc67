"""One building under several schemes: its rating, headline figure and next level under
each, and what each scheme still needs that the project does not give."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenmark.core.crosswalk import inputs_left_out
from greenmark.core.errors import GreenmarkError
from greenmark.core.explain import fmt
from greenmark.core.project import LoadedProject
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.core.scoring import ProjectScore, score_project


@dataclass
class SchemeOutcome:
    """The building under one scheme (or why it could not be scored)."""

    scheme: str
    version: str = ""
    title: str = ""
    tier: str | None = None
    tier_title: str | None = None
    headline: str = ""
    next_tier: str | None = None
    next_needs: str = ""
    missing: list[str] = field(default_factory=list)  # inputs the scheme reads, not given
    left_out: list[str] = field(default_factory=list)  # project inputs it has no use for
    provisional: int = 0  # unverified values of the scheme
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def compare(loaded: LoadedProject, references: list[str]) -> list[SchemeOutcome]:
    """Score ``loaded`` under each scheme of ``references`` (ids or files)."""
    outcomes = []
    for reference in references:
        try:
            scheme = load_scheme(resolve_scheme(reference, loaded.path.parent))
            scored = score_project(loaded, scheme)
        except GreenmarkError as exc:
            outcomes.append(SchemeOutcome(reference, error=str(exc.problems[0])))
            continue
        outcomes.append(_outcome(loaded, scored))
    return outcomes


def _outcome(loaded: LoadedProject, scored: ProjectScore) -> SchemeOutcome:
    scheme, result, scores = scored.scheme, scored.result, scored.scores
    nxt = result.next_tier
    needs = ""
    if nxt is not None:
        if result.scoring != "none" and nxt.points_needed > 0:
            unit = "%" if result.scoring == "percent" else " points"
            needs = f"{fmt(round(nxt.points_needed, 2))}{unit} short"
        if nxt.blocking:
            blocking = f"{len(nxt.blocking)} requirement{'s' if len(nxt.blocking) > 1 else ''}"
            needs = f"{needs} and {blocking}" if needs else blocking
    compiled = scores.compiled
    read: set[str] = set()
    for c in compiled.criteria:
        read |= c.rule_inputs | c.applies_inputs
    for condition in [*compiled.gates, *compiled.badges, *compiled.tier_conditions]:
        if condition is not None:
            read |= condition.inputs | condition.applies_inputs
    missing = sorted(n for n in read if n in scheme.inputs and np.isnan(scores.env[n][0]))
    info = loaded.project.project
    left_out = inputs_left_out(
        info.scheme, loaded.path.parent, [str(n) for n in loaded.project.inputs], scheme
    )
    unverified = sum(not c.verified for c in scheme.constants.values())
    unverified += sum(
        not item.verified
        for kind in ("criteria", "gates", "tiers", "badges")
        for item in getattr(scheme, kind)
    )
    return SchemeOutcome(
        scheme=scheme.id,
        version=scheme.version,
        title=scheme.scheme.title,
        tier=result.tier,
        tier_title=result.tier_title,
        headline=result.headline_text(),
        next_tier=nxt.title if nxt else None,
        next_needs=needs,
        missing=missing,
        left_out=left_out,
        provisional=unverified,
    )
