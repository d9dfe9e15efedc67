"""Unit handling at the edges, with pint: parse a unit, convert values to the scheme's unit.

Conversion happens once, when a project or a portfolio column is read; the
scoring core only ever sees numbers in the unit the scheme declares.
"""

from __future__ import annotations

import contextlib
import math
import re
from functools import lru_cache
from typing import Any

from greenmark.core.errors import UnitError

# Domain units pint does not know, defined once here.
_DEFINITIONS = (
    "refrigeration_ton = 12000 * Btu / hour = RT = TR",
    "kgCO2e = [co2e_mass]",
    "gCO2e = kgCO2e / 1000",
    "tCO2e = 1000 * kgCO2e",
    "tick = [wels_tick]",
)
#: Unit spellings the bundled schemes and samples use, each
#: known to parse (``tests/unit/test_units.py`` checks every one with pint): checking a
#: scheme that uses only these needs no pint registry, which takes ~0.3 s to build.
KNOWN_UNITS = frozenset(
    ["", "1", "-", "%", "t", "K", "m2", "m3", "m/s", "h/yr", "tick", "kg/m2", "kg/m3",
     "W/m2", "W/m2/K", "m2K/W", "m2/W", "m2/RT", "kW/RT", "m3/m2", "m3/m2/yr", "kWh/m2/yr",
     "kgCO2e/kg", "kgCO2e/m2", "kgCO2e/kWh", "L/min"]
)  # fmt: skip
_LONGEST_UNIT = 200  # characters; a unit is a short name, never a paragraph
_POWER_SUFFIX = re.compile(r"\b(m|cm|mm|km|ft|in|yd)([23])(?![\d.])([A-Za-z]?)")


def _normalise(text: str) -> str:
    """Accept the everyday spellings (``m2``, ``kWh/m2/yr``, ``ft²``) that pint does not."""
    text = text.strip().replace("²", "2").replace("³", "3")
    return _POWER_SUFFIX.sub(lambda m: f"{m[1]}**{m[2]}" + (f"*{m[3]}" if m[3] else ""), text)


@lru_cache(maxsize=1)
def registry() -> Any:
    """The shared pint registry, built on first use (about 0.3 s)."""
    import pint

    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _DEFINITIONS:
        with contextlib.suppress(Exception):  # already defined by a newer pint
            ureg.define(definition)
    return ureg


def check_unit(text: str) -> None:
    """Raise :class:`UnitError` unless ``text`` is a unit; known spellings need no pint."""
    if text.strip() not in KNOWN_UNITS:
        parse_unit(text)


@lru_cache(maxsize=512)
def parse_unit(text: str) -> Any:
    """Parse a unit string into a pint unit, or raise :class:`UnitError`."""
    if text.strip() in ("", "1", "-"):
        return registry().dimensionless
    if len(text) > _LONGEST_UNIT:
        raise UnitError(f"unit too long: at most {_LONGEST_UNIT} characters (got {len(text):,})")
    try:
        return registry().parse_units(_normalise(text))
    except Exception as exc:
        raise UnitError(f"unknown unit {text!r} ({type(exc).__name__})") from None


@lru_cache(maxsize=1024)
def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """``(scale, offset)`` so that ``value_in_to = value_in_from * scale + offset``."""
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    ureg = registry()
    try:
        zero = ureg.Quantity(0.0, source).to(target).magnitude
        one = ureg.Quantity(1.0, source).to(target).magnitude
    except Exception:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: "
            f"{source.dimensionality} is not {target.dimensionality}"
        ) from None
    scale, offset = float(one - zero), float(zero)
    if not (math.isfinite(scale) and math.isfinite(offset) and scale != 0):
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: no finite conversion")
    return scale, offset


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert a number or numpy array from one unit to another."""
    if from_unit == to_unit:
        return value
    scale, offset = conversion(from_unit, to_unit)
    return value * scale + offset
