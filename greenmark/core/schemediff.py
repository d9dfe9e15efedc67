"""What changed between two schemes (or two versions of one): entries added, removed and
changed, field by field, compared on the loaded schemes (``extends`` merged).

By default only what changes results is compared, with titles: texts that only explain
(guidance, sources, descriptions, help, labels) come with ``texts=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from greenmark.core.model import (
    SCHEME_TABLES,
    BandPoints,
    ChoicePoints,
    ConstantSpec,
    CriterionSpec,
    FormulaPoints,
    Scheme,
    YesNoPoints,
)

#: The parts of a scheme compared, in the order they are listed.
KINDS = SCHEME_TABLES  # crosswalks are tables of names, left to a text diff

#: Fields that explain rather than decide: compared only when asked for.
TEXT_FIELDS = frozenset(
    {"description", "guidance", "source", "help", "note", "label", "requires", "documents"}
)

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Difference:
    """One entry added or removed, or one field of an entry changed."""

    kind: str  # a part of the scheme: "criteria", "constants"...
    id: str
    change: Change
    field: str = ""  # the field that changed ("" for an added or removed entry)
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "change": self.change,
            "field": self.field or None,
            "old": _plain(self.old),
            "new": _plain(self.new),
        }


@dataclass(frozen=True)
class SchemeDiff:
    """Every difference from scheme ``a`` to scheme ``b``."""

    a: Scheme
    b: Scheme
    differences: list[Difference]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {"added": n, "removed": n, "changed": n}}`` (entries, not fields)."""
        found: dict[str, dict[str, set[str]]] = {}
        for d in self.differences:
            found.setdefault(d.kind, {}).setdefault(d.change, set()).add(d.id)
        return {
            kind: {change: len(ids) for change, ids in changes.items()}
            for kind, changes in found.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a.id, "version": self.a.version, "title": self.a.scheme.title},
            "b": {"id": self.b.id, "version": self.b.version, "title": self.b.scheme.title},
            "same": not self.differences,
            "counts": self.counts(),
            "differences": [d.to_dict() for d in self.differences],
        }


def diff_schemes(a: Scheme, b: Scheme, texts: bool = False) -> SchemeDiff:
    """The differences from ``a`` to ``b``; ``texts``: compare explanatory texts too."""
    found: list[Difference] = []
    for kind in KINDS:
        old, new = _entries(a, kind), _entries(b, kind)
        for key, entry in old.items():
            if key not in new:
                found.append(Difference(kind, key, "removed", old=_summary(kind, entry)))
        for key, entry in new.items():
            if key not in old:
                found.append(Difference(kind, key, "added", new=_summary(kind, entry)))
                continue
            found += _fields(kind, key, old[key], entry, texts)
    return SchemeDiff(a, b, found)


def _entries(scheme: Scheme, kind: str) -> dict[str, BaseModel]:
    value = getattr(scheme, kind)
    if kind == "scheme":
        return {"scheme": value}
    if isinstance(value, dict):
        return dict(value)
    return {item.id: item for item in value}


def _fields(kind: str, key: str, old: BaseModel, new: BaseModel, texts: bool) -> list[Difference]:
    found = []
    for name in type(old).model_fields:
        if name in TEXT_FIELDS and not texts:
            continue
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            found.append(Difference(kind, key, "changed", name, before, after))
    return found


def _summary(kind: str, entry: BaseModel) -> str:
    """A short description of an added or removed entry."""
    title = getattr(entry, "title", None) or getattr(entry, "label", None) or ""
    if isinstance(entry, CriterionSpec):
        return f"{title} ({_number(entry.max_points)} points)"
    if isinstance(entry, ConstantSpec):
        unit = "" if entry.unit in ("", "1") else f" {entry.unit}"
        value = f"{_number(entry.value)}{unit}"
        return f"{value}: {title}" if title else value
    return str(title)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def rule_text(rule: Any) -> str:
    """A points rule in one line: ``formula: a + b``, ``bands: x at [..] give [..]``..."""
    if isinstance(rule, FormulaPoints):
        return f"formula: {rule.formula}"
    if isinstance(rule, BandPoints):
        at = ", ".join(_number(v) for v in rule.at)
        give = ", ".join(_number(v) for v in rule.give)
        better = "" if rule.better == "higher" else " (lower is better)"
        return f"bands: {rule.bands} at [{at}] give [{give}]{better}"
    if isinstance(rule, YesNoPoints):
        return f"yes: {rule.yes} gives {_number(rule.give)}"
    if isinstance(rule, ChoicePoints):
        give = ", ".join(f"{k} = {_number(v)}" for k, v in rule.give.items())
        return f"choice: {rule.choice} {{{give}}}"
    return str(rule)


def value_text(value: Any) -> str:
    """A compared value as text for a table (None as "-")."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, BaseModel):
        return rule_text(value)
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {value_text(v)}" for k, v in value.items()) or "(none)"
    return str(value)


def _plain(value: Any) -> Any:
    """A compared value for JSON."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
