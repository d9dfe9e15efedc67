"""The engine's path for large batches: a compiled scheme laid out for the kernels of
:mod:`greenmark.core.engine_kernels`, and the calls that score a batch with them.

:func:`program` turns a compiled scheme into flat arrays once (rule kinds, sections,
band and points tables, floors, ranks, and which inputs each rule, ``applies_if``,
gate, tier and badge condition reads, as bit masks over the tracked inputs). A
:class:`Batch` evaluates the formulas with numpy, as the numpy path does, and hands the
rest to the kernels: one pass over the tracked inputs for their NaN bits; one over the
rule values for every criterion's status (and points) and the capped section sums;
one for groups and totals; one for gates, floors, tiers, badges and points needed.

This module never imports numba itself: :mod:`greenmark.core.engine_kernels` is
imported on the first large batch only (see :func:`kernels`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from greenmark.core.formula import Formula

if TYPE_CHECKING:
    from greenmark.core.engine import CompiledScheme

Array = np.ndarray
_KINDS = {"formula": 0, "bands": 1, "yes": 2, "choice": 3}  # engine_kernels' codes


@cache
def kernels() -> SimpleNamespace | None:
    """The kernels (numba imported and every kernel compiled or loaded from the disk
    cache on the first call), or None when numba cannot be imported."""
    try:
        from greenmark.core import engine_kernels, engine_kernels_tiers
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return SimpleNamespace(
        nan_bits=engine_kernels.nan_bits,
        criteria=engine_kernels.criteria,
        totals=engine_kernels_tiers.totals,
        conditions=engine_kernels_tiers.conditions,
    )


THRESHOLD = 20_000
"""Batches from this many buildings up are scored by the kernels (smaller ones by numpy:
scoring one project never imports numba)."""

_threshold: int | None = None  # tests set it to force one path
_numpy_only = False


def threshold() -> int:
    """Batches from this many buildings up are scored by the kernels (none inside
    :func:`numpy_only`)."""
    if _numpy_only:
        return sys.maxsize
    return THRESHOLD if _threshold is None else _threshold


def numpy_only_now() -> bool:
    """Whether every batch is scored by numpy for now (see :func:`numpy_only`)."""
    return _numpy_only


def set_numpy_only(on: bool) -> bool:
    """Score every batch by numpy from now on (``on``), or by size again; returns what
    was set before."""
    global _numpy_only
    before, _numpy_only = _numpy_only, on
    return before


@contextmanager
def numpy_only(on: bool = True) -> Iterator[None]:
    """Inside, every batch is scored by numpy whatever its size, and the kernels are not
    loaded (a run too short to repay loading them: see
    :func:`greenmark.portfolio.runners.engine_for`); ``on=False`` changes nothing."""
    before = set_numpy_only(_numpy_only or on)
    try:
        yield
    finally:
        set_numpy_only(before)


@dataclass(frozen=True)
class Program:
    """A compiled scheme laid out as flat arrays for the kernels (see :func:`program`)."""

    tracked: tuple[str, ...]  # inputs whose NaN bits are computed: input k is bit k
    # criteria
    kind: Array  # uint8 [criteria]
    section: Array  # intp [criteria]
    bonus: Array  # uint8 [criteria]
    top: Array  # float64 [criteria]: the maximum (per building type: at run time)
    lower: Array  # uint8 [criteria]
    at: Array  # float64: every criterion's band thresholds, one after the other
    at_start: Array  # intp [criteria + 1]
    give: Array  # float64: every criterion's points table
    give_start: Array  # intp [criteria + 1]
    rule_mask: Array  # uint64 [criteria, words]: inputs the kernel must check
    applies_mask: Array  # uint64 [criteria, words]
    # gates, floors, tiers and badges
    gate_mask: Array  # uint64 [gates, words]
    gate_applies_mask: Array  # uint64 [gates, words]
    gate_rank: Array  # intp [gates]
    floor_kind: Array  # uint8 [sections + groups]: 0 none, 1 points, 2 percent, 3 group
    floor_index: Array  # intp: the section or group
    floor_value: Array  # float64: the least points less 1e-9, or the share of the maximum
    floor_rank: Array  # intp
    tier_on_percent: Array  # uint8 [tiers]
    tier_mask: Array  # uint64 [tiers, words]
    badge_mask: Array  # uint64 [badges, words]
    badge_rank: Array  # intp [badges]
    supersedes: Array  # uint8 [badges * badges]: row badge hides column badge


def _bare(criterion: Any) -> str | None:
    """The input a rule reads as it is (``bands = "ettv"``; a choice): its NaN already
    shows in the rule's value, so the kernel need not check its NaN bit."""
    if criterion.kind == "choice":
        return str(criterion.choice_input)
    expression: Formula | None = criterion.expression
    if expression is None or len(expression.names) != 1:
        return None
    (name,) = expression.names
    return name if expression.source.strip() == name and name in criterion.rule_inputs else None


def program(compiled: CompiledScheme) -> Program:
    """Lay out ``compiled`` for the kernels."""
    scheme = compiled.scheme
    criteria = compiled.criteria
    checked = [c.rule_inputs - {_bare(c)} for c in criteria]
    conditions = [*compiled.gates, *(t for t in compiled.tier_conditions if t), *compiled.badges]
    names = [
        *(name for c, rule in zip(criteria, checked, strict=True) for name in sorted(rule)),
        *(name for c in criteria for name in sorted(c.applies_inputs)),
        *(name for g in conditions for name in sorted(g.inputs | g.applies_inputs)),
    ]
    tracked = tuple(dict.fromkeys(names))
    bit = {name: k for k, name in enumerate(tracked)}
    words = max(1, math.ceil(len(tracked) / 64))

    def masks(sets: list[frozenset[str]]) -> Array:
        found = np.zeros((len(sets), words), dtype=np.uint64)
        for row, names in enumerate(sets):
            for name in names:
                found[row, bit[name] // 64] |= np.uint64(1) << np.uint64(bit[name] % 64)
        return found

    def starts(tables: list[Array]) -> Array:
        return np.cumsum([0, *(len(t) for t in tables)]).astype(np.intp)

    ats = [np.asarray(c.at, dtype=np.float64) for c in criteria]
    gives = [np.asarray(c.give, dtype=np.float64) for c in criteria]
    floors: list[tuple[int, int, float]] = []
    for s, section in enumerate(scheme.sections):
        if section.floor is not None:
            floors.append((1, s, section.floor - 1e-9))
        elif section.floor_percent is not None:
            floors.append((2, s, section.floor_percent / 100.0))
        else:
            floors.append((0, s, 0.0))
    for g, group in enumerate(scheme.groups):
        floors.append((3, g, group.floor - 1e-9) if group.floor is not None else (0, g, 0.0))
    empty: frozenset[str] = frozenset()
    return Program(
        tracked=tracked,
        kind=np.asarray([_KINDS[c.kind] for c in criteria], dtype=np.uint8),
        section=np.asarray([c.section for c in criteria], dtype=np.intp),
        bonus=np.asarray([c.bonus for c in criteria], dtype=np.uint8),
        top=np.asarray([c.max_points for c in criteria], dtype=np.float64),
        lower=np.asarray([c.lower_is_better for c in criteria], dtype=np.uint8),
        at=np.concatenate([np.zeros(0), *ats]),
        at_start=starts(ats),
        give=np.concatenate([np.zeros(0), *gives]),
        give_start=starts(gives),
        rule_mask=masks(checked),
        applies_mask=masks([c.applies_inputs for c in criteria]),
        gate_mask=masks([g.inputs for g in compiled.gates]),
        gate_applies_mask=masks([g.applies_inputs for g in compiled.gates]),
        gate_rank=np.asarray([g.rank for g in compiled.gates], dtype=np.intp),
        floor_kind=np.asarray([f[0] for f in floors], dtype=np.uint8),
        floor_index=np.asarray([f[1] for f in floors], dtype=np.intp),
        floor_value=np.asarray([f[2] for f in floors], dtype=np.float64),
        floor_rank=np.asarray(compiled.floor_rank, dtype=np.intp),
        tier_on_percent=np.asarray(compiled.tier_on_percent, dtype=np.uint8),
        tier_mask=masks([t.inputs if t is not None else empty for t in compiled.tier_conditions]),
        badge_mask=masks([b.inputs for b in compiled.badges]),
        badge_rank=np.asarray([b.rank for b in compiled.badges], dtype=np.intp),
        supersedes=np.ascontiguousarray(compiled.badge_supersedes, dtype=np.uint8).reshape(-1),
    )


def _address(array: Array) -> int:
    return int(array.__array_interface__["data"][0])


def _column(value: Any, n: int) -> Array | None:
    """``value`` as a C-contiguous float64 or boolean array of ``n``, or None for any
    other type (the numpy path then handles it)."""
    array = np.asarray(value)
    if array.dtype != np.float64 and array.dtype != np.bool_:
        return None
    if array.shape != (n,):
        array = np.broadcast_to(array, (n,))
    return np.ascontiguousarray(array)


def _holds(value: Any, n: int) -> Array | None:
    """A formula's result as booleans (non-zero holds), C-contiguous, or None."""
    array = _column(value, n)
    if array is None or array.dtype == np.bool_:
        return array
    return array != 0


class Batch:
    """One large batch going through the kernels: the inputs' NaN bits, computed once,
    serve the criteria and the gates, tiers and badges alike. Each step returns None
    when the kernels cannot take it (the engine then runs its numpy path)."""

    def __init__(
        self,
        compiled: CompiledScheme,
        env: Mapping[str, Any],
        n: int,
        not_applicable: Mapping[str, Array] | None,
        type_rows: Array | None,
    ) -> None:
        self.compiled = compiled
        self.program: Program = compiled.program
        self.env = env
        self.n = n
        self.not_applicable = not_applicable
        self.type_rows = type_rows
        self._bits: Array | None = None
        self._sums: tuple[Array, ...] = ()  # over sections, for the totals
        scheme = compiled.scheme
        self.totals_by_kernel = len(scheme.sections) <= MAX_TERMS >= len(scheme.groups)
        self.group_has_bonus = any(
            c.bonus and not compiled.ungrouped[c.section] for c in compiled.criteria
        )

    @classmethod
    def start(
        cls,
        compiled: CompiledScheme,
        env: Mapping[str, Any],
        n: int,
        not_applicable: Mapping[str, Array] | None,
        type_rows: Array | None,
    ) -> Batch | None:
        """The batch, or None when numba is missing or there is nothing to score."""
        if n == 0 or kernels() is None:
            return None
        return cls(compiled, env, n, not_applicable, type_rows)

    @property
    def kernels(self) -> Any:
        return kernels()

    @property
    def bits(self) -> Array:
        """Bit ``k`` of word ``k // 64``: tracked input ``k`` is NaN (words, n)."""
        if self._bits is None:
            columns = [
                np.ascontiguousarray(self.env[name], dtype=np.float64)
                for name in self.program.tracked
            ]
            addresses = np.asarray([_address(c) for c in columns], dtype=np.intp)
            self._bits = np.empty((self.program.rule_mask.shape[1], self.n), dtype=np.uint64)
            self.kernels.nan_bits(self.n, addresses, self._bits)
        return self._bits

    def criteria(
        self, *, with_points: bool
    ) -> tuple[Array | None, Array, tuple[Array, Array, Array, Array, Array]] | None:
        """Every criterion's status (and points, ``with_points``) and the sections' core
        points, bonus points, points, maximum and percent (the bonus points None when
        only :meth:`totals` reads them: the kernel sums them itself); None when a rule
        value is of another type, an option index is outside its table or a building
        type has no weights (the numpy path then raises)."""
        compiled, program, env, n = self.compiled, self.program, self.env, self.n
        not_applicable = self.not_applicable
        keep: list[Array] = []  # every array passed by address stays alive until the end

        def address(array: Array) -> int:
            keep.append(array)
            return _address(array)

        n_criteria = len(compiled.criteria)
        value_at = np.zeros(n_criteria, dtype=np.intp)
        applies_at = np.zeros(n_criteria, dtype=np.intp)
        marked_at = np.zeros(n_criteria, dtype=np.intp)
        top_at = np.zeros(n_criteria, dtype=np.intp)
        for c in compiled.criteria:
            i = c.index
            if c.kind == "choice":
                assert c.choice_input is not None
                value = _column(env[c.choice_input], n)
            else:
                assert c.expression is not None
                value = _column(c.expression(env, n), n)
            if value is None or (value.dtype == np.bool_ and c.lower_is_better):
                return None  # numpy: negating booleans is refused
            # a boolean rule value counts as 0/1 (and is always finite, as numpy has it)
            value_at[i] = address(value.astype(np.float64, copy=False))
            if c.applies is not None:
                applies = _holds(c.applies(env, n), n)
                if applies is None:
                    return None
                applies_at[i] = address(applies)
            if not_applicable is not None and c.id in not_applicable:
                marked = np.ascontiguousarray(not_applicable[c.id], dtype=bool)
                if marked.shape != (n,):
                    return None
                marked_at[i] = address(marked)
            if c.max_by_type is not None:
                assert self.type_rows is not None
                tops = c.max_by_type[self.type_rows]
                top_at[i] = address(np.ascontiguousarray(tops, dtype=np.float64))
        scheme = compiled.scheme
        percent_scoring = scheme.scheme.scoring == "percent" and self.totals_by_kernel
        type_rows = np.zeros(0, dtype=np.intp)
        if percent_scoring:  # each building's row of weights (-1: the default, last)
            codes = env["building_type"]
            type_rows = np.where(np.isnan(codes), -1, codes).astype(np.intp)
            n_types = len(compiled.weights)
            if n and not (-n_types <= type_rows.min() and type_rows.max() < n_types):
                return None  # numpy raises
            type_rows[type_rows < 0] += n_types
        points = np.empty((n, n_criteria), order="F") if with_points else None
        status = np.empty((n, n_criteria), dtype=np.int8, order="F")
        n_sections = len(scheme.sections)
        with_bonus = not self.totals_by_kernel or self.group_has_bonus
        sections: list[Array | None] = [np.empty((n, n_sections), order="F") for _ in range(5)]
        if not with_bonus:  # the bonus points per section stay in the kernel
            sections[1] = None
        sums = [np.empty(n) for _ in range(5 if percent_scoring else 3)]
        self._sums = tuple(sums)
        failed = self.kernels.criteria(
            n,
            program.kind,
            program.section,
            program.bonus,
            value_at,
            applies_at,
            marked_at,
            program.top,
            top_at,
            program.lower,
            program.at,
            program.at_start,
            program.give,
            program.give_start,
            self.bits,
            program.rule_mask,
            program.applies_mask,
            compiled.conversion,
            compiled.section_cap,
            compiled.bonus_cap,
            0 if points is None else _address(points),
            _address(status),
            np.asarray([0 if a is None else _address(a) for a in sections], dtype=np.intp),
            compiled.ungrouped.astype(np.uint8),
            type_rows,
            np.ascontiguousarray(compiled.weights, dtype=np.float64),
            scheme.scheme.na_weights == "fixed",
            np.asarray([_address(a) for a in [*sums, *sums[:2]][:5]], dtype=np.intp),
        )
        if failed >= 0:
            return None
        return points, status, tuple(sections)  # type: ignore[return-value]

    def totals(self, sections: tuple[Array, ...]) -> tuple[Array, Array, Array, Array] | None:
        """Group points, total points, total maximum and total percent; None for a
        scheme with more than :data:`MAX_TERMS` sections or groups."""
        compiled, n = self.compiled, self.n
        if not self.totals_by_kernel or not self._sums:
            return None
        section_core, section_bonus, _, section_max, _ = sections
        n_groups = len(compiled.scheme.groups)
        # the sums over each group's sections stay with numpy's matrix product (its order)
        group_matrix = compiled.group_matrix
        group_core_raw = section_core @ group_matrix
        group_max_raw = section_max @ group_matrix
        group_bonus = section_bonus @ group_matrix if self.group_has_bonus else group_core_raw
        percent_scoring = len(self._sums) == 5
        ungrouped_core, ungrouped_max, bonus, *weighted = self._sums
        weighted = weighted or [bonus, bonus]
        group_points = np.empty((n, n_groups))
        total_points = np.empty(n)
        total_max = np.empty(n)
        total_percent = np.empty(n)
        self.kernels.totals(
            ungrouped_core,
            ungrouped_max,
            bonus,
            weighted[0],
            weighted[1],
            group_core_raw,
            group_bonus,
            group_max_raw,
            compiled.group_cap,
            self.group_has_bonus,
            percent_scoring,
            group_points,
            total_points,
            total_max,
            total_percent,
        )
        return group_points, total_points, total_max, total_percent

    def conditions(
        self,
        section_points: Array,
        section_max: Array,
        group_points: Array,
        totals: tuple[Array, Array, Array],
    ) -> tuple[Array, Array, Array, Array, Array, Array] | None:
        """Gate statuses, floors met, each tier's own requirements met, the tier
        reached, badges and the points short of the next tier."""
        compiled, program, env, n = self.compiled, self.program, self.env, self.n
        if not (section_points.flags.f_contiguous and section_max.flags.f_contiguous):
            return None
        keep: list[Array] = []

        def holds(formula: Formula | None) -> int:
            if formula is None:
                return 0
            found = _holds(formula(env, n), n)
            if found is None:
                raise _Refused
            keep.append(found)
            return _address(found)

        try:
            gate_holds = [holds(g.condition) for g in compiled.gates]
            gate_applies = [holds(g.applies) for g in compiled.gates]
            tier_holds = [holds(t.condition if t else None) for t in compiled.tier_conditions]
            badge_holds = [holds(b.condition) for b in compiled.badges]
        except _Refused:
            return None
        group_rows = np.ascontiguousarray(group_points, dtype=np.float64)
        total_points, total_percent, total_max = (
            np.ascontiguousarray(t, dtype=np.float64) for t in totals
        )
        gate_status = np.empty((n, len(compiled.gates)), dtype=np.int8, order="F")
        floor_ok = np.empty((n, len(program.floor_kind)), dtype=bool, order="F")
        tier_ok = np.empty((n, len(compiled.tier_conditions)), dtype=bool, order="F")
        badges = np.empty((n, len(compiled.badges)), dtype=bool, order="F")
        tier_index = np.empty(n, dtype=np.intp)
        points_needed = np.empty(n)
        self.kernels.conditions(
            n,
            self.bits,
            np.asarray(gate_holds, dtype=np.intp),
            np.asarray(gate_applies, dtype=np.intp),
            program.gate_mask,
            program.gate_applies_mask,
            program.gate_rank,
            program.floor_kind,
            program.floor_index,
            program.floor_value,
            program.floor_rank,
            _address(section_points),
            _address(section_max),
            _address(group_rows),
            group_rows.shape[1],
            total_points,
            total_percent,
            total_max,
            compiled.tier_threshold,
            program.tier_on_percent,
            compiled.scheme.scheme.scoring == "percent",
            np.asarray(tier_holds, dtype=np.intp),
            program.tier_mask,
            np.asarray(badge_holds, dtype=np.intp),
            program.badge_mask,
            program.badge_rank,
            program.supersedes,
            _address(gate_status),
            _address(floor_ok),
            _address(tier_ok),
            _address(badges),
            tier_index,
            points_needed,
        )
        return gate_status, floor_ok, tier_ok, tier_index, badges, points_needed


class _Refused(Exception):
    """A condition's value is of a type the kernels do not take."""


MAX_TERMS = 7
"""Numpy adds up to seven terms of a row from the first to the last whatever the
layout; the kernels add in that order, so they take schemes with at most seven
sections and seven groups (others are totalled by numpy)."""


def criterion_values(compiled: CompiledScheme, env: Mapping[str, Any], n: int) -> Array:
    """[N, criteria] the value each rule looked at (NaN where it has none): the option
    index of a choice, else the rule's formula (for :attr:`Scores.values`)."""
    values = np.full((n, len(compiled.criteria)), np.nan, order="F")
    for c in compiled.criteria:
        expression: Formula | None = c.expression
        if c.kind == "choice":
            assert c.choice_input is not None
            values[:, c.index] = env[c.choice_input]
        else:
            assert expression is not None
            values[:, c.index] = expression(env, n)
    return values
