"""Search measure combinations for the cheapest design reaching a target tier.

Both searches score candidate designs in batches through one vectorised engine call
per chunk (:meth:`greenmark.design.space.DesignSpace.evaluate`), with every gate,
floor and tier condition applied.

* :func:`exact_search`: every design the exclusions allow is scored (numbered in
  mixed radix over the components of the exclusion graph, turned into a bit matrix
  with numpy, in chunks of :data:`CHUNK` designs); the answer is the cheapest,
  guaranteed. Designs are scored cheapest first and the search stops once the answer
  is settled. Used while the designs number at most :data:`EXACT_DESIGNS` (2^22),
  hence always for up to :data:`EXACT_LIMIT` (20) measures.
* :func:`heuristic_search` (any number): beam search over measure sets, ranked by
  ``cost + lambda x shortfall`` (lambda: the median cost per unit of shortfall removed
  by single measures), then local improvement (drop a measure, swap one for
  another) until nothing cheaper is found. Not guaranteed to be the cheapest.

A target is a tier, optionally with badges the design must also earn (a badge counts
as earned when a badge that supersedes it is). The shortfall of a design against a
target is the points (or %) still missing, plus the floor points missing, plus
:data:`REQUIREMENT_WEIGHT` per failed gate, tier condition or missing badge.

Kept as one idea past 600 lines: both searches share the shortfall measure and the
batched scoring of candidates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from greenmark.core.engine import GateStatus, Scores, tier_shortfall
from greenmark.design.effects import DesignerError
from greenmark.design.space import DesignSpace

Array = np.ndarray

EXACT_LIMIT = 20  # measures: 2^20 designs at most, always searched exactly
EXACT_DESIGNS = 1 << 22  # ``auto``: exact while the allowed designs are at most this many
EXACT_DESIGNS_MAX = 1 << 24  # ``exact`` refused beyond this (16.8 M designs)
CHUNK = 1 << 16  # designs per engine call
REQUIREMENT_WEIGHT = 10.0  # shortfall points per failed gate, tier condition or badge
BEAM_WIDTH = 64


@dataclass
class Requirements:
    """Where each design of a batch stands against one target tier."""

    feasible: Array  # [n] tier reached >= target
    tier: Array  # [n] tier index reached (-1: none)
    measure: Array  # [n] total points (or % for percent schemes)
    shortfall: Array  # [n] see the module docstring
    gate_ok: Array  # [n, gates up to the target] passed or not applicable
    floor_margin: Array  # [n, sections + groups] points above (>= 0) or below the floor
    condition_ok: Array  # [n, tier conditions up to the target]
    badge_ok: Array  # [n, required badges] earned or superseded by an earned badge


def badges_met(scores: Scores, badges: Sequence[int]) -> Array:
    """``[n, len(badges)]``: each badge earned, or hidden by an earned badge superseding it."""
    met = np.array(scores.badges, dtype=bool)
    supersedes = scores.compiled.badge_supersedes.astype(np.int64)
    for _ in range(len(supersedes)):  # a chain of supersedes, one link per pass
        wider = met | ((met.astype(np.int64) @ supersedes) > 0)
        if np.array_equal(wider, met):
            break
        met = wider
    return met[:, list(badges)]


def requirements(scores: Scores, target: int, badges: Sequence[int] = ()) -> Requirements:
    """Feasibility and shortfall of every design of ``scores`` against tier ``target``
    with the scheme's ``badges`` (indices) required too."""
    compiled = scores.compiled
    scheme = compiled.scheme
    n = scores.size
    percent = scheme.scheme.scoring == "percent"
    measure = scores.total_percent if percent else scores.total_points
    short = tier_shortfall(
        compiled, target, scores.total_points, scores.total_percent, scores.total_max
    )
    gates = [g.index for g in compiled.gates if g.rank <= target]
    status = scores.gate_status[:, gates]
    gate_ok = (status == GateStatus.PASSED) | (status == GateStatus.NOT_APPLICABLE)
    margins = []
    for s, section in enumerate(scheme.sections):
        have = scores.section_points[:, s]
        if section.floor is not None:
            margins.append(have - section.floor)
        elif section.floor_percent is not None:
            margins.append(have - section.floor_percent / 100.0 * scores.section_max[:, s])
        else:
            margins.append(np.full(n, np.inf))
    for g, group in enumerate(scheme.groups):
        have = scores.group_points[:, g]
        margins.append(have - group.floor if group.floor is not None else np.full(n, np.inf))
    floor_margin = np.stack(margins, axis=1) if margins else np.zeros((n, 0))
    # a floor that applies only from a higher tier than the target does not bind
    floor_margin[:, compiled.floor_rank > target] = np.inf
    conditions = []
    for t in range(target + 1):
        condition = compiled.tier_conditions[t]
        if condition is None:
            continue
        holds = np.asarray(condition.condition(scores.env, n))
        holds = holds if holds.dtype == np.bool_ else holds != 0
        for name in condition.inputs:
            holds = holds & ~np.isnan(scores.env[name])
        conditions.append(holds)
    condition_ok = np.stack(conditions, axis=1) if conditions else np.ones((n, 0), dtype=bool)
    badge_ok = badges_met(scores, badges)
    floor_short = np.where(floor_margin < -1e-9, -floor_margin, 0.0).sum(axis=1)
    shortfall = (
        short
        + floor_short
        + REQUIREMENT_WEIGHT * (~gate_ok).sum(axis=1)
        + REQUIREMENT_WEIGHT * (~condition_ok).sum(axis=1)
        + REQUIREMENT_WEIGHT * (~badge_ok).sum(axis=1)
    )
    return Requirements(
        feasible=(scores.tier_index >= target) & badge_ok.all(axis=1),
        tier=scores.tier_index,
        measure=measure,
        shortfall=shortfall,
        gate_ok=gate_ok,
        floor_margin=floor_margin,
        condition_ok=condition_ok,
        badge_ok=badge_ok,
    )


@dataclass
class Candidate:
    """One design: the measures applied (bits), its cost, total and tier."""

    bits: Array
    cost: float
    measure: float
    tier: int
    shortfall: float = 0.0


@dataclass
class Diagnosis:
    """What the designs tried could and could not achieve (for 'unreachable' reports)."""

    gates: list[int]  # gate indices (scheme order, up to the target) never passed
    floors: list[int]  # floor indices (sections then groups) never met
    floor_best: dict[int, float]  # floor index -> best margin reached (negative: short)
    conditions: list[int]  # tier indices whose condition never held
    best_measure: float  # highest total (or %) reached by any design
    badges: list[int] = field(default_factory=list)  # required badge indices never earned


@dataclass
class SearchResult:
    """The outcome of a search: feasible designs (cheapest first) and diagnostics."""

    method: Literal["exact", "heuristic"]
    label: str
    measures: int
    evaluated: int
    seconds: float
    best: Candidate | None  # cheapest feasible design within the budget
    alternatives: list[Candidate]  # next cheapest minimal feasible designs (within budget)
    cheapest: Candidate | None  # cheapest feasible design ignoring the budget
    best_within_budget: Candidate | None  # best tier within the budget when best is None
    closest: Candidate | None  # design nearest to the target when nothing reaches it
    diagnosis: Diagnosis | None = None
    extra: dict[str, float] = field(default_factory=dict)


class _Tracker:
    """Accumulates the diagnosis over all evaluated designs."""

    def __init__(self, badges: Sequence[int] = ()) -> None:
        self.badges = list(badges)
        self.gate_ever: Array | None = None
        self.floor_best: Array | None = None
        self.condition_ever: Array | None = None
        self.badge_ever = np.zeros(len(self.badges), dtype=bool)
        self.best_measure = -math.inf

    def add(self, req: Requirements) -> None:
        gate: Array = np.asarray(req.gate_ok.any(axis=0))
        floor: Array = (
            req.floor_margin.max(axis=0) if len(req.floor_margin) else req.floor_margin[0:0]
        )
        cond: Array = np.asarray(req.condition_ok.any(axis=0))
        if self.gate_ever is None:
            self.gate_ever, self.floor_best, self.condition_ever = gate, floor, cond
        else:
            assert self.floor_best is not None and self.condition_ever is not None
            self.gate_ever = self.gate_ever | gate
            self.floor_best = np.maximum(self.floor_best, floor)
            self.condition_ever = self.condition_ever | cond
        self.badge_ever = self.badge_ever | np.asarray(req.badge_ok.any(axis=0))
        if req.measure.size:
            self.best_measure = max(self.best_measure, float(np.nanmax(req.measure)))

    def diagnosis(self, space: DesignSpace, target: int) -> Diagnosis:
        compiled = space.compiled
        gates = [g.index for g in compiled.gates if g.rank <= target]
        tiers = [t for t in range(target + 1) if compiled.tier_conditions[t] is not None]
        gate_ever = self.gate_ever if self.gate_ever is not None else np.zeros(len(gates), bool)
        floor_best = self.floor_best if self.floor_best is not None else np.zeros(0)
        cond_ever = (
            self.condition_ever if self.condition_ever is not None else np.zeros(len(tiers), bool)
        )
        return Diagnosis(
            gates=[gates[i] for i in np.flatnonzero(~gate_ever)],
            floors=[int(i) for i in np.flatnonzero(floor_best < -1e-9)],
            floor_best={int(i): float(v) for i, v in enumerate(floor_best) if math.isfinite(v)},
            conditions=[tiers[i] for i in np.flatnonzero(~cond_ever)],
            best_measure=self.best_measure,
            badges=[self.badges[i] for i in np.flatnonzero(~self.badge_ever)],
        )


@dataclass
class Layout:
    """Every design allowed by the exclusions, numbered in mixed radix.

    The conflict graph splits the measures into connected components (a lone
    measure is a component of one); each component has a list of allowed choices
    (its subsets with no two measures excluding each other). Design ``d`` takes
    choice ``(d // strides[i]) % counts[i]`` in component ``i``.
    """

    members: list[Array]  # per component: measure indices
    choices: list[Array]  # per component: bool [count, size], choice 0 = nothing
    counts: Array  # int64 [components]
    strides: Array  # int64 [components]
    total: int  # number of allowed designs
    m: int

    def bits(self, designs: Array) -> Array:
        """Bit rows ``[len(designs), m]`` of design numbers."""
        out = np.zeros((designs.size, self.m), dtype=bool)
        for members, choices, count, stride in zip(
            self.members, self.choices, self.counts, self.strides, strict=True
        ):
            out[:, members] = choices[(designs // stride) % count]
        return out

    def per_design(self, values: Array) -> Array:
        """Sum of per-measure ``values`` over the measures of every design, by design number."""
        out = np.zeros(1)
        for members, choices in zip(self.members, self.choices, strict=True):
            out = ((choices @ values[members])[:, None] + out[None, :]).ravel()
        return out


def layout(conflicts: Array, limit: int = 1 << 26) -> Layout | None:
    """The allowed designs of measures with pairwise ``conflicts``; None when over ``limit``."""
    m = conflicts.shape[0]
    seen = np.zeros(m, dtype=bool)
    members: list[Array] = []
    choices: list[Array] = []
    for k in range(m):
        if seen[k]:
            continue
        component, todo = [], [k]
        seen[k] = True
        while todo:
            node = todo.pop()
            component.append(node)
            for other in np.flatnonzero(conflicts[node] & ~seen):
                seen[other] = True
                todo.append(int(other))
        component.sort()
        size = len(component)
        if size > 20:
            return None
        codes = np.arange(1 << size, dtype=np.int64)
        rows = ((codes[:, None] >> np.arange(size, dtype=np.int64)) & 1).astype(bool)
        local = conflicts[np.ix_(component, component)]
        clash = np.einsum(
            "ni,ij,nj->n", rows.astype(np.int64), local.astype(np.int64), rows.astype(np.int64)
        )
        members.append(np.asarray(component, dtype=np.intp))
        choices.append(rows[clash == 0])
    counts = np.array([len(c) for c in choices], dtype=np.int64)
    total = 1
    for count in counts.tolist():
        total *= count
        if total > limit:
            return None
    strides = (
        np.cumprod(np.concatenate([[1], counts[:-1]])).astype(np.int64) if len(counts) else counts
    )
    return Layout(members, choices, counts, strides, total, m)


def _order(cost: Array, count: Array, measure: Array) -> Array:
    """Cheapest first; then fewer measures; then more points."""
    return np.lexsort((-measure, count, cost))


def _drop_maps(designs: Layout) -> list[Array]:
    """Per component: ``drop[j, p]`` = the choice left when measure ``p`` leaves choice ``j``."""
    maps = []
    for choices in designs.choices:
        index = {row.tobytes(): j for j, row in enumerate(choices)}
        drop = np.full(choices.shape, -1, dtype=np.int64)
        for j, row in enumerate(choices):
            for p in np.flatnonzero(row):
                smaller = row.copy()
                smaller[p] = False
                drop[j, p] = index[smaller.tobytes()]
        maps.append(drop)
    return maps


def exact_search(
    space: DesignSpace,
    target: int,
    *,
    budget: float | None = None,
    alternatives: int = 3,
    chunk: int = CHUNK,
    designs: Layout | None = None,
    exhaustive: bool = False,
    badges: Sequence[int] = (),
) -> SearchResult:
    """Score the designs the exclusions allow, cheapest first; return the cheapest reaching
    ``target``.

    Designs are scored in order of cost (then number of measures), so the first
    feasible design is the cheapest and every subset of a design is scored before it
    (which tells whether a feasible design is minimal). Scoring stops once the best
    plan, the alternatives and the budget questions are settled; ``exhaustive`` scores
    every design anyway. A target no design reaches means every design was scored.
    ``badges`` (scheme indices) must be earned too.
    """
    start = time.perf_counter()
    m = space.m
    designs = designs or layout(space.conflicts, EXACT_DESIGNS_MAX)
    if designs is None:
        raise DesignerError(
            f"exact search refused: the {m} measures allow more than {EXACT_DESIGNS_MAX:,} designs"
        )
    size = designs.total
    cost = designs.per_design(space.costs)
    count = designs.per_design(np.ones(m))
    order = np.lexsort((count, cost))
    feasible = np.zeros(size, dtype=bool)
    scored = np.zeros(size, dtype=bool)
    tier = np.full(size, -1, dtype=np.int16)
    measure = np.full(size, -np.inf)
    shortfall = np.full(size, np.inf)
    drops = _drop_maps(designs)
    tracker = _Tracker(badges)
    minimal: list[int] = []  # minimal feasible designs, cheapest first
    eps = 1e-9
    scanned = 0
    begin, step = 0, min(chunk, 4096)
    while begin < size:
        batch = order[begin : begin + step]
        begin, step = begin + batch.size, min(2 * step, chunk)  # small first: often enough
        req = requirements(space.evaluate(designs.bits(batch)), target, badges)
        feasible[batch] = req.feasible
        scored[batch] = True
        tier[batch] = req.tier
        measure[batch] = req.measure
        shortfall[batch] = req.shortfall
        tracker.add(req)
        scanned += batch.size
        found = batch[req.feasible]
        if found.size:
            keep = np.ones(found.size, dtype=bool)
            for drop, n_choices, stride in zip(drops, designs.counts, designs.strides, strict=True):
                digit = (found // stride) % n_choices
                for p in range(drop.shape[1]):
                    smaller = drop[digit, p]
                    has = smaller >= 0
                    other = found[has] + (smaller[has] - digit[has]) * stride
                    keep[np.flatnonzero(has)[feasible[other]]] = False
            new = found[keep]
            new = new[_order(cost[new], count[new], measure[new])]
            minimal.extend(int(d) for d in new)
        if exhaustive:
            continue
        last = float(cost[batch[-1]])
        within = [d for d in minimal if budget is None or cost[d] <= budget + eps]
        if len(within) > alternatives and last > cost[within[alternatives]] + eps:
            break  # best and alternatives settled: every cheaper design was scored
        if budget is not None and last > budget + eps and minimal:
            break  # everything within budget scored, and the cheapest plan overall is known
    in_budget = scored & (cost <= budget + eps) if budget is not None else scored

    def candidate(d: int) -> Candidate:
        return Candidate(
            designs.bits(np.array([d], dtype=np.int64))[0],
            float(cost[d]),
            float(measure[d]),
            int(tier[d]),
            float(shortfall[d]),
        )

    within = [d for d in minimal if in_budget[d]]
    best = candidate(within[0]) if within else None
    cheapest = candidate(minimal[0]) if minimal else None
    best_within = None
    if best is None and budget is not None and in_budget.any():
        affordable = np.flatnonzero(in_budget)
        top = tier[affordable].max()
        pick = affordable[tier[affordable] == top]
        best_within = candidate(int(pick[_order(cost[pick], count[pick], measure[pick])][0]))
    closest = None
    if cheapest is None:
        closest = candidate(int(np.lexsort((cost, shortfall))[0]))
    note = "every allowed design" if scanned == size else "cheapest first, until settled"
    label = (
        f"exact: {scanned:,} of the {size:,} designs the {m} measures allow scored "
        f"({note}); no cheaper design reaches the target"
        if best is not None or cheapest is not None
        else f"exact: all {size:,} designs the {m} measures allow scored"
    )
    return SearchResult(
        method="exact",
        label=label,
        measures=m,
        evaluated=scanned,
        seconds=time.perf_counter() - start,
        best=best,
        alternatives=[candidate(d) for d in within[1 : alternatives + 1]],
        cheapest=cheapest,
        best_within_budget=best_within,
        closest=closest,
        diagnosis=tracker.diagnosis(space, target) if cheapest is None else None,
        extra={"designs": float(size)},
    )


class _Evaluator:
    """Scores sets of measures on demand and remembers every design it has seen."""

    def __init__(
        self, space: DesignSpace, target: int, chunk: int, badges: Sequence[int] = ()
    ) -> None:
        self.space = space
        self.target = target
        self.badges = list(badges)
        self.chunk = chunk
        self.seen: dict[bytes, Candidate] = {}
        self.feasible: dict[bytes, Candidate] = {}
        self.tracker = _Tracker(badges)
        self.evaluated = 0

    def __call__(self, sets: Array) -> list[Candidate]:
        keys = [np.packbits(row).tobytes() for row in sets]
        todo = [i for i, key in enumerate(keys) if key not in self.seen]
        todo = list({keys[i]: i for i in todo}.values())
        for begin in range(0, len(todo), self.chunk):
            rows = sets[todo[begin : begin + self.chunk]]
            req = requirements(self.space.evaluate(rows), self.target, self.badges)
            self.tracker.add(req)
            costs = rows.astype(np.float64) @ self.space.costs
            for j, row in enumerate(rows):
                found = Candidate(
                    row.copy(),
                    float(costs[j]),
                    float(req.measure[j]),
                    int(req.tier[j]),
                    float(req.shortfall[j]),
                )
                key = np.packbits(row).tobytes()
                self.seen[key] = found
                if req.feasible[j]:
                    self.feasible[key] = found
            self.evaluated += len(rows)
        return [self.seen[key] for key in keys]


def _compatible(space: DesignSpace, bits: Array) -> Array:
    """Measures that can join the set ``bits`` (not in it, not excluded by it)."""
    blocked = space.conflicts[bits].any(axis=0) if bits.any() else np.zeros(space.m, bool)
    return ~bits & ~blocked


def _improve(evaluate: _Evaluator, start: Candidate, space: DesignSpace) -> Candidate:
    """Drop measures and swap one for another while a cheaper feasible design is found."""
    current = start
    for _ in range(4 * space.m + 4):
        rows = []
        members = np.flatnonzero(current.bits)
        for i in members:
            without = current.bits.copy()
            without[i] = False
            rows.append(without)
            for j in np.flatnonzero(_compatible(space, without)):
                if j != i:
                    swapped = without.copy()
                    swapped[j] = True
                    rows.append(swapped)
        if not rows:
            break
        found = evaluate(np.array(rows))
        better = [
            c
            for c in found
            if np.packbits(c.bits).tobytes() in evaluate.feasible and c.cost < current.cost - 1e-9
        ]
        if not better:
            break
        current = min(better, key=lambda c: (c.cost, int(c.bits.sum()), -c.measure))
    return current


def heuristic_search(
    space: DesignSpace,
    target: int,
    *,
    budget: float | None = None,
    alternatives: int = 3,
    beam_width: int = BEAM_WIDTH,
    chunk: int = CHUNK,
    badges: Sequence[int] = (),
) -> SearchResult:
    """Beam search then local improvement; a good plan, not guaranteed the cheapest.
    ``badges`` (scheme indices) must be earned too."""
    start = time.perf_counter()
    m = space.m
    evaluate = _Evaluator(space, target, chunk, badges)
    root = evaluate(np.zeros((1, m), dtype=bool))[0]
    beam = [root]
    best_cost = math.inf
    lam = 1.0
    for depth in range(m):
        children = []
        for state in beam:
            for k in np.flatnonzero(_compatible(space, state.bits)):
                child = state.bits.copy()
                child[k] = True
                children.append(child)
        if not children:
            break
        found = evaluate(np.array(children))
        if depth == 0:
            gains = np.array([root.shortfall - c.shortfall for c in found])
            costs = np.array([c.cost for c in found])
            useful = gains > 1e-9
            if useful.any():
                lam = float(np.median(costs[useful] / gains[useful]))
            elif costs.size:
                lam = float(np.median(costs)) or 1.0
        for c in found:
            packed = np.packbits(c.bits).tobytes()
            if packed in evaluate.feasible and (budget is None or c.cost <= budget + 1e-9):
                best_cost = min(best_cost, c.cost)
        frontier = {
            np.packbits(c.bits).tobytes(): c
            for c in found
            if np.packbits(c.bits).tobytes() not in evaluate.feasible
            and c.cost < best_cost
            and (budget is None or c.cost <= budget + 1e-9)
        }
        beam = sorted(frontier.values(), key=lambda c: c.cost + lam * c.shortfall)[:beam_width]
        if not beam:
            break

    def affordable(c: Candidate) -> bool:
        return budget is None or c.cost <= budget + 1e-9

    def key(c: Candidate) -> tuple[float, int, float]:
        return (c.cost, int(c.bits.sum()), -c.measure)

    for solution in sorted(evaluate.feasible.values(), key=key)[:3]:
        _improve(evaluate, solution, space)  # improvements land in evaluate.feasible
    solutions = sorted(evaluate.feasible.values(), key=key)
    # minimal designs: no single measure can be dropped
    top = solutions[: 8 * (alternatives + 1)]
    minimal = []
    for c in top:
        members = np.flatnonzero(c.bits)
        drops = []
        for i in members:
            row = c.bits.copy()
            row[i] = False
            drops.append(row)
        if drops:
            evaluate(np.array(drops))
        if not any(np.packbits(d).tobytes() in evaluate.feasible for d in drops):
            minimal.append(c)
    pool = [c for c in solutions if affordable(c)]
    best = pool[0] if pool else None
    alts = [c for c in minimal if affordable(c) and c is not best][:alternatives]
    cheapest = solutions[0] if solutions else None
    best_within = None
    if best is None and budget is not None:
        tried = [c for c in evaluate.seen.values() if affordable(c)]
        if tried:
            top_tier = max(c.tier for c in tried)
            best_within = min((c for c in tried if c.tier == top_tier), key=key)
    closest = None
    if cheapest is None:
        closest = min(evaluate.seen.values(), key=lambda c: (c.shortfall, c.cost))
    label = (
        f"heuristic: beam search (width {beam_width}) over {m} measures, then local "
        f"improvement; {evaluate.evaluated:,} designs scored; not guaranteed to be the cheapest"
    )
    return SearchResult(
        method="heuristic",
        label=label,
        measures=m,
        evaluated=evaluate.evaluated,
        seconds=time.perf_counter() - start,
        best=best,
        alternatives=alts,
        cheapest=cheapest,
        best_within_budget=best_within,
        closest=closest,
        diagnosis=evaluate.tracker.diagnosis(space, target) if cheapest is None else None,
        extra={"lambda": lam},
    )


def search(
    space: DesignSpace,
    target: int,
    *,
    budget: float | None = None,
    alternatives: int = 3,
    method: Literal["auto", "exact", "heuristic"] = "auto",
    badges: Sequence[int] = (),
) -> SearchResult:
    """Exact search while the allowed designs number at most :data:`EXACT_DESIGNS` (always
    for up to :data:`EXACT_LIMIT` measures) under ``auto``; the heuristic beyond.
    ``badges`` (scheme indices) must be earned with tier ``target``."""
    if method == "heuristic":
        return heuristic_search(
            space, target, budget=budget, alternatives=alternatives, badges=badges
        )
    limit = EXACT_DESIGNS_MAX if method == "exact" else max(EXACT_DESIGNS, 1 << EXACT_LIMIT)
    designs = layout(space.conflicts, limit)
    if designs is not None:
        return exact_search(
            space, target, budget=budget, alternatives=alternatives, designs=designs, badges=badges
        )
    if method == "exact":
        raise DesignerError(
            f"exact search refused: the {space.m} measures allow more than {limit:,} designs "
            "(use --method heuristic)"
        )
    return heuristic_search(space, target, budget=budget, alternatives=alternatives, badges=badges)
