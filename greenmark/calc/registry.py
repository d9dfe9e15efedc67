"""Calculators that fill scheme inputs from a project's tables (facades, BoQ, fittings).

A scheme input may say ``calculator = "ettv"``: when the project does not give
the value directly, it is computed here from the project's ``[[facades]]``,
``[[boq]]`` or ``[[fittings]]`` tables with the numpy calculators of this package.
A table with nothing in it (no rows, or BoQ quantities all 0) gives no value, so the
input's criteria are "not assessed" (with :func:`not_calculated_reason`), never full marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from greenmark.calc.carbon import (
    BillOfQuantities,
    bill_of_quantities,
    concrete_volume_m3,
    embodied_carbon,
)
from greenmark.calc.envelope import building_ettv, correction_factors, ettv, retv
from greenmark.calc.water import wels_ticks

#: name -> (unit of the result, what it needs, description)
CALCULATORS: dict[str, tuple[str, str, str]] = {
    "ettv": ("W/m2", "facades", "building ETTV, facades weighted by gross wall area"),
    "retv": ("W/m2", "facades", "building RETV, facades weighted by gross wall area"),
    "window_to_wall_ratio": ("1", "facades", "glazed area over gross wall area"),
    "embodied_carbon_intensity": (
        "kgCO2e/m2",
        "boq",
        "embodied carbon (A1-A3) of the bill of quantities per m2 GFA",
    ),
    "embodied_carbon_total": ("kgCO2e", "boq", "embodied carbon (A1-A3) of the bill of quantities"),
    "concrete_usage_index": ("m3/m2", "boq", "m3 of superstructure concrete per m2 of GFA"),
}


@lru_cache(maxsize=1)
def calculator_names() -> tuple[str, ...]:
    """Every calculator name a scheme input may use (WELS ticks per fitting type included)."""
    from greenmark.calc.water import wels_fitting_types

    names = list(CALCULATORS)
    names += [f"wels_ticks.{t}" for t in wels_fitting_types()]
    return tuple(names)


def table_of(name: str) -> str:
    """The project table a calculator reads (``facades``, ``boq`` or ``fittings``)."""
    if name.startswith("wels_ticks."):
        return "fittings"
    return CALCULATORS[name][1]


class _Tables(Protocol):
    """What a calculator reads from a project: its facades, BoQ lines and fittings."""

    @property
    def facades(self) -> Sequence[Any]: ...

    @property
    def boq(self) -> Sequence[Any]: ...

    @property
    def fittings(self) -> Sequence[Any]: ...


def project_boq(lines: Sequence[Any]) -> BillOfQuantities:
    """The bill of quantities of a project's ``[[boq]]`` rows (one building)."""
    return bill_of_quantities(
        [line.material for line in lines],
        [line.quantity for line in lines],
        [line.unit for line in lines],
        density_kg_m3=[np.nan if line.density is None else line.density for line in lines],
        areal_mass_kg_m2=[np.nan if line.areal_mass is None else line.areal_mass for line in lines],
    )


def superstructure_concrete_m3(lines: Sequence[Any]) -> float:
    """Concrete in the superstructure, m3: the rows not marked ``element = "substructure"``."""
    above = [line for line in lines if line.element == "superstructure"]
    return float(concrete_volume_m3(project_boq(above))[0]) if above else 0.0


def not_calculated_reason(name: str, gfa_known: bool = True) -> str:
    """Why calculator ``name`` gave no value, in plain words (for a "not assessed" reason
    that clients read too: no table syntax, no expressions).

    ``gfa_known``: whether the project gives its gross floor area (m2).
    """
    table = table_of(name)
    if name.startswith("wels_ticks."):
        kind = name.split(".", 1)[1].replace("_", " ")
        return f"the fittings schedule lists no {kind}"
    if table == "facades":
        return "the facade schedule is empty"
    if name != "embodied_carbon_total" and not gfa_known:
        return "no gross floor area to divide the bill of quantities by"
    if name == "concrete_usage_index":
        return (
            "the bill of quantities has no superstructure concrete above 0 m3 "
            "(no rows, or only rows of 0)"
        )
    return "the bill of quantities has no quantity above 0 (no rows, or only rows of 0)"


def calculate(name: str, project: _Tables, gfa_m2: float | None) -> tuple[float, str] | None:
    """``(value, unit)`` of calculator ``name`` for one project, or None when there is
    nothing to calculate from (:func:`not_calculated_reason` says why): an empty table, a
    BoQ whose quantities are all 0 (or, for the concrete usage index, no superstructure
    concrete above 0 m3), or no GFA for a per-m2 value. Empty is never scored as perfect.

    Raises :class:`~greenmark.calc.errors.CalcError` (with 1-based ``items``) on bad rows.
    """
    if name in ("ettv", "retv", "window_to_wall_ratio"):
        facades = project.facades
        if not facades:
            return None
        wall = np.array([f.wall_area for f in facades], dtype=np.float64)
        wwr = np.array([f.window_area for f in facades], dtype=np.float64) / wall
        if name == "window_to_wall_ratio":
            return float(wwr @ wall / wall.sum()), "1"
        cf = correction_factors(
            [f.orientation for f in facades], np.array([f.pitch for f in facades], dtype=float)
        )
        per_facade = (ettv if name == "ettv" else retv)(
            wwr=wwr,
            u_wall=[f.wall_u for f in facades],
            u_fen=[f.window_u for f in facades],
            cf=cf,
            sc1=[f.sc1 for f in facades],
            sc2=[f.sc2 for f in facades],
        )
        return float(building_ettv(per_facade, wall)), "W/m2"
    if name in ("embodied_carbon_intensity", "embodied_carbon_total", "concrete_usage_index"):
        lines = project.boq
        if not lines or (name != "embodied_carbon_total" and not gfa_m2):
            return None
        if name == "concrete_usage_index":  # substructure rows are left out
            concrete = superstructure_concrete_m3(lines)
            cui = concrete / float(gfa_m2 or 1)
            if not cui > 0:  # an empty, all-zero (or vanishingly small) BoQ is not a perfect one
                return None
            return cui, "m3/m2"
        total = float(embodied_carbon(project_boq(lines))[0])
        if not any(line.quantity > 0 for line in lines):
            return None
        if name == "embodied_carbon_total":
            return total, "kgCO2e"
        return total / float(gfa_m2 or 1), "kgCO2e/m2"
    if name.startswith("wels_ticks."):
        fitting_type = name.split(".", 1)[1]
        rows = [f for f in project.fittings if f.type.lower() == fitting_type]
        if not rows:
            return None
        ticks = wels_ticks(
            fitting_type,
            [f.rating for f in rows],
            reduced_flush=[np.nan if f.reduced_flush is None else f.reduced_flush for f in rows]
            if any(f.reduced_flush is not None for f in rows)
            else None,
        )
        return float(np.min(ticks)), "tick"
    raise KeyError(name)
