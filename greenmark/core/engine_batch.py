"""The engine's path for large batches: a compiled scheme's criteria laid out for the
kernels of :mod:`greenmark.core.engine_kernels`, and the call that scores them.

:func:`criteria_program` turns a compiled scheme's criteria into flat arrays once
(rule kinds, sections, band and points tables, and which inputs each rule and each
``applies_if`` reads, as bit masks over the tracked inputs); :func:`score_criteria`
evaluates the rules' formulas with numpy, as the numpy path does, and hands the rest
to the kernels: one pass over the tracked inputs for their NaN bits, one over the
rule values for every criterion's points, status and section sums.

This module never imports numba itself: :mod:`greenmark.core.engine_kernels` is
imported on the first large batch only (see :func:`kernels`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from greenmark.core.formula import Formula

if TYPE_CHECKING:
    from greenmark.core.engine import CompiledScheme

Array = np.ndarray
_KINDS = {"formula": 0, "bands": 1, "yes": 2, "choice": 3}  # engine_kernels' codes


@cache
def kernels() -> ModuleType | None:
    """The kernels module (numba imported and every kernel compiled or loaded from the
    disk cache on the first call), or None when numba cannot be imported."""
    try:
        from greenmark.core import engine_kernels
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return engine_kernels


THRESHOLD = 20_000
"""Batches from this many buildings up are scored by the kernels (smaller ones by numpy:
scoring one project never imports numba)."""

_threshold: int | None = None  # tests set it to force one path


def threshold() -> int:
    """Batches from this many buildings up are scored by the kernels."""
    return THRESHOLD if _threshold is None else _threshold


@dataclass(frozen=True)
class CriteriaProgram:
    """A compiled scheme's criteria as flat arrays (see :func:`criteria_program`)."""

    tracked: tuple[str, ...]  # inputs whose NaN bits are computed: input k is bit k
    kind: Array  # uint8 [criteria]
    section: Array  # intp [criteria]
    bonus: Array  # uint8 [criteria]
    top: Array  # float64 [criteria]: the maximum (per building type: at run time)
    lower: Array  # uint8 [criteria]
    at: Array  # float64: every criterion's band thresholds, one after the other
    at_start: Array  # intp [criteria + 1]
    give: Array  # float64: every criterion's points table
    give_start: Array  # intp [criteria + 1]
    rule_mask: Array  # uint64 [criteria, words]
    applies_mask: Array  # uint64 [criteria, words]


def criteria_program(compiled: CompiledScheme) -> CriteriaProgram:
    """Lay out ``compiled``'s criteria for the kernels."""
    criteria = compiled.criteria
    tracked = tuple(
        dict.fromkeys(name for c in criteria for name in sorted(c.rule_inputs | c.applies_inputs))
    )
    bit = {name: k for k, name in enumerate(tracked)}
    words = max(1, math.ceil(len(tracked) / 64))
    rule_mask = np.zeros((len(criteria), words), dtype=np.uint64)
    applies_mask = np.zeros((len(criteria), words), dtype=np.uint64)
    for c in criteria:
        for names, mask in ((c.rule_inputs, rule_mask), (c.applies_inputs, applies_mask)):
            for name in names:
                mask[c.index, bit[name] // 64] |= np.uint64(1) << np.uint64(bit[name] % 64)

    def starts(tables: list[Array]) -> Array:
        return np.cumsum([0, *(len(t) for t in tables)]).astype(np.intp)

    ats = [np.asarray(c.at, dtype=np.float64) for c in criteria]
    gives = [np.asarray(c.give, dtype=np.float64) for c in criteria]
    return CriteriaProgram(
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
        rule_mask=rule_mask,
        applies_mask=applies_mask,
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


def score_criteria(
    compiled: CompiledScheme,
    env: Mapping[str, Any],
    n: int,
    not_applicable: Mapping[str, Array] | None,
    type_rows: Array | None,
    *,
    with_points: bool,
) -> tuple[Array | None, Array, tuple[Array, Array, Array, Array, Array]] | None:
    """Every criterion's status (and points, ``with_points``) and the sections' core
    points, bonus points, points, maximum and percent, as the engine's numpy path
    computes them; None when the kernels cannot (numba missing, a rule value of another
    type, an option index outside a table): the caller then runs the numpy path, which
    also raises what it raises."""
    module = kernels()
    if module is None or n == 0:
        return None
    program: CriteriaProgram = compiled.program
    keep: list[Array] = []  # every array passed by address stays alive until the call ends

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
            applies = _column(c.applies(env, n), n)
            if applies is None:
                return None
            applies_at[i] = address(applies if applies.dtype == np.bool_ else applies != 0)
        if not_applicable is not None and c.id in not_applicable:
            marked = np.ascontiguousarray(not_applicable[c.id], dtype=bool)
            if marked.shape != (n,):
                return None
            marked_at[i] = address(marked)
        if c.max_by_type is not None:
            assert type_rows is not None
            top_at[i] = address(np.ascontiguousarray(c.max_by_type[type_rows], dtype=np.float64))
    columns = np.asarray(
        [address(np.ascontiguousarray(env[name], dtype=np.float64)) for name in program.tracked],
        dtype=np.intp,
    )
    bits = np.empty((program.rule_mask.shape[1], n), dtype=np.uint64)
    module.nan_bits(n, columns, bits)
    points = np.empty((n, n_criteria), order="F") if with_points else None
    status = np.empty((n, n_criteria), dtype=np.int8, order="F")
    n_sections = len(compiled.scheme.sections)
    sections = tuple(np.empty((n, n_sections), order="F") for _ in range(5))
    failed = module.criteria(
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
        bits,
        program.rule_mask,
        program.applies_mask,
        compiled.conversion,
        compiled.section_cap,
        compiled.bonus_cap,
        0 if points is None else _address(points),
        _address(status),
        np.asarray([_address(a) for a in sections], dtype=np.intp),
    )
    if failed >= 0:
        return None
    return points, status, sections  # type: ignore[return-value]


MAX_TERMS = 7
"""Numpy adds up to seven terms of a row from the first to the last whatever the
layout; the kernels add in that order, so they take schemes with at most seven
sections and seven groups (others are totalled by numpy)."""


def score_totals(
    compiled: CompiledScheme, env: Mapping[str, Any], sections: tuple[Array, ...]
) -> tuple[Array, Array, Array, Array] | None:
    """Group points, total points, total maximum and total percent, as the engine's numpy
    path computes them; None when the kernels cannot (see :data:`MAX_TERMS`)."""
    module = kernels()
    scheme = compiled.scheme
    n_sections, n_groups = len(scheme.sections), len(scheme.groups)
    if module is None or n_sections > MAX_TERMS or n_groups > MAX_TERMS:
        return None
    section_core, section_bonus, _, section_max, section_percent = sections
    n = section_core.shape[0]
    # the sums over each group's sections stay with numpy's matrix product (its order)
    group_matrix = compiled.group_matrix
    group_core_raw = section_core @ group_matrix
    group_bonus = section_bonus @ group_matrix
    group_max_raw = section_max @ group_matrix
    percent = scheme.scheme.scoring == "percent"
    group_points = np.empty((n, n_groups))
    total_points = np.empty(n)
    total_max = np.empty(n)
    total_percent = np.empty(n)
    failed = module.totals(
        section_core,
        section_bonus,
        section_max,
        section_percent,
        compiled.ungrouped.astype(np.uint8),
        group_core_raw,
        group_bonus,
        group_max_raw,
        compiled.group_cap,
        percent,
        np.ascontiguousarray(env["building_type"], dtype=np.float64),
        np.ascontiguousarray(compiled.weights, dtype=np.float64),
        scheme.scheme.na_weights == "fixed",
        group_points,
        total_points,
        total_max,
        total_percent,
    )
    if failed >= 0:
        return None
    return group_points, total_points, total_max, total_percent


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
