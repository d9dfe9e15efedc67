"""Compiled single-pass kernels for large inputs (numba).

Each kernel reads every item once, checks its ranges, applies the formula and, where
asked, adds it to its building's sums, all in one loop. A kernel never raises: it
returns the 0-based index of the first item it cannot accept (or -1 when all are fine),
and the calculator then runs its exact numpy checks, which name the offending items in
the usual messages. Kernels take 1-D, C-contiguous arrays of one length (broadcast
scalars first with :func:`full`), so that each compiles once, for one signature.

The calculators use the kernels only from :data:`THRESHOLD` items up, through
:func:`compiled`, which imports numba and compiles on first use: scoring one building
never pays numba's import or compile time. Compiled code is cached on disk: in
``NUMBA_CACHE_DIR`` if set, else next to this module (``__pycache__``), else, for a
read-only install, in the user's cache folder (``~/.cache/numba``); with no writable
folder the kernels are compiled in memory, once per process.

Kernels are single-threaded on purpose (batch runs use one process per core) and
release the GIL (``nogil``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.calc.errors import FloatArray, IntArray

__all__ = ["THRESHOLD", "Kernels", "building_index", "compiled", "full", "warm_up"]

THRESHOLD = 50_000
"""Items from which the calculators use the kernels (smaller inputs take numpy)."""


def full(values: npt.ArrayLike, size: int, dtype: type = np.float64) -> npt.NDArray[Any]:
    """``values`` (one entry or ``size`` entries) as a flat C-contiguous array of ``size``
    (a copy only when broadcasting, converting or gathering strided entries)."""
    array: npt.NDArray[Any] = np.asarray(values, dtype=dtype)
    if array.size == size:
        return np.ascontiguousarray(array.reshape(size))
    return np.full(size, array.reshape(()))


def building_index(building: npt.ArrayLike | None, size: int) -> IntArray | None:
    """The building of each of ``size`` items as a C-contiguous intp array (all 0 when
    ``building`` is None); None when it is not one integer per item (the exact path
    then says what is wrong)."""
    if building is None:
        return np.zeros(size, dtype=np.intp)
    raw = np.asarray(building)
    if raw.dtype.kind not in "iu" or raw.shape != (size,):
        return None
    return np.ascontiguousarray(raw, dtype=np.intp)


_INF = math.inf


def _transfer(
    a: float,
    b: float,
    c: float,
    wwr: FloatArray,
    u_wall: FloatArray,
    u_fen: FloatArray,
    cf: FloatArray,
    sc1: FloatArray,
    sc2: FloatArray,
    out: FloatArray,
) -> int:
    """``out = a (1-WWR) Uw + b WWR Uf + c WWR CF SC1 SC2`` per facade (W/m2).

    Accepts WWR, SC1, SC2 in [0, 1], Uw, Uf (W/m2K) finite and >= 0, CF finite and
    > 0; returns the index of the first facade outside these ranges (``out`` is then
    only partly written), else -1.
    """
    for i in range(out.size):
        w, uw, uf, f, s1, s2 = wwr[i], u_wall[i], u_fen[i], cf[i], sc1[i], sc2[i]
        if not (
            0.0 <= w <= 1.0
            and 0.0 <= uw < _INF
            and 0.0 <= uf < _INF
            and 0.0 < f < _INF
            and 0.0 <= s1 <= 1.0
            and 0.0 <= s2 <= 1.0
        ):
            return i
        wall = uw * a
        out[i] = (f * s1 * s2 * c + uf * b - wall) * w + wall
    return -1


def _transfer_sums(
    a: float,
    b: float,
    c: float,
    wwr: FloatArray,
    u_wall: FloatArray,
    u_fen: FloatArray,
    cf: FloatArray,
    sc1: FloatArray,
    sc2: FloatArray,
    area: FloatArray,
    building: IntArray,
    weighted: FloatArray,
    total: FloatArray,
) -> int:
    """Per building: ``weighted += area x value`` (W) and ``total += area`` (m2).

    ``value`` is the facade's transfer value as in ``transfer``; ``area`` (m2) must
    be finite and >= 0 and ``building`` in ``0..weighted.size-1``. Returns the index
    of the first facade not accepted, else -1. Consecutive facades of one building
    are summed in registers, so facades listed building by building are fastest.
    """
    n_out = weighted.size
    current = building[0] if building.size else 0
    run_weighted = 0.0
    run_total = 0.0
    for i in range(building.size):
        w, uw, uf, f, s1, s2 = wwr[i], u_wall[i], u_fen[i], cf[i], sc1[i], sc2[i]
        s, g = area[i], building[i]
        if not (
            0.0 <= w <= 1.0
            and 0.0 <= uw < _INF
            and 0.0 <= uf < _INF
            and 0.0 < f < _INF
            and 0.0 <= s1 <= 1.0
            and 0.0 <= s2 <= 1.0
            and 0.0 <= s < _INF
            and 0 <= g < n_out
        ):
            return i
        wall = uw * a
        value = (f * s1 * s2 * c + uf * b - wall) * w + wall
        if g != current:
            weighted[current] += run_weighted
            total[current] += run_total
            current, run_weighted, run_total = g, 0.0, 0.0
        run_weighted += s * value
        run_total += s
    if building.size:
        weighted[current] += run_weighted
        total[current] += run_total
    return -1


def _weighted_sums(
    values: FloatArray,
    area: FloatArray,
    building: IntArray,
    weighted: FloatArray,
    total: FloatArray,
) -> int:
    """Per building: ``weighted += area x value`` and ``total += area`` (m2).

    ``area`` must be finite and >= 0 and ``building`` in ``0..weighted.size-1``
    (``values`` are not checked). Returns the index of the first item not accepted,
    else -1.
    """
    n_out = weighted.size
    current = building[0] if building.size else 0
    run_weighted = 0.0
    run_total = 0.0
    for i in range(building.size):
        s, g = area[i], building[i]
        if not (0.0 <= s < _INF and 0 <= g < n_out):
            return i
        if g != current:
            weighted[current] += run_weighted
            total[current] += run_total
            current, run_weighted, run_total = g, 0.0, 0.0
        run_weighted += s * values[i]
        run_total += s
    if building.size:
        weighted[current] += run_weighted
        total[current] += run_total
    return -1


def _boq_sums(
    material: IntArray,
    unit: IntArray,
    quantity: FloatArray,
    building: IntArray,
    per_unit: FloatArray,
    n_units: int,
    out: FloatArray,
    starts: IntArray,
) -> tuple[int, int, bool]:
    """Embodied carbon per building (kgCO2e) into ``out``, from BoQ codes.

    ``per_unit`` is kgCO2e per unit of quantity, flat, indexed ``material x n_units +
    unit`` (NaN where no conversion exists). Accepts material codes in
    ``0..per_unit.size / n_units - 1``, unit codes in ``0..n_units-1``, quantities
    finite and >= 0, a conversion that is not NaN (even for a zero quantity) and
    ``building`` in ``0..out.size-1``.

    Returns ``(first, runs, increasing)``: the index of the first line not accepted
    (-1 if none); whether the building index increases from run to run of equal
    indices (lines listed building by building), and if so the number of runs, whose
    first lines are written to ``starts`` (room for one per line).
    """
    n_out = out.size
    n_materials = per_unit.size // n_units
    current = building[0] if building.size else 0
    run_sum = 0.0
    runs = 0
    increasing = True
    if building.size:
        starts[0] = 0
        runs = 1
    for i in range(building.size):
        m, u, q, g = material[i], unit[i], quantity[i], building[i]
        if not (0 <= m < n_materials and 0 <= u < n_units and 0.0 <= q < _INF and 0 <= g < n_out):
            return i, runs, increasing
        factor = per_unit[m * n_units + u]
        if factor != factor:  # NaN: no density / areal mass
            return i, runs, increasing
        if g != current:
            out[current] += run_sum
            if g < current:
                increasing = False
            elif increasing:
                starts[runs] = i
                runs += 1
            current, run_sum = g, 0.0
        run_sum += factor * q
    if building.size:
        out[current] += run_sum
    return -1, runs, increasing


class Kernels:
    """The compiled kernels (the functions above without the leading ``_``).

    Each is compiled on first use (or loaded from the disk cache) for one signature:
    input arrays 1-D, C-contiguous and read-only or not (float64, or intp for codes and
    building indices), output arrays 1-D, C-contiguous and writable.
    """

    def __init__(self) -> None:
        import numba
        from numba import types

        self._numba = numba
        inputs = types.Array(types.float64, 1, "C", readonly=True)
        codes = types.Array(types.intp, 1, "C", readonly=True)
        out = types.Array(types.float64, 1, "C")
        out_codes = types.Array(types.intp, 1, "C")
        f64, intp = types.float64, types.intp
        self._signatures: dict[str, Any] = {
            "transfer": intp(f64, f64, f64, *[inputs] * 6, out),
            "transfer_sums": intp(f64, f64, f64, *[inputs] * 7, codes, out, out),
            "weighted_sums": intp(inputs, inputs, codes, out, out),
            "boq_sums": types.Tuple((intp, intp, types.boolean))(
                codes, codes, inputs, codes, inputs, intp, out, out_codes
            ),
        }

    def _jit(self, func: Callable[..., Any]) -> Any:
        signature = self._signatures[func.__name__.lstrip("_")]
        try:
            return self._numba.njit(signature, cache=True, nogil=True)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return self._numba.njit(signature, nogil=True)(func)

    @cached_property
    def transfer(self) -> Callable[..., int]:
        return self._jit(_transfer)

    @cached_property
    def transfer_sums(self) -> Callable[..., int]:
        return self._jit(_transfer_sums)

    @cached_property
    def weighted_sums(self) -> Callable[..., int]:
        return self._jit(_weighted_sums)

    @cached_property
    def boq_sums(self) -> Callable[..., tuple[int, int, bool]]:
        return self._jit(_boq_sums)


@cache
def compiled() -> Kernels:
    """The kernels (imports numba on the first call; each kernel compiles on first use)."""
    return Kernels()


def warm_up() -> None:
    """Compile every kernel now, or load it from the disk cache."""
    k = compiled()
    for name in ("transfer", "transfer_sums", "weighted_sums", "boq_sums"):
        getattr(k, name)
