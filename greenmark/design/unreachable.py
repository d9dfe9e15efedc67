"""Why no design reaches a target: the requirements no design of the search met (gates,
floors, tier conditions, badges, points), or, when each can be met alone, the closest
design's blockers. A requirement waiting on a choice (an energy pathway) is said once."""

from __future__ import annotations

import math

import numpy as np

from greenmark.core.explain import Blocker, Explainer, fmt
from greenmark.core.scoring import ProjectScore
from greenmark.design.optimiser import Diagnosis, SearchResult
from greenmark.design.space import DesignSpace
from greenmark.design.target import Target, badge_needs, badge_reason


def unreachable_reasons(
    space: DesignSpace,
    result: SearchResult,
    goal: Target,
    base: ProjectScore,
) -> list[Blocker]:
    """Why no design reaches the target: requirements no design meets, else the closest's."""
    target = goal.tier
    scheme = space.scheme
    diagnosis: Diagnosis | None = result.diagnosis
    tried = (
        "no combination of the catalogue's measures"
        if result.method == "exact"
        else f"none of the {result.evaluated:,} designs tried"
    )
    explainer = Explainer(base.scores)
    found: list[Blocker] = []
    if diagnosis is not None:
        choices: set[str] = set()
        for g in diagnosis.gates:
            spec = scheme.gates[g]
            reason = explainer.gate_reason(g, 0)
            if reason.endswith(" first"):  # waiting on a choice no measure makes
                choice = reason.removeprefix("not assessed: ")
                if choice not in choices:
                    choices.add(choice)
                    found.append(
                        Blocker("gate", spec.id, f"{choice}: no measure makes that choice")
                    )
                continue
            found.append(
                Blocker(
                    "gate",
                    spec.id,
                    f"{spec.title}: {tried} passes it (now {reason})",
                )
            )
        n_sections = len(scheme.sections)
        for f in diagnosis.floors:
            if f < n_sections:
                section = scheme.sections[f]
                title, what = section.title, section.id
            else:
                group = scheme.groups[f - n_sections]
                title, what = group.title, group.id
            short = -diagnosis.floor_best.get(f, 0.0)
            found.append(
                Blocker(
                    "floor", what, f"{title}: {tried} meets its floor (best: {fmt(short)} short)"
                )
            )
        for t in diagnosis.conditions:
            tier = scheme.tiers[t]
            found.append(
                Blocker(
                    "condition",
                    tier.id,
                    f"{tier.title} requires `{tier.condition}`; {tried} meets it",
                )
            )
        for k in diagnosis.badges:
            badge = scheme.badges[k]
            found.append(
                Blocker(
                    "badge",
                    badge.id,
                    f"{badge.title}: {tried} earns it; {badge_reason(base.scores, k)}",
                )
            )
        threshold = float(space.compiled.tier_threshold[target])
        on_percent = bool(space.compiled.tier_on_percent[target])  # best_measure is in points
        if (
            not on_percent
            and math.isfinite(threshold)
            and diagnosis.best_measure < threshold - 1e-9
        ):
            unit = "%" if scheme.scheme.scoring == "percent" else " points"
            found.append(
                Blocker(
                    "points",
                    scheme.tiers[target].id,
                    f"{scheme.tiers[target].title} needs {fmt(threshold)}{unit}; the most any "
                    f"design reaches is {fmt(round(diagnosis.best_measure, 2))}{unit}",
                )
            )
    if not found and result.closest is not None:
        scores = space.evaluate(result.closest.bits.reshape(1, -1))
        names = [space.measures[k].id for k in np.flatnonzero(result.closest.bits)]
        lead = (
            "every requirement can be met on its own, but not all at once "
            f"(closest design: {', '.join(names) or 'no measures'})"
        )
        found.append(Blocker("combination", "", lead))
        if int(scores.tier_index[0]) < target:
            found.extend(Explainer(scores).blockers(0, target))
        found.extend(b.blocker() for b in badge_needs(scores, goal.badges) if not b.met)
    return found
