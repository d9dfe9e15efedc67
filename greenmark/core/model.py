"""The scheme format as pydantic models: inputs, derived quantities, sections, groups,
criteria with their point rules, gates, tiers and badges, and the names a scheme's
formulas may read. Loading a file is :mod:`greenmark.core.scheme`; cross-checks,
:mod:`greenmark.core.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from greenmark.core.formula import Formula, compile_formula
from greenmark.core.tomlfile import (
    LongText,
    ShortText,
)

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


ItemId = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]


#: Names every scheme may read without declaring them (filled from the project's metadata).
BUILTIN_INPUTS = {"gfa": "m2"}


#: A scheme's tables of entries, in the order a scheme file lists them.
SCHEME_TABLES = (
    "scheme",
    "constants",
    "inputs",
    "derived",
    "sections",
    "groups",
    "criteria",
    "metrics",
    "gates",
    "tiers",
    "badges",
)


#: Names reserved for results (see :func:`result_names`).
RESULT_PREFIXES = ("sec_", "sec_pct_", "grp_", "pts_", "na_", "assessed_")


RESULT_TOTALS = ("total_points", "total_percent")


class _Model(BaseModel):
    """Strict: no text for a number or a boolean, no inf or nan; unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        strict=True,
        allow_inf_nan=False,
        defer_build=True,
    )


class SchemeInfo(_Model):
    """The ``[scheme]`` table: identity, version and scoring model."""

    id: ItemId
    title: ShortText = Field(min_length=1)
    version: ShortText = Field(min_length=1)
    description: LongText = ""
    scoring: Literal["points", "percent", "none"] = "points"
    """``none``: no points at all (thresholds only); tiers by their conditions alone."""
    headline: Name | None = None
    """A metric to lead with instead of the total (e.g. a quality-to-load ratio)."""
    na_weights: Literal["respread", "fixed"] = "respread"
    """Percent schemes: a section whose every criterion is not applicable either gives its
    weight to the others (``respread``) or simply contributes nothing (``fixed``)."""
    weights_total: float | None = Field(default=None, gt=0)
    """Percent schemes: the total the section weights must add up to, for every building
    type (e.g. 100, or 1); checked when the scheme loads."""
    building_types: list[Name] = Field(default_factory=list)
    building_type_map: dict[Name, Name] = Field(default_factory=dict)
    """Building types of the shared vocabulary (``criteria/vocabulary.toml``) that this
    scheme rates under one of its own: ``{ office = "public" }``."""
    owner: ShortText = ""
    """Who publishes the scheme (``Building and Construction Authority``)."""
    source: LongText = ""
    validity_years: int | None = Field(default=None, ge=1, le=50)
    """Years a certificate issued under this scheme stays valid (none: the default, 3)."""
    extends: ItemId | None = None
    """The id of a scheme this one is written as changes to (merged when the file loads)."""
    effective_from: date | None = None
    """The date the scheme owner put this version into effect."""
    superseded_by: ShortText | None = None
    """The scheme (in words) that replaced this one; set for legacy versions."""
    prerequisites_first: bool = False
    """Show the prerequisites (gates) before the sections: for schemes whose prerequisite
    decides the rating, such as GM:2021's energy pathway."""
    superseded_from: date | None = None
    """The date from which new projects use ``superseded_by`` instead."""


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
    default: float | bool | ShortText | None = None
    """The value used when none is given (a number, true/false, or a choice's option): for
    inputs whose absence has a plain meaning, e.g. no off-site renewables bought."""
    role: Literal["design", "reference"] = "design"
    """``reference``: a baseline the design is measured against (a code budget, a reference
    building), never a lever: sensitivity and the designer do not propose changing it."""
    shared: Name | None = None
    """The term of the shared input vocabulary (``criteria/vocabulary.toml``) this input
    is: a project's value under that term, or under another scheme's input of the same
    term, feeds it, so one project file serves several schemes."""


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
    floor_from_tier: Name | None = None
    """The floor applies from this tier up (default: to every tier)."""
    weight: float | dict[ShortText, float] | None = None
    conversion: float = Field(default=1.0, gt=0)
    """Own points per scheme point: criteria score in the section's own points, which count
    ``1 / conversion`` each toward the section, before its cap (e.g. 5 Mt points = 1 point)."""
    points_name: ShortText = ""
    """What the section's own points are called when ``conversion`` is not 1 (``Mt points``)."""
    source: LongText = ""  # where the cap, floor, weight and conversion come from
    verified: bool = True


class GroupSpec(_Model):
    """Several sections sharing one cap and/or floor (e.g. "other green parts ≤ 50")."""

    id: Name
    title: ShortText = Field(min_length=1)
    sections: list[Name] = Field(min_length=1)
    cap: float | None = Field(default=None, gt=0)
    floor: float | None = Field(default=None, ge=0)
    floor_from_tier: Name | None = None
    """The floor applies from this tier up (default: to every tier)."""
    source: LongText = ""  # where the cap and floor come from
    verified: bool = True


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
    max_points_by_type: dict[Name, Annotated[float, Field(ge=0)]] | None = None
    """The maximum for some building types (others keep ``max_points``); 0 makes the
    criterion not applicable to that type."""
    points: PointsRule
    bonus: bool = False
    applies_if: LongText | None = None
    guidance: LongText = ""
    source: LongText = ""
    verified: bool = True
    documents: list[ShortText] = Field(default_factory=list)  # required evidence, a checklist


class GateSpec(_Model):
    """A prerequisite; with ``from_tier`` it only applies from that tier up."""

    id: ItemId
    title: ShortText = Field(min_length=1)
    condition: LongText
    from_tier: Name | None = None
    applies_if: LongText | None = None
    requires: LongText = ""
    """The condition in words, for blockers and reports; ``{name}`` shows that value."""
    source: LongText = ""
    verified: bool = True


class TierSpec(_Model):
    """A rating tier, listed from lowest to highest."""

    id: Name
    title: ShortText = Field(min_length=1)
    min_points: float | None = Field(default=None, ge=0)
    min_percent: float | None = Field(default=None, ge=0, le=100)
    condition: LongText | None = None
    requires: LongText = ""
    """The condition in words, for blockers and reports; ``{name}`` shows that value."""
    source: LongText = ""
    verified: bool = True


class BadgeSpec(_Model):
    """An award on top of the tier, with its own condition."""

    id: Name
    title: ShortText = Field(min_length=1)
    condition: LongText
    min_tier: Name | None = None
    supersedes: list[Name] = Field(default_factory=list)  # badges not listed when this one is
    requires: LongText = ""
    """The condition in words, for blockers and reports; ``{name}`` shows that value."""
    source: LongText = ""
    verified: bool = True


class Scheme(_Model):
    """A whole certification scheme as read from TOML."""

    scheme: SchemeInfo
    constants: dict[Name, ConstantSpec] = Field(default_factory=dict)
    inputs: dict[Name, InputSpec] = Field(default_factory=dict)
    derived: dict[Name, DerivedSpec] = Field(default_factory=dict)
    sections: list[SectionSpec] = Field(default_factory=list)
    groups: list[GroupSpec] = Field(default_factory=list)
    criteria: list[CriterionSpec] = Field(default_factory=list)
    metrics: dict[Name, MetricSpec] = Field(default_factory=dict)
    gates: list[GateSpec] = Field(default_factory=list)
    tiers: list[TierSpec] = Field(min_length=1)
    badges: list[BadgeSpec] = Field(default_factory=list)
    crosswalk: dict[ItemId, dict[Name, Name]] = Field(default_factory=dict)
    """Input names of other schemes and what they are called here, for projects assessed
    against another scheme: ``[crosswalk.gm-nrb] renewable_share = "renewable_onsite_share"``."""

    @property
    def id(self) -> str:
        return self.scheme.id

    @property
    def version(self) -> str:
        return self.scheme.version

    def value_counts(self) -> tuple[int, int]:
        """``(verified, unverified)``: the scheme's named constants and its sections,
        groups, criteria, gates, tiers and badges, by their ``verified`` flag (a section or
        group that holds no number and is not marked unverified has nothing to count)."""
        flags = [c.verified for c in self.constants.values()]
        for kind in ("sections", "groups", "criteria", "gates", "tiers", "badges"):
            items = getattr(self, kind)
            flags += [i.verified for i in items if not i.verified or _holds_values(i)]
        return sum(flags), len(flags) - sum(flags)

    def criterion(self, criterion_id: str) -> CriterionSpec:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def max_for(self, criterion: CriterionSpec, building_type: str | None) -> float:
        """A criterion's maximum for one building type."""
        by_type = criterion.max_points_by_type or {}
        return by_type.get(building_type or "", criterion.max_points)

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
    """Names available after scoring: totals, section/group/criterion points, whether each
    criterion is not applicable (``na_``) or assessed (``assessed_``: given or N/A), metrics."""
    names = set(RESULT_TOTALS)
    for section in scheme.sections:
        names.update({f"sec_{section.id}", f"sec_pct_{section.id}"})
    names.update(f"grp_{group.id}" for group in scheme.groups)
    for c in scheme.criteria:  # points, not applicable (true/false), assessed or N/A
        names.update({f"pts_{slug(c.id)}", f"na_{slug(c.id)}", f"assessed_{slug(c.id)}"})
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


def compile_site(scheme: Scheme, site: FormulaSite, names: SiteNames | None = None) -> Formula:
    """Compile one formula of the scheme against the names its stage may read
    (``names``: :func:`site_names` of the scheme, worked out once for many sites)."""
    names = names or site_names(scheme)
    return compile_formula(site.source, names.results if site.stage == "result" else names.inputs)


@dataclass(frozen=True)
class SiteNames:
    """The names a scheme's formulas may read, by stage (see :func:`formula_sites`)."""

    inputs: frozenset[str]
    results: frozenset[str]


def site_names(scheme: Scheme) -> SiteNames:
    """:func:`input_names`, and those with :func:`result_names`."""
    inputs = frozenset(input_names(scheme))
    return SiteNames(inputs, inputs | result_names(scheme))


def duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
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


def _holds_values(item: object) -> bool:
    """False for a section or group that only names and groups (no cap, floor, weight or
    conversion): it has nothing to verify. Criteria, gates, tiers and badges always do."""
    if not isinstance(item, SectionSpec | GroupSpec):
        return True
    keys = ("cap", "bonus_cap", "floor", "floor_percent", "weight")
    numbers = [getattr(item, key, None) for key in keys]
    return any(n is not None for n in numbers) or getattr(item, "conversion", 1.0) != 1
