"""Parse what the assessor types into project values, and format stored values for editing.

Messages match :func:`greenmark.core.project.resolve_inputs`, so the UI refuses exactly what the
scorer would refuse, and says so in the same words.
"""

from __future__ import annotations

import math
import re
from typing import Any

from greenmark.core.errors import UnitError
from greenmark.core.explain import fmt
from greenmark.core.model import InputSpec
from greenmark.core.project import Quantity
from greenmark.core.units import convert


class Refused(ValueError):
    """A value the assessor typed that cannot be stored; the message says why."""


_NUMBER = re.compile(r"^([-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}


def unit_text(unit: str) -> str:
    """A unit for display: empty for dimensionless."""
    return "" if unit in ("", "1", "-") else unit


def split_number(text: str) -> tuple[float, str]:
    """``"41.5 W/m2"`` -> ``(41.5, "W/m2")``; raises :class:`Refused` when no number leads."""
    match = _NUMBER.match(text.strip())
    if not match:
        raise Refused(f"expected a number, got {text.strip()!r}")
    digits = match[1].replace("_", "")
    if "," in digits:
        if not re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?([eE][-+]?\d+)?", digits):
            raise Refused(f"expected a number, got {text.strip()!r} (use '.' for decimals)")
        digits = digits.replace(",", "")
    number = float(digits)
    if not math.isfinite(number):
        raise Refused("expected a finite number")
    unit = match[2].strip()
    if unit and not re.match(r"[A-Za-z%°µ²³]", unit):
        raise Refused(f"expected a number, got {text.strip()!r}")
    return number, unit


def check_range(number: float, spec: InputSpec) -> None:
    """Raise :class:`Refused` when ``number`` (in the spec's unit) breaks the spec's range."""
    unit = "" if spec.unit in ("1", "") else f" {spec.unit}"
    if spec.type == "integer" and not float(number).is_integer():
        raise Refused(f"expected a whole number, got {number:g}")
    if spec.min is not None and number < spec.min:
        raise Refused(f"{number:g}{unit} is below the minimum {spec.min:g}{unit}")
    if spec.max is not None and number > spec.max:
        raise Refused(f"{number:g}{unit} is above the maximum {spec.max:g}{unit}")


def parse_input(spec: InputSpec, text: str) -> Any:
    """The value to store for ``text`` typed into a scheme input; ``None`` clears it.

    Numbers may carry a unit (``"4.2 kBtu/ft2/yr"``): they are then stored with it, as a
    ``{ value, unit }`` quantity, after checking that the converted value is in range.
    """
    text = text.strip()
    if not text:
        return None
    if spec.type == "boolean":
        word = text.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise Refused(f"expected yes or no, got {text!r}")
    if spec.type == "choice":
        choices = spec.choices or []
        if text not in choices:
            raise Refused(f"expected one of: {', '.join(choices)}; got {text!r}")
        return text
    number, unit = split_number(text)
    if unit and unit != spec.unit and not (unit == "%" and spec.unit == "%"):
        try:
            converted = float(convert(number, unit, spec.unit))
        except UnitError as exc:
            raise Refused(exc.problems[0].message) from None
        check_range(converted, spec)
        return Quantity(value=number, unit=unit)
    check_range(number, spec)
    if spec.type == "integer":
        return int(number)
    return number


def number_text(value: float) -> str:
    """A stored number as the assessor would type it (no float noise, no exponent)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    return text if "e" not in text else f"{value:f}".rstrip("0").rstrip(".")


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
