"""What a measure does to one project: the measure bound to it (its cost and effects),
the table rows it selects, the changed tables and the calculated inputs they give."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from greenmark.calc.registry import calculate
from greenmark.core.edits import round_significant
from greenmark.core.errors import GreenmarkError
from greenmark.core.formula import Formula, compile_formula
from greenmark.core.model import Scheme
from greenmark.core.project import (
    BoqLine,
    Project,
)
from greenmark.core.units import convert
from greenmark.design.measures import (
    FACADE_READS,
    FITTING_READS,
    Measure,
)

Array = np.ndarray


TABLES = ("facades", "boq", "fittings")


class DesignerError(GreenmarkError):
    """A measure cannot be applied to this project, or a plan cannot be made."""


@dataclass(frozen=True)
class BoundEffect:
    """One input effect ready to run column-wise (``set`` values already encoded)."""

    input: str
    formula: Formula | None
    value: float
    if_missing: float | None
    lo: float
    hi: float
    integer: bool


@dataclass
class BoundMeasure:
    """A catalogue measure that applies to this project, with its cost (currency units)."""

    measure: Measure
    position: int  # position in the catalogue (the order effects apply in)
    cost: float
    effects: list[BoundEffect]
    tables: tuple[str, ...]  # table effects that change a calculated input here
    rows: dict[str, list[int]]  # table -> rows the table effect changes
    scalars: dict[str, float]  # params, constants and project quantities
    fallback_used: bool = False
    touches: tuple[str, ...] = ()  # scheme inputs it can change

    @property
    def id(self) -> str:
        return self.measure.id

    @property
    def title(self) -> str:
        return self.measure.title


@dataclass(frozen=True)
class Change:
    """One input a design changes: values in the scheme's unit (``None``: not given)."""

    input: str
    label: str
    unit: str
    before: Any
    after: Any


def _facade_heat_gain(project: Project) -> Array:
    """ETTV x gross wall area per facade, W (to find the worst facade)."""
    from greenmark.calc.envelope import correction_factors, ettv

    facades = project.facades
    wall = np.array([f.wall_area for f in facades], dtype=np.float64)
    cf = correction_factors(
        [f.orientation for f in facades], np.array([f.pitch for f in facades], dtype=float)
    )
    per_facade = ettv(
        wwr=np.array([f.window_area for f in facades]) / wall,
        u_wall=[f.wall_u for f in facades],
        u_fen=[f.window_u for f in facades],
        cf=cf,
        sc1=[f.sc1 for f in facades],
        sc2=[f.sc2 for f in facades],
    )
    return np.asarray(per_facade, dtype=np.float64) * wall


def select_rows(project: Project, measure: Measure) -> dict[str, list[int]]:
    """Rows of each project table that ``measure`` changes (0-based)."""
    from greenmark.calc.envelope import OCTANTS, octant_index
    from greenmark.calc.tables import embodied_carbon_table

    rows: dict[str, list[int]] = {}
    if measure.facades is not None:
        facades = project.facades
        select = measure.facades.select
        if not facades:
            rows["facades"] = []
        elif select == "all":
            rows["facades"] = list(range(len(facades)))
        elif select == "worst":
            rows["facades"] = [int(np.argmax(_facade_heat_gain(project)))]
        else:
            wanted = {OCTANTS.index(o.upper()) for o in select}
            codes = np.atleast_1d(octant_index([f.orientation for f in facades]))
            rows["facades"] = [i for i, c in enumerate(codes.tolist()) if c in wanted]
    if measure.fittings is not None:
        kind = measure.fittings.type.lower()
        rows["fittings"] = [i for i, f in enumerate(project.fittings) if f.type.lower() == kind]
    if measure.boq is not None:
        table = embodied_carbon_table()
        wanted_codes = {table.code_of(m) for m in measure.boq.materials}
        rows["boq"] = [
            i for i, line in enumerate(project.boq) if table.code_of(line.material) in wanted_codes
        ]
    return rows


def _field_values(
    items: Sequence[Any],
    fields: Mapping[str, float | str],
    reads: tuple[str, ...],
    scalars: Mapping[str, float],
) -> dict[str, Array]:
    """New values of ``fields`` for ``items`` (NaN: leave the field as it is)."""
    env: dict[str, Any] = dict(scalars)
    for name in reads:
        env[name] = np.array(
            [np.nan if getattr(it, name) is None else float(getattr(it, name)) for it in items],
            dtype=np.float64,
        )
    out: dict[str, Array] = {}
    for name, rule in fields.items():
        if isinstance(rule, str):
            out[name] = np.asarray(
                compile_formula(rule, set(env))(env, len(items)), dtype=np.float64
            )
        else:
            out[name] = np.full(len(items), float(rule))
    return out


def apply_table_effects(
    project: Project,
    measures: Sequence[BoundMeasure],
    log: list[tuple[str, Any, Any]] | None = None,
) -> Project:
    """A copy of ``project`` with the table effects of ``measures`` made, in the given order.

    Facade and fitting fields are set on the selected rows (a formula result of NaN
    leaves the field alone; shading coefficients are kept within 0..1). A BoQ effect
    keeps ``1 - share`` of each matched line and adds a line of the replacement
    material with the rest (a second effect on the same lines acts on what remains).
    ``log`` collects ``(field, old, new)`` for the project's history. New values are
    rounded to 6 significant digits, as a person would write them in the file.
    """
    facades = list(project.facades)
    fittings = list(project.fittings)
    boq = list(project.boq)
    for bound in measures:
        spec = bound.measure
        if "facades" in bound.tables and spec.facades is not None:
            rows = bound.rows["facades"]
            new = _field_values(
                [facades[r] for r in rows], spec.facades.set, FACADE_READS, bound.scalars
            )
            for k, r in enumerate(rows):
                update: dict[str, float] = {}
                for name, values in new.items():
                    value = float(values[k])
                    if math.isnan(value):
                        continue
                    value = min(max(value, 0.0), 1.0) if name.startswith("sc") else max(value, 1e-6)
                    value = round_significant(value)
                    if value != getattr(facades[r], name):
                        update[name] = value
                        if log is not None:
                            log.append((f"facades[{r}].{name}", getattr(facades[r], name), value))
                if update:
                    facades[r] = facades[r].model_copy(update=update)
        if "fittings" in bound.tables and spec.fittings is not None:
            rows = bound.rows["fittings"]
            new = _field_values(
                [fittings[r] for r in rows], spec.fittings.set, FITTING_READS, bound.scalars
            )
            for k, r in enumerate(rows):
                update = {}
                for name, values in new.items():
                    value = float(values[k])
                    if math.isnan(value):
                        continue
                    value = round_significant(max(value, 0.0))
                    if value != getattr(fittings[r], name):
                        update[name] = value
                        if log is not None:
                            log.append((f"fittings[{r}].{name}", getattr(fittings[r], name), value))
                if update:
                    fittings[r] = fittings[r].model_copy(update=update)
        if "boq" in bound.tables and spec.boq is not None:
            share = spec.boq.share
            for r in bound.rows["boq"]:
                line = boq[r]
                moved = round_significant(line.quantity * share)
                kept = round_significant(line.quantity - moved)
                boq[r] = line.model_copy(update={"quantity": kept})
                boq.append(
                    BoqLine(
                        material=spec.boq.replace_with,
                        quantity=moved,
                        unit=line.unit,
                        density=line.density,
                        areal_mass=line.areal_mass,
                        element=line.element,
                        description=f"designer: {spec.id} (from {line.material})",
                    )
                )
                if log is not None:
                    log.append((f"boq[{r}].quantity", line.quantity, kept))
                    log.append(
                        (
                            f"boq[{len(boq) - 1}]",
                            None,
                            f"{moved:g} {line.unit} {spec.boq.replace_with}",
                        )
                    )
    return project.model_copy(update={"facades": facades, "fittings": fittings, "boq": boq})


def calculated_values(
    project: Project, scheme: Scheme, names: Sequence[str], gfa: float | None
) -> list[float]:
    """Calculated inputs ``names`` of ``project`` in the scheme's units (NaN when none)."""
    out = []
    for name in names:
        spec = scheme.inputs[name]
        assert spec.calculator is not None
        found = calculate(spec.calculator, project, gfa)
        out.append(float("nan") if found is None else float(convert(found[0], found[1], spec.unit)))
    return out


def differs(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return abs(a - b) > 1e-9 * (1.0 + abs(b))


def evaluate_scalar(source: str, scalars: Mapping[str, float]) -> float:
    formula = compile_formula(source)
    env = {k: np.array([v]) for k, v in scalars.items()}
    try:
        return float(np.asarray(formula(env, 1), dtype=np.float64)[0])
    except KeyError:
        return math.nan
