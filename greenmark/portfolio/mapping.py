"""Portfolio mapping files: which column of a CSV/Parquet file feeds which scheme input.

A mapping is TOML, validated by pydantic (unknown keys refused, every problem
reported with file, line and dotted path), then *bound* to a scheme: every
column becomes a :class:`FieldPlan` holding what the batch reader needs to turn
the column into engine numbers (kind, unit scale/offset, range, options,
aliases, missing markers, number format). See the README section "Portfolio
batch scoring" for the format; ``samples/mappings/`` has a real example.

Kept as one idea past 600 lines: the format's models and their binding to a
scheme share every location and message a problem in a mapping is reported with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from greenmark.core.errors import FormulaError, GreenmarkError, Problem, UnitError
from greenmark.core.model import Scheme
from greenmark.core.project import MAX_GFA_M2
from greenmark.core.tomlfile import (
    LineIndex,
    LongText,
    ShortText,
    dotted,
    friendly_errors,
    read_toml,
)
from greenmark.core.units import conversion
from greenmark.portfolio.derive import VariablePlan, base_scale, check_pattern, result_scale
from greenmark.portfolio.filters import FilterPlan

#: Cells meaning "not given" when the mapping does not say (compared trimmed, case-insensitive).
DEFAULT_MISSING = ("", "NA", "N/A", "-", "Missing Data")
#: Spellings accepted for boolean inputs (after aliases, case-insensitive).
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
#: The building's metadata columns, and the column each defaults to without a mapping.
META_ROLES = ("id", "name", "building_type", "gfa")

Role = Literal["input", "id", "name", "building_type", "gfa", "award", "scheme", "keep"]
Kind = Literal["number", "integer", "boolean", "choice", "text"]


class _Model(BaseModel):
    """Strict: no text for a number, no inf or nan; unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        strict=True,
        allow_inf_nan=False,
        defer_build=True,  # built on the first mapping read: a run without one never is
    )


def _separator_character(text: str, space: bool) -> bool:
    """True for one punctuation character (not a sign), or a space when ``space``."""
    if len(text) != 1 or text in "-+":
        return False
    kind = unicodedata.category(text)
    return kind.startswith("P") or (space and kind == "Zs")


def _thousands(text: str) -> str:
    """A thousands separator: one punctuation or space character, or "" for none."""
    if text and not _separator_character(text, space=True):
        raise ValueError(
            "expected one punctuation or space character such as ',', '.', \"'\" or ' ' "
            f'(or "" for none), got {text!r}'
        )
    return text


def _decimal(text: str) -> str:
    """A decimal mark: one punctuation character."""
    if not text:
        raise ValueError("the decimal mark cannot be empty")
    if not _separator_character(text, space=False):
        raise ValueError(f"expected a punctuation character such as '.' or ',', got {text!r}")
    return text


# Separators keep their spaces: " " is a thousands separator, not "none".
Thousands = Annotated[str, StringConstraints(strip_whitespace=False), AfterValidator(_thousands)]
Decimal = Annotated[str, StringConstraints(strip_whitespace=False), AfterValidator(_decimal)]


def _distinct(decimal: str | None, info: ValidationInfo) -> str | None:
    """The decimal mark, if it differs from the thousands separator given before it."""
    thousands = info.data.get("thousands")
    if thousands and thousands == decimal:
        raise ValueError(f"the thousands separator and the decimal mark are both {decimal!r}")
    return decimal


class Bounds(_Model):
    """A plausibility range, in the column's own unit (as written in the file)."""

    min: float | None = None
    max: float | None = None


class VariableSpec(_Model):
    """A column a formula reads, with its unit."""

    column: LongText = Field(min_length=1)
    unit: ShortText | None = None  # the column's unit (none: a plain number)
    missing: list[ShortText] | None = None
    thousands: Thousands | None = None
    decimal: Decimal | None = None
    default: float | None = None  # used where the cell is missing, in ``unit``

    _separators = field_validator("decimal")(_distinct)


Variable = Annotated[VariableSpec, BeforeValidator(lambda v: _shorthand(v))]
Constant = bool | int | float | ShortText


class ColumnSpec(_Model):
    """Where one value comes from and how to read it: a column (``extract`` takes a part of
    its text), a constant ``value``, or a ``formula`` over the columns of ``vars``."""

    column: LongText | None = Field(default=None, min_length=1)
    value: Constant | None = None  # the same value for every row
    formula: LongText | None = None
    vars: dict[ShortText, Variable] = Field(default_factory=dict)  # formula name -> column
    extract: LongText | None = None  # RE2 pattern; its one capture group is the value
    unit: ShortText | None = None  # the column's unit; converted once to the scheme's unit
    aliases: dict[LongText, ShortText] = Field(default_factory=dict)  # file value -> scheme value
    missing: list[ShortText] | None = None  # replaces [mapping].missing for this column
    thousands: Thousands | None = None
    decimal: Decimal | None = None
    plausible: Bounds | None = None
    plausible_by_type: dict[ShortText, Bounds] = Field(default_factory=dict)  # scheme type ->
    implausible: Literal["skip", "missing"] = "skip"

    _separators = field_validator("decimal")(_distinct)

    def alias_lookup(self, value: str) -> str:
        """``value`` through the aliases (exact, then any case)."""
        if value in self.aliases:
            return self.aliases[value]
        lowered = {k.strip().lower(): v for k, v in self.aliases.items()}
        return lowered.get(value.strip().lower(), value)

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        given = [k for k in ("column", "value", "formula") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, value or formula"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if self.extract is not None and self.column is None:
            raise ValueError("extract reads a column: give column too")
        if self.vars and self.formula is None:
            raise ValueError("vars are the columns of a formula: give formula too")
        if self.formula is not None and not self.vars:
            raise ValueError("a formula needs vars: the columns it reads, e.g. vars.x = 'Col'")
        return self


def _shorthand(value: Any) -> Any:
    """``eui = "SiteEUI"`` is short for ``eui = { column = "SiteEUI" }``."""
    return {"column": value} if isinstance(value, str) else value


Column = Annotated[ColumnSpec, BeforeValidator(_shorthand)]


class MappingInfo(_Model):
    """The ``[mapping]`` table: what the file is and its file-wide conventions."""

    title: ShortText = ""
    description: LongText = ""
    source: LongText = ""
    scheme: ShortText | None = None  # the scheme id this mapping was written for (default --scheme)
    schemes: list[ShortText] | None = None  # or several, scored side by side (default --schemes)
    missing: list[ShortText] = Field(default_factory=lambda: list(DEFAULT_MISSING))
    thousands: Thousands = ","  # "" for none
    decimal: Decimal = "."

    _separators = field_validator("decimal")(_distinct)

    @model_validator(mode="after")
    def _scheme_or_schemes(self) -> MappingInfo:
        if self.schemes is None:
            return self
        if self.scheme is not None:
            raise ValueError("give scheme (one) or schemes (several), not both")
        if len(self.schemes) < 2:
            raise ValueError("schemes lists two or more schemes (one: scheme = ...)")
        twice = sorted({s for s in self.schemes if self.schemes.count(s) > 1})
        if twice:
            raise ValueError(f"schemes names {', '.join(map(repr, twice))} twice")
        return self


class MetaColumns(_Model):
    """The ``[columns]`` table: the building's identity, type and floor area."""

    id: Column | None = None
    name: Column | None = None
    building_type: Column | None = None
    gfa: Column | None = None  # gross floor area; unit defaults to m2
    award: Column | None = None  # recorded award: "Green Mark Gold Plus (Super Low Energy)"
    scheme: Column | None = None  # per-row scheme: aliases name scheme ids (blank: the default)


class FilterSpec(_Model):
    """One ``[[where]]`` or ``[[exclude]]`` filter: tests on one column, all of which must hold."""

    model_config = ConfigDict(populate_by_name=False)

    column: LongText = Field(min_length=1)
    in_: list[ShortText] | None = Field(default=None, alias="in")  # case-insensitive, trimmed
    matches: LongText | None = None  # RE2 pattern, case-insensitive, anywhere in the cell
    min: float | None = None  # the cell read as a number
    max: float | None = None
    blank: bool | None = None  # true: the cell is missing; false: it is given
    reason: ShortText = ""  # shown in the summary's out-of-scope counts

    @model_validator(mode="after")
    def _some_test(self) -> FilterSpec:
        tests = (self.in_, self.matches, self.min, self.max, self.blank)
        if all(t is None for t in tests):
            raise ValueError("give at least one test: in, matches, min, max or blank")
        return self


class MappingFile(_Model):
    """A whole mapping file."""

    mapping: MappingInfo = Field(default_factory=MappingInfo)
    where: list[FilterSpec] = Field(default_factory=list)  # rows failing one: out of scope
    exclude: list[FilterSpec] = Field(default_factory=list)  # rows matching one: out of scope
    columns: MetaColumns = Field(default_factory=MetaColumns)
    inputs: dict[str, Column] = Field(default_factory=dict)
    keep: dict[str, Column] = Field(default_factory=dict)  # extra text columns copied through


@dataclass
class LoadedMapping:
    """A mapping file as read, with what is needed to locate problems (``path`` None: default)."""

    model: MappingFile
    path: Path | None = None
    lines: LineIndex | None = None

    def problem(self, location: tuple[str | int, ...], message: str) -> Problem:
        line = self.lines.line_of(location) if self.lines else None
        file = str(self.path) if self.path else None
        return Problem(message, file, dotted(location) or None, line)


def load_mapping(path: str | Path) -> LoadedMapping:
    """Read and validate a mapping file; :class:`GreenmarkError` lists every problem."""
    data, text = read_toml(path)
    lines = LineIndex(text)
    try:
        model = MappingFile.model_validate(data)
    except ValidationError as exc:
        raise GreenmarkError(
            problems=[
                Problem(message, str(path), dotted(location), lines.line_of(location))
                for location, message in friendly_errors(exc)
            ]
        ) from None
    return LoadedMapping(model, Path(path), lines)


def direct_mapping(scheme: Scheme, columns: Iterable[str]) -> LoadedMapping:
    """The mapping used without ``--mapping``: columns named exactly like inputs (and
    ``id``, ``name``, ``building_type``, ``gfa``) map to them, in the scheme's units."""
    present = set(columns)
    meta = {role: role for role in META_ROLES if role in present}
    inputs = {name: name for name in scheme.inputs if name in present}
    model = MappingFile.model_validate({"columns": meta, "inputs": inputs})
    return LoadedMapping(model)


@dataclass(frozen=True)
class FieldPlan:
    """One mapped column, bound to the scheme: everything needed to parse it (picklable)."""

    target: str  # input name, a META_ROLES name, or the keep name
    role: Role
    column: str
    kind: Kind
    unit: str = ""  # the scheme's unit (numbers)
    source_unit: str = ""  # the column's unit as the mapping gives it
    scale: float = 1.0  # scheme value = file value * scale + offset
    offset: float = 0.0
    min: float | None = None  # in the scheme's unit
    max: float | None = None
    plausible_min: float | None = None  # in the column's unit
    plausible_max: float | None = None
    implausible: Literal["skip", "missing"] = "skip"
    plausible_by_type: tuple[tuple[str, float | None, float | None], ...] = ()  # column's unit
    type_codes: tuple[int, ...] = ()  # each plausible_by_type entry's building-type code
    options: tuple[str, ...] = ()  # choices / building types, in code order
    aliases: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, ...] = DEFAULT_MISSING
    thousands: str = ","
    decimal: str = "."
    file: str | None = None  # the mapping file and where this column is mapped (messages)
    line: int | None = None
    location: str = ""  # dotted path in the mapping, e.g. "inputs.eui"
    mapped: bool = False  # from a mapping file (aliases can fix unknown values)
    value: str | None = None  # a constant, as a cell would hold it (column is "")
    extract: str | None = None  # pattern whose capture group is the cell's value
    formula: str | None = None  # over ``variables`` (column is ""), in ``source_unit``
    variables: tuple[VariablePlan, ...] = ()
    formula_scale: float = 1.0  # formula result (SI base units) -> source_unit

    @property
    def alias_map(self) -> dict[str, str]:
        return dict(self.aliases)

    @property
    def reads(self) -> tuple[str, ...]:
        """The file columns this value is read from."""
        if self.formula is not None:
            return tuple(dict.fromkeys(v.column for v in self.variables))
        return (self.column,) if self.column else ()

    @property
    def label(self) -> str:
        """What the value comes from, for messages and the errors file's column."""
        if self.formula is not None:
            return f"{self.target} = {self.formula}"
        if self.value is not None:
            return f"{self.value} (constant)"
        return self.column


_NORMALISE = re.compile(r"[^a-z0-9]+")


def normalise_option(text: str) -> str:
    """Loose option spelling: ``"Mixed Development"`` -> ``mixed_development``."""
    return _NORMALISE.sub("_", text.strip().lower()).strip("_")


@dataclass
class Binding:
    """A mapping bound to a scheme: the fields to read, in a stable order."""

    fields: list[FieldPlan]
    mapping: LoadedMapping
    unmapped_inputs: list[str] = field(default_factory=list)  # scheme inputs without a column
    filters: list[FilterPlan] = field(default_factory=list)
    filter_lines: list[tuple[str, int | None]] = field(default_factory=list)  # location, line

    @property
    def columns(self) -> list[str]:
        """Source columns needed, each once, in mapping order (filters last)."""
        reads = [c for f in self.fields for c in f.reads] + [f.column for f in self.filters]
        return list(dict.fromkeys(reads))

    def used(self) -> dict[str, str]:
        """Each column read -> what it is for (messages)."""
        found: dict[str, str] = {}
        for plan in self.fields:
            for column in plan.reads:
                found.setdefault(column, plan.target)
        for index, row_filter in enumerate(self.filters):
            found.setdefault(row_filter.column, self.filter_lines[index][0])
        return found

    def check_columns(self, available: Iterable[str], source: str) -> None:
        """Raise :class:`GreenmarkError` (located in the mapping) for columns the file lacks."""
        present = list(available)
        wanted: list[tuple[str, str, str | None, str, int | None]] = []
        for plan in self.fields:
            for column in plan.reads:
                location = plan.location
                if plan.formula is not None:
                    location = f"{plan.location}.vars"
                wanted.append((column, plan.target, plan.file, location, plan.line))
        file = str(self.mapping.path) if self.mapping.path else None
        for row_filter, (location, line) in zip(self.filters, self.filter_lines, strict=True):
            wanted.append((row_filter.column, location, file, location, line))
        missing = [w for w in wanted if w[0] not in present]
        if not missing:
            return
        shown = ", ".join(present[:30]) + (", …" if len(present) > 30 else "")
        problems = [
            Problem(
                f"column {column!r} (for {target}) is not in {source}"
                + _suggest(column, present)
                + f" (columns: {shown})",
                file or source,
                location if file else None,
                line,
            )
            for column, target, file, location, line in missing
        ]
        raise GreenmarkError(problems=problems)


def _suggest(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a near miss, else ``""``."""
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _bound(value: float | None, none: str) -> str:
    if value is None:
        return none
    return f"{value:g}"


def _cell_text(value: bool | int | float | str) -> str:
    """A constant as a cell would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _filters(
    loaded: LoadedMapping, problems: list[Problem]
) -> list[tuple[FilterPlan, tuple[str, int]]]:
    """The bound ``[[where]]`` and ``[[exclude]]`` filters, each with its location."""
    info = loaded.model.mapping
    found: list[tuple[FilterPlan, tuple[str, int]]] = []
    for kind, specs in (("where", loaded.model.where), ("exclude", loaded.model.exclude)):
        for index, spec in enumerate(specs):
            if spec.matches is not None:
                try:
                    check_pattern(f"({spec.matches})")
                except ValueError as exc:
                    problems.append(loaded.problem((kind, index, "matches"), str(exc)))
                    continue
            plan = FilterPlan(
                kind,
                spec.column,
                values=None if spec.in_ is None else tuple(spec.in_),
                pattern=spec.matches,
                min=spec.min,
                max=spec.max,
                blank=spec.blank,
                reason=spec.reason,
                missing=tuple(info.missing),
                thousands=info.thousands,
                decimal=info.decimal,
            )
            found.append((plan, (kind, index)))
    return found


def check_for_schemes(loaded: LoadedMapping, schemes: list[Scheme]) -> None:
    """With several schemes each binds the mapping leniently (inputs it lacks left out):
    refuse an input, building type or type bound that none of them knows."""
    ids = ", ".join(s.id for s in schemes)
    inputs = {name for s in schemes for name in s.inputs}
    types = {t for s in schemes for t in s.scheme.building_types}
    problems: list[Problem] = []
    model = loaded.model

    def unknown(location: tuple[str | int, ...], what: str, name: str, known: set[str]) -> None:
        message = f"none of the schemes ({ids}) has {what} {name!r}" + _suggest(name, known)
        problems.append(loaded.problem(location, message))

    for name, spec in model.inputs.items():
        if name not in inputs:
            unknown(("inputs", name), "an input", name, inputs)
        elif types:
            for kind in spec.plausible_by_type:
                if kind not in types:
                    where = ("inputs", name, "plausible_by_type", kind)
                    unknown(where, "a building type", kind, types)
    building_type = model.columns.building_type
    if building_type is not None and types:
        for key, target in building_type.aliases.items():
            if target not in types:
                where = ("columns", "building_type", "aliases", key)
                unknown(where, "a building type", target, types)
    if problems:
        raise GreenmarkError(problems=problems)


def bind(loaded: LoadedMapping, scheme: Scheme, lenient: bool = False) -> Binding:
    """Check the mapping against the scheme and turn it into :class:`FieldPlan` objects.

    ``lenient`` (the other schemes of a per-row scheme column): inputs the scheme does
    not have are left out, and building-type aliases to types it does not have are not
    problems (such rows are skipped with the reason).
    """
    model = loaded.model
    info = model.mapping
    problems: list[Problem] = []
    fields: list[FieldPlan] = []

    def common(spec: ColumnSpec, location: tuple[str | int, ...]) -> dict[str, Any]:
        thousands = info.thousands if spec.thousands is None else spec.thousands
        decimal = info.decimal if spec.decimal is None else spec.decimal
        if thousands and thousands == decimal:
            problems.append(
                loaded.problem(
                    (*location, "thousands"), "the thousands separator equals the decimal mark"
                )
            )
        if spec.extract is not None:
            try:
                check_pattern(spec.extract)
            except ValueError as exc:
                problems.append(loaded.problem((*location, "extract"), str(exc)))
        constant = spec.value
        if constant is not None:  # written as a cell in a plain format
            thousands, decimal = "", "."
        return {
            "column": spec.column or "",
            "value": None if constant is None else _cell_text(constant),
            "extract": spec.extract,
            "aliases": tuple(spec.aliases.items()),
            "missing": tuple(info.missing if spec.missing is None else spec.missing),
            "thousands": thousands,
            "decimal": decimal,
            "file": str(loaded.path) if loaded.path else None,
            "line": loaded.lines.line_of(location) if loaded.lines else None,
            "location": dotted(location),
            "mapped": loaded.path is not None,
        }

    def formula(
        spec: ColumnSpec, location: tuple[str | int, ...], unit: str
    ) -> dict[str, Any] | None:
        """The formula's variables and its scale to ``unit`` (None: a problem was noted)."""
        assert spec.formula is not None
        variables: list[VariablePlan] = []
        units: dict[str, str] = {}
        for name, var in spec.vars.items():
            where = (*location, "vars", name)
            if not name.isidentifier() or name.startswith("_"):
                problems.append(loaded.problem(where, f"{name!r} is not a formula name"))
                return None
            units[name] = var.unit or ""
            try:
                to_base = base_scale(var.unit or "")
            except UnitError as exc:
                problems.append(loaded.problem((*where, "unit"), exc.problems[0].message))
                return None
            thousands = info.thousands if var.thousands is None else var.thousands
            variables.append(
                VariablePlan(
                    name,
                    var.column,
                    var.unit or "",
                    to_base,
                    tuple(info.missing if var.missing is None else var.missing),
                    thousands,
                    info.decimal if var.decimal is None else var.decimal,
                    var.default,
                )
            )
        try:
            scale = result_scale(spec.formula, units, unit)
        except (FormulaError, UnitError) as exc:
            problems.append(loaded.problem((*location, "formula"), exc.problems[0].message))
            return None
        return {"formula": spec.formula, "variables": tuple(variables), "formula_scale": scale}

    def numeric(
        spec: ColumnSpec, location: tuple[str | int, ...], to_unit: str
    ) -> dict[str, Any] | None:
        scale, offset = 1.0, 0.0
        if spec.unit is not None:
            try:
                scale, offset = conversion(spec.unit, to_unit)
            except UnitError as exc:
                problems.append(loaded.problem((*location, "unit"), exc.problems[0].message))
                return None
        derived: dict[str, Any] = {}
        if spec.formula is not None:
            found = formula(spec, location, spec.unit or to_unit)
            if found is None:
                return None
            derived = found
        if spec.value is not None and (
            isinstance(spec.value, bool) or not isinstance(spec.value, int | float)
        ):
            problems.append(
                loaded.problem((*location, "value"), f"expected a number, got {spec.value!r}")
            )
            return None
        bounds = spec.plausible
        if bounds and bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
            problems.append(
                loaded.problem((*location, "plausible"), "plausible.min is above plausible.max")
            )
        if spec.aliases:
            problems.append(
                loaded.problem((*location, "aliases"), "aliases apply to choices and text only")
            )
        types = list(scheme.scheme.building_types)
        by_type: list[tuple[str, float | None, float | None]] = []
        codes: list[int] = []
        for kind, limits in spec.plausible_by_type.items():
            if kind not in types and lenient:
                continue
            if kind not in types:
                problems.append(
                    loaded.problem(
                        (*location, "plausible_by_type", kind),
                        f"{kind!r} is not a building type of {scheme.id} (expected one of: "
                        f"{', '.join(types)})" + _suggest(kind, types),
                    )
                )
                continue
            by_type.append((kind, limits.min, limits.max))
            codes.append(types.index(kind))
        if by_type and model.columns.building_type is None:
            problems.append(
                loaded.problem(
                    (*location, "plausible_by_type"), "needs a building type column ([columns])"
                )
            )
        return {
            **derived,
            "plausible_by_type": tuple(by_type),
            "type_codes": tuple(codes),
            "unit": to_unit,
            "source_unit": spec.unit or to_unit,
            "scale": scale,
            "offset": offset,
            "plausible_min": bounds.min if bounds else None,
            "plausible_max": bounds.max if bounds else None,
            "implausible": spec.implausible,
        }

    def not_numeric(spec: ColumnSpec, location: tuple[str | int, ...], what: str) -> None:
        if spec.formula is not None:
            problems.append(loaded.problem((*location, "formula"), f"a {what} has no formula"))
        if isinstance(spec.value, int | float) and not (
            isinstance(spec.value, bool) and "boolean" in what
        ):
            problems.append(
                loaded.problem((*location, "value"), f"expected text for a {what}, got a number")
            )
        if spec.unit is not None:
            problems.append(loaded.problem((*location, "unit"), f"a {what} has no unit"))
        if spec.plausible is not None or spec.plausible_by_type:
            key = "plausible" if spec.plausible is not None else "plausible_by_type"
            problems.append(
                loaded.problem((*location, key), f"plausible bounds need a number: {what}")
            )

    def check_aliases(
        spec: ColumnSpec, location: tuple[str | int, ...], allowed: Iterable[str], what: str
    ) -> None:
        allowed = list(allowed)
        for key, target in spec.aliases.items():
            if target not in allowed:
                problems.append(
                    loaded.problem(
                        (*location, "aliases", key),
                        f"{target!r} is not {what} (expected one of: {', '.join(allowed)})",
                    )
                )

    meta = model.columns
    if meta.id is not None:
        not_numeric(meta.id, ("columns", "id"), "text column")
        fields.append(FieldPlan("id", "id", kind="text", **common(meta.id, ("columns", "id"))))
    if meta.name is not None:
        not_numeric(meta.name, ("columns", "name"), "text column")
        fields.append(
            FieldPlan("name", "name", kind="text", **common(meta.name, ("columns", "name")))
        )
    if meta.scheme is not None:
        not_numeric(meta.scheme, ("columns", "scheme"), "scheme column")
        fields.append(
            FieldPlan("scheme", "scheme", kind="text", **common(meta.scheme, ("columns", "scheme")))
        )
    if meta.award is not None:
        not_numeric(meta.award, ("columns", "award"), "recorded award")
        fields.append(
            FieldPlan("award", "award", kind="text", **common(meta.award, ("columns", "award")))
        )
    if meta.building_type is not None:
        location = ("columns", "building_type")
        types = scheme.scheme.building_types
        not_numeric(meta.building_type, location, "building type")
        if types and not lenient:
            check_aliases(meta.building_type, location, types, "a building type of the scheme")
        settings = common(meta.building_type, location)
        settings["aliases"] = _filed_types(settings["aliases"], scheme)
        fields.append(
            FieldPlan(
                "building_type", "building_type", kind="choice", options=tuple(types), **settings
            )
        )
    if meta.gfa is not None:
        location = ("columns", "gfa")
        extra = numeric(meta.gfa, location, "m2")
        if extra is not None:
            fields.append(
                FieldPlan(
                    "gfa",
                    "gfa",
                    kind="number",
                    min=0.0,
                    max=MAX_GFA_M2,
                    **extra,
                    **common(meta.gfa, location),
                )
            )

    for name, spec in model.inputs.items():
        location = ("inputs", name)
        input_spec = scheme.inputs.get(name)
        if input_spec is None and lenient:
            continue
        if input_spec is None:
            hint = " (map it under [columns])" if name in META_ROLES else ""
            known = ", ".join(sorted(scheme.inputs))
            problems.append(
                loaded.problem(
                    location,
                    f"scheme {scheme.id} has no input {name!r}{hint}"
                    + _suggest(name, scheme.inputs)
                    + f" (inputs: {known})",
                )
            )
            continue
        if input_spec.type in ("number", "integer"):
            extra = numeric(spec, location, input_spec.unit)
            if extra is None:
                continue
            if isinstance(spec.value, int | float) and not isinstance(spec.value, bool):
                converted = spec.value * extra["scale"] + extra["offset"]
                low, high = input_spec.min, input_spec.max
                if (low is not None and converted < low) or (high is not None and converted > high):
                    problems.append(
                        loaded.problem(
                            (*location, "value"),
                            f"{spec.value} is outside {name}'s range {_bound(low, '-∞')} to "
                            f"{_bound(high, '∞')}"
                            + (f" {input_spec.unit}" if input_spec.unit not in ("", "1") else ""),
                        )
                    )
            fields.append(
                FieldPlan(
                    name,
                    "input",
                    kind=input_spec.type,
                    min=input_spec.min,
                    max=input_spec.max,
                    **extra,
                    **common(spec, location),
                )
            )
        elif input_spec.type == "boolean":
            not_numeric(spec, location, "boolean input")
            words = sorted(TRUE_WORDS | FALSE_WORDS)
            for key, target in spec.aliases.items():
                if target.lower() not in TRUE_WORDS | FALSE_WORDS:
                    problems.append(
                        loaded.problem(
                            (*location, "aliases", key),
                            f"{target!r} is not true or false (use one of: {', '.join(words)})",
                        )
                    )
            if isinstance(spec.value, str) and (
                spec.value.lower() not in TRUE_WORDS | FALSE_WORDS
                and spec.alias_lookup(spec.value).lower() not in TRUE_WORDS | FALSE_WORDS
            ):
                problems.append(
                    loaded.problem(
                        (*location, "value"),
                        f"{spec.value!r} is not true or false (use one of: {', '.join(words)})",
                    )
                )
            fields.append(FieldPlan(name, "input", kind="boolean", **common(spec, location)))
        else:
            not_numeric(spec, location, "choice input")
            options = input_spec.choices or []
            check_aliases(spec, location, options, f"an option of {name}")
            if isinstance(spec.value, str):
                chosen = normalise_option(spec.alias_lookup(spec.value))
                if chosen not in {normalise_option(o) for o in options}:
                    problems.append(
                        loaded.problem(
                            (*location, "value"),
                            f"{spec.value!r} is not an option of {name} "
                            f"(expected one of: {', '.join(options)})"
                            + _suggest(spec.value, options),
                        )
                    )
            fields.append(
                FieldPlan(
                    name, "input", kind="choice", options=tuple(options), **common(spec, location)
                )
            )

    reserved = set(META_ROLES) | set(scheme.inputs) | {"row", "source", "flags"}
    reserved |= {"recorded_award", "recorded_tier", "recorded_badges", "award_agrees", "scheme"}
    for name, spec in model.keep.items():
        location = ("keep", name)
        result_prefixes = ("sec_", "n_", "total_", "tier", "next_", "pts_", "st_", "gate_")
        if (
            name in reserved
            or name in ("blocking", "points_needed", "badges", "gfa")
            or (name.startswith(result_prefixes))
        ):
            problems.append(loaded.problem(location, f"{name!r} is a result column name"))
            continue
        not_numeric(spec, location, "kept column")
        fields.append(FieldPlan(name, "keep", kind="text", **common(spec, location)))

    filters = _filters(loaded, problems)
    if problems:
        raise GreenmarkError(problems=problems)
    unmapped = [name for name in scheme.inputs if name not in model.inputs]
    lines = [
        (dotted(where), loaded.lines.line_of(where) if loaded.lines else None)
        for _, where in filters
    ]
    return Binding(fields, loaded, unmapped, [plan for plan, _ in filters], lines)


def _filed_types(
    aliases: tuple[tuple[str, str], ...], scheme: Scheme
) -> tuple[tuple[str, str], ...]:
    """A building-type column's aliases, then the shared building types the scheme files
    under its own (``building_type_map``: an office is a public building under GB/T
    50378), also where an alias leads to one of them."""
    filed = scheme.scheme.building_type_map
    if not filed:
        return aliases
    composed = tuple((raw, filed.get(target, target)) for raw, target in aliases)
    named = {raw for raw, _ in aliases}
    return composed + tuple((shared, own) for shared, own in filed.items() if shared not in named)
