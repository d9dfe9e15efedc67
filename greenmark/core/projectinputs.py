"""A project's values checked against a scheme: converted to the scheme's units, carried
from another scheme where the vocabulary allows, with the calculators' results added
(:func:`resolve_inputs`), and its criteria ruled not applicable
(:func:`not_applicable_marks`).
"""

from __future__ import annotations

from typing import Any

from greenmark.core.crosswalk import carry_for, stage_choice
from greenmark.core.errors import Problem, ProjectError, UnitError
from greenmark.core.inputvalue import read_value
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject, Project, check_gfa, gross_floor_area
from greenmark.core.tomlfile import dotted
from greenmark.core.units import convert
from greenmark.core.vocabulary import building_type_in


def _ignore(location: tuple[Any, ...], message: str) -> None:  # a value for another scheme
    return None


def resolve_inputs(loaded: LoadedProject, scheme: Scheme) -> dict[str, Any]:
    """Check the project's values against the scheme and convert them to the scheme's units.

    Returns plain values for :func:`greenmark.core.engine.encode_inputs`: numbers in
    the scheme's unit, booleans, option names; raises :class:`ProjectError`
    listing every problem.
    """
    project = loaded.project
    problems: list[Problem] = []

    def problem(location: tuple[Any, ...], message: str) -> None:
        problems.append(
            Problem(message, loaded.display, dotted(location), loaded.lines.line_of(location))
        )

    values: dict[str, Any] = {}
    info = project.project
    carry = carry_for(info.scheme, loaded.path.parent, scheme)
    own_values = project.inputs_for.get(scheme.id, {})
    if info.building_type is not None:
        override = own_values.get("building_type")
        where_type: tuple[str, ...] = ("project", "building_type")
        if isinstance(override, str):
            building_type: str | None = override
            where_type = ("inputs_for", scheme.id, "building_type")
        else:
            building_type = building_type_in(scheme, info.building_type)
        types = scheme.scheme.building_types
        if building_type is None or (types and building_type not in types):
            problem(
                where_type,
                f"{building_type or info.building_type!r} is not a building type of scheme "
                f"{scheme.id} (expected one of: {', '.join(types)})"
                + (
                    f"; name it under [inputs_for.{scheme.id}] building_type"
                    if carry.foreign
                    else ""
                ),
            )
        values["building_type"] = building_type or info.building_type
    try:
        values["gfa"] = gross_floor_area(info)
        if values["gfa"] is not None:
            check_gfa(values["gfa"])
    except UnitError as exc:
        problem(("project", "gross_floor_area"), exc.problems[0].message)
    except ValueError as exc:
        problem(("project", "gross_floor_area"), str(exc))
    if project.fittings:  # a type the WELS table does not know
        from greenmark.calc.water import unknown_fitting_types

        for item, message in unknown_fitting_types([f.type for f in project.fittings]):
            problem(("fittings", item - 1, "type"), message)
    if "stage" not in project.inputs and (stage := stage_choice(scheme, info.stage)):
        values["stage"] = stage

    bad = problem if not carry.foreign else _ignore  # another scheme's values: left out
    for own_name, raw in project.inputs.items():
        name = carry.target(own_name)
        spec = scheme.inputs.get(name or "")
        if spec is None and carry.foreign:
            continue  # assessed against another scheme: no counterpart here (said once)
        if spec is None:
            known = ", ".join(sorted(scheme.inputs))
            bad(("inputs", own_name), f"scheme {scheme.id} has no input {name!r} (inputs: {known})")
            continue
        reading = read_value(spec, raw, carry.units.get(own_name))
        if reading.message is not None:
            report = problem if reading.unit_error else bad
            report(("inputs", own_name, *reading.where), reading.message)
            continue
        values[name or own_name] = reading.value
    for name, raw in own_values.items():  # values given for this scheme alone
        if name == "building_type":
            continue
        where = ("inputs_for", scheme.id, name)
        if (spec := scheme.inputs.get(name)) is None:
            problem(where, f"scheme {scheme.id} has no input {name!r}")
            continue
        reading = read_value(spec, raw)
        if reading.message is not None:
            problem((*where, *reading.where), reading.message)
        else:
            values[name] = reading.value

    if not problems:
        try:
            values.update(calculated_inputs(loaded, scheme, values.get("gfa")))
        except ProjectError as exc:
            problems.extend(exc.problems)

    criterion_ids = {c.id for c in scheme.criteria}
    for criterion_id in project.responses:
        if criterion_id not in criterion_ids and not carry.foreign:  # another scheme's ids: unused
            problem(
                ("responses", criterion_id), f"scheme {scheme.id} has no criterion {criterion_id!r}"
            )
    if problems:
        raise ProjectError(problems=problems)
    return values


def not_applicable_marks(project: Project) -> dict[str, bool]:
    """Criteria the assessor marked not applicable."""
    return {cid: True for cid, response in project.responses.items() if response.not_applicable}


def calculated_inputs(
    loaded: LoadedProject, scheme: Scheme, gfa_m2: float | None
) -> dict[str, float]:
    """Values of the scheme's calculated inputs that the project does not give directly.

    Each is computed from the project's tables (facades, BoQ, fittings) by the
    calculator the scheme names, then converted to the input's unit. An input
    whose table is empty stays missing (its criteria are "not assessed").
    """
    from greenmark.calc.errors import CalcError
    from greenmark.calc.registry import calculate, table_of

    project = loaded.project
    found: dict[str, float] = {}
    for name, spec in scheme.inputs.items():
        if spec.calculator is None or name in project.inputs:
            continue
        try:
            calculated = calculate(spec.calculator, project, gfa_m2)
        except CalcError as exc:
            table = table_of(spec.calculator)
            location: tuple[str | int, ...] = (table, exc.items[0] - 1) if exc.items else (table,)
            raise ProjectError(
                problems=[
                    Problem(
                        f"{name} (calculator {spec.calculator}): {problem.message}",
                        loaded.display,
                        dotted(location),
                        loaded.lines.line_of(location),
                    )
                    for problem in exc.problems
                ]
            ) from None
        if calculated is not None:
            value, unit = calculated
            found[name] = float(convert(value, unit, spec.unit))
    return found
