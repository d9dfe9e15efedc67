"""Operational energy: EUI, savings, chiller plant efficiency, LPD, renewables, carbon.

Vectorised over buildings: arguments may be scalars or arrays that broadcast together;
scalar inputs give numpy scalars, array inputs arrays. Conversion factors, LPD limits,
renewable thresholds and grid emission factors come from ``criteria/factors/``.

Units: energy in kWh (per year where annual); areas in m2; EUI in kWh/m2/yr; power in
kW (plant) or W (lighting); cooling load in RT or kW thermal; efficiency in kW/RT;
LPD in W/m2; emissions in kgCO2e; fractions are 0..1 (percent helpers say so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.calc.errors import (
    CalcError,
    FloatArray,
    as_float,
    check,
    check_finite,
    check_nonnegative,
    check_positive,
    close_matches,
    describe_positions,
    result,
)
from greenmark.calc.tables import (
    EnergyTable,
    GridEmissionTable,
    LightingTable,
    energy_table,
    grid_emission_table,
    lighting_table,
    normalise_name,
)

__all__ = [
    "chiller_plant_efficiency",
    "eui",
    "grid_emission_factor",
    "kw_to_rt",
    "lighting_power_density",
    "lpd_complies",
    "lpd_limit",
    "operational_carbon",
    "operational_carbon_intensity",
    "percent",
    "renewable_badge",
    "renewable_share",
    "rt_to_kw",
    "savings_fraction",
    "savings_percent",
]


def eui(
    annual_kwh: npt.ArrayLike,
    gfa_m2: npt.ArrayLike,
    *,
    excluded_area_m2: npt.ArrayLike = 0.0,
    excluded_kwh: npt.ArrayLike = 0.0,
) -> Any:
    """Energy use intensity, kWh/m2/yr.

    ``(annual_kwh - excluded_kwh) / (gfa_m2 - excluded_area_m2)``: annual building
    energy in kWh/yr, gross floor area in m2; ``excluded_area_m2`` is floor area left out
    of the intensity (e.g. car park), ``excluded_kwh`` energy left out (e.g. a data
    centre's kWh). The net area must be > 0 and the excluded energy at most the total.
    """
    energy = as_float(annual_kwh, "annual_kwh")
    area = as_float(gfa_m2, "gfa_m2")
    less_area = as_float(excluded_area_m2, "excluded_area_m2")
    less_energy = as_float(excluded_kwh, "excluded_kwh")
    check_nonnegative(energy, "annual_kwh")
    check_positive(area, "gfa_m2")
    check_nonnegative(less_area, "excluded_area_m2")
    check_nonnegative(less_energy, "excluded_kwh")
    net_area = area - less_area
    net_energy = energy - less_energy
    check(net_area <= 0, "excluded_area_m2", "less than gfa_m2 (net area > 0)", less_area)
    check(net_energy < 0, "excluded_kwh", "at most annual_kwh", less_energy)
    return result(net_energy / net_area)


def savings_fraction(actual: npt.ArrayLike, reference: npt.ArrayLike) -> Any:
    """Fraction saved against a reference, ``1 - actual / reference`` (0.6 = 60 % less).

    Both in the same unit (e.g. kWh/yr or kWh/m2/yr); the reference must be > 0. The
    result is negative when ``actual`` exceeds the reference.
    """
    a = as_float(actual, "actual")
    ref = as_float(reference, "reference")
    check_finite(a, "actual")
    check_positive(ref, "reference")
    return result(1.0 - a / ref)


def percent(fraction: npt.ArrayLike) -> Any:
    """A fraction (0..1) as a percentage (0..100)."""
    return result(as_float(fraction, "fraction") * 100.0)


def savings_percent(actual: npt.ArrayLike, reference: npt.ArrayLike) -> Any:
    """Percent saved against a reference, ``100 (1 - actual / reference)``."""
    return percent(savings_fraction(actual, reference))


def kw_to_rt(kw: npt.ArrayLike, table: EnergyTable | None = None) -> Any:
    """Cooling power in kW (thermal) to refrigeration tons (RT); 1 RT = 3.517 kW (table)."""
    factor = (table or energy_table()).conversion.kw_per_rt.value
    return result(as_float(kw, "kw") / factor)


def rt_to_kw(rt: npt.ArrayLike, table: EnergyTable | None = None) -> Any:
    """Refrigeration tons (RT) to kW thermal."""
    factor = (table or energy_table()).conversion.kw_per_rt.value
    return result(as_float(rt, "rt") * factor)


def chiller_plant_efficiency(
    power_kw: npt.ArrayLike,
    cooling_rt: npt.ArrayLike | None = None,
    *,
    cooling_kw: npt.ArrayLike | None = None,
    table: EnergyTable | None = None,
) -> Any:
    """Chilled-water plant efficiency, kW/RT = measured plant power / cooling delivered.

    ``power_kw`` electrical input in kW; the cooling load either as ``cooling_rt`` in RT
    or as ``cooling_kw`` in kW thermal (converted with the table's kW per RT). Give
    exactly one of the two. Lower is better (e.g. 0.65 kW/RT).
    """
    if (cooling_rt is None) == (cooling_kw is None):
        raise CalcError("chiller_plant_efficiency: give exactly one of cooling_rt or cooling_kw")
    power = as_float(power_kw, "power_kw")
    check_nonnegative(power, "power_kw")
    if cooling_rt is not None:
        load = as_float(cooling_rt, "cooling_rt")
        check_positive(load, "cooling_rt")
    else:
        thermal = as_float(cooling_kw, "cooling_kw")
        check_positive(thermal, "cooling_kw")
        load = np.asarray(kw_to_rt(thermal, table))
    return result(power / load)


def lighting_power_density(power_w: npt.ArrayLike, area_m2: npt.ArrayLike) -> Any:
    """Lighting power density, W/m2 = installed lighting power (W) / lit floor area (m2)."""
    power = as_float(power_w, "power_w")
    area = as_float(area_m2, "area_m2")
    check_nonnegative(power, "power_w")
    check_positive(area, "area_m2")
    return result(power / area)


def lpd_limit(space_type: str | npt.ArrayLike, table: LightingTable | None = None) -> Any:
    """LPD limit, W/m2, per space type (names as in the table, case-insensitive).

    The shipped limits are unverified placeholders (the BCA table was not found).
    """
    spaces = (table or lighting_table()).space
    names = list(spaces)
    lookup = {normalise_name(name): i for i, name in enumerate(names)}
    lookup.update({name: i for i, name in enumerate(names)})
    limits = np.array([spaces[n].limit.value for n in names], dtype=np.float64)
    raw = np.asarray(space_type)
    flat = [str(v) for v in raw.ravel().tolist()]
    codes = [lookup.get(v, lookup.get(normalise_name(v), -1)) for v in flat]
    bad = [i for i, c in enumerate(codes) if c < 0]
    if bad:
        first = flat[bad[0]]
        hint = close_matches(normalise_name(first), names)
        suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise CalcError(
            f"space_type: unknown space type {first!r} at "
            f"{describe_positions([b + 1 for b in bad])}{suggestion} "
            f"(known: {', '.join(names)})",
            items=[b + 1 for b in bad],
            suggestions=hint,
        )
    return result(limits[np.array(codes, dtype=np.intp).reshape(raw.shape)])


def lpd_complies(
    lpd_w_m2: npt.ArrayLike, space_type: str | npt.ArrayLike, table: LightingTable | None = None
) -> Any:
    """True where the LPD (W/m2) does not exceed the limit of its space type."""
    lpd = as_float(lpd_w_m2, "lpd_w_m2")
    check_nonnegative(lpd, "lpd_w_m2")
    return result(np.asarray(lpd <= lpd_limit(space_type, table)))


def renewable_share(renewable_kwh: npt.ArrayLike, consumption_kwh: npt.ArrayLike) -> Any:
    """Renewable share of consumption (fraction; 1.0 = 100 %), both in kWh/yr."""
    renewable = as_float(renewable_kwh, "renewable_kwh")
    consumption = as_float(consumption_kwh, "consumption_kwh")
    check_nonnegative(renewable, "renewable_kwh")
    check_positive(consumption, "consumption_kwh")
    return result(renewable / consumption)


def renewable_badge(share: npt.ArrayLike, table: EnergyTable | None = None) -> Any:
    """Highest renewable badge label per building ("Zero Energy", "Positive Energy", or "").

    ``share`` is the renewable share (fraction). Thresholds come from the table
    (ZE >= 100 %, PE >= 115 %; unverified). The SLE prerequisite is the scheme's job.
    """
    thresholds = sorted((table or energy_table()).renewable.values(), key=lambda t: t.min_share)
    values = as_float(share, "share")
    check_nonnegative(values, "share")
    width = max((len(t.label) for t in thresholds), default=1)
    labels = np.full(values.shape, "", dtype=f"<U{width}")
    for threshold in thresholds:  # ascending: a higher badge overwrites a lower one
        met = values >= threshold.min_share if threshold.inclusive else values > threshold.min_share
        labels[met] = threshold.label
    return result(labels)


def grid_emission_factor(
    region: str | None = None, year: int | None = None, table: GridEmissionTable | None = None
) -> float:
    """Grid emission factor, kgCO2e/kWh (default region of the table, latest year)."""
    return (table or grid_emission_table()).get(region, year).value


def operational_carbon(
    grid_kwh: npt.ArrayLike,
    *,
    region: str | None = None,
    year: int | None = None,
    factor_kgco2e_per_kwh: float | None = None,
    table: GridEmissionTable | None = None,
) -> Any:
    """Operational emissions, kgCO2e/yr = grid electricity (kWh/yr) x emission factor.

    The factor (kgCO2e/kWh) comes from the grid table for ``region`` / ``year`` unless
    ``factor_kgco2e_per_kwh`` is given. Pass electricity drawn from the grid, i.e. net
    of on-site renewables if those are to count.
    """
    energy = as_float(grid_kwh, "grid_kwh")
    check_finite(energy, "grid_kwh")
    if factor_kgco2e_per_kwh is None:
        factor = grid_emission_factor(region, year, table)
    else:
        factor = float(factor_kgco2e_per_kwh)
        if not (np.isfinite(factor) and factor >= 0):
            raise CalcError(f"factor_kgco2e_per_kwh: expected a finite value >= 0, got {factor!r}")
    return result(energy * factor)


def operational_carbon_intensity(
    grid_kwh: npt.ArrayLike,
    gfa_m2: npt.ArrayLike,
    *,
    region: str | None = None,
    year: int | None = None,
    factor_kgco2e_per_kwh: float | None = None,
    table: GridEmissionTable | None = None,
) -> Any:
    """Operational emissions per floor area, kgCO2e/m2/yr (grid kWh/yr, GFA in m2)."""
    area = as_float(gfa_m2, "gfa_m2")
    check_positive(area, "gfa_m2")
    total: FloatArray = np.asarray(
        operational_carbon(
            grid_kwh,
            region=region,
            year=year,
            factor_kgco2e_per_kwh=factor_kgco2e_per_kwh,
            table=table,
        )
    )
    return result(total / area)
