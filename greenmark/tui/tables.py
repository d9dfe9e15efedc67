"""Columns of the repeated-data tables (facades, BoQ, fittings) and their derived results.

Derived values come from the same numpy calculators the scorer uses
(:mod:`greenmark.calc`), so what the table shows is what the score is built on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from greenmark.calc.carbon import UNITS, material_breakdown
from greenmark.calc.envelope import (
    OCTANTS,
    building_ettv,
    correction_factors,
    ettv,
    octant_index,
    retv,
)
from greenmark.calc.errors import CalcError
from greenmark.calc.registry import project_boq, superstructure_concrete_m3
from greenmark.calc.tables import embodied_carbon_table
from greenmark.calc.water import wels_fitting_types, wels_ticks
from greenmark.core.edits import column_number, grouped, pretty_unit
from greenmark.core.errors import UnitError
from greenmark.core.project import COLUMN_UNITS, HistoryEntry, Quantity
from greenmark.core.units import convert
from greenmark.tui.values import Refused, number_text, split_number

Kind = Literal["text", "number", "integer", "choice", "orientation"]


@lru_cache(maxsize=1)
def materials() -> tuple[str, ...]:
    """Material keys of the embodied-carbon factor table."""
    return tuple(embodied_carbon_table().keys)


@lru_cache(maxsize=1)
def fitting_types() -> tuple[str, ...]:
    """WELS fitting types of the factor table."""
    return tuple(wels_fitting_types())


@dataclass(frozen=True)
class Column:
    """One editable column of a table."""

    key: str
    label: str
    kind: Kind = "number"
    unit: str = ""
    minimum: float | None = None
    minimum_open: bool = False  # True: the value must be strictly above the minimum
    maximum: float | None = None
    optional: bool = False  # blank -> not given (the model's default)
    choices: tuple[str, ...] = ()
    help: str = ""
    accepts: tuple[str, ...] = ()  # units taken as the column's own (plain numbers)
    table: str = ""  # set by the table spec

    def options(self) -> tuple[str, ...]:
        if self.key == "material":
            return materials()
        if self.key == "type":
            return fitting_types()
        return self.choices


@dataclass(frozen=True)
class TableSpec:
    """A table of the project file: its columns and the derived columns shown beside them."""

    name: str
    title: str
    noun: str
    columns: tuple[Column, ...]
    derived: tuple[str, ...]
    feeds: str  # which calculated inputs it feeds
    lead: int = 1  # editable columns shown before the derived ones

    def __post_init__(self) -> None:
        columns = tuple(replace(c, table=self.name) for c in self.columns)
        object.__setattr__(self, "columns", columns)

    def layout(self) -> list[Column | str]:
        """Display order: the leading columns, the derived ones (str), then the rest."""
        return [*self.columns[: self.lead], *self.derived, *self.columns[self.lead :]]


FACADES = TableSpec(
    "facades",
    "Facades",
    "facade",
    (
        Column("name", "Name", "text"),
        Column("orientation", "Orient", "orientation", help="N, NE, … or azimuth in degrees"),
        Column("pitch", "Pitch", unit="deg", minimum=0, maximum=90, help="90 = vertical wall"),
        Column(
            "wall_area",
            "Wall",
            unit="m2",
            minimum=0,
            minimum_open=True,
            help="gross wall area, opaque + glazed",
        ),
        Column("window_area", "Window", unit="m2", minimum=0, help="glazed area"),
        Column("wall_u", "Wall U", unit="W/m2K", minimum=0, minimum_open=True),
        Column("window_u", "Win U", unit="W/m2K", minimum=0, minimum_open=True),
        Column("sc1", "SC1", minimum=0, maximum=1, help="shading coefficient of the glass"),
        Column("sc2", "SC2", minimum=0, maximum=1, help="external shading (1 = none)"),
    ),
    ("WWR", "ETTV", "RETV"),
    "ETTV, RETV, window-to-wall ratio",
    lead=2,
)

BOQ = TableSpec(
    "boq",
    "Bill of quantities",
    "BoQ line",
    (
        Column("material", "Material", "choice"),
        Column("quantity", "Quantity", minimum=0),
        Column("unit", "Unit", "choice", choices=UNITS),
        Column(
            "density",
            "Density",
            unit="kg/m3",
            minimum=0,
            minimum_open=True,
            optional=True,
            help="blank: the factor table's",
        ),
        Column(
            "areal_mass",
            "Areal mass",
            unit="kg/m2",
            minimum=0,
            minimum_open=True,
            optional=True,
            help="blank: the factor table's",
        ),
        Column(
            "element",
            "Element",
            "choice",
            choices=("superstructure", "substructure"),
            help="substructure: not in the concrete usage index",
        ),
        Column("description", "Description", "text"),
    ),
    ("Mass t", "tCO2e"),
    "embodied carbon, concrete usage index",
    lead=3,
)

FITTINGS = TableSpec(
    "fittings",
    "Water fittings",
    "fitting",
    (
        Column("type", "Type", "choice"),
        Column(
            "rating",
            "Rating",
            minimum=0,
            accepts=("L/min", "L/flush", "L"),
            help="L/min for taps, L/flush for cisterns",
        ),
        Column(
            "reduced_flush",
            "Reduced",
            unit="L/flush",
            minimum=0,
            optional=True,
            accepts=("L",),
            help="dual-flush cisterns",
        ),
        Column("count", "Count", "integer", minimum=1),
        Column("location", "Location", "text"),
    ),
    ("Ticks",),
    "WELS ticks per fitting type",
    lead=2,
)

SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (FACADES, BOQ, FITTINGS)}


def parse_cell(column: Column, text: str) -> Any:
    """The value to store for ``text`` typed into a table cell (None: not given)."""
    text = text.strip()
    if column.kind == "text":
        return text
    if not text:
        if column.optional:
            return None
        raise Refused(f"{column.label.lower()} is required")
    if column.kind == "choice":
        options = column.options()
        if text not in options:
            raise Refused(f"expected one of: {', '.join(options)}; got {text!r}")
        return text
    if column.kind == "orientation":
        try:
            number, rest = split_number(text)
        except Refused:
            name = text.upper()
            try:
                octant_index([name])
            except CalcError as exc:
                raise Refused(exc.problems[0].message.removeprefix("orientation: ")) from None
            return name
        if rest not in ("", "deg", "°"):
            raise Refused(f"expected a compass point ({', '.join(OCTANTS)}) or an azimuth")
        return number
    number, unit = split_number(text)
    suffix = f" {column.unit}" if column.unit else ""
    typed: Quantity | None = None
    if unit and not _same_unit(unit, column.unit) and unit not in column.accepts:
        if not column.unit or column.key not in COLUMN_UNITS.get(column.table, {}):
            raise Refused(_no_unit(column))
        typed = Quantity(value=number, unit=unit)
        number = column_number(column.table, column.key, typed)
    if column.kind == "integer" and not number.is_integer():
        raise Refused(f"expected a whole number, got {number:g}")
    low = column.minimum
    if low is not None and (number <= low if column.minimum_open else number < low):
        relation = "above" if column.minimum_open else "at least"
        raise Refused(f"must be {relation} {low:g}{suffix}, got {number:g}{suffix}")
    if column.maximum is not None and number > column.maximum:
        raise Refused(f"must be at most {column.maximum:g}{suffix}, got {number:g}{suffix}")
    if typed is not None:
        return typed  # stored converted to the column's unit; the history keeps it as typed
    return int(number) if column.kind == "integer" else number


def _same_unit(typed: str, unit: str) -> bool:
    """``m²`` is ``m2``; ``W/m2/K`` is ``W/m2K``; ``°`` is ``deg``."""

    def norm(text: str) -> str:
        text = text.replace("²", "2").replace("³", "3").replace("°", "deg").replace(" ", "")
        return text.replace("/K", "K")

    return norm(typed) == norm(unit)


def _no_unit(column: Column) -> str:
    if column.key == "quantity":
        return "enter the quantity as a number; its unit is the Unit column"
    if column.unit:
        return f"enter the value in {column.unit}"
    return f"{column.label} takes a plain number (no unit)"


def cell_text(value: Any) -> str:
    """A stored cell value as editable text (a quantity as typed: ``8611 ft2``)."""
    if value is None:
        return ""
    if isinstance(value, Quantity):
        return f"{number_text(value.value)} {value.unit}"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number_text(float(value))
    return str(value)


def cell_display(column: Column, value: Any, typed: Quantity | None = None) -> str:
    """A cell for the table, in full: ``8,611 ft² (800 m²)`` when typed in another unit."""
    if isinstance(value, Quantity):
        typed, value = value, _converted(column, value)
    if typed is not None and value is not None and column.unit:
        metric = grouped(float(value)) if column.unit == "m2" else number_text(float(value))
        shown = grouped(typed.value) if column.unit == "m2" else number_text(typed.value)
        return f"{shown} {pretty_unit(typed.unit)} ({metric} {pretty_unit(column.unit)})"
    return cell_text(value) or "–"


def _converted(column: Column, typed: Quantity) -> float | None:
    try:
        return column_number(column.table, column.key, typed)
    except Refused:
        return None


def typed_units(table: str, history: Sequence[HistoryEntry]) -> dict[tuple[int, str], Quantity]:
    """Cells of ``table`` whose latest change was typed with another unit, as typed.

    Read from the history (``new = { value = 8611, unit = "ft2" }``), newest first; a
    row added or deleted earlier hides what older entries say about the rows after it.
    """
    found: dict[tuple[int, str], Quantity] = {}
    seen: set[tuple[int, str]] = set()
    cut = 1 << 30  # older entries about rows from here on name other rows
    prefix = f"{table}["
    for entry in reversed(history):
        if not entry.field.startswith(prefix):
            continue
        index_text, _, rest = entry.field[len(prefix) :].partition("]")
        if not index_text.isdigit():
            continue
        index = int(index_text)
        if not rest:  # a row added or deleted
            cut = min(cut, index)
            continue
        key = (index, rest.removeprefix("."))
        if index >= cut or key in seen:
            continue
        seen.add(key)
        if isinstance(entry.new, Quantity):
            found[key] = entry.new
    return found


def typed_for(
    table: str, rows: Sequence[Any], history: Sequence[HistoryEntry]
) -> dict[tuple[int, str], Quantity]:
    """:func:`typed_units` for the cells still holding the value typed."""
    kept: dict[tuple[int, str], Quantity] = {}
    for (index, key), typed in typed_units(table, history).items():
        if index >= len(rows):
            continue
        stored = getattr(rows[index], key, None)
        unit = COLUMN_UNITS.get(table, {}).get(key)
        if not isinstance(stored, int | float) or unit is None:
            continue
        try:
            value = float(convert(typed.value, typed.unit, unit))
        except UnitError:
            continue
        if math.isclose(value, float(stored), rel_tol=1e-5):
            kept[(index, key)] = typed
    return kept


# ---------------------------------------------------------------------- derived results


@dataclass
class Derived:
    """Derived values per row (formatted) and a summary of the whole table."""

    rows: Sequence[tuple[str, ...]]
    summary: list[tuple[str, str]]  # (label, value) pairs
    error: str = ""


def derive(table: str, rows: Sequence[Any], gfa_m2: float | None) -> Derived:
    """The derived columns and summary of ``table`` for its current rows."""
    blank = tuple("–" for _ in SPECS[table].derived)
    if not rows:
        return Derived([], [("rows", "none yet: press a to add one")])
    try:
        if table == "facades":
            return _facades(rows)
        if table == "boq":
            return _boq(rows, gfa_m2)
        return _fittings(rows)
    except CalcError as exc:
        message = "; ".join(p.message for p in exc.problems)
        return Derived([blank for _ in rows], [], error=message)


def _facades(rows: Sequence[Any]) -> Derived:
    wall = np.array([f.wall_area for f in rows], dtype=np.float64)
    wwr = np.array([f.window_area for f in rows], dtype=np.float64) / wall
    cf = correction_factors([f.orientation for f in rows], np.array([f.pitch for f in rows]))
    args = {
        "wwr": wwr,
        "u_wall": [f.wall_u for f in rows],
        "u_fen": [f.window_u for f in rows],
        "cf": cf,
        "sc1": [f.sc1 for f in rows],
        "sc2": [f.sc2 for f in rows],
    }
    per_ettv = np.atleast_1d(ettv(**args))
    per_retv = np.atleast_1d(retv(**args))
    formatted = [
        (f"{w:.2f}", f"{e:.1f}", f"{r:.1f}")
        for w, e, r in zip(wwr.tolist(), per_ettv.tolist(), per_retv.tolist(), strict=True)
    ]
    summary = [
        ("building ETTV", f"{float(building_ettv(per_ettv, wall)):.2f} W/m2"),
        ("RETV", f"{float(building_ettv(per_retv, wall)):.2f} W/m2"),
        ("WWR", f"{float(wwr @ wall / wall.sum()):.2f}"),
        ("wall", f"{grouped(float(wall.sum()))} m2"),
    ]
    return Derived(formatted, summary)


def _boq(rows: Sequence[Any], gfa_m2: float | None) -> Derived:
    boq = project_boq(rows)
    mass = np.asarray(boq.mass_kg) / 1000.0
    carbon = np.asarray(boq.kgco2e) / 1000.0
    formatted = [
        (f"{m:,.1f}", f"{c:,.1f}") for m, c in zip(mass.tolist(), carbon.tolist(), strict=True)
    ]
    total = float(carbon.sum())
    summary = [("total", f"{total:,.1f} tCO2e")]
    if gfa_m2:
        summary.append(("intensity", f"{total * 1000 / gfa_m2:,.1f} kgCO2e/m2"))
        concrete = superstructure_concrete_m3(rows)  # as the concrete usage index counts it
        summary.append(("CUI", f"{concrete / gfa_m2:.3f} m3/m2"))
    breakdown = material_breakdown(boq)
    if total > 0:
        top = list(breakdown.items())[:4]
        summary.append(
            ("by material", ", ".join(f"{name} {100 * kg / 1000 / total:.0f}%" for name, kg in top))
        )
    return Derived(formatted, summary)


def _fittings(rows: Sequence[Any]) -> Derived:
    ticks: list[int | None] = []
    errors: list[str] = []
    for number, row in enumerate(rows, 1):
        reduced = None if row.reduced_flush is None else [row.reduced_flush]
        try:
            value = wels_ticks(row.type, [row.rating], reduced_flush=reduced)
            ticks.append(int(np.asarray(value).ravel()[0]))
        except CalcError as exc:
            ticks.append(None)
            errors.append(f"row {number}: {exc.problems[0].message}")
    formatted = ["–" if t is None else str(t) for t in ticks]
    worst: dict[str, int] = {}
    for row, t in zip(rows, ticks, strict=True):
        if t is not None:
            worst[row.type] = min(worst.get(row.type, 3), t)
    summary = [(name, f"{t} ticks") for name, t in worst.items()]
    return Derived([(f,) for f in formatted], summary, error="; ".join(errors))
