"""The design-measures catalogue (``criteria/measures.toml``): model, loading, validation.

A measure is a design change with an indicative cost: it changes scheme inputs
(``effects``: a set value or a safe formula) and/or the project's tables
(``facades``, ``boq``, ``fittings``; the calculated inputs such as ``ettv`` are then
recomputed). Measures in the same ``group`` (or listed in ``excludes``) are mutually
exclusive. Formulas go through :func:`greenmark.core.formula.compile_formula`, never
``eval``. :func:`load_catalogue` reports every problem with file, line and dotted path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from greenmark.core.errors import FormulaError, GreenmarkError, Problem
from greenmark.core.formula import compile_formula
from greenmark.core.model import ID_PATTERN, NAME_PATTERN, ConstantSpec, Scheme
from greenmark.core.resources import criteria_dir
from greenmark.core.tomlfile import LineIndex, dotted, friendly_errors, read_toml

CATALOGUE_FILE = "measures.toml"

#: Project quantities a cost formula (and an effect formula) may read, with their units.
QUANTITIES: dict[str, str] = {
    "gfa": "gross floor area, m2",
    "wall_area": "gross wall area of all facades, m2",
    "window_area": "glazed area of all facades, m2",
    "selected_wall_area": "gross wall area of the facades the measure changes, m2",
    "selected_window_area": "glazed area of the facades the measure changes, m2",
    "selected_fittings": "fittings the measure changes (sum of count); NaN when none",
    "replaced_m3": "volume of BoQ material the measure replaces, m3 (NaN if not in m3)",
    "replaced_t": "mass of BoQ material the measure replaces, t",
    "concrete_m3": "concrete volume of the whole BoQ, m3",
}
#: Facade fields a measure may change, and the fields its formulas may read.
FACADE_FIELDS = ("wall_u", "window_u", "sc1", "sc2")
FACADE_READS = (*FACADE_FIELDS, "wall_area", "window_area", "pitch")
#: Fitting fields a measure may change, and the fields its formulas may read.
FITTING_FIELDS = ("rating", "reduced_flush")
FITTING_READS = (*FITTING_FIELDS, "count")
_OCTANTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")

SetValue = StrictBool | StrictInt | StrictFloat | StrictStr


class CatalogueError(GreenmarkError):
    """The measures catalogue is malformed or inconsistent."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CatalogueMeta(_Model):
    """The ``[meta]`` table: what the catalogue is and the currency of its costs."""

    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    currency: str = Field(default="SGD", min_length=1)
    description: str = ""
    source: str = ""


class CatalogueConstant(ConstantSpec):
    """A scheme-style constant for the catalogue's formulas; unverified unless it says so
    (catalogue numbers are indicative costs and yields)."""

    verified: bool = False


class InputEffect(_Model):
    """Change one scheme input: ``set`` a value, or compute it with a ``formula``.

    ``if_missing`` stands in for the input's own value when the project does not give it
    (e.g. ``renewable_share`` absent means 0 % before adding PV).
    """

    input: str = Field(pattern=NAME_PATTERN)
    set: SetValue | None = Field(default=None, union_mode="left_to_right")
    formula: str | None = None
    if_missing: float | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> InputEffect:
        if (self.set is None) == (self.formula is None):
            raise ValueError("give exactly one of 'set' or 'formula'")
        if self.if_missing is not None and self.formula is None:
            raise ValueError("'if_missing' only goes with 'formula'")
        return self


class FacadeEffect(_Model):
    """Change fields of some facades: ``select`` = all, worst (highest ETTV x area) or octants."""

    select: Literal["all", "worst"] | list[str] = "all"
    set: dict[str, float | str] = Field(min_length=1)


class BoqEffect(_Model):
    """Replace ``share`` of the BoQ lines of ``materials`` by ``replace_with`` (table material)."""

    materials: list[str] = Field(min_length=1)
    share: float = Field(gt=0, le=1)
    replace_with: str = Field(min_length=1)


class FittingEffect(_Model):
    """Change fields of every fitting of one WELS ``type``."""

    type: str = Field(min_length=1)
    set: dict[str, float | str] = Field(min_length=1)


class Cost(_Model):
    """The indicative cost of a measure: a formula in project quantities, and its basis."""

    formula: str
    basis: str = Field(min_length=1)
    source: str = ""
    verified: bool = False


class Measure(_Model):
    """One design change with its effects, exclusions and indicative cost."""

    id: str = Field(pattern=ID_PATTERN, max_length=64)
    title: str = Field(min_length=1)
    description: str = ""
    schemes: list[str] | None = None
    applies_if: str | None = None
    group: str | None = Field(default=None, pattern=NAME_PATTERN)
    excludes: list[str] = Field(default_factory=list)
    params: dict[str, float] = Field(default_factory=dict)
    effects: list[InputEffect] = Field(default_factory=list)
    facades: FacadeEffect | None = None
    boq: BoqEffect | None = None
    fittings: FittingEffect | None = None
    fallback: list[InputEffect] = Field(default_factory=list)
    cost: Cost
    source: str = ""
    verified: bool = False

    @property
    def tables(self) -> tuple[str, ...]:
        """The project tables this measure changes."""
        return tuple(t for t in ("facades", "boq", "fittings") if getattr(self, t) is not None)


class Catalogue(_Model):
    """A whole measures catalogue."""

    meta: CatalogueMeta
    constants: dict[str, CatalogueConstant] = Field(default_factory=dict)
    measures: list[Measure] = Field(min_length=1)

    def measure(self, measure_id: str) -> Measure:
        """The measure with this id (``KeyError`` if none)."""
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    @property
    def constant_values(self) -> dict[str, float]:
        return {name: c.value for name, c in self.constants.items()}


Location = tuple[str | int, ...]


def _formula_names(
    source: str, where: Location, allowed: set[str] | None, add: Any, what: str
) -> frozenset[str] | None:
    """Compile ``source``; report refusals and names outside ``allowed``."""
    try:
        compiled = compile_formula(source, None)
    except FormulaError as exc:
        add(where, f"formula refused: {exc.problems[0].message}")
        return None
    if allowed is not None:
        unknown = sorted(compiled.names - allowed)
        if unknown:
            add(
                where,
                f"unknown name(s) {', '.join(unknown)} in {what} "
                f"(allowed: {', '.join(sorted(allowed))})",
            )
    return compiled.names


def check_catalogue(catalogue: Catalogue) -> list[tuple[Location, str]]:
    """Cross-field checks; ``(location, message)`` for every problem found."""
    from greenmark.calc.tables import embodied_carbon_table
    from greenmark.calc.water import wels_fitting_types

    problems: list[tuple[Location, str]] = []

    def add(location: Location, message: str) -> None:
        problems.append((location, message))

    for name in catalogue.constants:
        if not _is_name(name):
            add(("constants", name), "must be a name: a letter first, then letters, digits or '_'")
        if name in QUANTITIES:
            add(("constants", name), f"name {name!r} is a project quantity (built in)")
    constants = set(catalogue.constants)
    ids = [m.id for m in catalogue.measures]
    known = set(ids)
    seen: set[str] = set()
    carbon = embodied_carbon_table()
    fitting_types = set(wels_fitting_types())
    for i, measure in enumerate(catalogue.measures):
        at: Location = ("measures", i)
        if measure.id in seen:
            add((*at, "id"), f"duplicate measure id {measure.id!r}")
        seen.add(measure.id)
        for j, other in enumerate(measure.excludes):
            if other == measure.id:
                add((*at, "excludes", j), "a measure cannot exclude itself")
            elif other not in known:
                add((*at, "excludes", j), f"unknown measure {other!r}")
        for name in measure.params:
            if not _is_name(name):
                add(
                    (*at, "params", name),
                    "must be a name: a letter first, then letters, digits or '_'",
                )
            elif name in constants or name in QUANTITIES:
                add((*at, "params", name), f"name {name!r} is already a constant or a quantity")
        scalars = set(measure.params) | constants
        if not measure.effects and not measure.tables:
            add(at, "a measure needs 'effects' or a table effect (facades, boq, fittings)")
        if measure.fallback and not measure.tables:
            add((*at, "fallback"), "'fallback' only goes with a table effect")
        if measure.applies_if is not None:
            _formula_names(measure.applies_if, (*at, "applies_if"), None, add, "applies_if")
        for kind in ("effects", "fallback"):
            for j, effect in enumerate(getattr(measure, kind)):
                if effect.formula is not None:
                    _formula_names(effect.formula, (*at, kind, j, "formula"), None, add, "formula")
        _formula_names(
            measure.cost.formula,
            (*at, "cost", "formula"),
            scalars | set(QUANTITIES),
            add,
            "the cost formula (quantities, params and constants only)",
        )
        if measure.facades is not None:
            select = measure.facades.select
            if isinstance(select, list):
                for j, octant in enumerate(select):
                    if octant.upper() not in _OCTANTS:
                        add(
                            (*at, "facades", "select", j),
                            f"unknown orientation {octant!r} (use {', '.join(_OCTANTS)})",
                        )
            _check_fields(
                measure.facades.set,
                (*at, "facades", "set"),
                FACADE_FIELDS,
                set(FACADE_READS) | scalars,
                add,
            )
        if measure.fittings is not None:
            if measure.fittings.type.lower() not in fitting_types:
                add(
                    (*at, "fittings", "type"),
                    f"unknown WELS fitting type {measure.fittings.type!r} "
                    f"(known: {', '.join(sorted(fitting_types))})",
                )
            _check_fields(
                measure.fittings.set,
                (*at, "fittings", "set"),
                FITTING_FIELDS,
                set(FITTING_READS) | scalars,
                add,
            )
        if measure.boq is not None:
            for j, material in enumerate(measure.boq.materials):
                if carbon.code_of(material) is None:
                    add((*at, "boq", "materials", j), f"unknown material {material!r}")
            if carbon.code_of(measure.boq.replace_with) is None:
                add(
                    (*at, "boq", "replace_with"),
                    f"unknown material {measure.boq.replace_with!r} "
                    "(it must be in criteria/factors/embodied-carbon.toml)",
                )
    return problems


def reference_effects(measure: Measure, scheme: Scheme) -> list[str]:
    """The reference inputs (``role = "reference"``, baselines) ``measure`` would change in
    ``scheme``: such a measure is never proposed, a baseline is not a design lever."""
    effects = [*measure.effects, *measure.fallback]
    return list(
        dict.fromkeys(
            e.input
            for e in effects
            if e.input in scheme.inputs and scheme.inputs[e.input].role == "reference"
        )
    )


def _is_name(name: str) -> bool:
    import re

    return re.fullmatch(NAME_PATTERN, name) is not None


def _check_fields(
    fields: dict[str, float | str],
    at: Location,
    allowed_fields: tuple[str, ...],
    readable: set[str],
    add: Any,
) -> None:
    for field, value in fields.items():
        if field not in allowed_fields:
            add((*at, field), f"cannot change {field!r} (fields: {', '.join(allowed_fields)})")
            continue
        if isinstance(value, str):
            _formula_names(value, (*at, field), readable, add, "the field formula")
        elif not math.isfinite(value) or value < 0:
            add((*at, field), "expected a finite number >= 0")
        elif field.startswith("sc") and value > 1:
            add((*at, field), "a shading coefficient is at most 1")


def parse_catalogue(
    data: dict[str, Any], text: str | None = None, file: str | None = None
) -> Catalogue:
    """Validate parsed TOML into a :class:`Catalogue`; :class:`CatalogueError` lists problems."""
    lines = LineIndex(text) if text is not None else None

    def locate(location: Location, message: str) -> Problem:
        line = lines.line_of(location) if lines else None
        return Problem(message, file, dotted(location) or None, line)

    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(
            problems=[locate(loc, msg) for loc, msg in friendly_errors(exc)]
        ) from None
    found = check_catalogue(catalogue)
    if found:
        raise CatalogueError(problems=[locate(loc, msg) for loc, msg in found])
    return catalogue


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate a measures catalogue (default: the bundled ``criteria/measures.toml``).

    Raises :class:`CatalogueError` (exit code 2) naming file, line and field of every problem.
    """
    file = Path(path) if path is not None else default_catalogue_path()
    shown = _display(file)
    try:
        data, text = read_toml(file)
    except GreenmarkError as exc:
        raise CatalogueError(
            problems=[Problem(p.message, shown, p.location, p.line) for p in exc.problems]
        ) from None
    return parse_catalogue(data, text, shown)


def default_catalogue_path() -> Path:
    """The bundled catalogue, ``criteria/measures.toml``."""
    return criteria_dir() / CATALOGUE_FILE


def is_catalogue(data: dict[str, Any]) -> bool:
    """True for parsed TOML that looks like a measures catalogue (``[[measures]]``, no scheme)."""
    return isinstance(data.get("measures"), list) and "scheme" not in data and "project" not in data


def unverified_values(catalogue: Catalogue) -> list[tuple[str, str]]:
    """``(where, source)`` for every constant and cost the catalogue marks unverified."""
    found = [
        (f"constants.{name}", c.source or c.note)
        for name, c in catalogue.constants.items()
        if not c.verified
    ]
    found += [
        (f"measures.{m.id}.cost", m.cost.source or m.cost.basis)
        for m in catalogue.measures
        if not m.cost.verified
    ]
    return found


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
