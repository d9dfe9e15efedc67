"""Embodied carbon (A1-A3) from a bill of quantities, and the Concrete Usage Index.

A bill of quantities (BoQ) is a set of lines, each a material, a quantity and a unit
(``kg``, ``t``, ``m3`` or ``m2``), optionally tagged with a 0-based building index so
that one call handles many buildings. Volumes are turned into mass with a density
(kg/m3) and areas with an areal mass (kg/m2), from the line itself or else from the
factor table; the mass is multiplied by the material's factor in kgCO2e/kg from
``criteria/factors/embodied-carbon.toml`` (ICE v3.0 averages, not BCA factors).

An unknown material, an unknown unit, or a volume / area line without a density /
areal mass raises :class:`~greenmark.calc.errors.CalcError` naming the BoQ line
(1-based: line 1 is the first entry of the inputs). Nothing is silently zeroed.

Units: quantities in the line's unit; masses in kg; densities in kg/m3; areal masses
in kg/m2; emissions in kgCO2e; floor areas in m2; concrete volume in m3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.calc import kernels
from greenmark.calc.energy import savings_fraction
from greenmark.calc.errors import (
    BoolArray,
    CalcError,
    FloatArray,
    Groups,
    IntArray,
    as_float,
    check,
    check_nonnegative,
    check_positive,
    close_matches,
    describe_positions,
    positions,
    result,
)
from greenmark.calc.tables import (
    BOQ_UNITS,
    EmbodiedCarbonTable,
    embodied_carbon_table,
    normalise_name,
)

__all__ = [
    "UNITS",
    "BillOfQuantities",
    "bill_of_quantities",
    "carbon_by_material",
    "carbon_intensity",
    "carbon_reduction",
    "concrete_usage_index",
    "concrete_volume_m3",
    "embodied_carbon",
    "material_breakdown",
    "material_codes",
    "unit_codes",
]

UNITS: tuple[str, ...] = BOQ_UNITS
"""BoQ units; a unit code is an index into this tuple."""

_KG, _T, _M3, _M2 = range(4)
_UNIT_NAMES: dict[str, int] = {
    "kg": _KG,
    "kgs": _KG,
    "t": _T,
    "tonne": _T,
    "tonnes": _T,
    "m3": _M3,
    "m³": _M3,
    "m^3": _M3,
    "m**3": _M3,
    "m2": _M2,
    "m²": _M2,
    "m^2": _M2,
    "m**2": _M2,
}


@dataclass(frozen=True, eq=False)
class BillOfQuantities:
    """A validated BoQ: per-line arrays (one entry per line) plus the material table.

    ``material`` codes index ``materials`` (the table's keys) and ``unit`` codes index
    :data:`UNITS`; ``quantity`` is in the line's unit, ``mass_kg`` in kg and ``kgco2e``
    in kgCO2e per line (both computed on first use unless the validation already did);
    ``groups`` holds the 0-based building index per line.
    """

    material: IntArray
    unit: IntArray
    quantity: FloatArray
    groups: Groups
    table: EmbodiedCarbonTable = field(repr=False)
    density_override: FloatArray | None = field(default=None, repr=False)
    areal_mass_override: FloatArray | None = field(default=None, repr=False)

    @property
    def materials(self) -> tuple[str, ...]:
        """Material keys, in code order (the columns of :func:`carbon_by_material`)."""
        return self.table.keys

    @property
    def building(self) -> IntArray:
        """0-based building index per line."""
        return self.groups.index

    @property
    def n_buildings(self) -> int:
        """Number of buildings (rows of the per-building results)."""
        return self.groups.n

    @cached_property
    def mass_kg(self) -> FloatArray:
        """Mass per line, kg (computed on first use)."""
        kg_per_unit = _kg_per_unit(
            self.table, self.material, self.unit, self.density_override, self.areal_mass_override
        )
        return self.quantity * kg_per_unit

    @cached_property
    def density_kg_m3(self) -> FloatArray:
        """Density per line, kg/m3: the line's own, else the table's; NaN if neither."""
        density = self.table.arrays()[1][self.material]
        if self.density_override is not None:
            density = np.where(np.isnan(self.density_override), density, self.density_override)
        return density

    @cached_property
    def kgco2e(self) -> FloatArray:
        """Embodied carbon per line, kgCO2e (computed on first use)."""
        if self.density_override is None and self.areal_mass_override is None:
            key = self.material * len(UNITS) + self.unit
            return np.take(self.table.kgco2e_per_unit().ravel(), key) * self.quantity
        return self.mass_kg * self.table.arrays()[0][self.material]

    @cached_property
    def building_kgco2e(self) -> FloatArray:
        """Embodied carbon per building, kgCO2e (computed on first use; do not modify)."""
        return self.groups.sum(self.kgco2e)

    def __len__(self) -> int:
        return int(self.material.size)


def _flat_strings(values: npt.ArrayLike) -> tuple[list[Any], tuple[int, ...]] | IntArray:
    """Names as a flat list (and their shape), or integer codes as an array."""
    if isinstance(values, list | tuple) and values and isinstance(values[0], str):
        return values if isinstance(values, list) else list(values), (len(values),)
    raw = np.asarray(values)
    if raw.dtype.kind in "iu":
        return raw.astype(np.intp, copy=False)
    if raw.dtype.kind not in "UO":
        raise CalcError(f"expected names, got dtype {raw.dtype}")
    return raw.ravel().tolist(), raw.shape


def _lookup_codes(flat: list[Any], lookup: dict[str, int]) -> IntArray:
    """One dict probe per entry (-1 when absent); unhashable entries give -1 too."""
    try:
        return np.fromiter(map(lookup.get, flat, repeat(-1)), np.intp, len(flat))
    except TypeError:
        return np.fromiter(
            (lookup.get(v, -1) if isinstance(v, str) else -1 for v in flat), np.intp, len(flat)
        )


def material_codes(materials: npt.ArrayLike, table: EmbodiedCarbonTable | None = None) -> Any:
    """Material code per BoQ line from names (keys or aliases, case-insensitive).

    Integer input is taken as codes already and only range-checked. Unknown names raise
    ``CalcError`` naming the 1-based BoQ line(s) and the closest known materials.
    """
    chosen = table or embodied_carbon_table()
    flat = _flat_strings(materials)
    if isinstance(flat, np.ndarray):
        codes = flat
        if codes.size and (codes.min() < 0 or codes.max() >= len(chosen.keys)):
            out_of_range = (codes < 0) | (codes >= len(chosen.keys))
            expected = f"a code 0..{len(chosen.keys) - 1}"
            check(out_of_range, "material", expected, codes, noun="BoQ line")
        return result(codes)
    names, shape = flat
    codes = _lookup_codes(names, chosen.name_index)  # exact spellings: one probe per line
    bad: list[int] = []
    for i in np.flatnonzero(codes < 0).tolist():  # then case/space-insensitive
        value = names[i]
        code = chosen.code_of(value) if isinstance(value, str) else None
        if code is None:
            bad.append(i)
        else:
            codes[i] = code
    if bad:
        _unknown_material(names, bad, chosen)
    return result(codes.reshape(shape))


def _unknown_material(flat: list[Any], bad: list[int], table: EmbodiedCarbonTable) -> None:
    first = flat[bad[0]]
    known = table.known_names()
    hint = close_matches(normalise_name(str(first)), known, cutoff=0.5)
    lines = [b + 1 for b in bad]
    if hint:
        suggestion = "; did you mean " + ", ".join(repr(h) for h in hint) + "?"
    else:
        suggestion = "; known materials: " + ", ".join(table.keys)
    also = f" (unknown materials on {describe_positions(lines, 'line')})" if len(lines) > 1 else ""
    raise CalcError(
        f"BoQ line {lines[0]}: unknown material {first!r}{suggestion}{also}",
        items=lines,
        suggestions=hint,
    )


def unit_codes(units: npt.ArrayLike) -> Any:
    """Unit code per BoQ line (index into :data:`UNITS`) from ``kg``/``t``/``m3``/``m2``.

    Integer input is taken as codes already and only range-checked.
    """
    flat = _flat_strings(units)
    if isinstance(flat, np.ndarray):
        codes = flat
        if codes.size and (codes.min() < 0 or codes.max() >= len(UNITS)):
            check((codes < 0) | (codes >= len(UNITS)), "unit", "a code 0..3", codes, "BoQ line")
        return result(codes)
    names, shape = flat
    codes = _lookup_codes(names, _UNIT_NAMES)
    for i in np.flatnonzero(codes < 0).tolist():
        value = names[i]
        if isinstance(value, str):
            codes[i] = _UNIT_NAMES.get(value.strip().lower(), -1)
    if (codes < 0).any():
        bad = positions(codes < 0)
        raise CalcError(
            f"BoQ line {bad[0]}: unknown unit {names[bad[0] - 1]!r}; expected one of "
            f"{', '.join(UNITS)}"
            + (f" (unknown units on {describe_positions(bad, 'line')})" if len(bad) > 1 else ""),
            items=bad,
            suggestions=UNITS,
        )
    return result(codes.reshape(shape))


def _optional_override(values: npt.ArrayLike | None, name: str, size: int) -> FloatArray | None:
    if values is None:
        return None
    array = np.ravel(np.broadcast_to(as_float(values, name), (size,)))
    given = ~np.isnan(array)
    check(
        given & ~(np.isfinite(array) & (array > 0)),
        name,
        "a value > 0 (or NaN)",
        array,
        noun="BoQ line",
    )
    return array


def bill_of_quantities(
    materials: npt.ArrayLike,
    quantities: npt.ArrayLike,
    units: npt.ArrayLike,
    *,
    building: npt.ArrayLike | None = None,
    n_buildings: int | None = None,
    density_kg_m3: npt.ArrayLike | None = None,
    areal_mass_kg_m2: npt.ArrayLike | None = None,
    table: EmbodiedCarbonTable | None = None,
) -> BillOfQuantities:
    """Validate a BoQ and compute each line's mass (kg) and embodied carbon (kgCO2e).

    ``materials``: names or codes (see :func:`material_codes`); ``quantities`` (>= 0)
    in each line's ``units`` (``kg``, ``t``, ``m3``, ``m2``; names or codes, or one unit
    for all lines). ``building``: 0-based building index per line (default: all 0);
    ``n_buildings``: number of buildings (default: largest index + 1).
    ``density_kg_m3`` / ``areal_mass_kg_m2``: per-line values overriding the table
    (NaN = use the table). A ``m3`` line needs a density and a ``m2`` line an areal
    mass, from the line or the table, else ``CalcError`` names the line.
    """
    chosen = table or embodied_carbon_table()
    if density_kg_m3 is None and areal_mass_kg_m2 is None:
        fast = _kernel_boq(chosen, materials, quantities, units, building, n_buildings)
        if fast is not None:
            return fast
    # small BoQ, per-line overrides, or something to report: exact checks naming the lines
    factor = chosen.arrays()[0]
    material = np.ravel(np.asarray(material_codes(materials, chosen)))
    size = material.size
    quantity = np.ravel(as_float(quantities, "quantities"))
    if quantity.size != size:
        raise CalcError(
            f"quantities: expected {size} values (one per BoQ line), got {quantity.size}"
        )
    unit_raw = np.asarray(unit_codes(units))
    if unit_raw.size not in (1, size):
        raise CalcError(f"units: expected {size} units (one per BoQ line), got {unit_raw.size}")
    unit = np.ravel(np.broadcast_to(unit_raw, (size,)))
    groups = Groups.of(building, size, n_buildings, noun="BoQ line")
    density = _optional_override(density_kg_m3, "density_kg_m3", size)
    areal = _optional_override(areal_mass_kg_m2, "areal_mass_kg_m2", size)
    if size:
        bad = ~np.isfinite(quantity) | (quantity < 0)
        check(bad, "quantities", "a finite value >= 0", quantity, noun="BoQ line")
    kg_per_unit = _kg_per_unit(chosen, material, unit, density, areal)
    missing = np.isnan(kg_per_unit)
    if missing.any():
        _missing_conversion(missing, material, unit, chosen)
    mass = quantity * kg_per_unit
    boq = BillOfQuantities(material, unit, quantity, groups, chosen, density, areal)
    boq.__dict__["mass_kg"] = mass  # seed the cached properties
    boq.__dict__["kgco2e"] = mass * factor[material]
    return boq


def _codes_input(values: npt.ArrayLike) -> IntArray | None:
    """Integer codes as a flat intp array (not yet range-checked), or None for names."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return np.ravel(values).astype(np.intp, copy=False)
    return None


def _kernel_boq(
    table: EmbodiedCarbonTable,
    materials: npt.ArrayLike,
    quantities: npt.ArrayLike,
    units: npt.ArrayLike,
    building: npt.ArrayLike | None,
    n_buildings: int | None,
) -> BillOfQuantities | None:
    """A large BoQ without per-line overrides, checked and summed per building in one
    kernel pass; None to take the exact path (a small BoQ, a bad line to name, or a
    building index not given per line).

    Names are looked up first (unknown ones raise as on the exact path). A line without
    density / areal mass is rejected by the kernel (NaN in the kgCO2e-per-unit table).
    """
    quantity = np.ravel(as_float(quantities, "quantities"))
    size = quantity.size
    if size == 0 or size < kernels.THRESHOLD:
        return None
    material = _codes_input(materials)
    if material is None:  # names: look them up (errors name the line, as on the exact path)
        material = np.ravel(np.asarray(material_codes(materials, table)))
    unit = _codes_input(units)
    if unit is None:
        unit = np.ravel(np.asarray(unit_codes(units)))
    if material.size != size or unit.size not in (1, size):
        return None
    index = kernels.building_index(building, size)
    if index is None:
        return None
    n = int(index.max()) + 1 if n_buildings is None else int(n_buildings)
    if n < 0:
        return None
    material = np.ascontiguousarray(material)
    unit = kernels.full(unit, size, np.intp)
    quantity = np.ascontiguousarray(quantity)
    totals = np.zeros(n)
    starts = np.empty(size, dtype=np.intp)
    first, runs, increasing = kernels.compiled().boq_sums(
        material,
        unit,
        quantity,
        index,
        table.kgco2e_per_unit().ravel(),
        len(UNITS),
        totals,
        starts,
    )
    if first >= 0:
        return None
    groups = Groups(index, n, starts[:runs].copy() if increasing else None)
    boq = BillOfQuantities(material, unit, quantity, groups, table)
    boq.__dict__["building_kgco2e"] = totals  # seed the cached property
    return boq


def _kg_per_unit(
    table: EmbodiedCarbonTable,
    material: IntArray,
    unit: IntArray,
    density: FloatArray | None,
    areal: FloatArray | None,
) -> FloatArray:
    """kg per unit of quantity per line: the line's density / areal mass, else the table's."""
    kg_per_unit = table.kg_per_unit().ravel()[material * len(UNITS) + unit]
    if density is not None:
        use = (unit == _M3) & ~np.isnan(density)
        kg_per_unit[use] = density[use]
    if areal is not None:
        use = (unit == _M2) & ~np.isnan(areal)
        kg_per_unit[use] = areal[use]
    return kg_per_unit


def _missing_conversion(
    missing: BoolArray, material: IntArray, unit: IntArray, table: EmbodiedCarbonTable
) -> None:
    lines = positions(missing)
    first = lines[0] - 1
    name = table.keys[int(material[first])]
    if unit[first] == _M3:
        need, option = "a density (kg/m3)", "density_kg_m3"
    else:
        need, option = "an areal mass (kg/m2)", "areal_mass_kg_m2"
    also = f" (same problem on {describe_positions(lines, 'line')})" if len(lines) > 1 else ""
    raise CalcError(
        f"BoQ line {lines[0]}: quantity in {UNITS[int(unit[first])]} of {name!r} needs "
        f"{need}, but neither the line ({option}) nor the factor table gives one; "
        f"give {option} for the line or the quantity in kg or t{also}",
        items=lines,
    )


def _bincount(index: IntArray, weights: FloatArray | None = None, minlength: int = 0) -> Any:
    return np.bincount(index, weights=weights, minlength=minlength)


def embodied_carbon(boq: BillOfQuantities) -> FloatArray:
    """Total embodied carbon per building, kgCO2e (shape ``(n_buildings,)``)."""
    return boq.building_kgco2e.copy()


def carbon_by_material(boq: BillOfQuantities) -> FloatArray:
    """Embodied carbon per building and material, kgCO2e, shape (n_buildings, n_materials).

    Columns follow ``boq.materials``.
    """
    n_materials = len(boq.materials)
    flat = _bincount(
        boq.building * n_materials + boq.material,
        weights=boq.kgco2e,
        minlength=boq.n_buildings * n_materials,
    )
    return flat.reshape(boq.n_buildings, n_materials)


def material_breakdown(boq: BillOfQuantities, building: int | None = None) -> dict[str, float]:
    """Embodied carbon by material, kgCO2e, largest first (one building, or all if None).

    Materials absent from the BoQ are left out.
    """
    if building is None:
        totals = _bincount(boq.material, weights=boq.kgco2e, minlength=len(boq.materials))
        present = _bincount(boq.material, minlength=len(boq.materials)) > 0
    else:
        if not 0 <= building < boq.n_buildings:
            raise CalcError(f"building: expected 0..{boq.n_buildings - 1}, got {building}")
        totals = carbon_by_material(boq)[building]
        mine = boq.building == building
        present = _bincount(boq.material[mine], minlength=len(boq.materials)) > 0
    pairs = [(boq.materials[i], float(totals[i])) for i in np.flatnonzero(present)]
    return dict(sorted(pairs, key=lambda item: -item[1]))


def concrete_volume_m3(boq: BillOfQuantities) -> FloatArray:
    """Concrete volume per building, m3: lines whose material category is ``concrete``.

    Lines given in m3 count as given; lines in kg or t are divided by the density.
    """
    _, _, _, is_concrete = boq.table.arrays()
    concrete = is_concrete[boq.material]
    volume = np.zeros(boq.quantity.shape)
    as_volume = concrete & (boq.unit == _M3)
    volume[as_volume] = boq.quantity[as_volume]
    by_mass = concrete & ~as_volume
    if by_mass.any():
        unknown = by_mass & np.isnan(boq.density_kg_m3)
        check(unknown, "density_kg_m3", "a density for concrete given by mass", noun="BoQ line")
        volume[by_mass] = boq.mass_kg[by_mass] / boq.density_kg_m3[by_mass]
    return boq.groups.sum(volume)


def carbon_intensity(kgco2e: npt.ArrayLike, gfa_m2: npt.ArrayLike) -> Any:
    """Embodied carbon intensity, kgCO2e/m2 of gross floor area (kgCO2e, m2)."""
    carbon = as_float(kgco2e, "kgco2e")
    area = as_float(gfa_m2, "gfa_m2")
    check_nonnegative(carbon, "kgco2e")
    check_positive(area, "gfa_m2")
    return result(carbon / area)


def carbon_reduction(design_kgco2e: npt.ArrayLike, reference_kgco2e: npt.ArrayLike) -> Any:
    """Reduction against a reference design, fraction ``1 - design / reference``.

    Both in kgCO2e (or both kgCO2e/m2); negative when the design emits more.
    """
    return savings_fraction(design_kgco2e, reference_kgco2e)


def concrete_usage_index(concrete_m3: npt.ArrayLike, floor_area_m2: npt.ArrayLike) -> Any:
    """Concrete Usage Index, m3/m2: superstructure concrete volume per constructed floor area."""
    volume = as_float(concrete_m3, "concrete_m3")
    area = as_float(floor_area_m2, "floor_area_m2")
    check_nonnegative(volume, "concrete_m3")
    check_positive(area, "floor_area_m2")
    return result(volume / area)
