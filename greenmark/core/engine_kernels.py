"""Compiled single-pass kernels for scoring large batches (numba).

The engine (:mod:`greenmark.core.engine`) evaluates the scheme's formulas with numpy
and hands everything else to these kernels: which inputs each building lacks (one
pass over the input columns), and every criterion's points, status and section sums
(one pass over the rule values, block by block, so that per-section sums stay in
cache). They do exactly what the engine's numpy path does, operation for operation
(the same IEEE operations in the same order, numpy's tie rules for ``minimum`` and
``clip``), so both paths give the same bits; ``tests/unit/test_engine_kernels.py``
checks it on random inputs.

This module imports numba and compiles (or loads from the disk cache) every kernel
when it is first imported; the engine imports it only for batches of
:data:`greenmark.core.engine_batch.THRESHOLD` buildings or more, so scoring one project
never pays for it.
Compiled code is cached as the calculators' kernels are (:mod:`greenmark.calc.kernels`):
in ``NUMBA_CACHE_DIR`` if set, else next to this module, else in the user's cache
folder; with no writable folder the kernels are compiled in memory, once per process.

Kernels take their per-criterion columns by address (a column of ``intp`` holding
each array's data pointer), so that one signature serves every scheme whatever its
number of inputs and criteria; the caller keeps the arrays alive and C-contiguous
for the duration of the call. Kernels are single-threaded (batch runs use one process
per core) and release the GIL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

__all__ = ["BANDS", "BLOCK", "CHOICE", "FORMULA", "YES", "criteria", "nan_bits"]

BLOCK = 2048
"""Buildings per block: the per-section sums of one block stay in the L1/L2 cache."""

_MAX_FLOAT = float(np.finfo(np.float64).max)  # np.nan_to_num's stand-in for inf
# rule kinds (CompiledCriterion.kind)
FORMULA, BANDS, YES, CHOICE = 0, 1, 2, 3
# Status codes (greenmark.core.engine.Status)
_NOT_ASSESSED, _NOT_MET, _NOT_APPLICABLE = 0, 1, 4


def _pointer_to(item: Any) -> Any:
    """An intrinsic turning an integer address into a pointer to ``item``s."""

    def typing(typingctx: Any, address: Any) -> Any:
        signature = types.CPointer(item)(types.intp)

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

        return signature, codegen

    return intrinsic(typing)


_f8_pointer: Any = _pointer_to(types.float64)
_u1_pointer: Any = _pointer_to(types.uint8)  # numpy booleans and int8 are one byte too


def _jit(signature: Any) -> Callable[[Callable[..., Any]], Any]:
    def wrap(func: Callable[..., Any]) -> Any:
        try:
            return numba.njit(signature, cache=True, nogil=True, error_model="numpy")(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(signature, nogil=True, error_model="numpy")(func)

    return wrap


_ints = types.Array(types.intp, 1, "C", readonly=True)
_bytes = types.Array(types.uint8, 1, "C", readonly=True)
_floats = types.Array(types.float64, 1, "C", readonly=True)
_words = types.Array(types.uint64, 2, "C", readonly=True)
_out_words = types.Array(types.uint64, 2, "C")
_out_status = types.Array(types.int8, 2, "F")
_matrix = types.Array(types.float64, 2, "A", readonly=True)
_out_any = types.Array(types.float64, 2, "A")
_out_floats = types.Array(types.float64, 1, "C")
_out_ints = types.Array(types.intp, 1, "C")


@_jit(types.void(types.intp, _ints, _out_words))
def nan_bits(n: int, columns: Any, bits: Any) -> None:
    """Bit ``k % 64`` of ``bits[k // 64, i]`` set where column ``k`` (float64, by address)
    is NaN at row ``i``; ``bits`` is (words, n), every other bit cleared. One column at
    a time over all rows: faster than blocks of rows over all columns (fewer streams)."""
    for w in range(bits.shape[0]):
        row = bits[w]
        for i in range(n):
            row[i] = 0
    for k in range(columns.size):
        column = numba.carray(_f8_pointer(columns[k]), n)
        row = bits[k >> 6]
        bit = np.uint64(k & 63)
        for i in range(n):
            x = column[i]
            row[i] |= np.uint64(x != x) << bit


@numba.njit(inline="always")
def _minimum(a: float, b: float) -> float:
    """``np.minimum``: NaN if either is NaN, else the smaller, ``b`` on a tie."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


@numba.njit(inline="always")
def _status(
    e: float,
    t: float,
    word: Any,
    rule_bits: Any,
    applies_bits: Any,
    finite: bool,
    x: float,
    holds: Any,
    by_type: bool,
    mark: Any,
) -> tuple[float, Any, bool]:
    """A criterion's points, status and N/A flag for one building, as the numpy path
    decides them: not given (a rule input missing, no finite value or for a choice no
    value, an applies_if input missing), not applicable (applies_if false, a maximum
    of 0 for the building type, the assessor's mark; wins over not given), else the
    points earned."""
    applies_missing = (word & applies_bits) != 0
    # no value: not finite (NaN, inf from a division by zero), or for a choice NaN
    no_value = ((x - x) != 0.0) if finite else (x != x)
    not_given = ((word & rule_bits) != 0) | no_value | applies_missing
    na = ((applies_missing ^ True) & (holds == 0)) | (by_type & (t == 0.0)) | (mark != 0)
    not_given = not_given & (na ^ True)
    p = 0.0 if (not_given | na) else e
    code = np.uint8(_NOT_MET) + np.uint8(p > 0.0) + np.uint8(p >= t - 1e-9)
    code = np.uint8(_NOT_APPLICABLE) if na else code
    code = np.uint8(_NOT_ASSESSED) if not_given else code
    return p, code, na


@_jit(
    types.intp(
        types.intp,  # n
        _bytes,  # kind
        _ints,  # section
        _bytes,  # bonus
        _ints,  # value address (float64)
        _ints,  # applies_if address (booleans; 0: none)
        _ints,  # assessor's N/A marks address (booleans; 0: none)
        _floats,  # top (the maximum)
        _ints,  # per-building maxima address (0: none)
        _bytes,  # lower is better (bands)
        _floats,  # band thresholds, all criteria
        _ints,  # where each criterion's thresholds start (criteria + 1)
        _floats,  # points tables, all criteria
        _ints,  # where each criterion's table starts (criteria + 1)
        _words,  # NaN bits (words, n)
        _words,  # rule inputs, bit masks (criteria, words)
        _words,  # applies inputs, bit masks (criteria, words)
        _floats,  # sections: own points per scheme point
        _floats,  # sections: cap
        _floats,  # sections: bonus cap
        types.intp,  # points (n, criteria), float64, column-major: address (0: not wanted)
        types.intp,  # status (n, criteria), int8, column-major: address
        _ints,  # section core, bonus (0: not wanted), points, maximum and percent: addresses
        _bytes,  # sections in no group
        _ints,  # percent scoring: each building's row in the weights (else empty)
        _matrix,  # section weights (building types + 1, sections)
        types.boolean,  # fixed weights: an all-N/A section keeps its weight
        _ints,  # sums over sections: ungrouped core, ungrouped maximum, bonus, weighted
        # percent and weights (percent scoring), float64 (n): addresses
    )
)
def criteria(
    n: int,
    kind: Any,
    section: Any,
    bonus: Any,
    value_at: Any,
    applies_at: Any,
    marked_at: Any,
    top: Any,
    top_at: Any,
    lower: Any,
    at: Any,
    at_start: Any,
    give: Any,
    give_start: Any,
    bits: Any,
    rule_mask: Any,
    applies_mask: Any,
    conversion: Any,
    section_cap: Any,
    bonus_cap: Any,
    points_at: int,
    status_at: int,
    sections_at: Any,
    ungrouped: Any,
    type_rows: Any,
    weights: Any,
    fixed_weights: bool,
    sums_at: Any,
) -> int:
    """Every criterion's status (and points, when ``points_at`` is not 0), and each
    section's core points, bonus points, points, maximum and percent (float64
    (n, sections) column-major, by address), as the engine's numpy path computes them:
    summed in the section's own points criterion by criterion, converted, then capped.
    Also the sums over sections the totals need, from 0.0 and from the first section to
    the last as numpy adds them: core points and maximum of the sections in no group, bonus
    points, and (percent scoring, ``type_rows`` given) the weighted percent and weights.

    Works block by block; within a block, one loop per criterion does the whole
    bookkeeping (an absent applies_if, mark or per-building maximum reads a neutral
    block, so that the loop has no branch to take). Returns -1, or the index of a
    choice criterion with an option index outside its table (the caller then runs the
    numpy path, which says so); the outputs are then only partly written.
    """
    n_criteria = kind.size
    n_sections = section_cap.size
    n_words = bits.shape[0]
    core_b = np.zeros((n_sections, BLOCK))
    extra_b = np.zeros((n_sections, BLOCK))
    most_b = np.zeros((n_sections, BLOCK))
    ones = np.ones(BLOCK, dtype=np.uint8)  # applies_if holds
    zeros = np.zeros(BLOCK, dtype=np.uint8)  # not marked
    top_b = np.empty(BLOCK)  # the maximum
    points_b = np.empty(BLOCK)  # points not wanted
    table_b = np.empty(BLOCK)  # the points earned
    words_b = np.empty(BLOCK, dtype=np.uint64)  # bit 0: rule input missing, 1: applies input
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        m = hi - lo
        core_b[:] = 0.0
        extra_b[:] = 0.0
        most_b[:] = 0.0
        for c in range(n_criteria):
            k = kind[c]
            finite = k != CHOICE
            x_of = numba.carray(_f8_pointer(value_at[c] + 8 * lo), m)
            holds_of = numba.carray(_u1_pointer(applies_at[c] + lo), m) if applies_at[c] else ones
            mark_of = numba.carray(_u1_pointer(marked_at[c] + lo), m) if marked_at[c] else zeros
            by_type = top_at[c] != 0
            simple = applies_at[c] == 0 and marked_at[c] == 0 and not by_type and n_words == 1
            scalar_top = top[c]
            if by_type:
                top_of = numba.carray(_f8_pointer(top_at[c] + 8 * lo), m)
            else:  # one maximum: read as a scalar, spread only for the general loop below
                top_of = top_b
                if not simple:
                    for j in range(m):
                        top_b[j] = scalar_top
            if n_words == 1:
                word_of = bits[0][lo:hi]
                rule_bits = rule_mask[c, 0]
                applies_bits = applies_mask[c, 0]
            else:  # fold the words into two bits
                for j in range(m):
                    words_b[j] = 0
                for w in range(n_words):
                    row = bits[w]
                    rule_w, applies_w = rule_mask[c, w], applies_mask[c, w]
                    for j in range(m):
                        word = row[lo + j]
                        words_b[j] |= np.uint64((word & rule_w) != 0) | (
                            np.uint64((word & applies_w) != 0) << np.uint64(1)
                        )
                word_of = words_b
                rule_bits = np.uint64(1)
                applies_bits = np.uint64(2)
            out = (
                numba.carray(_f8_pointer(points_at + 8 * (c * n + lo)), m)
                if points_at
                else points_b
            )
            state = numba.carray(_u1_pointer(status_at + c * n + lo), m)
            s = section[c]
            is_bonus = bonus[c] != 0
            sums = extra_b[s] if is_bonus else core_b[s]
            most = most_b[s]
            g0 = give_start[c]
            earned = table_b  # the points each building earns, before blanks and N/A
            if k == BANDS:  # the last threshold reached gives (none, or a NaN: give[0])
                is_lower = lower[c] != 0
                first = give[g0]
                for j in range(m):
                    key = -x_of[j] if is_lower else x_of[j]
                    size = abs(key)
                    # np.maximum(1.0, |key|), then the rounding allowance
                    points_b[j] = key + 1e-9 * (1.0 if size < 1.0 else size)
                    earned[j] = first
                # thresholds ascend: reaching one means reaching those before it too
                for q in range(at_start[c], at_start[c + 1]):
                    edge, gives = at[q], give[g0 + 1 + q - at_start[c]]
                    for j in range(m):
                        earned[j] = gives if points_b[j] >= edge else earned[j]
                for j in range(m):
                    earned[j] = _minimum(earned[j], top_of[j] if by_type else scalar_top)
            elif k == CHOICE:  # the option index (NaN: the first)
                n_give = give_start[c + 1] - g0
                for j in range(m):
                    x = x_of[j]
                    if x != x:
                        code = 0
                    elif -9.2e18 < x < 9.2e18:
                        code = int(x)
                        if code < 0:
                            code += n_give
                        if code < 0 or code >= n_give:
                            return c
                    else:
                        return c
                    earned[j] = give[g0 + code]
            elif k == FORMULA:
                for j in range(m):
                    x, t = x_of[j], (top_of[j] if by_type else scalar_top)
                    # np.clip: with array bounds the bound wins a tie, with scalars the value
                    clipped = x if x > 0.0 else 0.0
                    clipped = clipped if clipped < t else t
                    scalar = 0.0 if x < 0.0 else x
                    scalar = t if scalar > t else scalar
                    earned[j] = _minimum(clipped, t) if by_type else scalar
            elif k == YES:
                yes = give[g0 + 1]
                for j in range(m):
                    earned[j] = yes if x_of[j] != 0.0 else 0.0
            if by_type and k != FORMULA:  # a type's smaller maximum caps every rule
                for j in range(m):
                    earned[j] = _minimum(earned[j], top_of[j])
            if simple:  # the common case: nothing makes the criterion N/A
                t = scalar_top
                least = t - 1e-9
                top_add = 0.0 if is_bonus else t
                if rule_bits:
                    for j in range(m):
                        x = x_of[j]
                        no_value = ((x - x) != 0.0) if finite else (x != x)
                        not_given = ((word_of[j] & rule_bits) != 0) | no_value
                        p = 0.0 if not_given else earned[j]
                        code8 = np.uint8(_NOT_MET) + np.uint8(p > 0.0) + np.uint8(p >= least)
                        out[j] = p
                        state[j] = np.uint8(_NOT_ASSESSED) if not_given else code8
                        sums[j] += p
                        most[j] += top_add
                else:  # a bare input: its NaN shows in the value
                    for j in range(m):
                        x = x_of[j]
                        not_given = ((x - x) != 0.0) if finite else (x != x)
                        p = 0.0 if not_given else earned[j]
                        code8 = np.uint8(_NOT_MET) + np.uint8(p > 0.0) + np.uint8(p >= least)
                        out[j] = p
                        state[j] = np.uint8(_NOT_ASSESSED) if not_given else code8
                        sums[j] += p
                        most[j] += top_add
            else:
                for j in range(m):
                    t = top_of[j]
                    p, code8, na = _status(
                        earned[j],
                        t,
                        word_of[j],
                        rule_bits,
                        applies_bits,
                        finite,
                        x_of[j],
                        holds_of[j],
                        by_type,
                        mark_of[j],
                    )
                    out[j] = p
                    state[j] = code8
                    sums[j] += p
                    most[j] += 0.0 if (na or is_bonus) else t
        percent_scoring = type_rows.size > 0
        sum_core = numba.carray(_f8_pointer(sums_at[0] + 8 * lo), m)
        sum_most = numba.carray(_f8_pointer(sums_at[1] + 8 * lo), m)
        sum_bonus = numba.carray(_f8_pointer(sums_at[2] + 8 * lo), m)
        sum_weighted = numba.carray(_f8_pointer(sums_at[3] + 8 * lo), m if percent_scoring else 0)
        sum_weights = numba.carray(_f8_pointer(sums_at[4] + 8 * lo), m if percent_scoring else 0)
        for j in range(m):
            sum_core[j] = 0.0
            sum_most[j] = 0.0
            sum_bonus[j] = 0.0
        for j in range(m if percent_scoring else 0):
            sum_weighted[j] = 0.0
            sum_weights[j] = 0.0
        for s in range(n_sections):
            per, cap, cap_bonus = conversion[s], section_cap[s], bonus_cap[s]
            core_r, extra_r, most_r = core_b[s], extra_b[s], most_b[s]
            if per != 1.0:  # own points to scheme points after summing
                for j in range(m):
                    core_r[j] /= per
                    extra_r[j] /= per
                    most_r[j] /= per
            offset = 8 * (s * n + lo)
            core_o = numba.carray(_f8_pointer(sections_at[0] + offset), m)
            points_o = numba.carray(_f8_pointer(sections_at[2] + offset), m)
            most_o = numba.carray(_f8_pointer(sections_at[3] + offset), m)
            percent_o = numba.carray(_f8_pointer(sections_at[4] + offset), m)
            for j in range(m):
                core_s = _minimum(core_r[j], cap)
                bonus_s = _minimum(extra_r[j], cap_bonus)
                most_s = _minimum(most_r[j], cap)
                core_o[j] = core_s
                points_o[j] = core_s + bonus_s
                most_o[j] = most_s
                percent_o[j] = 100.0 * core_s / most_s if most_s > 0.0 else np.nan
                sum_bonus[j] += bonus_s
                extra_r[j] = bonus_s
            if sections_at[1]:
                bonus_o = numba.carray(_f8_pointer(sections_at[1] + offset), m)
                for j in range(m):
                    bonus_o[j] = extra_r[j]
            if ungrouped[s]:
                for j in range(m):
                    sum_core[j] += core_o[j]
                    sum_most[j] += most_o[j]
            if percent_scoring:
                for j in range(m):
                    weight = weights[type_rows[lo + j], s]
                    valid = most_o[j] > 0.0
                    percent = percent_o[j]
                    if percent != percent:  # np.nan_to_num
                        percent = 0.0
                    elif percent == np.inf:
                        percent = _MAX_FLOAT
                    elif percent == -np.inf:
                        percent = -_MAX_FLOAT
                    sum_weighted[j] += weight * percent if valid else 0.0
                    sum_weights[j] += weight if (fixed_weights or valid) else 0.0
    return -1
