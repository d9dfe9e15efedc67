"""Project files: one building's metadata, input values, assessor responses and history.

A project file is TOML, human-readable and diffable::

    [project]
    name = "Harbourfront Office"
    scheme = "demo"
    building_type = "office"
    gross_floor_area = 12000            # m2, or { value = 129166, unit = "ft2" }
    stage = "design"

    [inputs]
    eui = 118                           # in the scheme's unit
    ettv = { value = 42, unit = "W/m2" }

    [responses."EN-1"]
    evidence = ["A-201 facade schedule"]

Values may carry a unit; they are converted once, here, to the unit the scheme
declares. Saving is atomic and round-trips without loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from .errors import GreenmarkError, Problem, ProjectError, UnitError
from .scheme import Scheme
from .tomlfile import LineIndex, dotted, dump_toml, read_toml, write_atomic
from .units import convert

Stage = Literal["design", "as-built", "existing"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Quantity(_Model):
    """A number with its unit, e.g. ``{ value = 85, unit = "kBtu/ft2/yr" }``."""

    value: float
    unit: str = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


# Strict members: TOML already gives native types, and ``1`` must not pass for ``true``.
InputValue = Annotated[
    StrictBool | StrictInt | StrictFloat | StrictStr | Quantity, Field(union_mode="left_to_right")
]


class ProjectInfo(_Model):
    """The ``[project]`` table: what the building is and which scheme it is assessed against."""

    name: str = Field(min_length=1)
    scheme: str = Field(min_length=1)
    scheme_version: str | None = None
    building_type: str | None = None
    address: str = ""
    gross_floor_area: float | Quantity | None = None
    stage: Stage = "design"
    assessor: str = ""
    reference: str = ""
    description: str = ""

    @field_validator("gross_floor_area")
    @classmethod
    def _positive_area(cls, value: float | Quantity | None) -> float | Quantity | None:
        number = value.value if isinstance(value, Quantity) else value
        if number is not None and not (math.isfinite(number) and number > 0):
            raise ValueError("must be a positive number of m2")
        return value


class Response(_Model):
    """The assessor's record for one criterion."""

    answer: str = ""
    evidence: list[str] = Field(default_factory=list)
    notes: str = ""
    not_applicable: bool = False


class HistoryEntry(_Model):
    """One change to the project: who, when, which field, old and new value."""

    at: datetime
    who: str = ""
    field: str
    old: InputValue | None = None
    new: InputValue | None = None


class Project(_Model):
    """A whole project file."""

    project: ProjectInfo
    inputs: dict[str, InputValue] = Field(default_factory=dict)
    responses: dict[str, Response] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)

    def to_toml(self) -> str:
        """Serialise to TOML; defaults and unset values are left out."""
        data = self.model_dump(mode="python", exclude_none=True, exclude_defaults=True)
        data.setdefault("inputs", {})
        for entry in data.get("history", []):
            at = entry.get("at")
            if isinstance(at, datetime) and at.tzinfo is None:
                entry["at"] = at.replace(tzinfo=UTC)
        ordered: dict[str, Any] = {
            k: data[k] for k in ("project", "inputs", "responses", "history") if k in data
        }
        return dump_toml(ordered)

    def record(self, field: str, old: Any, new: Any, who: str = "") -> None:
        """Append a change to the history (time in UTC)."""
        self.history.append(
            HistoryEntry(
                at=datetime.now(UTC).replace(microsecond=0), who=who, field=field, old=old, new=new
            )
        )


@dataclass
class LoadedProject:
    """A project as read from disk, with what is needed to report precise errors."""

    project: Project
    path: Path
    lines: LineIndex

    @property
    def display(self) -> str:
        return _display(self.path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_project(path: str | Path) -> LoadedProject:
    """Read and validate a project file (structure only; see :func:`resolve_inputs`)."""
    file = Path(path)
    try:
        data, text = read_toml(file)
    except GreenmarkError as exc:
        raise ProjectError(problems=exc.problems) from None
    lines = LineIndex(text)
    try:
        project = Project.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            location = _clean_location(error["loc"])
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key (not part of the project format)"
            elif error["type"] == "missing":
                message = "required key is missing"
            problems.append(
                Problem(message, _display(file), dotted(location), lines.line_of(location))
            )
        raise ProjectError(problems=_dedupe(problems)) from None
    return LoadedProject(project, file, lines)


def _clean_location(location: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch names (``float``, ``Quantity``...) from a location."""
    branch = {
        "bool",
        "int",
        "float",
        "str",
        "Quantity",
        "none",
        "function-after[_finite(), Quantity]",
    }
    return tuple(p for p in location if not (isinstance(p, str) and (p in branch or "[" in p)))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Collapse union-branch errors into one message per location."""
    by_location: dict[str | None, list[Problem]] = {}
    for problem in problems:
        by_location.setdefault(problem.location, []).append(problem)
    merged = []
    for location, found in by_location.items():
        if len(found) == 1:
            merged.append(found[0])
        else:
            merged.append(
                Problem(
                    "expected a number, true/false, an option name or { value, unit }",
                    found[0].file,
                    location,
                    found[0].line,
                )
            )
    return merged


def save_project(project: Project, path: str | Path) -> None:
    """Write the project atomically (temp file in the same folder, fsync, rename)."""
    write_atomic(path, project.to_toml())


def gross_floor_area(info: ProjectInfo) -> float | None:
    """Gross floor area in m2."""
    area = info.gross_floor_area
    if isinstance(area, Quantity):
        return float(convert(area.value, area.unit, "m2"))
    return area


def resolve_inputs(loaded: LoadedProject, scheme: Scheme) -> dict[str, Any]:
    """Check the project's values against the scheme and convert them to the scheme's units.

    Returns plain values for :func:`greenmark.engine.encode_inputs`: numbers in
    the scheme's unit, booleans, option names; raises :class:`ProjectError`
    listing every problem.
    """
    project = loaded.project
    problems: list[Problem] = []

    def problem(location: tuple[Any, ...], message: str) -> None:
        problems.append(
            Problem(message, loaded.display, dotted(location), loaded.lines.line_of(location))
        )

    values: dict[str, Any] = {}
    info = project.project
    types = scheme.scheme.building_types
    if info.building_type is not None:
        if types and info.building_type not in types:
            problem(
                ("project", "building_type"),
                f"{info.building_type!r} is not a building type of scheme {scheme.id} "
                f"(expected one of: {', '.join(types)})",
            )
        values["building_type"] = info.building_type
    try:
        values["gfa"] = gross_floor_area(info)
    except UnitError as exc:
        problem(("project", "gross_floor_area"), exc.problems[0].message)

    for name, raw in project.inputs.items():
        where = ("inputs", name)
        spec = scheme.inputs.get(name)
        if spec is None:
            known = ", ".join(sorted(scheme.inputs))
            problem(where, f"scheme {scheme.id} has no input {name!r} (inputs: {known})")
            continue
        if spec.type == "boolean":
            if not isinstance(raw, bool):
                problem(where, f"expected true or false, got {raw!r}")
                continue
            values[name] = raw
            continue
        if spec.type == "choice":
            if not isinstance(raw, str) or raw not in (spec.choices or ()):
                problem(where, f"expected one of: {', '.join(spec.choices or ())}; got {raw!r}")
                continue
            values[name] = raw
            continue
        # number / integer
        if isinstance(raw, bool | str):
            problem(where, f"expected a number in {spec.unit}, got {raw!r}")
            continue
        if isinstance(raw, Quantity):
            try:
                number = float(convert(raw.value, raw.unit, spec.unit))
            except UnitError as exc:
                problem((*where, "unit"), exc.problems[0].message)
                continue
        else:
            number = float(raw)
        if not math.isfinite(number):
            problem(where, "expected a finite number")
            continue
        if spec.type == "integer" and not float(number).is_integer():
            problem(where, f"expected a whole number, got {number:g}")
            continue
        unit = "" if spec.unit in ("1", "") else f" {spec.unit}"
        if spec.min is not None and number < spec.min:
            problem(where, f"{number:g}{unit} is below the minimum {spec.min:g}{unit}")
            continue
        if spec.max is not None and number > spec.max:
            problem(where, f"{number:g}{unit} is above the maximum {spec.max:g}{unit}")
            continue
        values[name] = number

    criterion_ids = {c.id for c in scheme.criteria}
    for criterion_id in project.responses:
        if criterion_id not in criterion_ids:
            problem(
                ("responses", criterion_id), f"scheme {scheme.id} has no criterion {criterion_id!r}"
            )
    if problems:
        raise ProjectError(problems=problems)
    return values


def not_applicable_marks(project: Project) -> dict[str, bool]:
    """Criteria the assessor marked not applicable."""
    return {cid: True for cid, response in project.responses.items() if response.not_applicable}
