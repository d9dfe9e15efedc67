"""Status marks, their styles, and what the scheme says a criterion or gate reads."""

from __future__ import annotations

from greenmark.core.engine import CompiledScheme
from greenmark.core.explain import fmt

MARKS: dict[str, str] = {
    "awarded": "✔",
    "partial": "◐",
    "not_met": "✘",
    "not_assessed": "?",
    "not_applicable": "–",
    "passed": "✔",
    "failed": "✘",
}

STYLES: dict[str, str] = {
    "awarded": "green",
    "partial": "yellow",
    "not_met": "red",
    "not_assessed": "magenta",
    "not_applicable": "dim",
    "passed": "green",
    "failed": "red",
}

LABELS: dict[str, str] = {
    "awarded": "awarded",
    "partial": "partial",
    "not_met": "not met",
    "not_assessed": "not assessed",
    "not_applicable": "not applicable",
    "passed": "passed",
    "failed": "failed",
}

REVIEW_STATES: tuple[tuple[str, str], ...] = (
    ("open", "open"),
    ("accepted", "accepted"),
    ("needs clarification", "needs_clarification"),
    ("rejected", "rejected"),
)

BUILTINS = ("gfa", "building_type")


def points_text(points: float, maximum: float) -> str:
    return f"{fmt(points)}/{fmt(maximum)}"


def criterion_inputs(compiled: CompiledScheme, index: int) -> list[str]:
    """Inputs a criterion's rule and applicability read, in the scheme's order."""
    criterion = compiled.criteria[index]
    names = criterion.rule_inputs | criterion.applies_inputs
    return [n for n in [*compiled.scheme.inputs, *BUILTINS] if n in names]


def gate_inputs(compiled: CompiledScheme, index: int) -> list[str]:
    """Inputs a gate's condition and applicability read, in the scheme's order."""
    gate = compiled.gates[index]
    names = gate.inputs | gate.applies_inputs
    return [n for n in [*compiled.scheme.inputs, *BUILTINS] if n in names]
