"""Water efficiency: WELS ticks of fittings and potable-water savings.

Tick bands per fitting type come from ``criteria/factors/wels.toml`` (PUB WELS; 2- and
3-tick bands from a vendor copy of PUB's table, 1-tick bands unverified). Vectorised:
one call rates any number of fittings with ``np.searchsorted``.

Units: flow rates in L/min (taps, mixers); flush volumes in L/flush (cisterns, flush
valves; a waterless urinal is 0); water volumes in any one unit (e.g. m3/yr);
fractions 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.calc.energy import savings_fraction
from greenmark.calc.errors import (
    CalcError,
    Groups,
    IntArray,
    as_float,
    check,
    check_nonnegative,
    close_matches,
    describe_positions,
    did_you_mean,
    positions,
    result,
)
from greenmark.calc.tables import WelsTable, normalise_name, wels_table

__all__ = [
    "fittings_share",
    "potable_water_savings",
    "unknown_fitting_types",
    "wels_fitting_types",
    "wels_savings",
    "wels_ticks",
]


def wels_fitting_types(table: WelsTable | None = None) -> tuple[str, ...]:
    """Fitting type keys of the WELS table (e.g. ``basin_tap``, ``dual_flush_cistern``)."""
    return tuple((table or wels_table()).fitting)


def unknown_fitting_types(
    fitting_types: Sequence[str], table: WelsTable | None = None
) -> list[tuple[int, str]]:
    """``(1-based item, message)`` for each fitting type the WELS table does not have.

    A type is known when it is a key of the table in any letter case (the spelling the
    calculators select fittings by); the message suggests the closest keys.
    """
    names = wels_fitting_types(table)
    found = []
    for item, value in enumerate(fitting_types, start=1):
        if value.lower() in names:
            continue
        normal = normalise_name(value)  # "Basin Tap" -> "basin_tap"
        hint = did_you_mean(normal, [normal] if normal in names else names)[0]
        found.append((item, f"unknown WELS fitting type {value!r}{hint}"))
    return found


def _type_codes(fitting_type: str | npt.ArrayLike, names: list[str]) -> IntArray:
    lookup = {name: i for i, name in enumerate(names)}
    raw = np.asarray(fitting_type)
    flat = [str(v) for v in raw.ravel().tolist()]
    codes = np.array(
        [lookup.get(v, lookup.get(normalise_name(v), -1)) for v in flat], dtype=np.intp
    )
    if (codes < 0).any():
        bad = positions(codes < 0)
        first = flat[bad[0] - 1]
        hint = close_matches(normalise_name(first), names)
        suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise CalcError(
            f"fitting_type: unknown WELS fitting type {first!r} at "
            f"{describe_positions(bad)}{suggestion} (known: {', '.join(names)})",
            items=bad,
            suggestions=hint,
        )
    return codes.reshape(raw.shape)


def wels_ticks(
    fitting_type: str | npt.ArrayLike,
    value: npt.ArrayLike,
    *,
    reduced_flush: npt.ArrayLike | None = None,
    table: WelsTable | None = None,
) -> Any:
    """WELS ticks (0..3) per fitting.

    ``fitting_type``: one type for all values or one per value (keys of the table,
    case-insensitive). ``value``: flow rate in L/min for taps and mixers, flush volume
    in L/flush for cisterns and flush valves (full flush for dual-flush cisterns). A
    fitting gets the ticks of the best band whose maximum it does not exceed, 0 above
    every band. ``reduced_flush`` (L/flush) is required for dual-flush cisterns (NaN
    elsewhere); such a cistern gets the lower of its full- and reduced-flush ticks.
    """
    chosen = table or wels_table()
    names = list(chosen.fitting)
    values = as_float(value, "value")
    check_nonnegative(values, "value")
    codes = _type_codes(fitting_type, names)
    reduced = None if reduced_flush is None else as_float(reduced_flush, "reduced_flush")
    arrays = [codes, values] if reduced is None else [codes, values, reduced]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    codes_b = np.broadcast_to(codes, shape)
    values_b = np.broadcast_to(values, shape)
    reduced_b = None if reduced is None else np.broadcast_to(reduced, shape)
    ticks = np.zeros(shape, dtype=np.intp)
    # the types present (np.unique would load numpy.ma, a fifth of a score's start-up)
    for code in np.flatnonzero(np.bincount(codes_b.ravel(), minlength=len(names))).tolist():
        fitting = chosen.fitting[names[code]]
        mask = codes_b == code
        maxima, tick_of = fitting.thresholds()
        got = tick_of[np.searchsorted(maxima, values_b[mask], side="left")]
        if fitting.reduced_bands is not None:
            if reduced_b is None:
                where = positions(mask)
                raise CalcError(
                    f"reduced_flush: {names[code]} is rated on full and reduced flush; "
                    f"give reduced_flush (L/flush) for {describe_positions(where)}",
                    items=where,
                )
            second = reduced_b[mask]
            missing = ~np.isfinite(second) | (second < 0)
            if missing.any():
                where = [int(i) + 1 for i in np.flatnonzero(mask.ravel())[missing.ravel()]]
                raise CalcError(
                    f"reduced_flush: expected a finite volume >= 0 L/flush for {names[code]} "
                    f"at {describe_positions(where)}",
                    items=where,
                )
            r_maxima, r_tick_of = fitting.thresholds(reduced=True)
            got = np.minimum(got, r_tick_of[np.searchsorted(r_maxima, second, side="left")])
        ticks[mask] = got
    return result(ticks)


def wels_savings(
    fitting_type: str | npt.ArrayLike, ticks: npt.ArrayLike, table: WelsTable | None = None
) -> Any:
    """Water saving quoted by the WELS source for a tick level (fraction; 0 if none quoted).

    Informative only (e.g. basin tap: 3 ticks 0.60, 2 ticks 0.40); unverified.
    """
    chosen = table or wels_table()
    names = list(chosen.fitting)
    codes = _type_codes(fitting_type, names)
    tick = np.asarray(ticks)
    check((tick < 0) | (tick > 3) | (np.mod(tick, 1) != 0), "ticks", "an integer 0..3", tick)
    grid = np.zeros((len(names), 4))
    for i, name in enumerate(names):
        for band in chosen.fitting[name].bands:
            grid[i, band.ticks] = band.savings or 0.0
    return result(grid[codes, tick.astype(np.intp)])


def potable_water_savings(proposed: npt.ArrayLike, baseline: npt.ArrayLike) -> Any:
    """Potable water saved against a baseline, fraction ``1 - proposed / baseline``.

    Both in the same unit (e.g. m3/yr); baseline > 0.
    """
    return savings_fraction(proposed, baseline)


def fittings_share(
    ticks: npt.ArrayLike,
    *,
    min_ticks: int = 2,
    counts: npt.ArrayLike | None = None,
    building: npt.ArrayLike | None = None,
    n_buildings: int | None = None,
) -> Any:
    """Share of fittings (fraction) rated at least ``min_ticks`` ticks.

    ``counts``: number of fittings behind each entry (default 1 each). With
    ``building`` (0-based index per entry) the share is per building, an array of
    ``n_buildings`` (default largest index + 1); a building without fittings is an
    error.
    """
    tick = np.ravel(np.asarray(ticks))
    weight = (
        np.ones(tick.shape)
        if counts is None
        else np.ravel(np.broadcast_to(as_float(counts, "counts"), tick.shape))
    )
    check_nonnegative(weight, "counts")
    good = weight * (tick >= min_ticks)
    if building is None:
        count = float(weight.sum())
        if count <= 0:
            raise CalcError("counts: expected at least one fitting")
        return result(np.asarray(good.sum() / count))
    groups = Groups.of(building, tick.size, n_buildings)
    total = groups.sum(weight)
    empty = total <= 0
    if empty.any():
        where = positions(empty)
        raise CalcError(
            "counts: expected fittings for every building; none for "
            f"{describe_positions([w - 1 for w in where], 'building')} (0-based)",
            items=where,
        )
    return groups.sum(good) / total
