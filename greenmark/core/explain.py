"""Per-building explanations of a :class:`~greenmark.core.engine.Scores` batch.

The engine works on arrays only; this module turns one building's row into the
result every front door shows: points and a one-line reason per criterion,
section totals, gates, tier, badges and what blocks the next tier. It also
defines the JSON result contract (:meth:`BuildingResult.to_dict`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenmark.core.engine import GateStatus, Scores, Status
from greenmark.core.model import BandPoints, ChoicePoints, FormulaPoints, Scheme, YesNoPoints


def fmt(value: float) -> str:
    """A number as a person writes it: at most 4 significant digits, no trailing zeros."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


#: ``{name}`` in a ``requires`` text.
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def _unit_suffix(unit: str) -> str:
    return "" if unit in ("", "1", "-") else f" {unit}"


@dataclass
class CriterionResult:
    id: str
    section: str
    title: str
    points: float
    max_points: float
    status: str
    reason: str
    bonus: bool = False


@dataclass
class SectionResult:
    id: str
    title: str
    points: float
    max_points: float
    bonus_points: float
    percent: float | None
    floor: float | None
    floor_met: bool


@dataclass
class GateResult:
    id: str
    title: str
    status: str
    from_tier: str | None
    reason: str
    from_tier_title: str | None = None


@dataclass
class Blocker:
    kind: str  # gate | floor | condition | points
    id: str
    message: str


@dataclass
class NextTier:
    id: str
    title: str
    points_needed: float
    blocking: list[Blocker] = field(default_factory=list)


@dataclass
class BuildingResult:
    """One building's whole result, ready for a table, a report or JSON."""

    project: dict[str, Any]
    scheme_id: str
    scheme_version: str
    scheme_title: str
    scoring: str
    total_points: float
    total_max: float
    total_percent: float
    tier: str | None
    tier_title: str | None
    badges: list[dict[str, str]]
    sections: list[SectionResult]
    groups: list[dict[str, Any]]
    criteria: list[CriterionResult]
    gates: list[GateResult]
    next_tier: NextTier | None
    metrics: list[dict[str, Any]] = field(default_factory=list)  # id, label, value, unit
    headline: dict[str, Any] | None = None  # the metric the scheme ranks by, if it names one

    def headline_text(self) -> str:
        """The figure the scheme leads with: its headline metric, else points or percent."""
        if self.headline is not None:
            unit = self.headline["unit"]
            value = self.headline["value"]
            shown = "n/a" if value is None else fmt(round(value, 2))
            return f"{self.headline['label']} {shown}" + (
                f" {unit}" if unit not in ("", "1", "-") and value is not None else ""
            )
        if self.scoring == "percent":
            return f"{fmt(round(self.total_percent, 2))} %"
        return f"{fmt(round(self.total_points, 2))} points"

    def to_dict(self) -> dict[str, Any]:
        """The JSON result contract (see the README)."""
        extra: dict[str, Any] = {}
        if self.metrics:
            extra["metrics"] = [{**m, "value": _maybe_round(m["value"])} for m in self.metrics]
        if self.headline is not None:
            extra["headline"] = {**self.headline, "value": _maybe_round(self.headline["value"])}
        return {
            "project": self.project,
            "scheme": {
                "id": self.scheme_id,
                "version": self.scheme_version,
                "title": self.scheme_title,
                "scoring": self.scoring,
            },
            "total_points": _round(self.total_points),
            "total_max": _round(self.total_max),
            "total_percent": _round(self.total_percent),
            "tier": self.tier,
            "tier_title": self.tier_title,
            "badges": [b["id"] for b in self.badges],
            "badge_titles": [b["title"] for b in self.badges],
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "points": _round(s.points),
                    "max_points": _round(s.max_points),
                    "bonus_points": _round(s.bonus_points),
                    "percent": None if s.percent is None else _round(s.percent),
                    "floor_met": s.floor_met,
                }
                for s in self.sections
            ],
            "groups": self.groups,
            "criteria": [
                {
                    "id": c.id,
                    "section": c.section,
                    "title": c.title,
                    "points": _round(c.points),
                    "max_points": _round(c.max_points),
                    "status": c.status,
                    "reason": c.reason,
                }
                for c in self.criteria
            ],
            "gates": [
                {"id": g.id, "title": g.title, "status": g.status, "reason": g.reason}
                for g in self.gates
            ],
            "next_tier": None
            if self.next_tier is None
            else {
                "id": self.next_tier.id,
                "title": self.next_tier.title,
                "points_needed": _round(self.next_tier.points_needed),
                "blocking": [
                    {"kind": b.kind, "id": b.id, "message": b.message}
                    for b in self.next_tier.blocking
                ],
            },
        } | extra


def _maybe_round(value: float | None) -> float | None:
    return None if value is None else _round(value)


def _round(value: float) -> float:
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


class Explainer:
    """Builds :class:`BuildingResult` objects for buildings of one :class:`Scores` batch."""

    def __init__(self, scores: Scores) -> None:
        self.scores = scores
        self.scheme: Scheme = scores.scheme
        units: dict[str, str] = {}
        units.update({n: c.unit for n, c in self.scheme.constants.items()})
        units.update({n: s.unit for n, s in self.scheme.inputs.items()})
        units.update({n: s.unit for n, s in self.scheme.derived.items()})
        units.update({n: s.unit for n, s in self.scheme.metrics.items()})
        units["gfa"] = "m2"
        self.units = units

    def value_text(self, name: str, i: int) -> str:
        """``name = value unit`` for one building, with choices and booleans spelt out."""
        raw = self.scores.env.get(name)
        value = raw[i] if isinstance(raw, np.ndarray) else raw
        spec = self.scheme.inputs.get(name)
        if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
            return f"{name} not given"
        if isinstance(value, np.bool_ | bool) or (spec is not None and spec.type == "boolean"):
            return f"{name} = {'yes' if bool(value) else 'no'}"
        if spec is not None and spec.type == "choice" and spec.choices:
            return f"{name} = {spec.choices[int(value)]}"
        if name == "building_type":
            types = self.scheme.scheme.building_types
            return f"building_type = {types[int(value)]}" if types else "building_type"
        return f"{name} = {fmt(float(value))}{_unit_suffix(self.units.get(name, ''))}"

    def words(self, template: str, i: int) -> str:
        """A ``requires`` text with each ``{name}`` replaced by that value for building ``i``."""

        def value(match: re.Match[str]) -> str:
            text = self.value_text(match.group(1), i)
            return text.split(" = ", 1)[1] if " = " in text else "not given"

        return _PLACEHOLDER.sub(value, template)

    def _choice_to_make(self, names: frozenset[str], i: int) -> str | None:
        """The label of the choice input whose absence alone leaves a condition unassessed."""
        missing = self._missing_names(names, i)
        choices = [
            n for n in missing if (spec := self.scheme.inputs.get(n)) and spec.type == "choice"
        ]
        return self.scheme.inputs[choices[0]].label if choices and len(missing) == 1 else None

    def _names_text(self, names: frozenset[str], i: int) -> str:
        shown = [n for n in sorted(names) if n not in self.scheme.constants]
        return ", ".join(self.value_text(n, i) for n in shown)

    def _missing_names(self, names: frozenset[str], i: int) -> list[str]:
        return sorted(n for n in names if np.isnan(self.scores.env[n][i]))

    def missing_text(self, missing: list[str], i: int) -> str:
        """``a, b not given``; a calculated input missing also says why its table gave no
        value (an empty or all-zero table is not assessed, never full marks)."""
        from greenmark.calc.registry import not_calculated_reason

        plain = [n for n in missing if not self._calculator(n)]
        parts = [f"{', '.join(plain)} not given"] if plain else []
        gfa = self.scores.env.get("gfa")
        gfa_known = isinstance(gfa, np.ndarray) and not np.isnan(gfa[i])
        for name in missing:
            calculator = self._calculator(name)
            if calculator:
                reason = not_calculated_reason(calculator, gfa_known)
                parts.append(f"{name} not given and not calculable: {reason}")
        return "; ".join(parts)

    def _type_name(self, i: int) -> str | None:
        """Building ``i``'s type as the scheme names it (None when not given)."""
        code = self.scores.env.get("building_type")
        types = self.scheme.scheme.building_types
        if not isinstance(code, np.ndarray) or np.isnan(code[i]) or not types:
            return None
        return types[int(code[i])]

    def max_points(self, c_index: int, i: int) -> float:
        """Criterion ``c_index``'s maximum for building ``i`` (by its type when it varies)."""
        spec = self.scheme.criteria[c_index]
        if not spec.max_points_by_type:
            return spec.max_points
        return self.scheme.max_for(spec, self._type_name(i))

    def _calculator(self, name: str) -> str | None:
        spec = self.scheme.inputs.get(name)
        return spec.calculator if spec is not None else None

    def criterion_reason(self, c_index: int, i: int) -> str:
        scores = self.scores
        compiled = scores.compiled.criteria[c_index]
        spec = self.scheme.criteria[c_index]
        status = Status(int(scores.status[i, c_index]))
        earned = float(scores.points[i, c_index])
        top = self.max_points(c_index, i)
        of = f"{fmt(earned)} of {fmt(top)}"
        if status == Status.NOT_APPLICABLE and top == 0:
            return f"not applicable: worth no points for a {self._type_name(i)} building"
        if status == Status.NOT_APPLICABLE:
            if compiled.applies is not None and not _truthy(
                compiled.applies(scores.env, scores.size)[i]
            ):
                return f"not applicable: `{spec.applies_if}` does not hold"
            return "not applicable: marked so by the assessor"
        if status == Status.NOT_ASSESSED:
            missing = self._missing_names(compiled.rule_inputs | compiled.applies_inputs, i)
            if missing:
                return f"not assessed: {self.missing_text(missing, i)}"
            names = compiled.expression.names if compiled.expression is not None else frozenset()
            inputs = self._names_text(names | compiled.rule_inputs, i)
            return (
                "not assessed: the rule has no finite value for these inputs"
                + (f" ({inputs})" if inputs else "")
                + ", e.g. a division by zero"
            )
        value = float(scores.values[i, c_index])
        rule = spec.points
        if isinstance(rule, FormulaPoints):
            inputs = self._names_text(compiled.expression.names, i) if compiled.expression else ""
            capped = " (capped)" if value > top else " (floored at 0)" if value < 0 else ""
            prefix = f"{inputs}: " if inputs else ""
            return f"{prefix}{rule.formula} = {fmt(value)} → {of}{capped}"
        if isinstance(rule, BandPoints):
            inputs = self._names_text(compiled.expression.names, i) if compiled.expression else ""
            sign = "≥" if rule.better == "higher" else "≤"
            reached = [
                k
                for k, t in enumerate(rule.at)
                if (value >= t if rule.better == "higher" else value <= t)
            ]
            lead = inputs
            if rule.bands.strip() not in self.units or not inputs:
                lead = f"{inputs}; " if inputs else ""
                lead += f"{rule.bands} = {fmt(value)}"
            if not reached:
                return f"{lead}: no band reached (first band needs {sign} {fmt(rule.at[0])}) → {of}"
            k = reached[-1]
            text = f"{lead}: band {sign} {fmt(rule.at[k])} reached → {of}"
            if k + 1 < len(rule.at):
                text += f"; next band {sign} {fmt(rule.at[k + 1])} gives {fmt(rule.give[k + 1])}"
            return text
        if isinstance(rule, YesNoPoints):
            if rule.yes.strip() in self.scheme.inputs:
                return f"{self.value_text(rule.yes.strip(), i)} → {of}"
            inputs = self._names_text(compiled.expression.names, i) if compiled.expression else ""
            holds = "holds" if earned > 0 else "does not hold"
            return f"`{rule.yes}` {holds}" + (f" ({inputs})" if inputs else "") + f" → {of}"
        if isinstance(rule, ChoicePoints):
            return f"{self.value_text(rule.choice, i)} → {of}"
        return of  # pragma: no cover

    def gate_reason(self, g_index: int, i: int) -> str:
        scores = self.scores
        gate = scores.compiled.gates[g_index]
        spec = self.scheme.gates[g_index]
        status = GateStatus(int(scores.gate_status[i, g_index]))
        if status == GateStatus.NOT_APPLICABLE:
            flag = re.fullmatch(r"(\w+)_is_(\w+)", spec.applies_if or "")
            owner = self.scheme.inputs.get(flag.group(1)) if flag else None
            if flag and owner is not None and flag.group(2) in (owner.choices or ()):
                chosen = self.value_text(flag.group(1), i).split(" = ", 1)[-1]
                return (
                    f"not applicable: applies when the {owner.label.lower()} is "
                    f"{flag.group(2)} (it is {chosen})"
                )
            return f"not applicable: `{spec.applies_if}` does not hold"
        if status == GateStatus.NOT_ASSESSED:
            choice = self._choice_to_make(gate.applies_inputs, i)
            if choice is not None:
                return f"not assessed: choose the {choice.lower()} first"
            missing = self._missing_names(gate.inputs | gate.applies_inputs, i)
            return f"not assessed: {self.missing_text(missing, i)}"
        if spec.requires:
            verdict = "met" if status == GateStatus.PASSED else "not met"
            return f"needs {self.words(spec.requires, i)}: {verdict}"
        values = self._names_text(gate.condition.names, i)
        verdict = "holds" if status == GateStatus.PASSED else "does not hold"
        return f"`{spec.condition}` {verdict}" + (f" ({values})" if values else "")

    def blockers(self, i: int, tier: int) -> list[Blocker]:
        """Every gate, floor or tier condition that keeps building ``i`` from tier ``tier``."""
        scores = self.scores
        scheme = self.scheme
        found: list[Blocker] = []
        choices_to_make: set[str] = set()
        for g, gate in enumerate(scores.compiled.gates):
            if gate.rank > tier:
                continue
            status = GateStatus(int(scores.gate_status[i, g]))
            if status == GateStatus.NOT_ASSESSED:
                choice = self._choice_to_make(gate.applies_inputs, i)
                if choice is not None:  # one blocker for every gate waiting on that choice
                    if choice not in choices_to_make:
                        choices_to_make.add(choice)
                        found.append(Blocker("gate", gate.id, f"choose the {choice.lower()}"))
                    continue
            if status in (GateStatus.FAILED, GateStatus.NOT_ASSESSED):
                found.append(
                    Blocker("gate", gate.id, f"{scheme.gates[g].title}: {self.gate_reason(g, i)}")
                )
        floor_rank = scores.compiled.floor_rank
        for s, section in enumerate(scheme.sections):
            if not scores.floor_ok[i, s] and floor_rank[s] <= tier:
                if section.floor is not None:
                    need = f"{fmt(section.floor)} points"
                else:
                    need = f"{fmt(section.floor_percent or 0)}% of its points"
                have = fmt(float(scores.section_points[i, s]))
                found.append(
                    Blocker(
                        "floor", section.id, f"{section.title} needs at least {need}, has {have}"
                    )
                )
        offset = len(scheme.sections)
        for g, group in enumerate(scheme.groups):
            if not scores.floor_ok[i, offset + g] and floor_rank[offset + g] <= tier:
                have = fmt(float(scores.group_points[i, g]))
                found.append(
                    Blocker(
                        "floor",
                        group.id,
                        f"{group.title} needs at least {fmt(group.floor or 0)} points, has {have}",
                    )
                )
        for t in range(tier + 1):
            condition = scores.compiled.tier_conditions[t]
            if condition is None:
                continue
            holds = _truthy(condition.condition(scores.env, scores.size)[i])
            missing = self._missing_names(condition.inputs, i)
            if not holds or missing:
                spec = scheme.tiers[t]
                if spec.requires:
                    text = f"{spec.title} needs {self.words(spec.requires, i)}"
                else:
                    values = self._names_text(condition.condition.names, i)
                    text = f"{spec.title} requires `{spec.condition}`" + (
                        f" ({values})" if values else ""
                    )
                found.append(Blocker("condition", spec.id, text))
        return found

    def building(self, i: int, project: dict[str, Any] | None = None) -> BuildingResult:
        """The full result of building ``i``."""
        scores = self.scores
        scheme = self.scheme
        criteria = [
            CriterionResult(
                id=spec.id,
                section=spec.section,
                title=spec.title,
                points=float(scores.points[i, c]),
                max_points=self.max_points(c, i),
                status=Status(int(scores.status[i, c])).label,
                reason=self.criterion_reason(c, i),
                bonus=spec.bonus,
            )
            for c, spec in enumerate(scheme.criteria)
        ]
        sections = []
        for s, section in enumerate(scheme.sections):
            percent = float(scores.section_percent[i, s])
            sections.append(
                SectionResult(
                    id=section.id,
                    title=section.title,
                    points=float(scores.section_points[i, s]),
                    max_points=float(scores.section_max[i, s]),
                    bonus_points=float(scores.section_points[i, s] - scores.section_core[i, s]),
                    percent=None if math.isnan(percent) else percent,
                    floor=section.floor,
                    floor_met=bool(scores.floor_ok[i, s]),
                )
            )
        offset = len(scheme.sections)
        groups = [
            {
                "id": group.id,
                "title": group.title,
                "sections": list(group.sections),
                "points": _round(float(scores.group_points[i, g])),
                "cap": group.cap,
                "floor": group.floor,
                "floor_met": bool(scores.floor_ok[i, offset + g]),
            }
            for g, group in enumerate(scheme.groups)
        ]
        gates = [
            GateResult(
                id=spec.id,
                title=spec.title,
                status=GateStatus(int(scores.gate_status[i, g])).label,
                from_tier=spec.from_tier,
                reason=self.gate_reason(g, i),
                from_tier_title=(
                    scheme.tiers[scheme.tier_index(spec.from_tier)].title
                    if spec.from_tier
                    else None
                ),
            )
            for g, spec in enumerate(scheme.gates)
        ]
        tier_index = int(scores.tier_index[i])
        tier = scheme.tiers[tier_index] if tier_index >= 0 else None
        next_tier = None
        if tier_index + 1 < len(scheme.tiers):
            target = scheme.tiers[tier_index + 1]
            next_tier = NextTier(
                id=target.id,
                title=target.title,
                points_needed=float(scores.points_needed[i]),
                blocking=self.blockers(i, tier_index + 1),
            )
        badges = [
            {"id": b.id, "title": b.title}
            for k, b in enumerate(scheme.badges)
            if scores.badges[i, k]
        ]
        metrics = []
        for name, spec in scheme.metrics.items():
            raw = scores.env.get(name)
            value = float(raw[i]) if isinstance(raw, np.ndarray) else None
            finite = value is not None and math.isfinite(value)
            metrics.append(
                {
                    "id": name,
                    "label": spec.label,
                    "value": value if finite else None,
                    "unit": spec.unit,
                }
            )
        return BuildingResult(
            project=project or {},
            scheme_id=scheme.id,
            scheme_version=scheme.version,
            scheme_title=scheme.scheme.title,
            scoring=scheme.scheme.scoring,
            total_points=float(scores.total_points[i]),
            total_max=float(scores.total_max[i]),
            total_percent=float(scores.total_percent[i]),
            tier=tier.id if tier else None,
            tier_title=tier.title if tier else None,
            badges=badges,
            sections=sections,
            groups=groups,
            criteria=criteria,
            gates=gates,
            next_tier=next_tier,
            metrics=metrics,
            headline=next((m for m in metrics if m["id"] == scheme.scheme.headline), None),
        )


def _truthy(value: Any) -> bool:
    if isinstance(value, float | np.floating) and np.isnan(value):
        return False
    return bool(value)
