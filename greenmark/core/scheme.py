"""Scheme files: pydantic models of ``criteria/*.toml``, loading and whole-scheme validation.

A scheme is data: inputs, derived quantities, sections, criteria with their
point rules, gates, tiers and badges. :func:`load_scheme` reads a file,
validates it into a :class:`Scheme` and checks everything that spans several
parts (ids, references, formulas, units, band order, tier order, cycles),
reporting *every* problem with its file, line and dotted field path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from greenmark.core.errors import FormulaError, GreenmarkError, Problem, SchemeError, UnitError
from greenmark.core.formula import Formula, compile_formula
from greenmark.core.resources import criteria_dir
from greenmark.core.tomlfile import (
    LineIndex,
    LongText,
    ShortText,
    dotted,
    friendly_errors,
    read_toml,
)
from greenmark.core.units import parse_unit

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
ItemId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]

#: Names every scheme may read without declaring them (filled from the project's metadata).
BUILTIN_INPUTS = {"gfa": "m2"}
#: Names reserved for results (see :func:`result_names`).
RESULT_PREFIXES = ("sec_", "sec_pct_", "grp_", "pts_")
RESULT_TOTALS = ("total_points", "total_percent")


class _Model(BaseModel):
    """Strict: no text for a number or a boolean, no inf or nan; unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True, allow_inf_nan=False
    )


class SchemeInfo(_Model):
    """The ``[scheme]`` table: identity, version and scoring model."""

    id: ItemId
    title: ShortText = Field(min_length=1)
    version: ShortText = Field(min_length=1)
    description: LongText = ""
    scoring: Literal["points", "percent"] = "points"
    building_types: list[Name] = Field(default_factory=list)
    source: LongText = ""


class ConstantSpec(_Model):
    """A named number used by formulas, with its provenance."""

    value: float
    unit: ShortText = "1"
    label: ShortText = ""
    source: LongText = ""
    verified: bool = True
    note: LongText = ""


class InputSpec(_Model):
    """A value the assessor or the portfolio provides."""

    label: ShortText = Field(min_length=1)
    type: Literal["number", "integer", "boolean", "choice"] = "number"
    unit: ShortText = "1"
    min: float | None = None
    max: float | None = None
    choices: list[Name] | None = None
    help: LongText = ""
    calculator: ShortText | None = None  # fills the value from the project's tables (facades, BoQ…)


class DerivedSpec(_Model):
    """A quantity computed from inputs (and other derived quantities) by a formula."""

    label: ShortText = Field(min_length=1)
    formula: LongText
    unit: ShortText = "1"
    help: LongText = ""


class MetricSpec(_Model):
    """A quantity computed after scoring, from results such as section points."""

    label: ShortText = Field(min_length=1)
    formula: LongText
    unit: ShortText = "1"


class SectionSpec(_Model):
    """A section of criteria with its optional cap, floor and weight."""

    id: Name
    title: ShortText = Field(min_length=1)
    description: LongText = ""
    cap: float | None = Field(default=None, gt=0)
    bonus_cap: float | None = Field(default=None, gt=0)
    floor: float | None = Field(default=None, ge=0)
    floor_percent: float | None = Field(default=None, ge=0, le=100)
    weight: float | dict[ShortText, float] | None = None


class GroupSpec(_Model):
    """Several sections sharing one cap and/or floor (e.g. "other green parts ≤ 50")."""

    id: Name
    title: ShortText = Field(min_length=1)
    sections: list[Name] = Field(min_length=1)
    cap: float | None = Field(default=None, gt=0)
    floor: float | None = Field(default=None, ge=0)


class FormulaPoints(_Model):
    """Points from a formula, clipped to ``[0, max_points]``."""

    formula: LongText


class BandPoints(_Model):
    """Points from a lookup table: the last threshold reached in ``at`` gives ``give``."""

    bands: LongText
    at: list[float] = Field(min_length=1)
    give: list[float] = Field(min_length=1)
    better: Literal["higher", "lower"] = "higher"


class YesNoPoints(_Model):
    """``give`` points when the condition ``yes`` holds, else 0."""

    yes: LongText
    give: float = Field(ge=0)


class ChoicePoints(_Model):
    """Points by the option chosen for a ``choice`` input."""

    choice: Name
    give: dict[ShortText, float]


def _rule_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("formula", "bands", "yes", "choice"):
            if key in value:
                return key
        return None
    return type(value).__name__


PointsRule = Annotated[
    Annotated[FormulaPoints, Tag("formula")]
    | Annotated[BandPoints, Tag("bands")]
    | Annotated[YesNoPoints, Tag("yes")]
    | Annotated[ChoicePoints, Tag("choice")],
    Discriminator(
        lambda v: {
            "FormulaPoints": "formula",
            "BandPoints": "bands",
            "YesNoPoints": "yes",
            "ChoicePoints": "choice",
        }.get(_rule_tag(v) or "", _rule_tag(v)),
        custom_error_type="points_rule",
        custom_error_message=(
            "expected a table with one of the keys 'formula', 'bands', 'yes' or 'choice'"
        ),
    ),
]


class CriterionSpec(_Model):
    """One credit: where it belongs, how many points it can give and how."""

    id: ItemId
    section: Name
    title: ShortText = Field(min_length=1)
    max_points: float = Field(gt=0)
    points: PointsRule
    bonus: bool = False
    applies_if: LongText | None = None
    guidance: LongText = ""
    source: LongText = ""
    verified: bool = True


class GateSpec(_Model):
    """A prerequisite; with ``from_tier`` it only applies from that tier up."""

    id: ItemId
    title: ShortText = Field(min_length=1)
    condition: LongText
    from_tier: Name | None = None
    applies_if: LongText | None = None
    source: LongText = ""
    verified: bool = True


class TierSpec(_Model):
    """A rating tier, listed from lowest to highest."""

    id: Name
    title: ShortText = Field(min_length=1)
    min_points: float | None = Field(default=None, ge=0)
    min_percent: float | None = Field(default=None, ge=0, le=100)
    condition: LongText | None = None
    source: LongText = ""
    verified: bool = True


class BadgeSpec(_Model):
    """An award on top of the tier, with its own condition."""

    id: Name
    title: ShortText = Field(min_length=1)
    condition: LongText
    min_tier: Name | None = None
    supersedes: list[Name] = Field(default_factory=list)  # badges not listed when this one is
    source: LongText = ""
    verified: bool = True


class Scheme(_Model):
    """A whole certification scheme as read from TOML."""

    scheme: SchemeInfo
    constants: dict[Name, ConstantSpec] = Field(default_factory=dict)
    inputs: dict[Name, InputSpec] = Field(default_factory=dict)
    derived: dict[Name, DerivedSpec] = Field(default_factory=dict)
    sections: list[SectionSpec] = Field(min_length=1)
    groups: list[GroupSpec] = Field(default_factory=list)
    criteria: list[CriterionSpec] = Field(min_length=1)
    metrics: dict[Name, MetricSpec] = Field(default_factory=dict)
    gates: list[GateSpec] = Field(default_factory=list)
    tiers: list[TierSpec] = Field(min_length=1)
    badges: list[BadgeSpec] = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.scheme.id

    @property
    def version(self) -> str:
        return self.scheme.version

    def criterion(self, criterion_id: str) -> CriterionSpec:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def tier_index(self, tier_id: str) -> int:
        return [t.id for t in self.tiers].index(tier_id)


def slug(item_id: str) -> str:
    """The formula name fragment of an id: ``EE-01`` -> ``EE_01``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", item_id)


def choice_flag(input_name: str, option: str) -> str:
    """Formula name that is true when a choice input has the given option."""
    return f"{input_name}_is_{option}"


def input_names(scheme: Scheme) -> set[str]:
    """Names a criterion formula may read: constants, inputs, choice flags, derived, built-ins."""
    names = set(scheme.constants) | set(scheme.inputs) | set(scheme.derived) | set(BUILTIN_INPUTS)
    for name, spec in scheme.inputs.items():
        for option in spec.choices or ():
            names.add(choice_flag(name, option))
    for building_type in scheme.scheme.building_types:
        names.add(choice_flag("building_type", building_type))
    return names


def result_names(scheme: Scheme) -> set[str]:
    """Names available after scoring: totals, section/group/criterion points and metrics."""
    names = set(RESULT_TOTALS)
    for section in scheme.sections:
        names.update({f"sec_{section.id}", f"sec_pct_{section.id}"})
    names.update(f"grp_{group.id}" for group in scheme.groups)
    names.update(f"pts_{slug(c.id)}" for c in scheme.criteria)
    return names | set(scheme.metrics)


@dataclass(frozen=True)
class FormulaSite:
    """One formula of a scheme and where it lives."""

    location: tuple[str | int, ...]
    label: str  # human name of the owner, e.g. "criterion EE-01"
    source: str
    stage: Literal["input", "result"]  # which names it may read


def formula_sites(scheme: Scheme) -> Iterator[FormulaSite]:
    """Every formula in the scheme with its location and the names it may read."""
    for name, derived in scheme.derived.items():
        yield FormulaSite(("derived", name, "formula"), f"derived {name}", derived.formula, "input")
    for index, criterion in enumerate(scheme.criteria):
        where = ("criteria", index)
        label = f"criterion {criterion.id}"
        rule = criterion.points
        if isinstance(rule, FormulaPoints):
            yield FormulaSite((*where, "points", "formula"), label, rule.formula, "input")
        elif isinstance(rule, BandPoints):
            yield FormulaSite((*where, "points", "bands"), label, rule.bands, "input")
        elif isinstance(rule, YesNoPoints):
            yield FormulaSite((*where, "points", "yes"), label, rule.yes, "input")
        if criterion.applies_if is not None:
            yield FormulaSite((*where, "applies_if"), label, criterion.applies_if, "input")
    for name, metric in scheme.metrics.items():
        yield FormulaSite(("metrics", name, "formula"), f"metric {name}", metric.formula, "result")
    for index, gate in enumerate(scheme.gates):
        label = f"gate {gate.id}"
        yield FormulaSite(("gates", index, "condition"), label, gate.condition, "result")
        if gate.applies_if is not None:
            yield FormulaSite(("gates", index, "applies_if"), label, gate.applies_if, "result")
    for index, tier in enumerate(scheme.tiers):
        if tier.condition is not None:
            yield FormulaSite(
                ("tiers", index, "condition"), f"tier {tier.id}", tier.condition, "result"
            )
    for index, badge in enumerate(scheme.badges):
        yield FormulaSite(
            ("badges", index, "condition"), f"badge {badge.id}", badge.condition, "result"
        )


def compile_site(scheme: Scheme, site: FormulaSite) -> Formula:
    """Compile one formula of the scheme against the names its stage may read."""
    allowed = input_names(scheme)
    if site.stage == "result":
        allowed |= result_names(scheme)
    return compile_formula(site.source, allowed)


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle in ``graph`` (name -> names it reads), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in graph:
                continue
            if state.get(neighbour) == 1:
                return [*stack[stack.index(neighbour) :], neighbour]
            if neighbour not in state:
                found = visit(neighbour)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def dependency_order(graph: dict[str, set[str]]) -> list[str]:
    """Names of ``graph`` ordered so that each comes after the names it reads."""
    order: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        done.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour in graph:
                visit(neighbour)
        order.append(node)

    for node in graph:
        visit(node)
    return order


def check_scheme(scheme: Scheme) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field checks; returns ``(location, message)`` for every problem found."""
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def add(location: tuple[str | int, ...], message: str) -> None:
        problems.append((location, message))

    # Names: one namespace for constants, inputs, derived quantities and metrics.
    owners: dict[str, str] = {}
    for kind in ("constants", "inputs", "derived", "metrics"):
        for name in getattr(scheme, kind):
            if name in owners:
                add((kind, name), f"name {name!r} is already used in [{owners[name]}]")
            elif name in BUILTIN_INPUTS or name == "building_type":
                add((kind, name), f"name {name!r} is built in (it comes from the project)")
            elif name in RESULT_TOTALS or name.startswith(RESULT_PREFIXES):
                add(
                    (kind, name),
                    f"name {name!r} is reserved for results (prefixes sec_, grp_, pts_)",
                )
            owners[name] = kind

    where: tuple[str | int, ...]
    for name, spec in scheme.inputs.items():
        where = ("inputs", name)
        if spec.type == "choice" and not spec.choices:
            add((*where, "type"), "a choice input needs a non-empty 'choices' list")
        if spec.type != "choice" and spec.choices is not None:
            add(
                (*where, "choices"),
                f"'choices' is only allowed when type = 'choice', not {spec.type!r}",
            )
        if spec.choices and _duplicates(spec.choices):
            add((*where, "choices"), f"duplicate choices: {', '.join(_duplicates(spec.choices))}")
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            add((*where, "max"), f"max ({spec.max:g}) is below min ({spec.min:g})")
        if spec.type in ("boolean", "choice") and (spec.min is not None or spec.max is not None):
            add((*where, "min"), f"min/max do not apply to a {spec.type} input")
        if spec.calculator is not None:
            from greenmark.calc.registry import calculator_names

            known = calculator_names()
            if spec.calculator not in known:
                add(
                    (*where, "calculator"),
                    f"unknown calculator {spec.calculator!r} (known: {', '.join(known)})",
                )

    unit_owners: list[tuple[tuple[str | int, ...], str]] = [
        (("inputs", n, "unit"), s.unit) for n, s in scheme.inputs.items()
    ]
    unit_owners += [(("derived", n, "unit"), s.unit) for n, s in scheme.derived.items()]
    unit_owners += [(("constants", n, "unit"), s.unit) for n, s in scheme.constants.items()]
    unit_owners += [(("metrics", n, "unit"), s.unit) for n, s in scheme.metrics.items()]
    for location, unit in unit_owners:
        try:
            parse_unit(unit)
        except UnitError as exc:
            add(location, exc.problems[0].message)

    # Ids.
    for kind, items in (
        ("sections", scheme.sections),
        ("groups", scheme.groups),
        ("criteria", scheme.criteria),
        ("gates", scheme.gates),
        ("tiers", scheme.tiers),
        ("badges", scheme.badges),
    ):
        ids = [item.id for item in items]
        for repeated in _duplicates(ids):
            index = len(ids) - 1 - ids[::-1].index(repeated)
            add((kind, index, "id"), f"duplicate id {repeated!r} in [[{kind}]]")
    ids_by_slug: dict[str, set[str]] = {}
    for criterion in scheme.criteria:
        ids_by_slug.setdefault(slug(criterion.id), set()).add(criterion.id)
    for name, clashing in ids_by_slug.items():
        if len(clashing) > 1:
            add(
                ("criteria",),
                f"criterion ids {', '.join(sorted(clashing))} clash once written as the "
                f"formula name pts_{name}",
            )

    section_ids = {s.id for s in scheme.sections}
    tier_ids = [t.id for t in scheme.tiers]
    building_types = set(scheme.scheme.building_types)

    for index, section in enumerate(scheme.sections):
        where = ("sections", index)
        if scheme.scheme.scoring == "percent":
            if section.weight is None:
                add((*where, "weight"), "a percent-scored scheme needs a weight for every section")
            if section.floor is not None:
                add((*where, "floor"), "use floor_percent in a percent-scored scheme")
        elif section.weight is not None:
            add((*where, "weight"), "weights only apply when scheme.scoring = 'percent'")
        if isinstance(section.weight, dict):
            for key, value in section.weight.items():
                if key != "default" and key not in building_types:
                    add(
                        (*where, "weight", key),
                        f"unknown building type {key!r} (scheme.building_types: "
                        f"{', '.join(sorted(building_types)) or 'none'})",
                    )
                if value < 0:
                    add((*where, "weight", key), "weights cannot be negative")
            missing = building_types - set(section.weight)
            if "default" not in section.weight and missing:
                add(
                    (*where, "weight"),
                    f"no weight for building types {', '.join(sorted(missing))} and no 'default'",
                )
        elif isinstance(section.weight, float | int) and section.weight < 0:
            add((*where, "weight"), "weights cannot be negative")
        if section.floor is not None and section.cap is not None and section.floor > section.cap:
            add((*where, "floor"), f"floor ({section.floor:g}) is above the cap ({section.cap:g})")

    grouped: dict[str, str] = {}
    for index, group in enumerate(scheme.groups):
        for member in group.sections:
            if member not in section_ids:
                add(("groups", index, "sections"), f"unknown section {member!r}")
            elif member in grouped:
                add(
                    ("groups", index, "sections"),
                    f"section {member!r} is already in group {grouped[member]!r}",
                )
            grouped[member] = group.id

    for index, criterion in enumerate(scheme.criteria):
        where = ("criteria", index)
        if criterion.section not in section_ids:
            add(
                (*where, "section"),
                f"unknown section {criterion.section!r} "
                f"(sections: {', '.join(s.id for s in scheme.sections)})",
            )
        rule = criterion.points
        if isinstance(rule, BandPoints):
            if len(rule.at) != len(rule.give):
                add(
                    (*where, "points", "give"),
                    f"'at' has {len(rule.at)} thresholds but 'give' has {len(rule.give)} values",
                )
            steps = list(zip(rule.at, rule.at[1:], strict=False))
            if rule.better == "higher" and any(b <= a for a, b in steps):
                add(
                    (*where, "points", "at"),
                    "band thresholds must be strictly increasing when better = 'higher'",
                )
            if rule.better == "lower" and any(b >= a for a, b in steps):
                add(
                    (*where, "points", "at"),
                    "band thresholds must be strictly decreasing when better = 'lower'",
                )
            if any(g < 0 for g in rule.give):
                add((*where, "points", "give"), "points cannot be negative")
            if any(g > criterion.max_points for g in rule.give):
                add(
                    (*where, "points", "give"),
                    f"a band gives more than max_points ({criterion.max_points:g})",
                )
        elif isinstance(rule, YesNoPoints):
            if rule.give > criterion.max_points:
                add(
                    (*where, "points", "give"),
                    f"gives {rule.give:g} points, more than max_points ({criterion.max_points:g})",
                )
        elif isinstance(rule, ChoicePoints):
            choice_spec = scheme.inputs.get(rule.choice)
            if choice_spec is None or choice_spec.type != "choice":
                add((*where, "points", "choice"), f"{rule.choice!r} is not a choice input")
            else:
                spec = choice_spec
                for option, value in rule.give.items():
                    if option not in (spec.choices or ()):
                        add(
                            (*where, "points", "give", option),
                            f"{option!r} is not a choice of {rule.choice!r} "
                            f"({', '.join(spec.choices or ())})",
                        )
                    if value < 0 or value > criterion.max_points:
                        add(
                            (*where, "points", "give", option),
                            f"must be between 0 and max_points ({criterion.max_points:g})",
                        )

    for index, gate in enumerate(scheme.gates):
        if gate.from_tier is not None and gate.from_tier not in tier_ids:
            add(("gates", index, "from_tier"), f"unknown tier {gate.from_tier!r}")
    badge_ids = [b.id for b in scheme.badges]
    for index, badge in enumerate(scheme.badges):
        if badge.min_tier is not None and badge.min_tier not in tier_ids:
            add(("badges", index, "min_tier"), f"unknown tier {badge.min_tier!r}")
        for k, other in enumerate(badge.supersedes):
            if other == badge.id:
                add(("badges", index, "supersedes", k), "a badge cannot supersede itself")
            elif other not in badge_ids:
                add(
                    ("badges", index, "supersedes", k),
                    f"unknown badge {other!r} (badges: {', '.join(badge_ids)})",
                )
    superseded = {b.id: set(b.supersedes) for b in scheme.badges}
    circular = [i for i, b in enumerate(scheme.badges) if _reaches(superseded, b.id, b.id)]
    if circular:  # one problem, at the first badge of the cycle
        names = ", ".join(scheme.badges[i].id for i in circular)
        add(
            ("badges", circular[0], "supersedes"),
            f"badges supersede each other in a cycle ({names})",
        )

    # Tiers: the right kind of threshold, in increasing order.
    key = "min_percent" if scheme.scheme.scoring == "percent" else "min_points"
    other = "min_points" if key == "min_percent" else "min_percent"
    previous: tuple[str, float] | None = None
    for index, tier in enumerate(scheme.tiers):
        if getattr(tier, other) is not None:
            add((("tiers", index, other)), f"use {key} in a {scheme.scheme.scoring}-scored scheme")
        threshold = getattr(tier, key)
        if threshold is None:
            continue
        if previous is not None and threshold <= previous[1]:
            add(
                ("tiers", index, key),
                f"tiers go from lowest to highest: {key} {threshold:g} is not above "
                f"{previous[1]:g} of tier {previous[0]!r}",
            )
        previous = (tier.id, threshold)

    # Formulas: each compiles against the names its stage may read.
    derived_graph: dict[str, set[str]] = {}
    metric_graph: dict[str, set[str]] = {}
    for site in formula_sites(scheme):
        try:
            formula = compile_site(scheme, site)
        except FormulaError as exc:
            add(site.location, f"{site.label}: {exc.problems[0].message} in {site.source!r}")
            continue
        if site.location[0] == "derived":
            derived_graph[str(site.location[1])] = set(formula.names)
        elif site.location[0] == "metrics":
            metric_graph[str(site.location[1])] = set(formula.names)
    for kind, graph in (("derived", derived_graph), ("metrics", metric_graph)):
        cycle = _cycle(graph)
        if cycle:
            add((kind, cycle[0], "formula"), f"circular definition: {' -> '.join(cycle)}")
    return problems


def _locate(
    location: tuple[str | int, ...], lines: LineIndex | None, file: str | None, message: str
) -> Problem:
    line = lines.line_of(location) if lines else None
    return Problem(message, file, dotted(location) or None, line)


def _pydantic_problems(
    exc: ValidationError, lines: LineIndex | None, file: str | None
) -> list[Problem]:
    return [
        _locate(location, lines, file, message)
        for location, message in friendly_errors(exc, tags_after="points")
    ]


def parse_scheme(data: dict[str, Any], text: str | None = None, file: str | None = None) -> Scheme:
    """Validate parsed TOML into a :class:`Scheme`; :class:`SchemeError` lists every problem."""
    lines = LineIndex(text) if text is not None else None
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        raise SchemeError(problems=_pydantic_problems(exc, lines, file)) from None
    found = check_scheme(scheme)
    if found:
        raise SchemeError(problems=[_locate(loc, lines, file, msg) for loc, msg in found])
    return scheme


def load_scheme(path: str | Path) -> Scheme:
    """Read and validate a scheme file."""
    return _load_scheme_cached(str(Path(path).resolve()), _mtime(path))


def _mtime(path: str | Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return -1.0


@lru_cache(maxsize=32)
def _load_scheme_cached(path: str, mtime: float) -> Scheme:
    try:
        data, text = read_toml(path)
    except GreenmarkError as exc:
        shown = _display(path)
        raise SchemeError(
            problems=[Problem(p.message, shown, p.location, p.line) for p in exc.problems]
        ) from None
    return parse_scheme(data, text, _display(path))


def _display(path: str | Path) -> str:
    """A path as the user would like to read it: relative to the working folder when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


@dataclass(frozen=True)
class SchemeEntry:
    """A scheme file found in a folder."""

    id: str
    version: str
    title: str
    path: Path


def bundled_schemes(folder: Path | None = None) -> list[SchemeEntry]:
    """Schemes shipped in ``criteria/`` (files with a ``[scheme]`` table), sorted by id."""
    entries = []
    for path in sorted((folder or criteria_dir()).glob("*.toml")):
        try:
            info = read_toml(path)[0].get("scheme")
        except GreenmarkError:
            continue
        if isinstance(info, dict) and isinstance(info.get("id"), str):
            entries.append(
                SchemeEntry(
                    info["id"], str(info.get("version", "")), str(info.get("title", "")), path
                )
            )
    return sorted(entries, key=lambda e: e.id)


def resolve_scheme(reference: str, relative_to: Path | None = None) -> Path:
    """Find a scheme by path (absolute, or relative to a project file) or by bundled id."""
    candidates = [Path(reference)]
    if relative_to is not None:
        candidates.insert(0, relative_to / reference)
    if reference.endswith(".toml"):
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    for entry in bundled_schemes():
        if entry.id == reference:
            return entry.path
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = ", ".join(e.id for e in bundled_schemes()) or "none"
    raise SchemeError(f"unknown scheme {reference!r} (bundled schemes: {known})")


def unverified_constants(scheme: Scheme) -> list[tuple[str, str]]:
    """``(where, note)`` for every value the scheme marks ``verified = false``."""
    found: list[tuple[str, str]] = []
    for name, constant in scheme.constants.items():
        if not constant.verified:
            found.append((f"constants.{name}", constant.source or constant.note))
    for kind in ("criteria", "gates", "tiers", "badges"):
        for item in getattr(scheme, kind):
            if not item.verified:
                found.append((f"{kind}.{item.id}", item.source))
    return found


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    """True when ``goal`` can be reached from ``start`` in one or more steps."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False
