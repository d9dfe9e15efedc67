"""Designer self-check: the gap to a target tier and the cheapest measures that close it.

Public API (the CLI ``check``, the TUI "Path to target" view and reports use these):

* :func:`resolve_target` — a target as text: a tier (id or title), then badges joined
  with ``+`` (``platinum+sle+maintainability``).
* :func:`gap` — where a scored project stands against a target: points missing,
  blocking gates / floors / conditions / badges, criteria with points still available.
* :func:`plan` — the cheapest set of catalogue measures reaching the target (exact
  search up to 20 candidate measures, a labelled heuristic beyond), with alternatives,
  the budget check, the reasons when the target cannot be reached, and the
  equivalent ``greenmark whatif`` command.
* :func:`apply_measure` / :func:`apply_measures` — the project with measures applied.

Costs are indicative (the catalogue's currency, SGD by default) and additive.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from greenmark.core.engine import Status, tier_shortfall
from greenmark.core.explain import Blocker, Explainer
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject
from greenmark.core.projectinputs import not_applicable_marks
from greenmark.core.scoring import ProjectScore, score_project
from greenmark.design.effects import Change, DesignerError
from greenmark.design.measures import Catalogue, Measure, load_catalogue
from greenmark.design.optimiser import Candidate, badges_met, search
from greenmark.design.space import DesignSpace, Skipped, apply_measures
from greenmark.design.target import (
    BadgeNeed,
    Target,
    badge_needs,
    badge_reason,
    parse_budget,
    resolve_target,
    resolve_tier,
)
from greenmark.design.unreachable import unreachable_reasons
from greenmark.design.whatif import score_values

__all__ = [
    "Available",
    "BadgeNeed",
    "DesignerError",
    "Gap",
    "Plan",
    "PlanMeasure",
    "PlanOption",
    "Target",
    "apply_measure",
    "apply_measures",
    "available_points",
    "badge_needs",
    "badge_reason",
    "gap",
    "parse_budget",
    "plan",
    "plan_measure_ids",
    "resolve_target",
    "resolve_tier",
]


@dataclass
class Available:
    """Points a criterion could still give; ``effective`` after section and group caps."""

    id: str
    section: str
    title: str
    points: float
    max_points: float
    available: float
    effective: float
    status: str
    note: str = ""


@dataclass
class Gap:
    """Where a project stands against a target: a tier, and any badges asked for with it."""

    tier: str | None
    tier_title: str | None
    total: float  # points, or % for percent schemes
    scoring: str
    target: str  # the tier, then the badges: platinum+sle
    target_title: str
    target_index: int  # the tier's index
    reached: bool  # the tier and every badge
    points_needed: float
    blocking: list[Blocker]
    available: list[Available]
    badges: list[BadgeNeed] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        tier = self.target.split("+")[0]
        return {
            "current": {"tier": self.tier, "tier_title": self.tier_title, "total": _r(self.total)},
            "target": {
                "id": self.target,
                "title": self.target_title,
                "tier": tier,
                "badges": [
                    {"id": b.id, "title": b.title, "met": b.met, "reason": b.reason}
                    for b in self.badges
                ],
                "reached": self.reached,
                "points_needed": _r(self.points_needed),
                "blocking": [
                    {"kind": b.kind, "id": b.id, "message": b.message} for b in self.blocking
                ],
            },
            "available": [
                {
                    "id": a.id,
                    "section": a.section,
                    "title": a.title,
                    "points": _r(a.points),
                    "max_points": _r(a.max_points),
                    "available": _r(a.available),
                    "effective": _r(a.effective),
                    "status": a.status,
                    "note": a.note,
                }
                for a in self.available
            ],
        }


def available_points(scored: ProjectScore, i: int = 0) -> list[Available]:
    """Criteria ranked by the points they could still add to the total (caps applied)."""
    scores = scored.scores
    compiled = scores.compiled
    scheme = compiled.scheme
    core = scores.section_core[i]
    section_room = compiled.section_cap - core
    bonus_room = compiled.bonus_cap - (scores.section_points[i] - core)
    group_core = np.minimum(core @ compiled.group_matrix, compiled.group_cap)
    group_room = compiled.group_cap - group_core
    explainer = Explainer(scores)
    found = []
    for c, spec in enumerate(scheme.criteria):
        status = Status(int(scores.status[i, c]))
        if status == Status.NOT_APPLICABLE:
            continue
        points = float(scores.points[i, c])
        room = explainer.max_points(c, i) - points
        if room <= 1e-9:
            continue
        s = compiled.criteria[c].section
        room /= scheme.sections[s].conversion  # in scheme points from here on
        if spec.bonus:
            effective = min(room, float(bonus_room[s]))
        else:
            effective = min(room, float(section_room[s]))
            for g in np.flatnonzero(compiled.group_matrix[s]):
                effective = min(effective, float(group_room[g]))
        effective = max(effective, 0.0)
        note = ""
        if status == Status.NOT_ASSESSED:
            note = explainer.criterion_reason(c, i)
        elif effective < room - 1e-9:
            note = (
                "capped: the section or group is at its cap"
                if effective <= 1e-9
                else "partly capped"
            )
        found.append(
            Available(
                spec.id,
                spec.section,
                spec.title,
                points,
                spec.max_points,
                room,
                effective,
                status.label,
                note,
            )
        )
    found.sort(key=lambda a: (-a.effective, -a.available, a.id))
    return found


def gap(scored: ProjectScore, target: str | int | Target) -> Gap:
    """The gap from a scored project to ``target`` (see :func:`resolve_target`)."""
    scores = scored.scores
    scheme = scored.scheme
    goal = resolve_target(scheme, target)
    t = goal.tier
    percent = scheme.scheme.scoring == "percent"
    total = float(scores.total_percent[0] if percent else scores.total_points[0])
    needed = float(
        tier_shortfall(
            scores.compiled, t, scores.total_points, scores.total_percent, scores.total_max
        )[0]
    )
    tier_reached = int(scores.tier_index[0]) >= t
    blocking = [] if tier_reached else Explainer(scores).blockers(0, t)
    needs = badge_needs(scores, goal.badges)
    blocking += [b.blocker() for b in needs if not b.met]
    return Gap(
        tier=scored.result.tier,
        tier_title=scored.result.tier_title,
        total=total,
        scoring=scheme.scheme.scoring,
        target=goal.id,
        target_title=goal.title,
        target_index=t,
        reached=tier_reached and all(b.met for b in needs),
        points_needed=needed,
        blocking=blocking,
        available=available_points(scored),
        badges=needs,
    )


# ----------------------------------------------------------------------------- plan


@dataclass
class PlanMeasure:
    """A measure in a plan, with its cost for this project and the basis of that cost."""

    id: str
    title: str
    cost: float
    basis: str
    source: str
    verified: bool
    touches: tuple[str, ...]
    note: str = ""


@dataclass
class PlanOption:
    """One design: the measures, their total cost, and the result they give."""

    measures: list[PlanMeasure]
    cost: float
    total: float  # points, or % for percent schemes
    tier: str | None
    tier_title: str | None
    badges: list[str]
    changes: list[Change]
    set_text: list[str] = field(default_factory=list)  # NAME=VALUE for `greenmark whatif`

    def to_dict(self) -> dict[str, Any]:
        return {
            "measures": [
                {
                    "id": m.id,
                    "title": m.title,
                    "cost": _r(m.cost),
                    "basis": m.basis,
                    "source": m.source,
                    "verified": m.verified,
                    "changes": list(m.touches),
                    "note": m.note,
                }
                for m in self.measures
            ],
            "cost": _r(self.cost),
            "total": _r(self.total),
            "tier": self.tier,
            "tier_title": self.tier_title,
            "badges": self.badges,
            "changes": [
                {"input": c.input, "unit": c.unit, "before": c.before, "after": c.after}
                for c in self.changes
            ],
            "set": list(self.set_text),
        }


@dataclass
class Plan:
    """The cheapest way (in the catalogue) from a project to a target (tier and badges)."""

    project_file: str
    scheme_id: str
    scheme_ref: str | None  # the --scheme override the plan was made with, if any
    target: str  # the tier, then the badges: platinum+sle
    target_title: str
    currency: str
    catalogue_file: str
    method: str  # exact | heuristic | none
    method_label: str
    measures_considered: int
    evaluated: int
    seconds: float
    budget: float | None
    already: bool  # the project reaches the target as it is
    best: PlanOption | None  # cheapest reaching the target (within the budget)
    alternatives: list[PlanOption]
    cheapest: PlanOption | None  # cheapest reaching the target, ignoring the budget
    best_within_budget: PlanOption | None  # when the target is out of budget
    unreachable: list[Blocker]  # why no combination reaches the target
    skipped: list[Skipped]

    @property
    def reachable(self) -> bool:
        """The catalogue can reach the target (at some cost)."""
        return self.already or self.cheapest is not None

    def whatif_command(self, option: PlanOption | None = None) -> str | None:
        """The ``greenmark whatif`` command that reproduces ``option`` (default: the best)."""
        chosen = option or self.best
        if chosen is None or not chosen.set_text:
            return None
        parts = ["greenmark", "whatif", self.project_file]
        if self.scheme_ref:
            parts += ["--scheme", self.scheme_ref]
        for item in chosen.set_text:
            parts += ["--set", item]
        return " ".join(shlex.quote(p) for p in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "target_title": self.target_title,
            "target_tier": self.target.split("+")[0],
            "target_badges": self.target.split("+")[1:],
            "currency": self.currency,
            "catalogue": self.catalogue_file,
            "method": self.method,
            "method_label": self.method_label,
            "measures_considered": self.measures_considered,
            "designs_evaluated": self.evaluated,
            "seconds": round(self.seconds, 3),
            "budget": self.budget,
            "already_reached": self.already,
            "reachable": self.reachable,
            "within_budget": self.best is not None,
            "best": None if self.best is None else self.best.to_dict(),
            "set": [] if self.best is None else list(self.best.set_text),
            "whatif": self.whatif_command(),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "cheapest": None if self.cheapest is None else self.cheapest.to_dict(),
            "best_within_budget": None
            if self.best_within_budget is None
            else self.best_within_budget.to_dict(),
            "unreachable": [
                {"kind": b.kind, "id": b.id, "message": b.message} for b in self.unreachable
            ],
            "skipped": [{"id": s.id, "title": s.title, "reason": s.reason} for s in self.skipped],
        }


def _r(value: float) -> float:
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_texts(
    space: DesignSpace, changes: list[Change], tier: int, total: float, badges: Sequence[int] = ()
) -> list[str]:
    """``NAME=VALUE`` texts for the changes, rounded as far as tier, badges and total allow."""
    marks = not_applicable_marks(space.project)
    percent = space.scheme.scheme.scoring == "percent"
    texts: dict[str, str] = {}
    for digits in (4, 6, 8, 10, 17):
        texts = {
            c.input: f"{c.after:.{digits}g}" if isinstance(c.after, float) else _text(c.after)
            for c in changes
        }
        rounded = {
            c.input: float(texts[c.input]) if isinstance(c.after, float) else c.after
            for c in changes
        }
        scores = score_values(space.compiled, [{**space.values, **rounded}], marks)
        got = float(scores.total_percent[0] if percent else scores.total_points[0])
        kept = bool(badges_met(scores, badges)[0].all())
        if int(scores.tier_index[0]) >= tier and kept and abs(got - total) <= 1e-3:
            break
    return [f"{name}={text}" for name, text in texts.items()]


def _option(space: DesignSpace, candidate: Candidate, badges: Sequence[int] = ()) -> PlanOption:
    scores = space.evaluate(candidate.bits.reshape(1, -1))
    scheme = space.scheme
    tier = int(scores.tier_index[0])
    chosen = [space.measures[k] for k in np.flatnonzero(candidate.bits)]
    changes = space.changes(candidate.bits)
    measures = [
        PlanMeasure(
            b.id,
            b.title,
            b.cost,
            b.measure.cost.basis,
            b.measure.cost.source,
            b.measure.cost.verified,
            b.touches,
            "applied through its fallback (the table it changes is not used here)"
            if b.fallback_used
            else "",
        )
        for b in chosen
    ]
    option = PlanOption(
        measures=measures,
        cost=candidate.cost,
        total=candidate.measure,
        tier=scheme.tiers[tier].id if tier >= 0 else None,
        tier_title=scheme.tiers[tier].title if tier >= 0 else None,
        badges=[b.id for k, b in enumerate(scheme.badges) if scores.badges[0, k]],
        changes=changes,
    )
    met = [k for k in badges if badges_met(scores, [k])[0, 0]]
    option.set_text = _set_texts(space, changes, tier, candidate.measure, met)
    return option


def plan(
    loaded: LoadedProject,
    scheme: Scheme,
    target: str | int | Target,
    budget: float | None = None,
    *,
    catalogue: Catalogue | None = None,
    catalogue_file: str | Path | None = None,
    alternatives: int = 3,
    method: Literal["auto", "exact", "heuristic"] = "auto",
    scheme_ref: str | None = None,
) -> Plan:
    """The cheapest catalogue measures taking ``loaded`` to ``target`` under ``scheme``.

    ``target``: a tier, optionally with badges (see :func:`resolve_target`); ``budget``
    in the catalogue's currency; ``catalogue`` (or ``catalogue_file``)
    defaults to the bundled ``criteria/measures.toml``. Raises :class:`DesignerError`
    for an unknown tier and :class:`~greenmark.core.errors.ProjectError` for a project
    that does not fit the scheme.
    """
    if catalogue_file is not None:
        shown_catalogue = str(catalogue_file)
    else:
        shown_catalogue = "criteria/measures.toml" if catalogue is None else "(given)"
    if catalogue is None:
        catalogue = load_catalogue(catalogue_file)
    goal = resolve_target(scheme, target)
    t = goal.tier
    base = score_project(loaded, scheme)
    space = DesignSpace(loaded, scheme, catalogue)
    common: dict[str, Any] = {
        "project_file": str(loaded.path),
        "scheme_id": scheme.id,
        "scheme_ref": scheme_ref,
        "target": goal.id,
        "target_title": goal.title,
        "currency": catalogue.meta.currency,
        "catalogue_file": shown_catalogue,
        "budget": budget,
        "skipped": space.skipped,
    }
    reached = bool(badges_met(base.scores, goal.badges)[0].all())
    if int(base.scores.tier_index[0]) >= t and reached:
        empty = Candidate(np.zeros(space.m, dtype=bool), 0.0, float(base.result.total_points), t)
        return Plan(
            method="none",
            method_label="the project already reaches the target",
            measures_considered=space.m,
            evaluated=0,
            seconds=0.0,
            already=True,
            best=_option(space, empty, goal.badges),
            alternatives=[],
            cheapest=None,
            best_within_budget=None,
            unreachable=[],
            **common,
        )
    result = search(
        space, t, budget=budget, alternatives=alternatives, method=method, badges=goal.badges
    )

    def option(candidate: Candidate | None) -> PlanOption | None:
        return None if candidate is None else _option(space, candidate, goal.badges)

    best = option(result.best)
    return Plan(
        method=result.method,
        method_label=result.label,
        measures_considered=result.measures,
        evaluated=result.evaluated,
        seconds=result.seconds,
        already=False,
        best=best,
        alternatives=[o for c in result.alternatives if (o := option(c)) is not None],
        cheapest=option(result.cheapest),
        best_within_budget=option(result.best_within_budget),
        unreachable=unreachable_reasons(space, result, goal, base)
        if result.cheapest is None
        else [],
        **common,
    )


def apply_measure(
    loaded: LoadedProject,
    scheme: Scheme,
    measure: Measure | str,
    catalogue: Catalogue | None = None,
    *,
    record: bool = True,
) -> LoadedProject:
    """The project with one catalogue measure applied (see :func:`apply_measures`)."""
    catalogue = catalogue or load_catalogue()
    measure_id = measure if isinstance(measure, str) else measure.id
    return apply_measures(loaded, scheme, [measure_id], catalogue, record=record)


def plan_measure_ids(option: PlanOption) -> Sequence[str]:
    """The ids of the measures of a plan option (for :func:`apply_measures`)."""
    return [m.id for m in option.measures]
