"""One value of a project file's ``[inputs]`` read against the scheme's declaration of
that input: its kind (number, whole number, true/false, option), unit and range."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from greenmark.core.errors import UnitError
from greenmark.core.model import InputSpec
from greenmark.core.tomlfile import ShortText
from greenmark.core.units import convert


class Quantity(BaseModel):
    """A number with its unit, e.g. ``{ value = 85, unit = "kBtu/ft2/yr" }``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        strict=True,
        allow_inf_nan=False,
        defer_build=True,  # validators built on first use, not at import
    )

    value: float
    unit: ShortText = Field(min_length=1)


@dataclass(frozen=True)
class Reading:
    """A value read, or why not: ``message`` (at ``where`` below the input's own place);
    ``unit_error`` when the value's own unit does not convert (wrong whichever scheme)."""

    value: float | bool | str | None = None
    message: str | None = None
    where: tuple[str, ...] = ()
    unit_error: bool = False


def read_value(spec: InputSpec, raw: Any, unit: str | None = None) -> Reading:
    """``raw`` as ``spec`` declares it, converted to the input's unit. A plain number is in
    ``unit`` when given (the unit of the scheme it was entered for), else already in the
    input's own."""
    if spec.type == "boolean":
        if not isinstance(raw, bool):
            return Reading(message=f"expected true or false, got {raw!r}")
        return Reading(raw)
    if spec.type == "choice":
        if not isinstance(raw, str) or raw not in (spec.choices or ()):
            return Reading(message=f"expected one of: {', '.join(spec.choices or ())}; got {raw!r}")
        return Reading(raw)
    if isinstance(raw, bool | str):
        return Reading(message=f"expected a number in {spec.unit}, got {raw!r}")
    try:
        if isinstance(raw, Quantity):
            number = float(convert(raw.value, raw.unit, spec.unit))
        elif unit is not None and unit != spec.unit:
            number = float(convert(float(raw), unit, spec.unit))
        else:
            number = float(raw)
    except UnitError as exc:
        return Reading(message=exc.problems[0].message, where=("unit",), unit_error=True)
    if not math.isfinite(number):
        return Reading(message="expected a finite number")
    if spec.type == "integer" and not float(number).is_integer():
        return Reading(message=f"expected a whole number, got {number:g}")
    shown = "" if spec.unit in ("1", "") else f" {spec.unit}"
    if spec.min is not None and number < spec.min:
        return Reading(message=f"{number:g}{shown} is below the minimum {spec.min:g}{shown}")
    if spec.max is not None and number > spec.max:
        return Reading(message=f"{number:g}{shown} is above the maximum {spec.max:g}{shown}")
    return Reading(number)
