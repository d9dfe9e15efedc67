"""The provisional values a result relies on: scheme constants and factor-table values
marked ``verified = false`` that the scored criteria, gates and tiers actually read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenmark.core.errors import GreenmarkError
from greenmark.reports.text import fmt_number, pretty_unit

if TYPE_CHECKING:  # a type only: prepared.py imports this module
    from greenmark.reports.prepared import Prepared


def _formula_names(formula: Any) -> frozenset[str]:
    return formula.names if formula is not None else frozenset()


def relied_names(prepared: Prepared) -> set[str]:
    """Names (inputs, constants, derived quantities, metrics) the result was computed from."""
    from greenmark.core.engine import GateStatus, Status

    scores = prepared.scored.scores
    compiled = scores.compiled
    names: set[str] = set()
    for c, criterion in enumerate(compiled.criteria):
        names |= _formula_names(criterion.applies)
        if int(scores.status[0, c]) != Status.NOT_APPLICABLE:
            names |= _formula_names(criterion.expression)
            if criterion.choice_input:
                names.add(criterion.choice_input)
    for g, gate in enumerate(compiled.gates):
        names |= _formula_names(gate.applies)
        if int(scores.gate_status[0, g]) != GateStatus.NOT_APPLICABLE:
            names |= _formula_names(gate.condition)
    for condition in [*compiled.tier_conditions, *compiled.badges]:
        if condition is not None:
            names |= _formula_names(condition.condition) | _formula_names(condition.applies)
    formulas = dict(compiled.derived) | dict(compiled.metrics)
    pending = list(names)
    while pending:
        name = pending.pop()
        formula = formulas.get(name)
        if formula is None:
            continue
        for new in formula.names - names:
            names.add(new)
            pending.append(new)
    return names


def provisional_values(prepared: Prepared) -> list[dict[str, Any]]:
    """Every value the scheme marks unverified, and whether this result relied on it."""
    from greenmark.core.scheme import unverified_constants

    scheme = prepared.scored.scheme
    result = prepared.scored.result
    used = relied_names(prepared)
    criteria = {c.id: c.status for c in result.criteria}
    gates = {g.id: g.status for g in result.gates}
    rows = []
    for where, source in unverified_constants(scheme):
        kind, _, key = where.partition(".")
        value = ""
        label = ""
        if kind == "constants":
            constant = scheme.constants[key]
            value = fmt_number(constant.value, 4, pretty_unit(constant.unit))
            label = constant.label
            relied = key in used
        elif kind == "criteria":
            relied = criteria.get(key) not in ("not_applicable", "not_assessed", None)
            label = next((c.title for c in scheme.criteria if c.id == key), "")
        elif kind == "gates":
            relied = gates.get(key) in ("passed", "failed")
            label = next((g.title for g in scheme.gates if g.id == key), "")
        else:
            relied = True
            items = scheme.tiers if kind == "tiers" else scheme.badges
            label = next((item.title for item in items if item.id == key), "")
        rows.append(
            {
                "where": where,
                "label": label,
                "value": value,
                "source": source,
                "relied_on": relied,
            }
        )
    rows.extend(_provisional_factors(prepared))
    return rows


def _provisional_factors(prepared: Prepared) -> list[dict[str, Any]]:
    """Unverified factor-table values behind inputs computed from the project's tables."""
    from greenmark.calc.tables import embodied_carbon_table, envelope_table

    scheme = prepared.scored.scheme
    project = prepared.scored.loaded.project
    calculators = {
        spec.calculator
        for name, spec in scheme.inputs.items()
        if spec.calculator and name not in project.inputs and name in prepared.values
    }
    rows: list[dict[str, Any]] = []

    def add(where: str, label: str, record: Any) -> None:
        if not record.verified:
            rows.append(
                {
                    "where": f"factors: {where}",
                    "label": label,
                    "value": fmt_number(record.value, 4, pretty_unit(record.unit)),
                    "source": record.source,
                    "relied_on": True,
                }
            )

    try:
        for kind in ("ettv", "retv"):
            if kind in calculators:
                formula = getattr(envelope_table(), kind)
                for part in ("a", "b", "c", "limit"):
                    add(f"envelope.{kind}.{part}", f"{kind.upper()} {part}", getattr(formula, part))
        if calculators & {"embodied_carbon_intensity", "embodied_carbon_total"}:
            table = embodied_carbon_table()
            keys = {_material_key(table, line.material) for line in project.boq}
            for key in sorted(k for k in keys if k):
                material = table.materials[key]
                add(f"embodied-carbon.{key}.factor", material.description, material.factor)
    except (GreenmarkError, KeyError, AttributeError):  # pragma: no cover - validated when scored
        return rows
    return rows


def _material_key(table: Any, name: str) -> str | None:
    wanted = name.strip().lower()
    for key, material in table.materials.items():
        if wanted == key.lower() or wanted in (a.lower() for a in material.aliases):
            return str(key)
    return None
