"""Changing a project's values from text, the same way in every front door.

What a person types (``"41.5 W/m2"``, ``"yes"``, ``"263716 ft2"``) becomes the value to
store, checked with the scorer's rules and words (:func:`parse_input`, :func:`parse_gfa`);
``NAME=VALUE`` assignments (``greenmark set``) are resolved to a scheme input or a
``[project]`` field, applied to a copy of the project and recorded in its history
(:func:`apply_assignments`). Computed numbers are rounded to :data:`SIGNIFICANT` digits
(:func:`round_significant`) so files never show ``296.1041666666667``.
"""

from __future__ import annotations

import difflib
import getpass
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from greenmark.core.errors import GreenmarkError, Problem, UnitError
from greenmark.core.model import InputSpec, Scheme
from greenmark.core.project import (
    COLUMN_UNITS,
    Project,
    ProjectInfo,
    Quantity,
    check_gfa,
    gross_floor_area,
)
from greenmark.core.units import convert

#: Significant digits a computed number (a conversion, a measure's result) is stored with.
SIGNIFICANT = 6


class Refused(ValueError):
    """A value that cannot be stored; the message says why."""


_NUMBER = re.compile(r"^([-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}
_SUPERSCRIPT = re.compile(r"\b(m|cm|mm|km|ft|in|yd)([23])(?![\d.])")


def default_who() -> str:
    """Who is editing: ``$USER`` (or the login name), else ``assessor``."""
    try:
        return os.environ.get("USER") or getpass.getuser() or "assessor"
    except Exception:  # pragma: no cover - no login name at all
        return "assessor"


def round_significant(value: float, digits: int = SIGNIFICANT) -> float:
    """``value`` to ``digits`` significant digits (a computed number as it is stored)."""
    if not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.{digits}g}")


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
    if unit.startswith("[") and unit.endswith("]"):
        unit = unit[1:-1].strip()
    if unit and not re.match(r"[A-Za-z%°µ²³]", unit):
        raise Refused(f"expected a number, got {text.strip()!r}")
    return number, unit


def whole(number: float, text: str) -> float | int:
    """``number`` as an integer when it was typed as one (``"120"``), so files keep it so."""
    return int(number) if number.is_integer() and re.fullmatch(r"[-+]?[\d,_]+", text) else number


def check_range(number: float, spec: InputSpec) -> None:
    """Raise :class:`Refused` when ``number`` (in the spec's unit) breaks the spec's range."""
    unit = "" if spec.unit in ("1", "") else f" {spec.unit}"
    if spec.type == "integer" and not float(number).is_integer():
        raise Refused(f"expected a whole number, got {number:g}")
    if spec.min is not None and number < spec.min:
        raise Refused(f"{number:g}{unit} is below the minimum {spec.min:g}{unit}")
    if spec.max is not None and number > spec.max:
        raise Refused(f"{number:g}{unit} is above the maximum {spec.max:g}{unit}")


def choose(text: str, options: Sequence[str]) -> str:
    """The option ``text`` names (any case); :class:`Refused` with the options otherwise."""
    if text in options:
        return text
    lowered = {o.lower(): o for o in options}
    if text.lower() in lowered:
        return lowered[text.lower()]
    close = difflib.get_close_matches(text, list(options), n=2, cutoff=0.5)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise Refused(f"expected one of: {', '.join(options)}; got {text!r}{hint}")


def parse_input(spec: InputSpec, text: str) -> Any:
    """The value to store for ``text`` typed for a scheme input; ``None`` clears it.

    Numbers may carry a unit (``"4.2 kBtu/ft2/yr"``): they are then stored with it, as a
    ``{ value, unit }`` quantity, after checking that the converted value is in range.
    A number typed without a decimal point is stored as an integer.
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
        return choose(text, spec.choices or [])
    try:
        number, unit = split_number(text)
    except Refused as exc:
        shown = unit_text(spec.unit)
        where = f"expected a number in {shown}" if shown else "expected a number"
        raise Refused(str(exc).replace("expected a number", where, 1)) from None
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
    return whole(number, text.removesuffix(unit).strip())


def parse_gfa(text: str) -> Any:
    """Gross floor area: m2, or any area unit (stored with it, e.g. ``263716 ft2``)."""
    text = text.strip()
    if not text:
        return None
    number, unit = split_number(text)
    area = number
    other = unit and unit not in ("m2", "m²")
    if other:
        try:
            area = float(convert(number, unit, "m2"))
        except UnitError as exc:
            raise Refused(exc.problems[0].message) from None
    if not area > 0:
        raise Refused("must be a positive area")
    try:
        check_gfa(area)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    if other:
        return Quantity(value=number, unit=unit)
    return whole(number, text.removesuffix(unit).strip())


def column_number(table: str, column: str, value: Quantity) -> float:
    """A table cell typed with a unit, in the unit the column is stored in (rounded)."""
    unit = COLUMN_UNITS.get(table, {}).get(column)
    if unit is None:
        raise Refused(f"{column} takes a plain number (no unit)")
    try:
        return round_significant(float(convert(value.value, value.unit, unit)))
    except UnitError as exc:
        raise Refused(exc.problems[0].message) from None


# ---------------------------------------------------------------------- showing values


def number_text(value: float) -> str:
    """A stored number as a person would type it (no float noise, no exponent)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    return text if "e" not in text else f"{value:f}".rstrip("0").rstrip(".")


def unit_text(unit: str) -> str:
    """A unit for display: empty for dimensionless."""
    return "" if unit in ("", "1", "-") else unit


def pretty_unit(unit: str) -> str:
    """``m2`` -> ``m²``, ``kg/m3`` -> ``kg/m³`` (for display only)."""
    return _SUPERSCRIPT.sub(lambda m: m[1] + ("²" if m[2] == "2" else "³"), unit)


def grouped(value: float) -> str:
    """A number with thousands separators and no noise: ``263716`` -> ``263,716``."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return number_text(round_significant(value, 4))


def area_text(value: Any) -> str:
    """An area as stored (m2 or a quantity): ``263,716 ft² (24,500 m²)``; ``not given``."""
    if value is None:
        return "not given"
    if isinstance(value, Quantity):
        shown = f"{grouped(value.value)} {pretty_unit(value.unit)}"
        if value.unit in ("m2", "m²"):
            return shown
        try:
            metres = float(convert(value.value, value.unit, "m2"))
        except UnitError:
            return shown
        return f"{shown} ({grouped(metres)} m²)"
    return f"{grouped(float(value))} m²"


def show(value: Any, unit: str = "") -> str:
    """A stored value in full for a message: ``not given``, ``yes``, ``41.5 W/m2``."""
    if value is None:
        return "not given"
    if isinstance(value, Quantity):
        return f"{number_text(value.value)} {value.unit}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        suffix = unit_text(unit)
        return f"{number_text(float(value))}{' ' + suffix if suffix else ''}"
    return str(value)


# ---------------------------------------------------------------------- NAME=VALUE


#: ``[project]`` fields ``greenmark set`` changes (``gfa`` is the gross floor area).
PROJECT_FIELDS = (
    "name",
    "address",
    "building_type",
    "gross_floor_area",
    "stage",
    "assessor",
    "reference",
    "description",
)
_ALIASES = {"gfa": "gross_floor_area"}


@dataclass(frozen=True)
class Change:
    """One value an assignment changed: the history's field path, old and new, and unit."""

    name: str  # as given, e.g. ``eui`` or ``gfa``
    field: str  # e.g. ``inputs.eui``, ``project.gross_floor_area``
    old: Any
    new: Any
    unit: str = ""

    def text(self) -> str:
        """``inputs.eui: 128 → 120 kWh/m2/yr``."""
        if self.field == "project.gross_floor_area":
            return f"{self.field}: {area_text(self.old)} → {area_text(self.new)}"
        return f"{self.field}: {show(self.old, self.unit)} → {show(self.new, self.unit)}"


def split_assignment(text: str) -> tuple[str, str]:
    """``"eui=128"`` -> ``("eui", "128")``; :class:`Refused` without ``=`` or a name."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise Refused(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def settable(scheme: Scheme) -> list[str]:
    """Every NAME an assignment may use: the scheme's inputs, then the project fields."""
    return [*scheme.inputs, "gfa", *PROJECT_FIELDS]


def _unknown(name: str, scheme: Scheme) -> str:
    names = settable(scheme)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    lowered = {n.lower(): n for n in names}
    if name.lower() in lowered and lowered[name.lower()] not in close:
        close.insert(0, lowered[name.lower()])
    hint = f"; did you mean {', '.join(close)}?" if close else f" (names: {', '.join(names)})"
    return f"not an input of scheme {scheme.id} nor a project field{hint}"


def assign(project: Project, scheme: Scheme, name: str, text: str) -> Change | None:
    """Store ``text`` at ``name`` in ``project`` (changed in place); None when unchanged.

    ``name`` is a scheme input, ``gfa`` or a ``[project]`` field (``project.`` in front
    picks the field when an input has the same name). Raises :class:`Refused` with the
    reason (an unknown name gets a did-you-mean); an empty ``text`` removes the value.
    """
    key = name.removeprefix("project.") if name.startswith("project.") else None
    spec = scheme.inputs.get(name) if key is None else None
    if spec is not None:
        old = project.inputs.get(name)
        value = parse_input(spec, text)
        if _same(old, value):
            return None
        if value is None:
            project.inputs.pop(name, None)
        else:
            project.inputs[name] = value
        return Change(name, f"inputs.{name}", old, value, unit_text(spec.unit))
    field = _ALIASES.get(key or name, key or name)
    if field not in PROJECT_FIELDS:
        raise Refused(_unknown(name, scheme))
    if field == "stage":
        from greenmark.core.stages import stage_edit_problem

        problem = stage_edit_problem(project)
        if problem:
            raise Refused(problem)
    old = getattr(project.project, field)
    value = _project_value(scheme, field, text)
    if _same(old, value):
        return None
    data = project.project.model_dump()
    data[field] = value
    try:
        project.project = ProjectInfo.model_validate(data)
    except ValidationError as exc:
        messages = [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]
        raise Refused("; ".join(messages)) from None
    return Change(name, f"project.{field}", old, value)


def _project_value(scheme: Scheme, field: str, text: str) -> Any:
    if field == "gross_floor_area":
        return parse_gfa(text)
    if field == "building_type":
        types = scheme.scheme.building_types
        if not text:
            return None
        return choose(text, types) if types else text
    if field == "stage":
        return choose(text, ("pre-assessment", "design", "as-built", "existing"))
    if field == "name" and not text:
        raise Refused("required: the project's name")
    return text


def apply_assignments(
    project: Project,
    scheme: Scheme,
    items: Sequence[str],
    *,
    who: str = "",
    note: str = "",
    file: str | None = None,
) -> list[Change]:
    """Apply ``NAME=VALUE`` ``items`` to ``project`` and record each change in its history.

    All or nothing: every bad item is listed in one :class:`GreenmarkError` (its NAME as
    the location) and ``project`` is left as it was.
    """
    from greenmark.core.stages import refuse_if_locked

    refuse_if_locked(project, file)
    problems: list[Problem] = []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in items:
        try:
            name, text = split_assignment(item)
        except Refused as exc:
            problems.append(Problem(str(exc), file))
            continue
        if name in seen:
            problems.append(Problem("given more than once", file, name))
        seen.add(name)
        pairs.append((name, text))
    trial = project.model_copy(deep=True)
    changes: list[Change] = []
    for name, text in pairs:
        try:
            change = assign(trial, scheme, name, text)
        except Refused as exc:
            problems.append(Problem(str(exc), file, name))
            continue
        if change is not None:
            changes.append(change)
    if problems:
        raise GreenmarkError(problems=problems)
    project.project, project.inputs = trial.project, trial.inputs
    for change in changes:
        project.record(change.field, change.old, change.new, who, note)
    return changes


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    if isinstance(old, int | float) and isinstance(new, int | float):
        return bool(old == new)
    return type(old) is type(new) and bool(old == new)


def gfa_m2(info: ProjectInfo) -> float | None:
    """The gross floor area in m2 (None when not given or not convertible)."""
    try:
        return gross_floor_area(info)
    except GreenmarkError:
        return None
