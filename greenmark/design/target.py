"""Targets for the designer: a tier (id, title or index), optionally with badges
(``platinum+sle+maintainability``), a budget in words, and whether each required badge is
met (earned, or hidden by a badge that supersedes it) with the reason in words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from greenmark.core.engine import Scores
from greenmark.core.explain import Blocker, Explainer
from greenmark.core.model import Scheme
from greenmark.design.effects import DesignerError
from greenmark.design.optimiser import badges_met


def resolve_tier(scheme: Scheme, tier: str | int) -> int:
    """Index of a tier given by id, title (any case) or index; :class:`DesignerError` if unknown."""
    if isinstance(tier, int):
        if 0 <= tier < len(scheme.tiers):
            return tier
    else:
        wanted = tier.strip().lower().replace(" ", "")
        for i, spec in enumerate(scheme.tiers):
            if wanted in (spec.id.lower(), spec.title.lower().replace(" ", "")):
                return i
    known = ", ".join(t.id for t in scheme.tiers)
    raise DesignerError(f"unknown tier {tier!r} for scheme {scheme.id} (tiers: {known})")


@dataclass(frozen=True)
class Target:
    """A tier, and the badges (scheme indices) a design must earn with it."""

    tier: int
    badges: tuple[int, ...]
    id: str  # e.g. platinum+sle+maintainability
    title: str  # e.g. Platinum with Super Low Energy and Maintainability Badge


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def resolve_target(scheme: Scheme, target: str | int | Target) -> Target:
    """A target given as a tier (id, title or index) then ``+``-joined badge ids or titles
    (any case): ``platinum+sle+maintainability``. :class:`DesignerError` if unknown."""
    if isinstance(target, Target):
        return target
    parts = target.split("+") if isinstance(target, str) else []
    t = resolve_tier(scheme, parts[0].strip() if parts else target)
    badges: list[int] = []
    for part in parts[1:]:
        wanted = _key(part)
        found = [k for k, b in enumerate(scheme.badges) if wanted in (_key(b.id), _key(b.title))]
        if not found:
            known = ", ".join(f"{b.id} ({b.title})" for b in scheme.badges)
            raise DesignerError(
                f"unknown badge {part.strip()!r} in target {target!r} for scheme {scheme.id} "
                + (f"(badges: {known})" if known else "(the scheme has no badges)")
            )
        if found[0] not in badges:
            badges.append(found[0])
    tier = scheme.tiers[t]
    titles = [scheme.badges[k].title for k in badges]
    title = tier.title
    if titles:
        title += " with " + (", ".join(titles[:-1]) + " and " if len(titles) > 1 else "")
        title += titles[-1]
    ids = "+".join([tier.id, *(scheme.badges[k].id for k in badges)])
    return Target(t, tuple(badges), ids, title)


_BUDGET = re.compile(r"^\s*(?:[A-Za-z]{3}|S\$|\$)?\s*([0-9][0-9,_ ]*(?:\.[0-9]+)?)\s*([kKmM])?\s*$")


def parse_budget(text: str) -> float:
    """``250000``, ``250,000``, ``250k``, ``1.2M``, ``SGD 250k`` -> a number (currency units)."""
    match = _BUDGET.match(text)
    if not match:
        raise DesignerError(
            f"expected an amount such as 250000, 250k or 1.2M, got {text!r}", location="--budget"
        )
    value = float(re.sub(r"[,_ ]", "", match[1]))
    scale = {"k": 1e3, "m": 1e6}.get((match[2] or "").lower(), 1.0)
    return value * scale


# ----------------------------------------------------------------------------- badges


def _superseding(scores: Scores) -> np.ndarray:
    """``[badges, badges]``: row badge supersedes column badge, directly or through others."""
    closure = scores.compiled.badge_supersedes.astype(bool)
    for _ in range(len(closure)):
        wider = closure | ((closure.astype(np.int64) @ closure.astype(np.int64)) > 0)
        if np.array_equal(wider, closure):
            break
        closure = wider
    return closure


def badge_reason(scores: Scores, k: int, i: int = 0) -> str:
    """Badge ``k`` for building ``i`` in words: how it is met, or what it still needs."""
    scheme = scores.scheme
    spec = scheme.badges[k]
    if bool(scores.badges[i, k]):
        return "earned"
    if bool(badges_met(scores, [k])[i, 0]):
        by = _superseding(scores)[:, k] & np.asarray(scores.badges[i], dtype=bool)
        names = ", ".join(scheme.badges[j].title for j in np.flatnonzero(by))
        return f"met: {names} supersedes it"
    compiled = scores.compiled.badges[k]
    explainer = Explainer(scores)
    missing = []
    for name in sorted(compiled.inputs):
        value = np.asarray(scores.env[name], dtype=float)
        if np.isnan(value[i] if value.ndim else value):
            missing.append(name)
    parts = []
    if missing:
        parts.append(f"not assessed: {explainer.missing_text(missing, i)}")
    tier = int(scores.tier_index[i])
    if compiled.rank > tier:
        now = scheme.tiers[tier].title if tier >= 0 else "no tier"
        parts.append(f"needs at least {scheme.tiers[compiled.rank].title} (now {now})")
    holds = np.asarray(compiled.condition(scores.env, scores.size))
    holds_i = bool(holds[i] if holds.ndim else holds)
    if not missing and not holds_i:
        parts.append(
            f"needs {explainer.words(spec.requires, i)}"
            if spec.requires
            else f"`{spec.condition}` does not hold"
        )
    return "; ".join(parts) or "not earned"


@dataclass
class BadgeNeed:
    """A badge the target asks for: met or not, and why."""

    id: str
    title: str
    met: bool
    reason: str

    def blocker(self) -> Blocker:
        return Blocker("badge", self.id, f"{self.title}: {self.reason}")


def badge_needs(scores: Scores, badges: Sequence[int], i: int = 0) -> list[BadgeNeed]:
    """Each of ``badges`` (scheme indices) for building ``i``: met or not, and why."""
    met = badges_met(scores, badges)
    return [
        BadgeNeed(
            scores.scheme.badges[k].id,
            scores.scheme.badges[k].title,
            bool(met[i, j]),
            badge_reason(scores, k, i),
        )
        for j, k in enumerate(badges)
    ]


# ----------------------------------------------------------------------------- gap
