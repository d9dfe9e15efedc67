"""The assessment report's charts (facades, embodied carbon, EUI, points) and its
sensitivity table: data from a prepared project, drawn by :mod:`greenmark.reports.charts`."""

from __future__ import annotations

from typing import Any

import numpy as np

from greenmark.reports.prepared import Prepared, value_text
from greenmark.reports.text import fmt_number, pretty_unit


def _facade_values(prepared: Prepared) -> tuple[str, list[Any], float | None, float | None]:
    """(``ETTV``/``RETV``, per-facade bars, limit W/m2, building value W/m2)."""
    from greenmark.calc.envelope import building_ettv, correction_factors, ettv, retv
    from greenmark.calc.envelope import ettv_limit as table_ettv_limit
    from greenmark.calc.envelope import retv_limit as table_retv_limit
    from greenmark.reports.charts import Bar

    scheme = prepared.scored.scheme
    facades = prepared.scored.loaded.project.facades
    uses_retv = "retv" in scheme.inputs or any(
        s.calculator == "retv" for s in scheme.inputs.values()
    )
    kind = "retv" if uses_retv else "ettv"
    wall = np.array([f.wall_area for f in facades], dtype=np.float64)
    cf = correction_factors(
        [f.orientation for f in facades], np.array([f.pitch for f in facades], dtype=np.float64)
    )
    values = (retv if uses_retv else ettv)(
        wwr=np.array([f.window_area for f in facades], dtype=np.float64) / wall,
        u_wall=[f.wall_u for f in facades],
        u_fen=[f.window_u for f in facades],
        cf=cf,
        sc1=[f.sc1 for f in facades],
        sc2=[f.sc2 for f in facades],
    )
    values = np.atleast_1d(values)
    constant = scheme.constants.get(f"{kind}_limit")
    if constant is not None:
        limit: float | None = float(constant.value)
    else:
        limit = float(table_retv_limit() if uses_retv else table_ettv_limit())
    bars = [
        Bar(f.name or str(f.orientation), float(v)) for f, v in zip(facades, values, strict=True)
    ]
    return kind.upper(), bars, limit, float(building_ettv(values, wall))


def _carbon_values(prepared: Prepared) -> list[Any]:
    from greenmark.calc.carbon import bill_of_quantities, material_breakdown
    from greenmark.calc.tables import embodied_carbon_table
    from greenmark.reports.charts import Bar

    lines = prepared.scored.loaded.project.boq
    boq = bill_of_quantities(
        [line.material for line in lines],
        [line.quantity for line in lines],
        [line.unit for line in lines],
        density_kg_m3=[np.nan if line.density is None else line.density for line in lines],
        areal_mass_kg_m2=[np.nan if line.areal_mass is None else line.areal_mass for line in lines],
    )
    table = embodied_carbon_table()
    bars = []
    for key, kgco2e in material_breakdown(boq, 0).items():
        material = table.materials.get(key)
        label = _material_label(material.description) if material else key.replace("_", " ")
        bars.append(Bar(label, kgco2e / 1000.0))
    return bars


def _material_label(description: str, limit: int = 38) -> str:
    """A short material name: the description before any ``(``, cut at a comma if long."""
    label = description.split(" (")[0].strip()
    while len(label) > limit and "," in label:
        label = label.rsplit(",", 1)[0].strip()
    return label


def _eui_values(prepared: Prepared) -> tuple[float, list[Any], str] | None:
    """The building's EUI and the scheme's EUI thresholds for its building type."""
    from greenmark.reports.charts import Bar

    scheme = prepared.scored.scheme
    eui = prepared.values.get("eui")
    spec = scheme.inputs.get("eui")
    if spec is None or not isinstance(eui, int | float) or isinstance(eui, bool):
        return None
    types = [t for t in scheme.scheme.building_types]
    building_type = prepared.values.get("building_type")
    bars = []
    for name, constant in scheme.constants.items():
        if not name.startswith("eui_") or constant.unit != spec.unit:
            continue
        own = [t for t in types if name.endswith(f"_{t}")]
        if own and building_type not in own:
            continue
        label = " ".join((constant.label or name).split())
        if len(label) > 44:
            label = label[:43] + "…"
        bars.append(Bar(label + ("" if constant.verified else " *"), float(constant.value)))
    reference = prepared.values.get("eui_reference")
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        bars.append(Bar("Reference building (input)", float(reference)))
    if not bars:
        return None
    return float(eui), bars, pretty_unit(spec.unit)


def _no_charts() -> dict[str, Any]:
    """The ``charts`` block with every chart absent (every key present: StrictUndefined)."""
    return {
        "sections": None,
        "envelope": None,
        "envelope_kind": "",
        "carbon": None,
        "eui": None,
        "sensitivity": None,
        "notes": {"envelope": "", "carbon": "", "eui": False},
    }


def _charts(prepared: Prepared, movers: list[dict[str, Any]]) -> dict[str, Any]:
    """Inline SVG charts (None when not applicable) and their notes; ``movers`` is the
    sensitivity block."""
    from greenmark.calc.errors import CalcError
    from greenmark.reports import charts

    result = prepared.scored.result
    project = prepared.scored.loaded.project
    out = _no_charts()
    out["sections"] = charts.sections_chart(
        [
            {
                "title": s.title,
                "points": s.points,
                "max_points": s.max_points,
                "bonus_points": s.bonus_points,
                "percent": s.percent,
            }
            for s in result.sections
        ],
        percent=result.scoring == "percent",
    )
    if project.facades:
        try:
            kind, bars, limit, average = _facade_values(prepared)
            out["envelope"] = charts.envelope_chart(bars, limit, quantity=kind, average=average)
            out["notes"]["envelope"] = f"{kind} per facade; limit {fmt_number(limit)} W/m²"
            out["envelope_kind"] = kind
        except CalcError as exc:
            out["notes"]["envelope"] = f"facade chart not drawn: {exc}"
    if project.boq:
        try:
            out["carbon"] = charts.carbon_chart(_carbon_values(prepared))
        except CalcError as exc:
            out["notes"]["carbon"] = f"embodied-carbon chart not drawn: {exc}"
    eui = _eui_values(prepared)
    if eui is not None:
        out["eui"] = charts.eui_chart(eui[0], eui[1], unit=eui[2])
        out["notes"]["eui"] = any(b.label.endswith(" *") for b in eui[1])
    if movers:
        out["sensitivity"] = charts.sensitivity_chart(
            [(m["label"], m["max_gain"], m["max_loss"]) for m in movers]
        )
    return out


SENSITIVITY_ROWS = 10  # inputs shown in the report's sensitivity table and chart


def _sensitivity_block(prepared: Prepared) -> list[dict[str, Any]]:
    """The inputs that move the total most, ranked by the most they can add."""
    from greenmark.design.sensitivity import project_sensitivity

    scored = prepared.scored
    ranked = [
        s
        for s in project_sensitivity(scored.loaded, scored.scheme)
        if s.max_gain > 1e-9 or s.max_loss < -1e-9
    ]
    ranked.sort(key=lambda s: (-s.max_gain, s.max_loss, s.input))
    unit = "%" if scored.result.scoring == "percent" else "points"
    return [
        {
            "input": s.input,
            "label": s.label,
            "unit": pretty_unit(s.unit),
            "current": value_text(s.current),
            "slope": None if s.slope is None else fmt_number(s.slope, 3),
            "next_change": None if s.next_change is None else fmt_number(s.next_change, 3),
            "next_value": None if s.next_value is None else value_text(s.next_value),
            "max_gain": s.max_gain,
            "best_value": None if s.best_value is None else value_text(s.best_value),
            "max_loss": s.max_loss,
            "total_unit": unit,
        }
        for s in ranked[:SENSITIVITY_ROWS]
    ]
