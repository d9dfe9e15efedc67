"""Building envelope: ETTV, RETV, solar correction factors, U-values, roof U-value limits.

All functions are vectorised with numpy: every argument may be a scalar or an array
(one entry per facade, construction or roof), and arrays broadcast together. Scalar
inputs give numpy scalars (``np.float64`` is a ``float``), array inputs give arrays.
ETTV/RETV of large 1-D inputs (see :mod:`greenmark.calc.kernels`) are computed by
compiled single-pass kernels, with the same results and error messages.
Coefficients, limits, correction factors and air-film resistances come from the
factor tables in ``criteria/factors/`` (see :mod:`greenmark.calc.tables`).

Units: WWR, SC and CF are dimensionless; U-values in W/m2K; ETTV/RETV in W/m2;
areas in m2; thicknesses in m; conductivities in W/mK; resistances in m2K/W;
roof mass in kg/m2; azimuths and pitches in degrees (azimuth clockwise from north,
pitch from the horizontal: 90 = vertical wall).

Kept as one idea past 600 lines: ETTV and RETV share their checks, correction
factors and area weighting, and splitting them would duplicate the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.calc import kernels
from greenmark.calc.errors import (
    CalcError,
    FloatArray,
    Groups,
    IntArray,
    as_float,
    check,
    close_matches,
    describe_positions,
    positions,
    result,
)
from greenmark.calc.tables import (
    OCTANTS,
    CorrectionFactorTable,
    EnvelopeTable,
    FormulaCoefficients,
    RoofUTable,
    correction_factor_table,
    envelope_table,
    roof_u_table,
)

__all__ = [
    "OCTANTS",
    "building_ettv",
    "correction_factors",
    "ettv",
    "ettv_by_building",
    "ettv_complies",
    "ettv_limit",
    "ettv_per_building",
    "octant_index",
    "orientation_problem",
    "retv",
    "retv_complies",
    "retv_limit",
    "retv_per_building",
    "roof_u_complies",
    "roof_u_limit",
    "roof_weight_group",
    "rttv_limit",
    "shading_coefficient",
    "u_value",
]

_ORIENTATION_NAMES: dict[str, int] = {
    **{name: i for i, name in enumerate(OCTANTS)},
    **{
        name: i
        for i, names in enumerate(
            (
                ("NORTH",),
                ("NORTHEAST", "NORTH-EAST", "NORTH EAST", "N-E"),
                ("EAST",),
                ("SOUTHEAST", "SOUTH-EAST", "SOUTH EAST", "S-E"),
                ("SOUTH",),
                ("SOUTHWEST", "SOUTH-WEST", "SOUTH WEST", "S-W"),
                ("WEST",),
                ("NORTHWEST", "NORTH-WEST", "NORTH WEST", "N-W"),
            )
        )
        for name in names
    },
}


# --------------------------------------------------------------------------- checks


def _in_range(
    array: FloatArray,
    name: str,
    low: float,
    high: float = np.inf,
    *,
    low_open: bool = False,
) -> None:
    """Fast range check (two reductions); builds the positions only on failure."""
    if _fits(array, low, high, low_open):
        return
    too_low = array <= low if low_open else array < low
    bad = ~np.isfinite(array) | too_low | (array > high)
    expected = "a finite value"
    if np.isfinite(low):
        expected += f" > {low:g}" if low_open else f" >= {low:g}"
    if np.isfinite(high):
        expected += f" and <= {high:g}"
    check(bad, name, expected, array)


# (low, high, low_open, name) of the inputs of the ETTV/RETV formula, in order
_LIMITS: tuple[tuple[float, float, bool, str], ...] = (
    (0.0, 1.0, False, "wwr"),
    (0.0, np.inf, False, "u_wall"),
    (0.0, np.inf, False, "u_fen"),
    (0.0, np.inf, True, "cf"),
    (0.0, 1.0, False, "sc1"),
    (0.0, 1.0, False, "sc2"),
)


def _fits(array: FloatArray, low: float, high: float, low_open: bool) -> bool:
    """True if every value is finite and within the range (two reductions; NaN fails)."""
    if array.size == 0:
        return True
    lo, hi = array.min(), array.max()
    ok_low = lo > low if low_open else lo >= low
    return bool(ok_low and hi <= high and np.isfinite(lo) and np.isfinite(hi))


# --------------------------------------------------------------------------- ETTV / RETV


def shading_coefficient(sc1: npt.ArrayLike, sc2: npt.ArrayLike = 1.0) -> Any:
    """Overall shading coefficient SC = SC1 (glass) x SC2 (external shading), dimensionless."""
    a, b = as_float(sc1, "sc1"), as_float(sc2, "sc2")
    _in_range(a, "sc1", 0.0, 1.0)
    _in_range(b, "sc2", 0.0, 1.0)
    return result(np.multiply(a, b))


_Inputs = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


def _inputs(
    wwr: npt.ArrayLike,
    u_wall: npt.ArrayLike,
    u_fen: npt.ArrayLike,
    cf: npt.ArrayLike,
    sc1: npt.ArrayLike,
    sc2: npt.ArrayLike,
) -> tuple[_Inputs, tuple[int, ...]]:
    """The formula's inputs as float arrays, and their broadcast shape."""
    inputs = (
        as_float(wwr, "wwr"),
        as_float(u_wall, "u_wall"),
        as_float(u_fen, "u_fen"),
        as_float(cf, "cf"),
        as_float(sc1, "sc1"),
        as_float(sc2, "sc2"),
    )
    return inputs, np.broadcast_shapes(*(x.shape for x in inputs))


def _transfer(coefficients: FormulaCoefficients, inputs: _Inputs, shape: tuple[int, ...]) -> Any:
    """``a (1-WWR) Uw + b WWR Uf + c WWR CF SC1 SC2``, computed as
    ``(CF SC1 SC2 c + Uf b - Uw a) WWR + Uw a`` (the kernel's order: same result)."""
    a, b, c = coefficients.a.value, coefficients.b.value, coefficients.c.value
    if len(shape) == 1 and shape[0] >= kernels.THRESHOLD:
        size = shape[0]
        out = np.empty(size)
        if kernels.compiled().transfer(a, b, c, *(kernels.full(x, size) for x in inputs), out) < 0:
            return out
    # small / N-d inputs, or a bad value somewhere: exact checks that name the facades
    for x, (low, high, low_open, name) in zip(inputs, _LIMITS, strict=True):
        _in_range(x, name, low, high, low_open=low_open)
    w, uw, uf, f, s1, s2 = inputs
    wall = uw * a
    return result((f * s1 * s2 * c + uf * b - wall) * w + wall)


def _transfer_per_building(
    coefficients: FormulaCoefficients,
    inputs: _Inputs,
    shape: tuple[int, ...],
    wall_area_m2: npt.ArrayLike,
    building: npt.ArrayLike | None,
    n_buildings: int | None,
) -> FloatArray:
    """``ettv_by_building(_transfer(...), ...)``, in one kernel pass for large inputs."""
    areas = as_float(wall_area_m2, "wall_area_m2")
    if len(shape) == 1 and shape[0] >= kernels.THRESHOLD and _flat(areas, shape[0]):
        size = shape[0]
        a, b, c = coefficients.a.value, coefficients.b.value, coefficients.c.value
        arrays = [kernels.full(x, size) for x in (*inputs, areas)]
        transfer_sums = kernels.compiled().transfer_sums
        sums = _building_sums(
            size,
            building,
            n_buildings,
            lambda index, weighted, total: transfer_sums(a, b, c, *arrays, index, weighted, total),
        )
        if sums is not None:
            return _weighted_mean(*sums)
    # small inputs, or something to report: the two steps, with their exact checks
    return ettv_by_building(_transfer(coefficients, inputs, shape), areas, building, n_buildings)


def ettv(
    *,
    wwr: npt.ArrayLike,
    u_wall: npt.ArrayLike,
    u_fen: npt.ArrayLike,
    cf: npt.ArrayLike,
    sc1: npt.ArrayLike,
    sc2: npt.ArrayLike = 1.0,
    table: EnvelopeTable | None = None,
) -> Any:
    """Envelope thermal transfer value per facade, W/m2.

    ``ETTV = 12 (1 - WWR) Uw + 3.4 WWR Uf + 211 WWR CF SC`` with SC = SC1 x SC2.
    ``wwr`` window-to-wall ratio (0..1); ``u_wall`` opaque-wall and ``u_fen``
    fenestration U-values (W/m2K); ``cf`` solar correction factor; ``sc1`` glass and
    ``sc2`` external-shading coefficients (0..1). Coefficients come from the table.
    """
    coefficients = (table or envelope_table()).ettv
    return _transfer(coefficients, *_inputs(wwr, u_wall, u_fen, cf, sc1, sc2))


def retv(
    *,
    wwr: npt.ArrayLike,
    u_wall: npt.ArrayLike,
    u_fen: npt.ArrayLike,
    cf: npt.ArrayLike,
    sc1: npt.ArrayLike,
    sc2: npt.ArrayLike = 1.0,
    table: EnvelopeTable | None = None,
) -> Any:
    """Residential envelope transmittance value per facade, W/m2 (coefficients unverified).

    ``RETV = 3.4 (1 - WWR) Uw + 1.3 WWR Uf + 58.6 WWR CF SC``; arguments and units as
    for :func:`ettv`.
    """
    coefficients = (table or envelope_table()).retv
    return _transfer(coefficients, *_inputs(wwr, u_wall, u_fen, cf, sc1, sc2))


def ettv_per_building(
    *,
    wwr: npt.ArrayLike,
    u_wall: npt.ArrayLike,
    u_fen: npt.ArrayLike,
    cf: npt.ArrayLike,
    sc1: npt.ArrayLike,
    sc2: npt.ArrayLike = 1.0,
    wall_area_m2: npt.ArrayLike,
    building: npt.ArrayLike | None = None,
    n_buildings: int | None = None,
    table: EnvelopeTable | None = None,
) -> FloatArray:
    """Area-weighted ETTV per building, W/m2, straight from the facade inputs.

    The same as ``ettv_by_building(ettv(...), wall_area_m2, building, n_buildings)``
    (arguments and errors as there), without the per-facade values: large inputs take
    one pass. The facade inputs must broadcast to one dimension (one entry per facade).
    """
    coefficients = (table or envelope_table()).ettv
    inputs, shape = _inputs(wwr, u_wall, u_fen, cf, sc1, sc2)
    return _transfer_per_building(coefficients, inputs, shape, wall_area_m2, building, n_buildings)


def retv_per_building(
    *,
    wwr: npt.ArrayLike,
    u_wall: npt.ArrayLike,
    u_fen: npt.ArrayLike,
    cf: npt.ArrayLike,
    sc1: npt.ArrayLike,
    sc2: npt.ArrayLike = 1.0,
    wall_area_m2: npt.ArrayLike,
    building: npt.ArrayLike | None = None,
    n_buildings: int | None = None,
    table: EnvelopeTable | None = None,
) -> FloatArray:
    """Area-weighted RETV per building, W/m2; as :func:`ettv_per_building` with the RETV
    coefficients (unverified)."""
    coefficients = (table or envelope_table()).retv
    inputs, shape = _inputs(wwr, u_wall, u_fen, cf, sc1, sc2)
    return _transfer_per_building(coefficients, inputs, shape, wall_area_m2, building, n_buildings)


def building_ettv(facade_values: npt.ArrayLike, wall_area_m2: npt.ArrayLike) -> Any:
    """Gross-wall-area weighted mean of facade ETTV (or RETV) for one building, W/m2.

    ``sum(A_i ETTV_i) / sum(A_i)`` over the last axis; areas in m2.
    """
    values = as_float(facade_values, "facade_values")
    areas = as_float(wall_area_m2, "wall_area_m2")
    _in_range(areas, "wall_area_m2", 0.0)
    values, areas = np.broadcast_arrays(values, areas)
    total = areas.sum(axis=-1)
    check(total <= 0, "wall_area_m2", "a total wall area > 0", total)
    return result(np.einsum("...i,...i->...", values, areas) / total)


def ettv_by_building(
    facade_values: npt.ArrayLike,
    wall_area_m2: npt.ArrayLike,
    building: npt.ArrayLike | None,
    n_buildings: int | None = None,
) -> FloatArray:
    """Area-weighted ETTV (or RETV) per building from flat facade arrays, W/m2.

    ``building[i]`` is the 0-based building index of facade ``i`` (None: all in
    building 0); the result has one entry per building (``n_buildings``, default
    ``max(building) + 1``). Areas in m2. A building with no wall area is an error.
    See :func:`ettv_per_building` to go straight from the facade inputs.
    """
    values = np.ravel(as_float(facade_values, "facade_values"))
    areas = as_float(wall_area_m2, "wall_area_m2")
    size = values.size
    if size >= kernels.THRESHOLD and _flat(areas, size):
        area = kernels.full(areas, size)
        weighted_sums = kernels.compiled().weighted_sums
        sums = _building_sums(
            size,
            building,
            n_buildings,
            lambda index, weighted, total: weighted_sums(values, area, index, weighted, total),
        )
        if sums is not None:
            return _weighted_mean(*sums)
    # small inputs, or something to report: exact checks
    _in_range(areas, "wall_area_m2", 0.0)
    areas = np.ravel(np.broadcast_to(areas, values.shape))
    groups = Groups.of(building, values.size, n_buildings, noun="facade")
    return _weighted_mean(groups.sum(areas * values), groups.sum(areas))


def _flat(areas: FloatArray, size: int) -> bool:
    """True if ``areas`` has one entry, or one per facade (1-D), for the kernels."""
    return areas.ndim <= 1 and areas.size in (1, size)


def _building_sums(
    size: int,
    building: npt.ArrayLike | None,
    n_buildings: int | None,
    run: Callable[[IntArray, FloatArray, FloatArray], int],
) -> tuple[FloatArray, FloatArray] | None:
    """``(weighted, total)`` per building from a kernel ``run(index, weighted, total)``.

    None (take the exact path) when the kernel rejects an item, or the building index
    is not one integer per facade.
    """
    index = kernels.building_index(building, size)
    if index is None:
        return None
    if size == 0:
        return None
    n = int(index.max()) + 1 if n_buildings is None else int(n_buildings)
    if n < 0:
        return None
    weighted, total = np.zeros(n), np.zeros(n)
    return None if run(index, weighted, total) >= 0 else (weighted, total)


def _weighted_mean(weighted: FloatArray, total: FloatArray) -> FloatArray:
    """``weighted / total`` per building; a building without wall area is an error."""
    empty = total <= 0
    if empty.any():
        where = [p - 1 for p in positions(empty)]
        raise CalcError(
            f"wall_area_m2: expected a total wall area > 0 for every building; "
            f"none for {describe_positions(where, 'building')} (0-based)",
            items=[w + 1 for w in where],
        )
    return weighted / total


def ettv_limit(table: EnvelopeTable | None = None) -> float:
    """Maximum ETTV, W/m2 (50 W/m2, BCA)."""
    return (table or envelope_table()).ettv.limit.value


def retv_limit(table: EnvelopeTable | None = None) -> float:
    """Maximum RETV, W/m2 (25 W/m2, unverified)."""
    return (table or envelope_table()).retv.limit.value


def rttv_limit(table: EnvelopeTable | None = None) -> float:
    """Maximum RTTV for roofs with skylights, W/m2 (50 W/m2, BCA)."""
    return (table or envelope_table()).rttv.limit.value


def ettv_complies(value: npt.ArrayLike, table: EnvelopeTable | None = None) -> Any:
    """True where ETTV (W/m2) does not exceed the limit."""
    return result(np.less_equal(as_float(value, "ettv"), ettv_limit(table)))


def retv_complies(value: npt.ArrayLike, table: EnvelopeTable | None = None) -> Any:
    """True where RETV (W/m2) does not exceed the (unverified) limit."""
    return result(np.less_equal(as_float(value, "retv"), retv_limit(table)))


# --------------------------------------------------------------------------- orientation


def octant_index(orientation: npt.ArrayLike) -> Any:
    """Octant code 0..7 (N, NE, E, SE, S, SW, W, NW) per facade.

    ``orientation`` holds names (``"ne"``, ``"North-East"``; case-insensitive) and/or
    azimuths in degrees clockwise from north, as numbers or numeric strings; an azimuth
    goes to the nearest octant (a boundary such as 22.5 deg goes clockwise, to NE).
    """
    raw = np.asarray(orientation)
    if raw.dtype.kind in "iuf":
        azimuth = raw.astype(np.float64, copy=False)
        _in_range(azimuth, "orientation", -np.inf)
        return result(_azimuth_octant(azimuth))
    if raw.dtype.kind not in "UO":
        raise CalcError(f"orientation: expected names or azimuths, got dtype {raw.dtype}")
    flat = raw.ravel().tolist()
    lookup = _ORIENTATION_NAMES
    codes = np.fromiter(
        (lookup.get(v, -1) if isinstance(v, str) else -1 for v in flat), np.intp, len(flat)
    )
    missing = np.flatnonzero(codes < 0)
    bad: list[int] = []
    for i in missing.tolist():
        code = _orientation_code(flat[i])
        if code is None:
            bad.append(i)
        else:
            codes[i] = code
    if bad:
        first = flat[bad[0]]
        hint = close_matches(str(first).strip().upper(), list(lookup))
        suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise CalcError(
            f"orientation: expected one of {' '.join(OCTANTS)} (or an azimuth in degrees) "
            f"at {describe_positions([b + 1 for b in bad])}, got {first!r}{suggestion}",
            items=[b + 1 for b in bad],
            suggestions=hint,
        )
    return result(codes.reshape(raw.shape))


def _orientation_code(value: object) -> int | None:
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        azimuth = float(value)
    else:
        text = str(value).strip().upper()
        if text in _ORIENTATION_NAMES:
            return _ORIENTATION_NAMES[text]
        try:
            azimuth = float(text.removesuffix("°").removesuffix("DEG").strip())
        except ValueError:
            return None
    if not np.isfinite(azimuth):
        return None
    return int(_azimuth_octant(np.asarray(azimuth)))


def orientation_problem(value: object) -> str | None:
    """Why ``value`` is not a facade orientation, or None when it is one.

    An orientation is a compass point (see :func:`octant_index`) or an azimuth from 0
    to 360 degrees clockwise from north, as a number or a numeric string.
    """
    expected = f"expected one of {' '.join(OCTANTS)} or an azimuth from 0 to 360 degrees"
    if isinstance(value, bool):
        return expected
    if isinstance(value, int | float):
        azimuth = float(value)
    else:
        text = str(value).strip().upper()
        if text in _ORIENTATION_NAMES:
            return None
        try:
            azimuth = float(text.removesuffix("°").removesuffix("DEG").strip())
        except ValueError:
            hint = close_matches(text, list(_ORIENTATION_NAMES))
            suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
            return f"{expected}, got {str(value)[:40]!r}{suggestion}"
    if not (np.isfinite(azimuth) and 0.0 <= azimuth <= 360.0):
        return f"{expected}, got {azimuth:g} degrees"
    return None


def _azimuth_octant(azimuth: FloatArray) -> IntArray:
    return (np.floor((np.mod(azimuth, 360.0) + 22.5) / 45.0).astype(np.intp)) % 8


def correction_factors(
    orientation: npt.ArrayLike,
    pitch_deg: npt.ArrayLike = 90.0,
    *,
    cf_set: str | None = None,
    table: CorrectionFactorTable | None = None,
) -> Any:
    """Solar correction factor CF (dimensionless) per facade from the CF table.

    ``orientation``: names or azimuths in degrees (see :func:`octant_index`; integers
    are read as azimuths, not octant codes). ``pitch_deg``:
    degrees from the horizontal (90 = wall, the default); interpolated linearly between
    the tabulated pitches, an error outside them. ``cf_set``: a named set of the table
    (default: the table's default set). The shipped sets are unverified placeholders.
    """
    chosen = (table or correction_factor_table()).get(cf_set)
    pitches, matrix = chosen.grid()
    octant = np.asarray(octant_index(orientation))
    pitch = as_float(pitch_deg, "pitch_deg")
    low, high = pitches[0], pitches[-1]
    if pitch.size:
        lo, hi = pitch.min(), pitch.max()
        if not (lo >= low - 1e-9 and hi <= high + 1e-9):
            grid = ", ".join(f"{p:g}" for p in pitches)
            bad = ~((pitch >= low - 1e-9) & (pitch <= high + 1e-9))
            check(
                bad,
                "pitch_deg",
                f"a pitch within the correction-factor table's pitches ({grid} deg)",
                pitch,
            )
    if pitches.size == 1:
        return result(matrix[octant, 0] * np.ones_like(pitch))
    p = np.clip(pitch, low, high)
    j = np.clip(np.searchsorted(pitches, p, side="right") - 1, 0, pitches.size - 2)
    t = (p - pitches[j]) / (pitches[j + 1] - pitches[j])
    return result(matrix[octant, j] * (1.0 - t) + matrix[octant, j + 1] * t)


# --------------------------------------------------------------------------- U-values


def u_value(
    thickness_m: npt.ArrayLike,
    conductivity_w_mk: npt.ArrayLike,
    *,
    rsi: float | None = None,
    rse: float | None = None,
    extra_resistance: npt.ArrayLike = 0.0,
    table: EnvelopeTable | None = None,
) -> Any:
    """Thermal transmittance of a layered construction, W/m2K.

    ``U = 1 / (Rsi + sum(d / k) + Rse + extra)``; layers run along the last axis, so a
    1-D input is one construction and a 2-D input (constructions x layers) many.
    ``thickness_m`` in m (0 pads unused layers), ``conductivity_w_mk`` in W/mK (> 0 for
    every layer with a thickness), ``extra_resistance`` (air spaces) in m2K/W.
    ``rsi`` / ``rse``: surface air-film resistances in m2K/W, default the wall values
    of the table (unverified).
    """
    films = (table or envelope_table()).air_film
    r_in = films.rsi_wall.value if rsi is None else rsi
    r_out = films.rse_wall.value if rse is None else rse
    d = as_float(thickness_m, "thickness_m")
    k = as_float(conductivity_w_mk, "conductivity_w_mk")
    extra = as_float(extra_resistance, "extra_resistance")
    _in_range(d, "thickness_m", 0.0)
    _in_range(extra, "extra_resistance", 0.0)
    if d.ndim == 0 or k.ndim == 0:
        d, k = np.atleast_1d(d), np.atleast_1d(k)
    d, k = np.broadcast_arrays(d, k)
    layered = d > 0
    check(layered & ~(np.isfinite(k) & (k > 0)), "conductivity_w_mk", "a value > 0", k)
    resistance = np.divide(d, k, out=np.zeros(d.shape), where=layered).sum(axis=-1)
    for value, name in ((r_in, "rsi"), (r_out, "rse")):
        if not (np.isfinite(value) and value >= 0):
            raise CalcError(f"{name}: expected a finite resistance >= 0 m2K/W, got {value!r}")
    total = resistance + r_in + r_out + extra
    check(total <= 0, "u_value", "a total resistance > 0 m2K/W", total)
    return result(1.0 / total)


# --------------------------------------------------------------------------- roofs


def roof_weight_group(mass_kg_m2: npt.ArrayLike, table: RoofUTable | None = None) -> Any:
    """Index of the roof weight group (0 = lightest) for a roof mass in kg/m2.

    Group names are ``roof_u_table().names()`` (light < 50, medium 50-230, heavy > 230).
    """
    groups = (table or roof_u_table()).group
    mass = as_float(mass_kg_m2, "mass_kg_m2")
    _in_range(mass, "mass_kg_m2", 0.0)
    index = np.zeros(mass.shape, dtype=np.intp)
    for group in groups[:-1]:
        upper = group.upper_kg_m2
        assert upper is not None
        index += (mass > upper) if group.upper_inclusive else (mass >= upper)
    return result(index)


def roof_u_limit(mass_kg_m2: npt.ArrayLike, table: RoofUTable | None = None) -> Any:
    """Maximum average roof U-value, W/m2K, for a roof mass in kg/m2 (roofs without skylight)."""
    chosen = table or roof_u_table()
    return result(chosen.limits()[np.asarray(roof_weight_group(mass_kg_m2, chosen))])


def roof_u_complies(
    u_value_w_m2k: npt.ArrayLike, mass_kg_m2: npt.ArrayLike, table: RoofUTable | None = None
) -> Any:
    """True where the roof U-value (W/m2K) does not exceed the limit of its weight group."""
    u = as_float(u_value_w_m2k, "u_value_w_m2k")
    _in_range(u, "u_value_w_m2k", 0.0)
    return result(np.asarray(np.less_equal(u, roof_u_limit(mass_kg_m2, table))))
