"""The vectorised scoring engine: compile a scheme once, score N buildings in one call.

A single building is a batch of one. Inputs are a mapping of name -> float64 array
of length N, with NaN meaning "not given"; booleans are 0/1 and choices are option
indices (see :func:`encode_inputs`). Everything in :func:`score` is whole-array numpy
work, except that large batches (:data:`engine_batch.THRESHOLD` buildings and up) hand
the per-criterion and per-building bookkeeping to compiled kernels
(:mod:`greenmark.core.engine_batch`, :mod:`greenmark.core.engine_kernels`), which give
the same results bit for bit; the per-building explanations are built on demand by
:mod:`greenmark.core.explain`.

Kept as one idea past 600 lines: compiling and scoring share the compiled arrays'
layout, which no other module should need to know.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np

from greenmark.core import engine_batch
from greenmark.core.errors import SchemeError
from greenmark.core.formula import Formula, _as_bool
from greenmark.core.model import (
    BUILTIN_INPUTS,
    BandPoints,
    ChoicePoints,
    FormulaPoints,
    FormulaSite,
    InputSpec,
    Scheme,
    YesNoPoints,
    choice_flag,
    compile_site,
    dependency_order,
    site_names,
    slug,
)

Array = np.ndarray


class Status(IntEnum):
    """Per-criterion status, stored as int8 in :attr:`Scores.status`."""

    NOT_ASSESSED = 0
    NOT_MET = 1
    PARTIAL = 2
    AWARDED = 3
    NOT_APPLICABLE = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class GateStatus(IntEnum):
    """Per-gate status, stored as int8 in :attr:`Scores.gate_status`."""

    NOT_ASSESSED = 0
    FAILED = 1
    PASSED = 2
    NOT_APPLICABLE = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class CompiledCriterion:
    index: int
    id: str
    section: int
    max_points: float
    bonus: bool
    kind: str  # formula | bands | yes | choice
    expression: Formula | None  # the formula, band value or yes-condition
    applies: Formula | None
    rule_inputs: frozenset[str]  # base inputs the rule reads (through derived quantities)
    applies_inputs: frozenset[str]
    at: Array = field(default_factory=lambda: np.empty(0))  # ascending band thresholds
    give: Array = field(default_factory=lambda: np.zeros(1))  # points per band, [0, *give]
    choice_input: str | None = None
    lower_is_better: bool = False  # bands: ``at`` holds negated thresholds
    max_by_type: Array | None = None  # [building types + 1] maxima (last: default), or None


@dataclass(frozen=True)
class CompiledCondition:
    index: int
    id: str
    condition: Formula
    applies: Formula | None
    inputs: frozenset[str]
    applies_inputs: frozenset[str]
    rank: int  # tier index from which it applies (0: every tier)


@dataclass
class CompiledScheme:
    """A scheme turned into arrays and compiled formulas, ready to score any batch."""

    scheme: Scheme
    constants: dict[str, float]
    derived: list[tuple[str, Formula]]
    criteria: list[CompiledCriterion]
    metrics: list[tuple[str, Formula]]
    gates: list[CompiledCondition]
    tier_conditions: list[CompiledCondition | None]
    badges: list[CompiledCondition]
    needed_flags: dict[str, tuple[str, int]]  # flag name -> (input, option index)
    applicability: list[tuple[str, int, bool]]  # (name, criterion, True: na_ / False: assessed_)
    floor_rank: Array  # [sections + groups] the lowest tier each floor applies to
    core_matrix: Array  # [criteria, sections] 1/conversion where a non-bonus criterion belongs
    bonus_matrix: Array  # [criteria, sections] 1 where a bonus criterion belongs
    group_matrix: Array  # [sections, groups]
    ungrouped: Array  # [sections] bool
    section_cap: Array  # [sections], inf when uncapped
    bonus_cap: Array  # [sections]
    group_cap: Array  # [groups]
    max_points: Array  # [criteria]
    weights: Array  # [building types + 1, sections]; last row: default
    tier_threshold: Array  # [tiers], -inf when none (points, or % when tier_on_percent)
    tier_on_percent: Array  # [tiers] bool: a percent threshold (min_percent) in a points scheme
    badge_min_rank: Array  # [badges]
    badge_supersedes: Array  # [badges, badges] bool: row badge hides column badge
    defaults: dict[str, float]  # inputs with a scheme default, as engine values
    conversion: Array  # [sections] own points per scheme point (1 for most sections)

    @property
    def converts(self) -> bool:
        """True when some section scores in its own points (a conversion other than 1)."""
        return bool((self.conversion != 1.0).any())

    @property
    def input_names(self) -> list[str]:
        return [*self.scheme.inputs, *BUILTIN_INPUTS, "building_type"]

    @cached_property
    def program(self) -> engine_batch.Program:
        """The scheme laid out for the large-batch kernels (built on first use)."""
        return engine_batch.program(self)

    @cached_property
    def reads_points(self) -> bool:
        """True when a result formula (a metric, a gate, tier or badge condition) reads
        a criterion's points (``pts_<id>``)."""
        formulas = [f for _, f in self.metrics]
        for condition in [*self.gates, *self.badges, *self.tier_conditions]:
            if condition is not None:
                formulas.append(condition.condition)
                if condition.applies is not None:
                    formulas.append(condition.applies)
        return any(name.startswith("pts_") for f in formulas for name in f.names)


def _base_inputs(
    scheme: Scheme, names: frozenset[str], derived: dict[str, Formula]
) -> frozenset[str]:
    """The declared inputs that ``names`` depend on, through derived quantities and flags."""
    flag_owner = {
        choice_flag(name, option): name
        for name, spec in scheme.inputs.items()
        for option in spec.choices or ()
    }
    flag_owner.update(
        {choice_flag("building_type", t): "building_type" for t in scheme.scheme.building_types}
    )
    found: set[str] = set()
    pending = list(names)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in derived:
            pending.extend(derived[name].names)
        elif name in flag_owner:
            found.add(flag_owner[name])
        elif name in scheme.inputs or name in BUILTIN_INPUTS:
            found.add(name)
    return frozenset(found)


def compile_scheme(scheme: Scheme) -> CompiledScheme:
    """Compile every formula and lay the scheme's structure out as arrays."""
    sites: dict[tuple[str | int, ...], Formula] = {}
    names = site_names(scheme)  # once, not per formula

    def formula(location: tuple[str | int, ...], label: str, source: str, stage: str) -> Formula:
        site = FormulaSite(location, label, source, stage)  # type: ignore[arg-type]
        compiled = compile_site(scheme, site, names)
        sites[location] = compiled
        return compiled

    derived_formulas = {
        name: formula(("derived", name), name, spec.formula, "input")
        for name, spec in scheme.derived.items()
    }
    order = dependency_order({n: set(f.names) for n, f in derived_formulas.items()})
    derived = [(name, derived_formulas[name]) for name in order]

    def base(names: frozenset[str]) -> frozenset[str]:
        return _base_inputs(scheme, names, derived_formulas)

    section_index = {s.id: i for i, s in enumerate(scheme.sections)}
    tier_rank = {t.id: i for i, t in enumerate(scheme.tiers)}
    building_types = scheme.scheme.building_types
    criteria: list[CompiledCriterion] = []
    for index, spec in enumerate(scheme.criteria):
        label = f"criterion {spec.id}"
        rule = spec.points
        applies = (
            formula(("criteria", index, "applies_if"), label, spec.applies_if, "input")
            if spec.applies_if is not None
            else None
        )
        applies_inputs = base(applies.names) if applies else frozenset()
        common: dict[str, Any] = {
            "index": index,
            "id": spec.id,
            "section": section_index[spec.section],
            "max_points": spec.max_points,
            "max_by_type": None
            if not spec.max_points_by_type
            else np.asarray(
                [spec.max_points_by_type.get(t, spec.max_points) for t in building_types]
                + [spec.max_points]
            ),
            "bonus": spec.bonus,
            "applies": applies,
            "applies_inputs": applies_inputs,
        }
        if isinstance(rule, FormulaPoints):
            expr = formula(("criteria", index, "points"), label, rule.formula, "input")
            criteria.append(
                CompiledCriterion(
                    kind="formula", expression=expr, rule_inputs=base(expr.names), **common
                )
            )
        elif isinstance(rule, BandPoints):
            expr = formula(("criteria", index, "points"), label, rule.bands, "input")
            at = np.asarray(rule.at, dtype=np.float64)
            give = np.asarray([0.0, *rule.give], dtype=np.float64)
            if rule.better == "lower":
                at = -at
            criteria.append(
                CompiledCriterion(
                    kind="bands",
                    expression=expr,
                    rule_inputs=base(expr.names),
                    at=at,
                    give=give,
                    lower_is_better=rule.better == "lower",
                    **common,
                )
            )
        elif isinstance(rule, YesNoPoints):
            expr = formula(("criteria", index, "points"), label, rule.yes, "input")
            criteria.append(
                CompiledCriterion(
                    kind="yes",
                    expression=expr,
                    rule_inputs=base(expr.names),
                    give=np.asarray([0.0, rule.give]),
                    **common,
                )
            )
        elif isinstance(rule, ChoicePoints):
            options = scheme.inputs[rule.choice].choices or []
            table = np.asarray([rule.give.get(o, 0.0) for o in options], dtype=np.float64)
            criteria.append(
                CompiledCriterion(
                    kind="choice",
                    expression=None,
                    rule_inputs=frozenset({rule.choice}),
                    give=table,
                    choice_input=rule.choice,
                    **common,
                )
            )
        else:  # pragma: no cover - the model admits only the four rules
            raise SchemeError(f"criterion {spec.id}: unknown points rule")

    metric_formulas = {
        name: formula(("metrics", name), f"metric {name}", spec.formula, "result")
        for name, spec in scheme.metrics.items()
    }
    metric_order = dependency_order({n: set(f.names) for n, f in metric_formulas.items()})
    metrics = [(name, metric_formulas[name]) for name in metric_order]

    def condition(
        kind: str, index: int, item_id: str, source: str, applies_src: str | None, rank: int
    ) -> CompiledCondition:
        cond = formula((kind, index, "condition"), f"{kind} {item_id}", source, "result")
        applies = (
            formula((kind, index, "applies_if"), f"{kind} {item_id}", applies_src, "result")
            if applies_src is not None
            else None
        )
        return CompiledCondition(
            index=index,
            id=item_id,
            condition=cond,
            applies=applies,
            inputs=base(cond.names),
            applies_inputs=base(applies.names) if applies else frozenset(),
            rank=rank,
        )

    gates = [
        condition(
            "gates",
            i,
            g.id,
            g.condition,
            g.applies_if,
            tier_rank[g.from_tier] if g.from_tier else 0,
        )
        for i, g in enumerate(scheme.gates)
    ]
    tier_conditions = [
        condition("tiers", i, t.id, t.condition, None, i) if t.condition is not None else None
        for i, t in enumerate(scheme.tiers)
    ]
    badges = [
        condition("badges", i, b.id, b.condition, None, tier_rank[b.min_tier] if b.min_tier else -1)
        for i, b in enumerate(scheme.badges)
    ]

    flags: dict[str, tuple[str, int]] = {}
    referenced = set().union(*(f.names for f in sites.values())) if sites else set()
    for name, input_spec in scheme.inputs.items():
        for option_index, option in enumerate(input_spec.choices or ()):
            if choice_flag(name, option) in referenced:
                flags[choice_flag(name, option)] = (name, option_index)
    for option_index, building_type in enumerate(scheme.scheme.building_types):
        if choice_flag("building_type", building_type) in referenced:
            flags[choice_flag("building_type", building_type)] = ("building_type", option_index)

    n_criteria, n_sections, n_groups = len(criteria), len(scheme.sections), len(scheme.groups)
    core = np.zeros((n_criteria, n_sections))
    bonus = np.zeros((n_criteria, n_sections))
    for criterion in criteria:
        # a section's own points count 1/conversion each (e.g. 5 Mt points = 1 point)
        weight = 1.0 / scheme.sections[criterion.section].conversion
        (bonus if criterion.bonus else core)[criterion.index, criterion.section] = weight
    group_matrix = np.zeros((n_sections, n_groups))
    for g, group in enumerate(scheme.groups):
        for member in group.sections:
            group_matrix[section_index[member], g] = 1.0

    building_types = scheme.scheme.building_types
    weights = np.zeros((len(building_types) + 1, n_sections))
    for s, section in enumerate(scheme.sections):
        w = section.weight
        if isinstance(w, dict):
            default = w.get("default", 0.0)
            for t, building_type in enumerate(building_types):
                weights[t, s] = w.get(building_type, default)
            weights[-1, s] = default
        else:
            weights[:, s] = 1.0 if w is None else float(w)

    percent_scheme = scheme.scheme.scoring == "percent"
    # a points scheme may still give a tier a percent threshold (share of the maximum)
    on_percent = [not percent_scheme and t.min_percent is not None for t in scheme.tiers]
    thresholds = [
        t.min_percent if percent_scheme or percent else t.min_points
        for t, percent in zip(scheme.tiers, on_percent, strict=True)
    ]
    inf = np.inf
    return CompiledScheme(
        scheme=scheme,
        constants={name: c.value for name, c in scheme.constants.items()},
        derived=derived,
        criteria=criteria,
        metrics=metrics,
        gates=gates,
        tier_conditions=tier_conditions,
        badges=badges,
        needed_flags=flags,
        floor_rank=np.asarray(
            [
                tier_rank[f] if f else 0
                for f in [s.floor_from_tier for s in scheme.sections]
                + [g.floor_from_tier for g in scheme.groups]
            ],
            dtype=np.int64,
        ),
        applicability=[
            (f"{prefix}{slug(c.id)}", c.index, prefix == "na_")
            for c in criteria
            for prefix in ("na_", "assessed_")
            if f"{prefix}{slug(c.id)}" in referenced
        ],
        core_matrix=core,
        bonus_matrix=bonus,
        group_matrix=group_matrix,
        ungrouped=group_matrix.sum(axis=1) == 0,
        section_cap=np.asarray([s.cap if s.cap is not None else inf for s in scheme.sections]),
        bonus_cap=np.asarray(
            [s.bonus_cap if s.bonus_cap is not None else inf for s in scheme.sections]
        ),
        group_cap=np.asarray([g.cap if g.cap is not None else inf for g in scheme.groups]),
        max_points=np.asarray([c.max_points for c in criteria]),
        weights=weights,
        tier_threshold=np.asarray([-inf if t is None else t for t in thresholds]),
        tier_on_percent=np.asarray(on_percent, dtype=bool),
        badge_min_rank=np.asarray([b.rank for b in badges], dtype=np.int64),
        badge_supersedes=np.asarray(
            [[o.id in b.supersedes for o in scheme.badges] for b in scheme.badges], dtype=bool
        ).reshape(len(scheme.badges), len(scheme.badges)),
        conversion=np.asarray([s.conversion for s in scheme.sections], dtype=np.float64),
        defaults={
            name: default_value(spec)
            for name, spec in scheme.inputs.items()
            if spec.default is not None
        },
    )


def default_value(spec: InputSpec) -> float:
    """An input's declared default as the engine holds it (choices by option index)."""
    if spec.type == "choice":
        return float((spec.choices or []).index(str(spec.default)))
    return float(spec.default)  # type: ignore[arg-type]  # bool and numbers only, checked


@dataclass
class Scores:
    """Everything :func:`score` computed for a batch of N buildings (arrays, no strings)."""

    compiled: CompiledScheme
    size: int
    env: dict[str, Any]  # name -> array (inputs, derived, results, metrics) or scalar constant
    status: Array  # [N, criteria] int8 Status
    section_points: Array  # [N, sections] after caps, bonus included
    section_core: Array  # [N, sections] capped, bonus excluded
    section_max: Array  # [N, sections] applicable maximum after caps, bonus excluded
    section_percent: Array  # [N, sections] core / max in %, NaN when nothing applies
    group_points: Array  # [N, groups]
    total_points: Array  # [N]
    total_percent: Array  # [N]
    total_max: Array  # [N] maximum attainable total, bonus excluded
    gate_status: Array  # [N, gates] int8 GateStatus
    floor_ok: Array  # [N, sections + groups]
    tier_ok: Array  # [N, tiers] each tier's own requirements met
    tier_index: Array  # [N] highest tier reached, -1 for none
    badges: Array  # [N, badges] bool
    points_needed: Array  # [N] points (or %) short of the next tier, NaN when at the top
    _points: Array | None = field(default=None, repr=False, compare=False)
    _values: Array | None = field(default=None, repr=False, compare=False)
    _not_applicable: Mapping[str, Array] | None = field(default=None, repr=False, compare=False)

    @property
    def scheme(self) -> Scheme:
        return self.compiled.scheme

    @property
    def points(self) -> Array:
        """[N, criteria] each criterion's points. A large batch whose result formulas read
        no criterion's points leaves them out; they are then scored again, from
        :attr:`env`, when first read (by the same kernels: the same bits)."""
        if self._points is None:
            compiled, env, n, marks = self.compiled, self.env, self.size, self._not_applicable
            batch = engine_batch.Batch.start(compiled, env, n, marks, _type_rows_of(compiled, env))
            found = batch.criteria(with_points=True) if batch is not None else None
            if found is None:  # pragma: no cover - the kernels scored this batch already
                found = _score_criteria(compiled, env, n, marks)
            assert found[0] is not None
            self._points = found[0]
            _put_points(self.compiled, self.env, self._points)
        return self._points

    @property
    def values(self) -> Array:
        """[N, criteria] the value each rule looked at: only explanations read it, so it
        is evaluated (from :attr:`env`) on first use."""
        if self._values is None:
            self._values = engine_batch.criterion_values(self.compiled, self.env, self.size)
        return self._values

    def tier_id(self, i: int) -> str | None:
        index = int(self.tier_index[i])
        return self.scheme.tiers[index].id if index >= 0 else None


def encode_inputs(compiled: CompiledScheme, rows: Sequence[Mapping[str, Any]]) -> dict[str, Array]:
    """Turn plain values (numbers, bools, option names, None) into engine arrays.

    Values must already be in the scheme's units and validated; unknown option
    names raise ``ValueError``.
    """
    scheme = compiled.scheme
    size = len(rows)
    arrays: dict[str, Array] = {}
    options = {n: s.choices or [] for n, s in scheme.inputs.items() if s.type == "choice"}
    options["building_type"] = list(scheme.scheme.building_types)
    for name in compiled.input_names:
        column = np.full(size, np.nan)
        lookup = {o: float(i) for i, o in enumerate(options.get(name, ()))}
        for i, row in enumerate(rows):
            value = row.get(name)
            if value is None:
                continue
            if name in options:
                if value not in lookup:
                    if name == "building_type" and not lookup:
                        continue
                    raise ValueError(f"{name}: {value!r} is not one of {', '.join(lookup)}")
                column[i] = lookup[value]
            else:
                column[i] = float(value)
        arrays[name] = column
    return arrays


def _missing(env: Mapping[str, Any], names: frozenset[str], size: int, cache: dict) -> Array:
    """True where any of ``names`` is not given."""
    if not names:
        return np.zeros(size, dtype=bool)
    found = cache.get(names)
    if found is None:
        found = np.zeros(size, dtype=bool)
        for name in names:
            found |= np.isnan(env[name])
        cache[names] = found
    return found


def _bands_reached(at: Array, key: Array) -> Array:
    """How many of the ascending thresholds ``at`` each key reaches (``searchsorted``
    "right"; a few comparisons are faster for the short tables of bands). A NaN key
    reaches none; its criterion is not assessed whatever it would earn."""
    if len(at) > 100:
        return np.searchsorted(at, key, "right")
    reached = np.zeros(len(key), dtype=np.int8)
    for edge in at:
        reached += key >= edge
    return reached


def _score_criteria(
    compiled: CompiledScheme,
    env: Mapping[str, Any],
    n: int,
    not_applicable: Mapping[str, Array] | None,
    missing_cache: dict[frozenset[str], Array] | None = None,
) -> tuple[Array, Array, tuple[Array, Array, Array, Array, Array]]:
    """Every criterion's points and status, and the sections' core points, bonus points,
    points, maximum and percent, with numpy (the kernels of
    :mod:`greenmark.core.engine_kernels` do the same for large batches)."""
    if missing_cache is None:
        missing_cache = {}
    n_criteria = len(compiled.criteria)
    # Column-major ("F") so that filling one criterion's column is a contiguous write.
    points = np.empty((n, n_criteria), order="F")
    status = np.empty((n, n_criteria), dtype=np.int8, order="F")
    # per-section sums, added criterion by criterion (a criterion counts 1 / its section's
    # conversion, applied once summed)
    n_sections = len(compiled.scheme.sections)
    core_raw = np.zeros((n, n_sections), order="F")
    bonus_raw = np.zeros((n, n_sections), order="F")
    max_raw = np.zeros((n, n_sections), order="F")
    type_rows = _type_rows_of(compiled, env)
    for c in compiled.criteria:
        col = c.index
        top: float | Array = c.max_points
        if c.max_by_type is not None:
            assert type_rows is not None
            top = c.max_by_type[type_rows]
        if c.kind == "choice":
            assert c.choice_input is not None
            value = env[c.choice_input]
            codes = np.where(np.isnan(value), 0, value).astype(np.intp)
            earned = c.give[codes]
        else:
            assert c.expression is not None
            value = c.expression(env, n)
            if c.kind == "formula":
                earned = np.clip(value, 0.0, top)
            elif c.kind == "bands":
                key = -value if c.lower_is_better else value
                # a value that reaches a threshold up to rounding (19.999999 % of 20 %) counts
                with np.errstate(invalid="ignore"):  # -inf + inf: not assessed below
                    key = key + 1e-9 * np.maximum(1.0, np.abs(key))
                earned = c.give[_bands_reached(c.at, key)]
                earned = np.minimum(earned, top)
            else:  # yes
                earned = np.where(_as_bool(value), c.give[1], 0.0)
        if c.max_by_type is not None:  # a type's smaller maximum caps every rule
            earned = np.minimum(earned, top)
        # Masks from the cache are shared between criteria: never modify them in place.
        not_given = _missing(env, c.rule_inputs, n, missing_cache)
        if c.kind != "choice" and value.dtype.kind == "f":
            # a rule with no finite value (NaN, or inf from a division by zero) scores nothing:
            # the criterion is not assessed, never capped to full points
            not_given = not_given | ~np.isfinite(value)
        na: Array | None = None
        if c.applies is not None:
            applies_missing = _missing(env, c.applies_inputs, n, missing_cache)
            na = ~applies_missing & ~_as_bool(c.applies(env, n))
            not_given = not_given | applies_missing
        if c.max_by_type is not None:
            top_na = np.asarray(top) == 0  # worth nothing for this building type: N/A
            if top_na.any():
                na = top_na if na is None else na | top_na
        if not_applicable is not None and c.id in not_applicable:
            marked = np.asarray(not_applicable[c.id], dtype=bool)
            na = marked if na is None else na | marked
        if na is not None:
            not_given = not_given & ~na
            blank = not_given | na
        else:
            blank = not_given
        column = points[:, col]
        np.copyto(column, earned)
        column[blank] = 0.0
        # NOT_MET = 1, +1 when some points (PARTIAL), +1 more when all (AWARDED)
        column_status = status[:, col]
        np.add(column > 0, column >= top - 1e-9, out=column_status, dtype=np.int8)
        column_status += Status.NOT_MET
        column_status[not_given] = Status.NOT_ASSESSED
        if na is not None:
            column_status[na] = Status.NOT_APPLICABLE
        total = (bonus_raw if c.bonus else core_raw)[:, c.section]
        total += column  # in the section's own points; converted once below
        if not c.bonus:
            most = top
            max_raw[:, c.section] += most if na is None else np.where(na, 0.0, most)
    if compiled.converts:  # own points to scheme points after summing (60 / 6 is 10 exactly)
        for raw in (core_raw, bonus_raw, max_raw):
            raw /= compiled.conversion
    section_core = np.minimum(core_raw, compiled.section_cap)
    section_bonus = np.minimum(bonus_raw, compiled.bonus_cap)
    section_points = section_core + section_bonus
    section_max = np.minimum(max_raw, compiled.section_cap)
    with np.errstate(invalid="ignore", divide="ignore"):
        section_percent = np.where(section_max > 0, 100.0 * section_core / section_max, np.nan)
    sections = (section_core, section_bonus, section_points, section_max, section_percent)
    return points, status, sections


def _type_rows_of(compiled: CompiledScheme, env: Mapping[str, Any]) -> Array | None:
    """Each building's row in a by-type table (-1: the default), when a criterion has
    maxima by building type."""
    if all(c.max_by_type is None for c in compiled.criteria):
        return None
    codes = env["building_type"]
    return np.where(np.isnan(codes), -1, codes).astype(np.intp)


def _put_points(compiled: CompiledScheme, env: dict[str, Any], points: Array) -> None:
    """Each criterion's points into ``env`` as ``pts_<id>``, for result formulas."""
    for c in compiled.criteria:
        env[f"pts_{slug(c.id)}"] = points[:, c.index]


class _Env(dict[str, Any]):
    """The names formulas read. When a large batch left the criteria's points out,
    reading a ``pts_<id>`` scores them (see :attr:`Scores.points`). The scores are held
    weakly: they hold this environment, and a cycle between the two would keep a batch's
    arrays alive until the collector's next full pass."""

    owner: weakref.ref[Scores] | None = None

    def __missing__(self, key: str) -> Any:
        scores = self.owner() if self.owner is not None else None
        if scores is not None and key.startswith("pts_") and scores._points is None:
            scores.points  # noqa: B018 - fills every pts_<id>
            if key in self:
                return self[key]
        raise KeyError(key)


def _environment(compiled: CompiledScheme, inputs: Mapping[str, Array], n: int) -> _Env:
    """Constants, inputs (defaults filled), the choice flags formulas read, and the
    derived quantities."""
    env = _Env(compiled.constants)
    defaults = compiled.defaults
    for name in compiled.input_names:
        given = inputs.get(name)
        if given is None:
            env[name] = np.full(n, defaults.get(name, np.nan))
        else:
            column = np.asarray(given, dtype=np.float64)
            if column.shape != (n,):
                raise ValueError(f"input {name!r} has shape {column.shape}, expected ({n},)")
            if name in defaults:  # an input the scheme gives a default: fill the blanks
                column = np.where(np.isnan(column), defaults[name], column)
            env[name] = column
    for flag, (owner, option) in compiled.needed_flags.items():
        env[flag] = env[owner] == option
    for name, derived in compiled.derived:
        column = derived(env, n).astype(np.float64, copy=False)
        # inf/-inf (a division by zero) is no value: it must never reach a cap as full points
        env[name] = np.where(np.isfinite(column), column, np.nan)
    return env


def _totals(
    compiled: CompiledScheme, env: Mapping[str, Any], sections: tuple[Array, ...]
) -> tuple[Array, Array, Array, Array]:
    """Group points, total points, total maximum and total percent, with numpy."""
    scheme = compiled.scheme
    section_core, section_bonus, _, section_max, section_percent = sections
    group_core = np.minimum(section_core @ compiled.group_matrix, compiled.group_cap)
    group_points = group_core + section_bonus @ compiled.group_matrix
    group_max = np.minimum(section_max @ compiled.group_matrix, compiled.group_cap)
    ungrouped = compiled.ungrouped
    total_core = section_core[:, ungrouped].sum(axis=1) + group_core.sum(axis=1)
    total_points = total_core + section_bonus.sum(axis=1)
    total_max = section_max[:, ungrouped].sum(axis=1) + group_max.sum(axis=1)

    if scheme.scheme.scoring == "percent":
        type_codes = env["building_type"]
        rows = np.where(np.isnan(type_codes), -1, type_codes).astype(np.intp)
        weights = compiled.weights[rows]
        valid = section_max > 0
        weighted = np.where(valid, weights * np.nan_to_num(section_percent), 0.0).sum(axis=1)
        if scheme.scheme.na_weights == "fixed":  # an all-N/A section contributes nothing
            weight_sum = weights.sum(axis=1)
        else:  # its weight is spread over the others
            weight_sum = np.where(valid, weights, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            total_percent = np.where(weight_sum > 0, weighted / weight_sum, 0.0)
        total_percent = total_percent + section_bonus.sum(axis=1)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            total_percent = np.where(total_max > 0, 100.0 * total_core / total_max, 0.0)
    return group_points, total_points, total_max, total_percent


def _conditions(
    compiled: CompiledScheme,
    env: dict[str, Any],
    n: int,
    section_points: Array,
    section_max: Array,
    group_points: Array,
    totals: tuple[Array, Array, Array],
    missing_cache: dict[frozenset[str], Array] | None = None,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Gate statuses, floors met, each tier's own requirements met, the tier reached,
    badges and the points short of the next tier."""
    scheme = compiled.scheme
    if missing_cache is None:
        missing_cache = {}
    # Gates: PASSED or FAILED, NOT_ASSESSED when an input is missing, N/A when applies_if
    # does not hold (its inputs given).
    gate_status = np.empty((n, len(compiled.gates)), dtype=np.int8, order="F")
    for gate in compiled.gates:
        column = gate_status[:, gate.index]
        np.add(_as_bool(gate.condition(env, n)), GateStatus.FAILED, out=column, dtype=np.int8)
        not_given = _missing(env, gate.inputs, n, missing_cache)
        if gate.applies is not None:
            applies_missing = _missing(env, gate.applies_inputs, n, missing_cache)
            na = ~applies_missing & ~_as_bool(gate.applies(env, n))
            not_given = not_given | applies_missing
            column[not_given] = GateStatus.NOT_ASSESSED
            column[na] = GateStatus.NOT_APPLICABLE
        else:
            column[not_given] = GateStatus.NOT_ASSESSED
    gate_ok = (gate_status == GateStatus.PASSED) | (gate_status == GateStatus.NOT_APPLICABLE)

    # Floors (each from its tier up; by default every tier).
    floors: list[Array | None] = []  # None: no floor (always met)
    for s, section in enumerate(scheme.sections):
        if section.floor is not None:
            floors.append(section_points[:, s] >= section.floor - 1e-9)
        elif section.floor_percent is not None:
            floors.append(
                section_points[:, s] >= section.floor_percent / 100.0 * section_max[:, s] - 1e-9
            )
        else:
            floors.append(None)
    for g, group in enumerate(scheme.groups):
        floors.append(group_points[:, g] >= group.floor - 1e-9 if group.floor is not None else None)
    floor_ok = np.ones((n, len(floors)), dtype=bool, order="F")
    for k, floor in enumerate(floors):
        if floor is not None:
            floor_ok[:, k] = floor
    floor_rank = compiled.floor_rank

    # Tiers: own threshold and condition, gates from that tier down, floors; cumulative.
    total_points, total_percent, total_max = totals
    n_tiers = len(scheme.tiers)
    tier_ok = np.empty((n, n_tiers), dtype=bool, order="F")
    shortfalls = []
    gates_so_far: Array | None = None  # None: all pass so far
    for t in range(n_tiers):
        for gate in compiled.gates:
            if gate.rank == t:
                ok_here = gate_ok[:, gate.index]
                gates_so_far = ok_here if gates_so_far is None else gates_so_far & ok_here
        short = tier_shortfall(compiled, t, total_points, total_percent, total_max)
        shortfalls.append(short)
        ok = tier_ok[:, t]
        np.less_equal(short, 1e-9, out=ok)
        if gates_so_far is not None:
            ok &= gates_so_far
        for k, floor in enumerate(floors):  # floors from this tier down
            if floor is not None and floor_rank[k] <= t:
                ok &= floor
        tier_condition = compiled.tier_conditions[t]
        if tier_condition is not None:
            holds = _as_bool(tier_condition.condition(env, n))
            ok &= holds & ~_missing(env, tier_condition.inputs, n, missing_cache)
    tier_index = np.logical_and.accumulate(tier_ok, axis=1).sum(axis=1) - 1

    badges = np.empty((n, len(compiled.badges)), dtype=bool, order="F")
    for badge in compiled.badges:
        holds = _as_bool(badge.condition(env, n)) & ~_missing(env, badge.inputs, n, missing_cache)
        badges[:, badge.index] = holds & (tier_index >= badge.rank)
    if compiled.badge_supersedes.any():  # a higher badge of a family hides the lower ones
        earned = badges.copy()
        for b, hidden in zip(*np.nonzero(compiled.badge_supersedes), strict=True):
            badges[:, hidden] &= ~earned[:, b]

    points_needed = np.full(n, np.nan)  # NaN at the top tier
    for t in range(n_tiers):
        np.copyto(points_needed, shortfalls[t], where=tier_index + 1 == t)
    return gate_status, floor_ok, tier_ok, tier_index, badges, points_needed


def score(
    compiled: CompiledScheme,
    inputs: Mapping[str, Array],
    *,
    size: int | None = None,
    not_applicable: Mapping[str, Array] | None = None,
    explain: bool = True,
) -> Scores:
    """Score a batch of buildings; ``inputs`` maps input names to arrays (NaN = not given).

    ``not_applicable`` maps criterion ids to boolean arrays marking criteria the
    assessor declared not applicable. The values matrix that only explanations read
    (:attr:`Scores.values`) is evaluated when first read, so ``explain`` changes
    nothing; it is kept for callers that pass it.

    Batches of :func:`engine_batch.threshold` buildings or more are scored by compiled
    kernels (:mod:`greenmark.core.engine_kernels`), with the same results bit for bit;
    unless a result formula reads a criterion's points, those are then left out until
    :attr:`Scores.points` is read. Either way the result keeps references to the input
    arrays (explanations and late points are evaluated from them): do not change them.
    """
    del explain
    scheme = compiled.scheme
    if size is None:
        size = len(next(iter(inputs.values()))) if inputs else 1
    n = size
    env = _environment(compiled, inputs, n)
    missing_cache: dict[frozenset[str], Array] = {}
    batch = None
    if n >= engine_batch.threshold():
        type_rows = _type_rows_of(compiled, env)
        batch = engine_batch.Batch.start(compiled, env, n, not_applicable, type_rows)
    found = batch.criteria(with_points=compiled.reads_points) if batch is not None else None
    if found is None:
        found = _score_criteria(compiled, env, n, not_applicable, missing_cache)
    points, status, sections = found
    section_core, _, section_points, section_max, section_percent = sections
    summed = batch.totals(sections) if batch is not None else None
    group_points, total_points, total_max, total_percent = summed or _totals(
        compiled, env, sections
    )

    env["total_points"] = total_points
    env["total_percent"] = total_percent
    for s, section in enumerate(scheme.sections):
        env[f"sec_{section.id}"] = section_points[:, s]
        env[f"sec_pct_{section.id}"] = section_percent[:, s]
    for g, group in enumerate(scheme.groups):
        env[f"grp_{group.id}"] = group_points[:, g]
    if points is not None:
        _put_points(compiled, env, points)
    for name, index, not_applicable_flag in compiled.applicability:  # only those formulas read
        column_status = status[:, index]
        env[name] = (
            column_status == Status.NOT_APPLICABLE
            if not_applicable_flag
            else column_status != Status.NOT_ASSESSED
        )
    for name, metric in compiled.metrics:
        env[name] = metric(env, n).astype(np.float64, copy=False)
    totals = (total_points, total_percent, total_max)
    conditions = None
    if batch is not None:
        conditions = batch.conditions(section_points, section_max, group_points, totals)
    if conditions is None:
        conditions = _conditions(
            compiled, env, n, section_points, section_max, group_points, totals, missing_cache
        )
    gate_status, floor_ok, tier_ok, tier_index, badges, points_needed = conditions

    scores = Scores(
        compiled=compiled,
        size=n,
        env=env,
        status=status,
        section_points=section_points,
        section_core=section_core,
        section_max=section_max,
        section_percent=section_percent,
        group_points=group_points,
        total_points=total_points,
        total_percent=total_percent,
        total_max=total_max,
        gate_status=gate_status,
        floor_ok=floor_ok,
        tier_ok=tier_ok,
        tier_index=tier_index,
        badges=badges,
        points_needed=points_needed,
        _points=points,
        _not_applicable=not_applicable,
    )
    env.owner = weakref.ref(scores)
    return scores


def tier_shortfall(
    compiled: CompiledScheme,
    t: int,
    total_points: Array,
    total_percent: Array,
    total_max: Array,
) -> Array:
    """How far each building is below tier ``t``'s threshold (0 when it reaches it): in
    points, or in % for a percent-scored scheme; a percent threshold in a points scheme
    is turned into the points it takes (a share of each building's own maximum)."""
    threshold = compiled.tier_threshold[t]
    if not np.isfinite(threshold):
        return np.zeros(len(total_points))
    if compiled.tier_on_percent[t]:
        return np.maximum(0.0, (threshold - total_percent) / 100.0 * total_max)
    measure = total_percent if compiled.scheme.scheme.scoring == "percent" else total_points
    return np.maximum(0.0, threshold - measure)
