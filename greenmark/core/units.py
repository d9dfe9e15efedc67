"""Unit handling at the edges: parse a unit, convert values to the scheme's unit.

Conversion happens once, when a project or a portfolio column is read; the
scoring core only ever sees numbers in the unit the scheme declares. The spellings of
:mod:`greenmark.core.units_table` (every unit the bundled schemes and samples use, and
the usual export spellings) are checked and converted from that table, with pint's own
numbers; pint is imported only for a unit outside it (or to explain a mismatch).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from greenmark.core.errors import UnitError
from greenmark.core.units_table import GROUPS, SCALES

# Domain units pint does not know, defined once here.
_DEFINITIONS = (
    "refrigeration_ton = 12000 * Btu / hour = RT = TR",
    "kgCO2e = [co2e_mass]",
    "gCO2e = kgCO2e / 1000",
    "tCO2e = 1000 * kgCO2e",
    "tick = [wels_tick]",
    "MMBtu = 1000000 * Btu",
)
#: Unit spellings checked and converted without pint (the table's): the bundled schemes
#: and samples use only these (``tests/unit/test_units_table.py`` checks it).
KNOWN_UNITS = frozenset(unit for group in GROUPS for unit in group)
_LONGEST_UNIT = 200  # characters; a unit is a short name, never a paragraph
_POWER_SUFFIX = r"\b(m|cm|mm|km|ft|in|yd)([23])(?![\d.])([A-Za-z]?)"


#: Spellings common in building-energy exports that pint does not know, as whole words
#: (any case): square feet and metres; kBtu, MMBtu, kWh and MWh in any case.
_ALIASES = (
    (r"(?<![A-Za-z])(?:sq\.?\s?ft|sqft|sf)(?![A-Za-z])", "ft**2"),
    (r"(?<![A-Za-z])(?:sq\.?\s?m|sqm)(?![A-Za-z])", "m**2"),
    (r"(?<![A-Za-z])kbtu(?![A-Za-z])", "kBtu"),
    (r"(?<![A-Za-z])mmbtu(?![A-Za-z])", "MMBtu"),
    (r"(?<![A-Za-z])kwh(?![A-Za-z])", "kWh"),
    (r"(?<![A-Za-z])mwh(?![A-Za-z])", "MWh"),
)

#: Spellings offered when a unit is not known (did you mean …?).
_SUGGESTIONS = sorted(
    {"", "1", "-", "%", "t", "K", "m2", "m3", "m/s", "h/yr", "yr", "tick", "kg/m2", "kg/m3",
     "W/m2", "W/m2/K", "m2K/W", "m2/W", "m2/RT", "kW/RT", "m3/m2", "m3/m2/yr", "kWh/m2/yr",
     "kgCO2e/kg", "kgCO2e/m2", "kgCO2e/kWh", "L/min", "ft2", "kBtu", "kBtu/ft2/yr", "kWh",
     "kWh/yr", "MWh", "GJ", "therm", "W", "kW", "kgCO2e", "tCO2e", "L", "m3/yr", "RT"}
)  # fmt: skip


def _normalise(text: str) -> str:
    """Accept the everyday spellings (``m2``, ``kWh/m2/yr``, ``ft²``, ``kBtu/sf``) that pint
    does not."""
    text = text.strip().replace("²", "2").replace("³", "3")
    for pattern, replacement in _ALIASES:  # compiled on first use (pint's path only)
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    return re.sub(_POWER_SUFFIX, lambda m: f"{m[1]}**{m[2]}" + (f"*{m[3]}" if m[3] else ""), text)


@lru_cache(maxsize=1)
def registry() -> Any:
    """The shared pint registry, built on first use (about 0.3 s)."""
    import pint

    ureg: Any = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _DEFINITIONS:
        with contextlib.suppress(Exception):  # already defined by a newer pint
            ureg.define(definition)
    return ureg


def _key(text: str) -> str:
    """A spelling as the table holds it (``m²`` is ``m2``)."""
    return text.strip().replace("²", "2").replace("³", "3")


def check_unit(text: str) -> None:
    """Raise :class:`UnitError` unless ``text`` is a unit; known spellings need no pint."""
    if _key(text) not in KNOWN_UNITS:
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
        import difflib  # only to suggest a spelling

        close = difflib.get_close_matches(text.strip(), _SUGGESTIONS, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnitError(f"unknown unit {text!r} ({type(exc).__name__}){hint}") from None


@lru_cache(maxsize=1024)
def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """``(scale, offset)`` so that ``value_in_to = value_in_from * scale + offset``: from
    the unit table when it holds both units (the same numbers pint gives), else pint's."""
    source, target = _key(from_unit), _key(to_unit)
    if source == target and source in KNOWN_UNITS:
        return 1.0, 0.0
    scale = SCALES.get((source, target))
    if scale is not None:
        return scale, 0.0
    return pint_conversion(from_unit, to_unit)


def pint_conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """:func:`conversion` worked out by pint (no table), or :class:`UnitError` saying why not."""
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


def build_scales(groups: Iterable[Sequence[str]]) -> dict[tuple[str, str], float]:
    """pint's scale between every two different spellings of each group, the data of
    :mod:`greenmark.core.units_table`; refuses a group whose spellings differ in dimension
    or convert with an offset."""
    scales: dict[tuple[str, str], float] = {}
    for group in groups:
        dimension = parse_unit(group[0]).dimensionality
        for unit in group:
            if parse_unit(unit).dimensionality != dimension:
                raise UnitError(f"{unit!r} is not of the dimension of {group[0]!r}")
        for source in group:
            for target in group:
                if source == target:
                    continue
                scale, offset = pint_conversion(source, target)
                if offset != 0.0:
                    raise UnitError(f"{source!r} to {target!r} has an offset")
                scales[source, target] = scale
    return scales


def table_source(groups: Iterable[Sequence[str]] = GROUPS) -> str:
    """The text of ``units_table.py`` for ``groups``, with pint's numbers."""
    groups = [tuple(group) for group in groups]
    scales = build_scales(groups)
    lines = [_TABLE_HEADER, "", "GROUPS: tuple[tuple[str, ...], ...] = ("]
    lines += [
        f"    ({', '.join(_quote(u) for u in group)}{',' if len(group) == 1 else ''}),"
        for group in groups
    ]
    lines += [")", "", "SCALES: dict[tuple[str, str], float] = {"]
    lines += [f"    ({_quote(a)}, {_quote(b)}): {scale!r}," for (a, b), scale in scales.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text + '"'


_TABLE_HEADER = '''"""The unit table: the spellings checked and converted without pint.

Each group holds spellings of one dimension; ``SCALES`` gives pint's own scale from one
spelling of a group to another (none of them has an offset), so a value converts exactly
as pint would convert it. Generated, not written: ``tests/unit/test_units_table.py``
checks it against pint; after adding a spelling (or when a new pint differs in the last
digit) regenerate it with::

    python -c "from greenmark.core.units import table_source as t; print(t(), end='')" \\
        > greenmark/core/units_table.py
"""

# fmt: off'''
