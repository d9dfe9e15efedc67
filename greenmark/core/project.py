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
declares. Saving is atomic and lossless: the file is kept as read (its tomlkit document,
:class:`ProjectSource`) and only the values that changed are rewritten, so comments,
blank lines, key order and number formats stay (:mod:`greenmark.core.tomledit`).
"""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass, field
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

from greenmark.core import diskcache
from greenmark.core.errors import GreenmarkError, Problem, ProjectError
from greenmark.core.inputvalue import Quantity
from greenmark.core.records import EvidenceFile, Scenario, SignOff
from greenmark.core.tomlfile import (
    LONG_TEXT,
    SHORT_TEXT,
    LineIndex,
    LongText,
    ShortText,
    decode_text,
    dotted,
    friendly_errors,
    parse_toml,
    read_bytes,
    write_atomic,
)
from greenmark.core.units import convert

#: Pre-assessment, then design assessment, then verification (as built, or in operation).
Stage = Literal["pre-assessment", "design", "as-built", "existing"]

#: Largest gross floor area accepted, m2 (more than any building has).
MAX_GFA_M2 = 10_000_000.0
#: The top-level tables of a project file, in the order a new one is placed.
SECTIONS = (
    "project",
    "inputs",
    "inputs_for",
    "facades",
    "boq",
    "fittings",
    "responses",
    "signoffs",
    "scenarios",
    "history",
)
#: The unit each numeric table column is stored in (a value typed in another is converted).
COLUMN_UNITS: dict[str, dict[str, str]] = {
    "facades": {
        "pitch": "deg",
        "wall_area": "m2",
        "window_area": "m2",
        "wall_u": "W/m2/K",
        "window_u": "W/m2/K",
    },
    "boq": {"density": "kg/m3", "areal_mass": "kg/m2"},
    "fittings": {},
}


class _Model(BaseModel):
    """Strict: no text for a number or a boolean, no inf or nan; unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        strict=True,
        allow_inf_nan=False,
        defer_build=True,  # validators built on first use, not at import
    )


# Strict members: TOML already gives native types, and ``1`` must not pass for ``true``.
InputValue = Annotated[
    StrictBool
    | StrictInt
    | StrictFloat
    | Annotated[StrictStr, Field(max_length=SHORT_TEXT)]
    | Quantity,
    Field(union_mode="left_to_right"),
]
#: A value the history records: as :data:`InputValue`, or a longer text (notes, evidence).
HistoryValue = Annotated[
    StrictBool
    | StrictInt
    | StrictFloat
    | Annotated[StrictStr, Field(max_length=LONG_TEXT)]
    | Quantity,
    Field(union_mode="left_to_right"),
]


class ProjectInfo(_Model):
    """The ``[project]`` table: what the building is and which scheme it is assessed against."""

    name: ShortText = Field(min_length=1)
    scheme: LongText = Field(min_length=1)  # a bundled id or a path
    scheme_version: ShortText | None = None
    building_type: ShortText | None = None
    address: LongText = ""
    gross_floor_area: float | Quantity | None = None
    stage: Stage = "design"
    revision: int = Field(default=1, ge=1)  # a new one starts when a signed-off stage changes
    assessor: ShortText = ""
    reference: ShortText = ""
    description: LongText = ""

    @field_validator("gross_floor_area")
    @classmethod
    def _positive_area(cls, value: float | Quantity | None) -> float | Quantity | None:
        if isinstance(value, Quantity):  # its range is checked once converted to m2
            if not value.value > 0:
                raise ValueError("must be a positive number of m2")
        elif value is not None:
            check_gfa(value)
        return value


def check_gfa(area_m2: float) -> None:
    """Raise ``ValueError`` unless ``area_m2`` is a plausible gross floor area."""
    if not (math.isfinite(area_m2) and 0 < area_m2 <= MAX_GFA_M2):
        raise ValueError(
            f"must be a positive number of m2 up to {MAX_GFA_M2:,.0f} m2 "
            f"(larger than any building), got {area_m2:g} m2"
        )


class Facade(_Model):
    """One facade of the envelope (for ETTV/RETV): areas in m2, U-values in W/m2K."""

    name: ShortText = ""
    orientation: ShortText | float  # N, NE, ... or an azimuth in degrees clockwise from north
    pitch: float = Field(default=90.0, ge=0, le=90)  # degrees from horizontal; 90 = wall
    wall_area: float = Field(gt=0)  # gross wall area, opaque + glazed, m2
    window_area: float = Field(default=0.0, ge=0)  # glazed area, m2
    wall_u: float = Field(gt=0)  # opaque wall U-value, W/m2K
    window_u: float = Field(default=5.8, gt=0)  # fenestration U-value, W/m2K
    sc1: float = Field(default=1.0, ge=0, le=1)  # shading coefficient of the glass
    sc2: float = Field(default=1.0, ge=0, le=1)  # shading coefficient of external shading

    @field_validator("window_area")
    @classmethod
    def _within_wall(cls, value: float, info: Any) -> float:
        wall = info.data.get("wall_area")
        if wall is not None and value > wall:
            raise ValueError(f"window area {value:g} m2 exceeds the gross wall area {wall:g} m2")
        return value

    @field_validator("orientation")
    @classmethod
    def _compass(cls, value: str | float) -> str | float:
        from greenmark.calc.envelope import orientation_problem

        problem = orientation_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class BoqLine(_Model):
    """One line of the bill of quantities (for embodied carbon)."""

    material: ShortText = Field(min_length=1)  # a key of criteria/factors/embodied-carbon.toml
    quantity: float = Field(ge=0)
    unit: Literal["kg", "t", "m3", "m2"]
    density: float | None = Field(default=None, gt=0)  # kg/m3, overrides the table
    areal_mass: float | None = Field(default=None, gt=0)  # kg/m2, overrides the table
    # substructure (foundations, piles, basements) counts toward embodied carbon but
    # not toward the concrete usage index, which is about the superstructure
    element: Literal["superstructure", "substructure"] = "superstructure"
    description: LongText = ""


class Fitting(_Model):
    """A water fitting type installed in the building (for WELS ticks)."""

    type: ShortText = Field(min_length=1)  # a key of criteria/factors/wels.toml
    rating: float = Field(ge=0)  # flow in L/min (taps) or flush volume in L/flush
    reduced_flush: float | None = Field(default=None, ge=0)  # L/flush, dual-flush cisterns
    count: int = Field(default=1, ge=1)
    location: LongText = ""


class Response(_Model):
    """The assessor's record for one criterion."""

    answer: LongText = ""
    evidence: list[LongText] = Field(default_factory=list)
    notes: LongText = ""
    not_applicable: bool = False
    review_state: Literal["open", "accepted", "needs_clarification", "rejected"] = "open"
    review_comment: LongText = ""  # the reviewer's remark on this criterion
    files: list[EvidenceFile] = Field(default_factory=list)  # attached (core.evidence)
    documents_received: list[LongText] = Field(default_factory=list)  # the scheme's checklist


class HistoryEntry(_Model):
    """One change to the project: who, when, which field, old and new value."""

    at: datetime
    who: ShortText = ""
    field: ShortText
    old: HistoryValue | None = None
    new: HistoryValue | None = None
    note: LongText = ""  # why, e.g. ``greenmark set --note``


class Project(_Model):
    """A whole project file."""

    project: ProjectInfo
    inputs: dict[ShortText, InputValue] = Field(default_factory=dict)
    inputs_for: dict[ShortText, dict[ShortText, InputValue]] = Field(default_factory=dict)
    """Values for one other scheme alone (``[inputs_for.edge] energy_savings = 31``): what
    it measures against its own reference, or names otherwise (``building_type``)."""
    facades: list[Facade] = Field(default_factory=list)
    boq: list[BoqLine] = Field(default_factory=list)
    fittings: list[Fitting] = Field(default_factory=list)
    responses: dict[ShortText, Response] = Field(default_factory=dict)
    signoffs: list[SignOff] = Field(default_factory=list)
    scenarios: dict[ShortText, Scenario] = Field(default_factory=dict)  # proposals, not facts
    history: list[HistoryEntry] = Field(default_factory=list)

    def plain(self, compact: bool = False) -> dict[str, Any]:
        """The project as plain TOML values (unset ones left out; ``compact``: defaults too)."""
        data = self.model_dump(mode="python", exclude_none=True, exclude_defaults=compact)
        stamped = [*data.get("history", []), *data.get("signoffs", [])]
        stamped += list(data.get("scenarios", {}).values())
        stamped += [f for r in data.get("responses", {}).values() for f in r.get("files", [])]
        for entry in stamped:
            for key in ("at", "attached", "created"):
                at = entry.get(key)
                if isinstance(at, datetime) and at.tzinfo is None:
                    entry[key] = at.replace(tzinfo=UTC)
        return data

    def to_toml(self) -> str:
        """A new file for the project: defaults left out, but ``[project]`` keeps its stage."""
        data = self.plain(compact=True)
        info = data.setdefault("project", {})
        info["stage"] = self.project.stage
        fields = list(ProjectInfo.model_fields)
        data["project"] = dict(sorted(info.items(), key=lambda kv: fields.index(kv[0])))
        data.setdefault("inputs", {})
        from greenmark.core.tomledit import parse_document, patch  # tomlkit: only to write

        document = parse_document("")
        patch(document, {}, {k: data[k] for k in SECTIONS if k in data}, order=SECTIONS)
        return document.as_string()

    def record(self, field: str, old: Any, new: Any, who: str = "", note: str = "") -> HistoryEntry:
        """Append a change to the history (time in UTC); over-long text is shortened."""
        entry = HistoryEntry(
            at=datetime.now(UTC).replace(microsecond=0),
            who=_clip(who, SHORT_TEXT),
            field=_clip(field, SHORT_TEXT),
            old=_clip(old, LONG_TEXT),
            new=_clip(new, LONG_TEXT),
            note=_clip(note, LONG_TEXT),
        )
        self.history.append(entry)
        return entry


def _clip(value: Any, limit: int) -> Any:
    """``value``, or its first ``limit`` characters (ending in "…") when it is longer text."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


@dataclass
class ProjectSource:
    """The text a project file was read from, to save it back changing only what changed.

    The tomlkit document is parsed on the first save (scoring never needs it); what the
    text holds is worked out from the text itself, so a project changed in place still
    saves every change.
    """

    text: str
    bom: bool = False  # the file started with a UTF-8 byte-order mark (written back)
    _document: Any = field(default=None, repr=False)
    _data: dict[str, Any] | None = field(default=None, repr=False)

    def data(self) -> dict[str, Any] | None:
        """The project the text holds, as plain values (None when it does not validate)."""
        if self._data is None:
            try:
                self._data = Project.model_validate(parse_toml(self.text)).plain()
            except (GreenmarkError, ValidationError):
                return None
        return self._data

    def render(self, project: Project) -> str:
        """The file text for ``project``: the text as read, with only its changes made.

        Unchanged, it is the text itself (byte for byte). Should the edited document not
        read back as ``project`` (a layout the editor cannot follow), a fresh file is
        written instead: a file that is correct comes before one that looks the same.
        """
        from tomlkit.exceptions import TOMLKitError

        from greenmark.core.tomledit import parse_document, patch, same

        new = project.plain()
        old = self.data()
        if old is not None and same(old, new):
            return self.text
        if old is None:
            return project.to_toml()
        try:
            document = self._document or parse_document(self.text)
            patch(document, old, new, project.plain(compact=True), order=SECTIONS)
            text = document.as_string()
            kept = same(Project.model_validate(parse_toml(text)).plain(), new, rel=1e-12)
        except (GreenmarkError, ValidationError, TOMLKitError, LookupError, TypeError, ValueError):
            kept = False
        if not kept:
            self._document = None
            return project.to_toml()
        self._document = document
        return text

    def saved(self, text: str, project: Project) -> None:
        """Record that ``text`` (holding ``project``) is now what the file holds."""
        self.text = text
        self._data = project.plain()

    def forget(self) -> None:
        """Drop the parsed document (after a failed write it may hold unsaved edits)."""
        self._document = None


@dataclass
class LoadedProject:
    """A project as read from disk, with what is needed to report precise errors."""

    project: Project
    path: Path
    lines: LineIndex
    source: ProjectSource | None = None  # for a lossless save; None: written afresh

    @property
    def display(self) -> str:
        return _display(self.path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_project(path: str | Path, *, remember: bool = False) -> LoadedProject:
    """Read and validate a project file (structure only; see
    :func:`greenmark.core.projectinputs.resolve_inputs`).

    ``remember``: keep the validated project in the user's cache folder
    (:mod:`greenmark.core.diskcache`), keyed on the file's exact bytes, and take it from
    there when the file is unchanged (a single-file command then neither parses the TOML
    nor builds the validators). Off by default: a batch over thousands of files must not
    leave an entry for each.
    """
    file = Path(path)
    try:
        raw = read_bytes(file)
        text = decode_text(raw, str(file))
    except GreenmarkError as exc:
        raise ProjectError(problems=exc.problems) from None
    lines = LineIndex(text)
    if remember:
        project = diskcache.cached(
            "project",
            str(file.resolve()),
            lambda: [diskcache.sha256(raw)],
            lambda: _validated(file, text, lines),
            Project,
        )
    else:
        project = _validated(file, text, lines)
    source = ProjectSource(text, bom=raw.startswith(codecs.BOM_UTF8))
    return LoadedProject(project, file, lines, source)


def _validated(file: Path, text: str, lines: LineIndex) -> Project:
    """The project ``text`` (read from ``file``) parsed and validated."""
    try:
        data = parse_toml(text, str(file))
    except GreenmarkError as exc:
        raise ProjectError(problems=exc.problems) from None
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(message, _display(file), dotted(location), lines.line_of(location))
            for location, message in friendly_errors(exc)
        ]
        raise ProjectError(problems=problems) from None


def save_project(
    project: Project, path: str | Path, source: ProjectSource | None = None
) -> ProjectSource:
    """Write the project atomically (temp file in the same folder, fsync, rename).

    With the ``source`` it was read from, only the values that changed are rewritten
    (see :class:`ProjectSource`); without, a fresh file is written. Returns the source
    to save the next change with.
    """
    text = source.render(project) if source is not None else project.to_toml()
    bom = "\ufeff" if source is not None and source.bom else ""
    try:
        write_atomic(path, bom + text)
    except BaseException:
        if source is not None:
            source.forget()
        raise
    if source is None:
        source = ProjectSource(text)
    source.saved(text, project)
    return source


def gross_floor_area(info: ProjectInfo) -> float | None:
    """Gross floor area in m2."""
    area = info.gross_floor_area
    if isinstance(area, Quantity):
        return float(convert(area.value, area.unit, "m2"))
    return area
