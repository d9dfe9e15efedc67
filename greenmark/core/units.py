"""Unit handling at the edges, with pint: parse a unit, convert values to the scheme's unit.

Conversion happens once, when a project or a portfolio column is read; the
scoring core only ever sees numbers in the unit the scheme declares.
"""

from __future__ import annotations

import contextlib
import difflib
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
    "MMBtu = 1000000 * Btu",
)
#: Unit spellings the bundled schemes and samples use, each
#: known to parse (``tests/unit/test_units.py`` checks every one with pint): checking a
#: scheme that uses only these needs no pint registry, which takes ~0.3 s to build.
KNOWN_UNITS = frozenset(
    ["", "1", "-", "%", "t", "K", "m2", "m3", "m/s", "h/yr", "yr", "tick", "kg/m2", "kg/m3",
     "W/m2", "W/m2/K", "m2K/W", "m2/W", "m2/RT", "kW/RT", "m3/m2", "m3/m2/yr", "kWh/m2/yr",
     "kgCO2e/kg", "kgCO2e/m2", "kgCO2e/kWh", "L/min"]
)  # fmt: skip
_LONGEST_UNIT = 200  # characters; a unit is a short name, never a paragraph
_POWER_SUFFIX = re.compile(r"\b(m|cm|mm|km|ft|in|yd)([23])(?![\d.])([A-Za-z]?)")


#: Spellings common in building-energy exports that pint does not know, as whole words
#: (any case): square feet and metres; kBtu, MMBtu, kWh and MWh in any case.
_ALIASES = (
    (re.compile(r"(?<![A-Za-z])(?:sq\.?\s?ft|sqft|sf)(?![A-Za-z])", re.IGNORECASE), "ft**2"),
    (re.compile(r"(?<![A-Za-z])(?:sq\.?\s?m|sqm)(?![A-Za-z])", re.IGNORECASE), "m**2"),
    (re.compile(r"(?<![A-Za-z])kbtu(?![A-Za-z])", re.IGNORECASE), "kBtu"),
    (re.compile(r"(?<![A-Za-z])mmbtu(?![A-Za-z])", re.IGNORECASE), "MMBtu"),
    (re.compile(r"(?<![A-Za-z])kwh(?![A-Za-z])", re.IGNORECASE), "kWh"),
    (re.compile(r"(?<![A-Za-z])mwh(?![A-Za-z])", re.IGNORECASE), "MWh"),
)

#: Spellings offered when a unit is not known (did you mean …?).
_SUGGESTIONS = sorted(
    KNOWN_UNITS
    | {"ft2", "kBtu", "kBtu/ft2/yr", "kWh", "kWh/yr", "MWh", "GJ", "therm", "yr", "W", "kW",
       "m2", "kgCO2e", "tCO2e", "L", "m3/yr", "RT"}
)  # fmt: skip


def _normalise(text: str) -> str:
    """Accept the everyday spellings (``m2``, ``kWh/m2/yr``, ``ft²``, ``kBtu/sf``) that pint
    does not."""
    text = text.strip().replace("²", "2").replace("³", "3")
    for pattern, replacement in _ALIASES:
        text = pattern.sub(replacement, text)
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
        close = difflib.get_close_matches(text.strip(), _SUGGESTIONS, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnitError(f"unknown unit {text!r} ({type(exc).__name__}){hint}") from None


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
            + _mismatch(from_unit, source, to_unit, target)
        ) from None
    scale, offset = float(one - zero), float(zero)
    if not (math.isfinite(scale) and math.isfinite(offset) and scale != 0):
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: no finite conversion")
    return scale, offset


def _mismatch(from_unit: str, source: Any, to_unit: str, target: Any) -> str:
    """Why two units do not convert, in words; names the missing ``/yr`` of an intensity."""
    ratio = (target / source).dimensionality
    if dict(ratio) == {"[time]": -1}:
        return f"this looks like an annual intensity: add /yr (e.g. '{from_unit}/yr')"
    if dict(ratio) == {"[time]": 1}:
        return f"{to_unit!r} is not per time: remove the /yr or similar from {from_unit!r}"
    return f"{source.dimensionality} is not {target.dimensionality}"


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert a number or numpy array from one unit to another."""
    if from_unit == to_unit:
        return value
    scale, offset = conversion(from_unit, to_unit)
    return value * scale + offset
