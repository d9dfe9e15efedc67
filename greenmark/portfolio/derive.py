"""Values a mapping derives instead of reading one column as it is: formulas over columns
with units, and numbers (or words) extracted from free text by a pattern.

Formulas use the project's safe formula compiler (:mod:`greenmark.core.formula`,
never ``eval``). Units are checked once, when the mapping is bound: every
variable is converted to SI base units, the formula is evaluated once on pint
quantities to find the unit of its result (adding kWh to ft² is refused there,
with the reason), and the result is converted to the unit the mapping states.
Per chunk, the formula then runs on plain float arrays.

Extraction patterns are RE2 (Arrow's regex engine), matched case-insensitively
anywhere in the cell; the first capture group is the value, a cell that does
not match is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.errors import UnitError
from greenmark.core.formula import Formula, compile_formula
from greenmark.core.units import parse_unit, registry
from greenmark.portfolio.cells import ProblemSet, read_numbers, text_array


@dataclass(frozen=True)
class VariablePlan:
    """One column a formula reads: where it is, how to read it, its scale to SI base units."""

    name: str
    column: str
    unit: str
    to_base: float  # SI base value = file value * to_base
    missing: tuple[str, ...]
    thousands: str
    decimal: str
    default: float | None = None  # used where the cell is missing (in ``unit``)


def base_scale(unit: str) -> float:
    """Factor from ``unit`` to SI base units; :class:`UnitError` for units with an offset."""
    ureg = registry()
    parsed = parse_unit(unit)
    if ureg.Quantity(0.0, parsed).to_base_units().magnitude != 0:
        raise UnitError(f"{unit!r} has an offset (like °C): use an absolute unit such as K")
    return float(ureg.Quantity(1.0, parsed).to_base_units().magnitude)


def compile_checked(source: str, variables: Mapping[str, str]) -> Formula:
    """Compile ``source`` over the names of ``variables``; :class:`FormulaError` says why not."""
    return compile_formula(source, allowed_names=set(variables))


def result_scale(source: str, variables: Mapping[str, str], to_unit: str) -> float:
    """Factor from the formula's result (variables in SI base units) to ``to_unit``.

    ``variables`` maps each name to its unit. Raises :class:`UnitError` when the
    units do not add up or the result is not convertible to ``to_unit``.
    """
    import pint

    formula = compile_checked(source, variables)
    ureg = registry()
    env = {
        name: ureg.Quantity(np.ones(1), parse_unit(unit)).to_base_units()
        for name, unit in variables.items()
    }
    try:
        with np.errstate(all="ignore"):
            result = formula._evaluate(env)
    except pint.DimensionalityError as exc:
        raise UnitError(f"the units in the formula do not add up: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise UnitError(f"the formula cannot be checked for units: {exc}") from None
    units = getattr(result, "units", ureg.dimensionless)
    target = parse_unit(to_unit)
    try:
        return float(ureg.Quantity(1.0, units).to(target).magnitude)
    except pint.DimensionalityError:
        found = ureg.Quantity(1.0, units).to_base_units().units
        raise UnitError(
            f"the formula gives {found:~P} ({ureg.Quantity(1.0, units).dimensionality}), "
            f"which is not convertible to {to_unit!r} ({target.dimensionality})"
        ) from None


def evaluate(
    source: str,
    variables: tuple[VariablePlan, ...],
    scale: float,
    batch: pa.RecordBatch | pa.Table,
    problems: list[ProblemSet],
) -> np.ndarray:
    """The formula per row, in the mapping's unit for it (NaN where a variable is missing).

    Bad cells of a variable's column are problems of that column.
    """
    names = batch.schema.names
    env: dict[str, np.ndarray] = {}
    for variable in variables:
        values, _ = read_numbers(
            batch.column(names.index(variable.column)),
            variable.column,
            variable.missing,
            variable.thousands,
            variable.decimal,
            problems,
        )
        if variable.default is not None:
            values = np.where(np.isnan(values), variable.default, values)
        env[variable.name] = values * variable.to_base
    formula = compile_checked(source, {v.name: v.unit for v in variables})
    result = np.asarray(formula(env, batch.num_rows), dtype=np.float64) * scale
    return np.where(np.isfinite(result), result, np.nan)


def check_pattern(pattern: str) -> None:
    """Raise ``ValueError`` unless ``pattern`` is an RE2 pattern with exactly one capture
    group (named or not)."""
    try:
        groups = re.compile(pattern).groups
    except re.error as exc:
        raise ValueError(f"not a valid pattern: {exc}") from None
    if groups != 1:
        raise ValueError(
            f"the pattern needs exactly one capture group (…) around the value, has {groups}"
        )
    try:
        pc.match_substring_regex(pa.array([""]), _anchored(pattern))
    except pa.ArrowInvalid as exc:
        raise ValueError(f"not a valid RE2 pattern: {exc}") from None


def _anchored(pattern: str) -> str:
    return f"(?is)^.*?(?:{pattern}).*$"


def extract(column: pa.Array | pa.ChunkedArray, pattern: str) -> pa.Array:
    """The first capture group of ``pattern`` in each cell (null where it does not match)."""
    text = text_array(column)
    anchored = _anchored(pattern)
    found = pc.fill_null(pc.match_substring_regex(text, anchored), False)
    captured = pc.replace_substring_regex(text, anchored, r"\1")
    return pc.if_else(found, captured, pa.scalar(None, pa.string()))
