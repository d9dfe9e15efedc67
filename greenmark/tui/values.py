"""Values in the assessor's fields: parsing (shared with the command line, in
:mod:`greenmark.core.edits`) and formatting stored values for editing and display.

Messages match :func:`greenmark.core.projectinputs.resolve_inputs`, so the UI refuses
exactly what the scorer would refuse, and says so in the same words.
"""

from __future__ import annotations

from typing import Any

from greenmark.core.edits import (
    Refused,
    area_text,
    check_range,
    number_text,
    parse_gfa,
    parse_input,
    pretty_unit,
    split_number,
    unit_text,
)
from greenmark.core.explain import fmt
from greenmark.core.project import Quantity

__all__ = [
    "Refused",
    "area_text",
    "check_range",
    "edit_text",
    "number_text",
    "parse_gfa",
    "parse_input",
    "pretty_unit",
    "show_value",
    "split_number",
    "unit_text",
]


def edit_text(value: Any) -> str:
    """A stored value as text for an input field (empty when not given)."""
    if value is None:
        return ""
    if isinstance(value, Quantity):
        return f"{number_text(value.value)} {value.unit}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(float(value))
    return str(value)


def show_value(value: Any, unit: str = "") -> str:
    """A value for display (history, messages): ``not given`` for None."""
    if value is None:
        return "not given"
    if isinstance(value, Quantity):
        return f"{fmt(value.value)} {value.unit}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        suffix = unit_text(unit)
        return f"{fmt(float(value))}{' ' + suffix if suffix else ''}"
    return str(value)
