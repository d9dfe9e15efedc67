"""Compiled kernels for large batches, after the criteria: groups and totals, then
gates, floors, tiers, badges and the points short of the next tier (numba).

Like :mod:`greenmark.core.engine_kernels` (whose helpers, conventions and disk cache
they share), they do what the engine's numpy path does, operation for operation, so
that both give the same bits; the engine imports them with it, for large batches only.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types

from greenmark.core.engine_kernels import (
    BLOCK,
    _bytes,
    _f8_pointer,
    _floats,
    _ints,
    _jit,
    _matrix,
    _minimum,
    _out_any,
    _out_floats,
    _out_ints,
    _u1_pointer,
    _words,
)

__all__ = ["conditions", "totals"]


@_jit(
    types.void(
        _floats,  # core points of the sections in no group
        _floats,  # maximum of the sections in no group
        _floats,  # bonus points
        _floats,  # weighted percent (percent scoring)
        _floats,  # weights (percent scoring)
        _matrix,  # group core points before the cap (n, groups): section core @ groups
        _matrix,  # group bonus points: section bonus @ groups (unless none)
        _matrix,  # group maximum before the cap: section maximum @ groups
        _floats,  # group caps
        types.boolean,  # a group holds bonus points
        types.boolean,  # percent scoring
        _out_any,  # group points (n, groups)
        _out_floats,  # total points
        _out_floats,  # total maximum
        _out_floats,  # total percent
    )
)
def totals(
    ungrouped_core: Any,
    ungrouped_max: Any,
    bonus: Any,
    weighted: Any,
    weights: Any,
    group_core_raw: Any,
    group_bonus: Any,
    group_max_raw: Any,
    group_cap: Any,
    group_has_bonus: bool,
    percent_scoring: bool,
    group_points: Any,
    total_points: Any,
    total_max: Any,
    total_percent: Any,
) -> None:
    """Group points and the totals, as the engine's numpy path computes them (sums from
    0.0, first term to last; a group without bonus points adds numpy's 0.0)."""
    n = total_points.size
    n_groups = group_cap.size
    for i in range(n):
        group_core_sum = 0.0
        group_max_sum = 0.0
        for g in range(n_groups):
            group_core = _minimum(group_core_raw[i, g], group_cap[g])
            group_points[i, g] = group_core + (group_bonus[i, g] if group_has_bonus else 0.0)
            group_core_sum += group_core
            group_max_sum += _minimum(group_max_raw[i, g], group_cap[g])
        core = ungrouped_core[i] + group_core_sum
        most = ungrouped_max[i] + group_max_sum
        total_points[i] = core + bonus[i]
        total_max[i] = most
        if percent_scoring:
            share = weighted[i] / weights[i] if weights[i] > 0.0 else 0.0
            total_percent[i] = share + bonus[i]
        else:
            total_percent[i] = 100.0 * core / most if most > 0.0 else 0.0


@numba.njit(inline="always")
def _any_missing(bits: Any, masks: Any, k: int, lo: int, m: int, out: Any) -> None:
    """``out[j]``: building ``lo + j`` lacks one of the inputs in row ``k`` of ``masks``."""
    for j in range(m):
        out[j] = False
    for w in range(bits.shape[0]):
        mask = masks[k, w]
        if mask:
            row = bits[w]
            for j in range(m):
                out[j] |= (row[lo + j] & mask) != 0


@_jit(
    types.void(
        types.intp,  # n
        _words,  # NaN bits (words, n)
        _ints,  # gates: condition holds (booleans) address
        _ints,  # gates: applies_if holds (booleans) address, 0: none
        _words,  # gates: condition inputs, bit masks (gates, words)
        _words,  # gates: applies_if inputs, bit masks
        _ints,  # gates: the tier from which each applies
        _bytes,  # floors: 0 none, 1 section points, 2 section percent, 3 group points
        _ints,  # floors: section or group index
        _floats,  # floors: the least points (less 1e-9), or the share of the maximum
        _ints,  # floors: the tier from which each applies
        types.intp,  # section points (n, sections), column-major: address
        types.intp,  # section maximum (n, sections), column-major: address
        types.intp,  # group points (n, groups), row-major: address
        types.intp,  # groups
        _floats,  # total points
        _floats,  # total percent
        _floats,  # total maximum
        _floats,  # tiers: threshold (points, or percent), -inf: none
        _bytes,  # tiers: a percent threshold in a points scheme
        types.boolean,  # percent scoring
        _ints,  # tiers: condition holds (booleans) address, 0: none
        _words,  # tiers: condition inputs, bit masks (tiers, words)
        _ints,  # badges: condition holds (booleans) address
        _words,  # badges: condition inputs, bit masks (badges, words)
        _ints,  # badges: the lowest tier each needs (-1: none)
        _bytes,  # badges: row badge hides column badge (badges, badges), row-major
        types.intp,  # gate status (n, gates), int8, column-major: address
        types.intp,  # floors met (n, floors), booleans, column-major: address
        types.intp,  # tiers' own requirements met (n, tiers), booleans, column-major: address
        types.intp,  # badges (n, badges), booleans, column-major: address
        _out_ints,  # tier reached (-1: none)
        _out_floats,  # points short of the next tier (NaN at the top)
    )
)
def conditions(
    n: int,
    bits: Any,
    gate_holds_at: Any,
    gate_applies_at: Any,
    gate_mask: Any,
    gate_applies_mask: Any,
    gate_rank: Any,
    floor_kind: Any,
    floor_index: Any,
    floor_value: Any,
    floor_rank: Any,
    section_points_at: int,
    section_max_at: int,
    group_points_at: int,
    n_groups: int,
    total_points: Any,
    total_percent: Any,
    total_max: Any,
    tier_threshold: Any,
    tier_on_percent: Any,
    percent_scoring: bool,
    tier_holds_at: Any,
    tier_mask: Any,
    badge_holds_at: Any,
    badge_mask: Any,
    badge_rank: Any,
    supersedes: Any,
    gate_status_at: int,
    floor_ok_at: int,
    tier_ok_at: int,
    badges_at: int,
    tier_index: Any,
    points_needed: Any,
) -> None:
    """Gate statuses, floors met, each tier's own requirements met, the tier reached,
    badges and the points short of the next tier, as the engine's numpy path decides
    them (every comparison as numpy makes it; ``np.maximum(0, x)`` keeps ``x`` on a tie)."""
    n_gates, n_floors = gate_rank.size, floor_kind.size
    n_tiers, n_badges = tier_threshold.size, badge_rank.size
    required = np.empty(BLOCK, dtype=np.bool_)  # gates and floors so far met
    leading = np.empty(BLOCK, dtype=np.bool_)  # every tier so far met
    missing = np.empty(BLOCK, dtype=np.bool_)
    applies_missing = np.empty(BLOCK, dtype=np.bool_)
    ok = np.empty(BLOCK, dtype=np.bool_)
    reached = np.empty(BLOCK, dtype=np.intp)
    short = np.empty((max(n_tiers, 1), BLOCK))
    earned = np.empty((max(n_badges, 1), BLOCK), dtype=np.bool_)
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        m = hi - lo
        for g in range(n_gates):  # PASSED 2 / FAILED 1; NOT_ASSESSED 0; N/A 3 wins
            _any_missing(bits, gate_mask, g, lo, m, missing)
            holds = numba.carray(_u1_pointer(gate_holds_at[g] + lo), m)
            state = numba.carray(_u1_pointer(gate_status_at + g * n + lo), m)
            if gate_applies_at[g]:
                _any_missing(bits, gate_applies_mask, g, lo, m, applies_missing)
                applies = numba.carray(_u1_pointer(gate_applies_at[g] + lo), m)
                for j in range(m):
                    code = np.uint8(2) if holds[j] != 0 else np.uint8(1)
                    code = np.uint8(0) if (missing[j] or applies_missing[j]) else code
                    na = not applies_missing[j] and applies[j] == 0
                    state[j] = np.uint8(3) if na else code
            else:
                for j in range(m):
                    code = np.uint8(2) if holds[j] != 0 else np.uint8(1)
                    state[j] = np.uint8(0) if missing[j] else code
        for k in range(n_floors):
            met = numba.carray(_u1_pointer(floor_ok_at + k * n + lo), m)
            kind, index, value = floor_kind[k], floor_index[k], floor_value[k]
            if kind == 0:
                for j in range(m):
                    met[j] = 1
            elif kind == 3:
                got = numba.carray(_f8_pointer(group_points_at), n * n_groups)
                for j in range(m):
                    met[j] = got[(lo + j) * n_groups + index] >= value
            else:
                got = numba.carray(_f8_pointer(section_points_at + 8 * (index * n + lo)), m)
                most = numba.carray(_f8_pointer(section_max_at + 8 * (index * n + lo)), m)
                if kind == 1:
                    for j in range(m):
                        met[j] = got[j] >= value
                else:
                    for j in range(m):
                        met[j] = got[j] >= value * most[j] - 1e-9
        for j in range(m):
            required[j] = True
            leading[j] = True
            reached[j] = -1
        points = total_points[lo:hi]
        percent = total_percent[lo:hi]
        maximum = total_max[lo:hi]
        for t in range(n_tiers):
            for g in range(n_gates):  # gates from this tier down (passed or N/A)
                if gate_rank[g] == t:
                    state = numba.carray(_u1_pointer(gate_status_at + g * n + lo), m)
                    for j in range(m):
                        required[j] &= (state[j] == 2) | (state[j] == 3)
            for k in range(n_floors):  # floors from this tier down
                if floor_rank[k] == t and floor_kind[k] != 0:
                    met = numba.carray(_u1_pointer(floor_ok_at + k * n + lo), m)
                    for j in range(m):
                        required[j] &= met[j] != 0
            threshold = tier_threshold[t]
            gap = short[t]
            if not np.isfinite(threshold):
                for j in range(m):
                    gap[j] = 0.0
            elif tier_on_percent[t]:  # np.maximum(0.0, x) keeps x on a tie
                for j in range(m):
                    x = (threshold - percent[j]) / 100.0 * maximum[j]
                    gap[j] = 0.0 if x < 0.0 else x
            else:
                measure = percent if percent_scoring else points
                for j in range(m):
                    x = threshold - measure[j]
                    gap[j] = 0.0 if x < 0.0 else x
            for j in range(m):
                ok[j] = (gap[j] <= 1e-9) & required[j]
            if tier_holds_at[t]:
                _any_missing(bits, tier_mask, t, lo, m, missing)
                holds = numba.carray(_u1_pointer(tier_holds_at[t] + lo), m)
                for j in range(m):
                    ok[j] &= (holds[j] != 0) & (not missing[j])
            ok_of = numba.carray(_u1_pointer(tier_ok_at + t * n + lo), m)
            for j in range(m):
                ok_of[j] = ok[j]
                leading[j] &= ok[j]
                reached[j] += leading[j]
        for j in range(m):
            following = reached[j] + 1
            tier_index[lo + j] = reached[j]
            points_needed[lo + j] = short[following, j] if following < n_tiers else np.nan
        for b in range(n_badges):
            _any_missing(bits, badge_mask, b, lo, m, missing)
            holds = numba.carray(_u1_pointer(badge_holds_at[b] + lo), m)
            rank = badge_rank[b]
            row = earned[b]
            for j in range(m):
                row[j] = (holds[j] != 0) & (not missing[j]) & (reached[j] >= rank)
        for b in range(n_badges):  # a higher badge of a family hides the lower ones
            shown = numba.carray(_u1_pointer(badges_at + b * n + lo), m)
            for j in range(m):
                shown[j] = earned[b, j]
            for above in range(n_badges):
                if supersedes[above * n_badges + b]:
                    for j in range(m):
                        if earned[above, j]:
                            shown[j] = 0
