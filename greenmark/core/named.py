"""Named constants wherever a scheme states a number: ``max_points = "en1_max"``.

Before the scheme is validated, every number a scheme author may want to name (a
criterion's maximum, band thresholds and points, choice points, caps, floors,
conversions, weights and tier thresholds) may be given as the name of one of the
scheme's ``[constants]``; it is replaced by that constant's value, so the number keeps
its provenance (``source``, ``verified``) in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from greenmark.core.errors import Problem

#: Keys of an entry that hold one number (or a table of numbers, for weights and choices).
_ENTRY_NUMBERS = {
    "sections": ("cap", "bonus_cap", "floor", "floor_percent", "conversion", "weight"),
    "groups": ("cap", "floor"),
    "criteria": ("max_points",),
    "tiers": ("min_points", "min_percent"),
}

#: Keys of a criterion's point rule that hold numbers.
_RULE_NUMBERS = ("at", "give")


def resolve_named_numbers(
    data: dict[str, Any], file: str | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """``data`` with constant names in number positions replaced by their values."""
    constants = data.get("constants")
    values: dict[str, float] = {}
    if isinstance(constants, dict):
        for name, spec in constants.items():
            value = spec.get("value") if isinstance(spec, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = float(value)
    problems: list[Problem] = []
    for container, key, where in _number_slots(data):
        text = container[key]
        if text in values:
            container[key] = values[text]
        elif isinstance(text, str) and text.isidentifier():
            known = ", ".join(sorted(values)) or "none"
            message = f"{text!r} is not a constant of this scheme (constants: {known})"
            problems.append(Problem(message, file, where))
    return data, problems


def _number_slots(data: dict[str, Any]) -> Iterator[tuple[Any, Any, str]]:
    """``(container, key, dotted location)`` of every number position holding text."""
    for kind, keys in _ENTRY_NUMBERS.items():
        entries = data.get(kind)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            for key in keys:
                yield from _slots(entry, key, f"{kind}[{index}].{key}")
            rule = entry.get("points") if kind == "criteria" else None
            if isinstance(rule, dict):
                for key in _RULE_NUMBERS:
                    yield from _slots(rule, key, f"{kind}[{index}].points.{key}")


def _slots(container: dict[str, Any], key: str, where: str) -> Iterator[tuple[Any, Any, str]]:
    value = container.get(key)
    if isinstance(value, str):
        yield container, key, where
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield value, i, f"{where}[{i}]"
    elif isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, str):
                yield value, name, f"{where}.{name}"
