"""What-if: score a project before and after changing some inputs, and compare.

Values are given as text, ``NAME=VALUE`` with an optional unit (``eui=40kBtu/ft2/yr``,
``ettv=38.5 W/m2``), parsed per the input's type and converted to the scheme's unit
with :mod:`greenmark.core.units`. Both designs are scored in one engine call. A reference
input (a baseline, ``role = "reference"``) may be changed, but the result says it is no lever.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenmark.core.engine import CompiledScheme, Scores, encode_inputs, score
from greenmark.core.errors import GreenmarkError, UnitError
from greenmark.core.explain import BuildingResult, Explainer, fmt
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject
from greenmark.core.projectinputs import not_applicable_marks, resolve_inputs
from greenmark.core.scoring import compiled as compiled_scheme
from greenmark.core.scoring import project_summary
from greenmark.core.units import convert

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class WhatIfError(GreenmarkError):
    """A ``--set`` assignment names an unknown input or a value that does not fit it."""


def input_kinds(scheme: Scheme) -> dict[str, tuple[str, str, list[str]]]:
    """Settable names -> (type, unit, options): the scheme's inputs, ``gfa``, ``building_type``."""
    kinds: dict[str, tuple[str, str, list[str]]] = {
        name: (spec.type, spec.unit, list(spec.choices or []))
        for name, spec in scheme.inputs.items()
    }
    kinds["gfa"] = ("number", "m2", [])
    if scheme.scheme.building_types:
        kinds["building_type"] = ("choice", "1", list(scheme.scheme.building_types))
    return kinds


def _unknown(scheme: Scheme, name: str, names: Sequence[str]) -> WhatIfError:
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if name.lower() in lowered and lowered[name.lower()] not in close:
        close.insert(0, lowered[name.lower()])
    hint = f"; did you mean {', '.join(close)}?" if close else f" (inputs: {', '.join(names)})"
    return WhatIfError(f"unknown input {name!r} for scheme {scheme.id}{hint}", location="--set")


def parse_value(scheme: Scheme, name: str, raw: str) -> Any:
    """The plain value (scheme unit) of ``raw`` for input ``name``; :class:`WhatIfError` if bad."""
    kinds = input_kinds(scheme)
    if name not in kinds:
        raise _unknown(scheme, name, list(kinds))
    kind, unit, options = kinds[name]
    text = raw.strip()
    where = f"--set {name}"
    if kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise WhatIfError(f"expected true or false, got {raw!r}", location=where)
    if kind == "choice":
        lowered = {o.lower(): o for o in options}
        if text.lower() in lowered:
            return lowered[text.lower()]
        close = difflib.get_close_matches(text, options, n=2, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise WhatIfError(
            f"expected one of {', '.join(options)}; got {raw!r}{hint}", location=where
        )
    match = _NUMBER.match(text)
    if not match:
        raise WhatIfError(
            f"expected a number in {unit} (optionally with a unit, e.g. 40kBtu/ft2/yr), "
            f"got {raw!r}",
            location=where,
        )
    number = float(match[1])
    given_unit = match[2].strip()
    if given_unit.startswith("[") and given_unit.endswith("]"):
        given_unit = given_unit[1:-1].strip()
    if given_unit:
        try:
            number = float(convert(number, given_unit, unit))
        except UnitError as exc:
            raise WhatIfError(exc.problems[0].message, location=where) from None
    if not math.isfinite(number):
        raise WhatIfError("expected a finite number", location=where)
    spec = scheme.inputs.get(name)
    shown = "" if unit in ("", "1") else f" {unit}"
    if spec is not None and spec.min is not None and number < spec.min - 1e-12:
        raise WhatIfError(
            f"{number:g}{shown} is below the minimum {spec.min:g}{shown}", location=where
        )
    if spec is not None and spec.max is not None and number > spec.max + 1e-12:
        raise WhatIfError(
            f"{number:g}{shown} is above the maximum {spec.max:g}{shown}", location=where
        )
    if name == "gfa" and number <= 0:
        raise WhatIfError("must be a positive number of m2", location=where)
    if kind == "integer":
        if abs(number - round(number)) > 1e-6:
            raise WhatIfError(f"expected a whole number, got {number:g}", location=where)
        return round(number)
    return number


def parse_assignments(scheme: Scheme, items: Sequence[str]) -> dict[str, Any]:
    """``["NAME=VALUE", ...]`` -> ``{name: plain value}`` (later assignments win)."""
    found: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise WhatIfError(f"expected NAME=VALUE, got {item!r}", location="--set")
        found[name] = parse_value(scheme, name, raw)
    return found


def used_inputs(compiled: CompiledScheme) -> set[str]:
    """Inputs read by any criterion, gate, tier condition or badge (through derived values)."""
    used: set[str] = set()
    for c in compiled.criteria:
        used |= c.rule_inputs | c.applies_inputs
    for condition in [*compiled.gates, *compiled.badges]:
        used |= condition.inputs | condition.applies_inputs
    for tier in compiled.tier_conditions:
        if tier is not None:
            used |= tier.inputs
    return used


def reference_inputs(scheme: Scheme) -> set[str]:
    """Inputs marked ``role = "reference"``: baselines (a code budget, a reference design)
    the design is measured against, never levers to propose."""
    return {name for name, spec in scheme.inputs.items() if spec.role == "reference"}


def score_values(
    compiled: CompiledScheme,
    rows: Sequence[Mapping[str, Any]],
    marks: Mapping[str, bool] | None = None,
) -> Scores:
    """Score plain-value rows (scheme units) in one engine call."""
    n = len(rows)
    flags = {cid: np.full(n, flag) for cid, flag in (marks or {}).items()}
    return score(compiled, encode_inputs(compiled, rows), size=n, not_applicable=flags)


@dataclass
class Assignment:
    """One ``--set``: the input, its value before and after (scheme units), used or not."""

    input: str
    label: str
    unit: str
    before: Any
    after: Any
    used: bool
    reference: bool = False  # a baseline (role = "reference"), not a design lever


@dataclass
class WhatIf:
    """A project scored before and after some input changes."""

    scheme: Scheme
    project: dict[str, Any]
    assignments: list[Assignment]
    before: BuildingResult
    after: BuildingResult
    idle: dict[str, str] = field(default_factory=dict)
    """Inputs read only by criteria and gates that do not apply to this building (e.g.
    another energy pathway's metrics), with the reason the first of them gives."""

    @property
    def unused(self) -> list[str]:
        """Assigned inputs that nothing in the scheme reads."""
        return [a.input for a in self.assignments if not a.used]

    @property
    def references(self) -> list[str]:
        """Assigned inputs that are reference values (baselines), not design levers."""
        return [a.input for a in self.assignments if a.reference]

    def reference_note(self) -> str:
        """A sentence saying which changed inputs are reference values ("" if none)."""
        if not self.references:
            return ""
        names = ", ".join(self.references)
        verb = "is a reference value" if len(self.references) == 1 else "are reference values"
        return (
            f"{names} {verb} (the baseline the design is measured against), "
            "not a design lever: the change is a what-if, not a way to gain points"
        )

    @property
    def changed(self) -> bool:
        """True when any result differs (points, statuses, gates, tier, badges)."""
        return self.before.to_dict() | {"project": None} != self.after.to_dict() | {"project": None}

    def message(self) -> str:
        """One sentence saying what happened (and that a reference value is no lever)."""
        note = self.reference_note()
        text = self._outcome()
        return f"{text}; note: {note}" if note else text

    def _outcome(self) -> str:
        if self.changed:
            percent = self.before.scoring == "percent"
            before = self.before.total_percent if percent else self.before.total_points
            after = self.after.total_percent if percent else self.after.total_points
            unit = "%" if percent else " points"
            delta = after - before
            text = f"total {fmt(round(before, 4))} → {fmt(round(after, 4))}{unit}"
            text += f" ({'+' if delta >= 0 else ''}{fmt(round(delta, 4))})"
            if self.before.tier != self.after.tier:
                text += (
                    f"; tier {self.before.tier_title or 'none'} → {self.after.tier_title or 'none'}"
                )
            return text
        parts = []
        if self.unused:
            names = ", ".join(self.unused)
            parts.append(
                f"{names}: not used by any criterion, gate, tier condition or badge of "
                f"{self.scheme.id}, so the score cannot change"
            )
        for name, why in self.idle.items():
            parts.append(f"{name}: not used here: {why}")
        same = [a.input for a in self.assignments if a.used and a.before == a.after]
        if same:
            parts.append(f"{', '.join(same)}: already at that value")
        lead = "No change to the result"
        return lead + (": " + "; ".join(parts) if parts else "")

    def section_diffs(self) -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "title": b.title,
                "before": _round(b.points),
                "after": _round(a.points),
                "delta": _round(a.points - b.points),
            }
            for b, a in zip(self.before.sections, self.after.sections, strict=True)
        ]

    def criterion_diffs(self) -> list[dict[str, Any]]:
        found = []
        for b, a in zip(self.before.criteria, self.after.criteria, strict=True):
            if abs(a.points - b.points) > 1e-9 or a.status != b.status:
                found.append(
                    {
                        "id": b.id,
                        "section": b.section,
                        "title": b.title,
                        "before": _round(b.points),
                        "after": _round(a.points),
                        "delta": _round(a.points - b.points),
                        "status_before": b.status,
                        "status_after": a.status,
                        "reason": a.reason,
                    }
                )
        return found

    def gate_diffs(self) -> list[dict[str, Any]]:
        return [
            {
                "id": b.id,
                "title": b.title,
                "before": b.status,
                "after": a.status,
                "reason": a.reason,
            }
            for b, a in zip(self.before.gates, self.after.gates, strict=True)
            if a.status != b.status
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see the README, "What-if")."""

        def summary(result: BuildingResult) -> dict[str, Any]:
            return {
                "total_points": _round(result.total_points),
                "total_percent": _round(result.total_percent),
                "tier": result.tier,
                "badges": [b["id"] for b in result.badges],
            }

        return {
            "project": self.project,
            "scheme": {"id": self.scheme.id, "version": self.scheme.version},
            "set": [
                {
                    "input": a.input,
                    "label": a.label,
                    "unit": a.unit,
                    "before": a.before,
                    "after": a.after,
                    "used": a.used,
                }
                for a in self.assignments
            ],
            "before": summary(self.before),
            "after": summary(self.after),
            "delta_points": _round(self.after.total_points - self.before.total_points),
            "changed": self.changed,
            "message": self.message(),
            "unused": self.unused,
            "idle": self.idle,
            "reference": self.references,
            "sections": self.section_diffs(),
            "criteria": self.criterion_diffs(),
            "gates": self.gate_diffs(),
            "next_tier": self.after.to_dict()["next_tier"],
        }


def _round(value: float) -> float:
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() else rounded


def whatif(
    loaded: LoadedProject, scheme: Scheme, changes: Mapping[str, Any] | Sequence[str]
) -> WhatIf:
    """Score ``loaded`` as it is and with ``changes`` (plain values or ``NAME=VALUE`` texts)."""
    kinds = input_kinds(scheme)
    if isinstance(changes, Mapping):
        assigned = {}
        for name, value in changes.items():
            if name not in kinds:
                raise _unknown(scheme, name, list(kinds))
            # text is parsed like a --set value; plain values are taken as they are
            assigned[name] = parse_value(scheme, name, value) if isinstance(value, str) else value
    else:
        assigned = parse_assignments(scheme, list(changes))
    compiled = compiled_scheme(scheme)
    values = resolve_inputs(loaded, scheme)
    after = {**values, **assigned}
    marks = not_applicable_marks(loaded.project)
    scores = score_values(compiled, [values, after], marks)
    explainer = Explainer(scores)
    summary = project_summary(loaded)
    used = used_inputs(compiled)
    references = reference_inputs(scheme)
    assignments = [
        Assignment(
            input=name,
            label=scheme.inputs[name].label if name in scheme.inputs else name,
            unit=kinds[name][1],
            before=values.get(name),
            after=value,
            used=name in used,
            reference=name in references,
        )
        for name, value in assigned.items()
    ]
    after_result = explainer.building(1, summary)
    return WhatIf(
        scheme=scheme,
        project=summary,
        assignments=assignments,
        before=explainer.building(0, summary),
        after=after_result,
        idle=_idle_inputs(compiled, after_result, assigned),
    )


def _idle_inputs(
    compiled: CompiledScheme, result: BuildingResult, assigned: Mapping[str, Any]
) -> dict[str, str]:
    """Assigned inputs whose every reader (criterion rule or gate condition) is not
    applicable to the building, with the first reader's title and reason."""
    criteria = {c.id: c for c in result.criteria}
    gates = {g.id: g for g in result.gates}
    idle: dict[str, str] = {}
    for name in assigned:
        readers: list[tuple[str, str, str]] = [
            (c.id, criteria[c.id].title, criteria[c.id].reason)
            for c in compiled.criteria
            if name in c.rule_inputs and c.id in criteria
        ]
        readers += [
            (g.id, gates[g.id].title, gates[g.id].reason)
            for g in compiled.gates
            if name in g.inputs and g.id in gates
        ]
        statuses = [(criteria.get(i) or gates[i]).status for i, _, _ in readers]
        if readers and all(status == "not_applicable" for status in statuses):
            _, title, reason = readers[0]
            why = reason.removeprefix("not applicable: ")
            others = " and the like" if len(readers) > 1 else ""
            idle[name] = f"only {title}{others} reads it, and that {why}"
    return idle
