"""The shared input vocabulary (``criteria/vocabulary.toml``): the building types and the
quantities several rating systems read, under one name each.

A scheme's input names its term (``shared = "eui"``), and a scheme that files the shared
building types under its own says so (``building_type_map``). A project assessed under
one scheme can then be scored under another without re-entering what they share: its
value for an input of term T feeds the other scheme's input of term T. A term marked
``per_scheme`` (energy savings against each scheme's own reference building, say) is
never carried across: the project gives it per scheme, under ``[inputs_for.<id>]``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.model import Name, Scheme
from greenmark.core.resources import criteria_dir, shipped_criteria_dir
from greenmark.core.tomlfile import LineIndex, ShortText, dotted, friendly_errors, read_toml

VOCABULARY_FILE = "vocabulary.toml"


class Term(BaseModel):
    """One shared quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    label: ShortText = Field(min_length=1)
    unit: ShortText = "1"
    type: Literal["number", "integer", "boolean", "choice"] = "number"
    per_scheme: bool = False
    """Measured against each scheme's own reference: never carried from one to another."""


class Vocabulary(BaseModel):
    """The whole vocabulary file."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    building_types: dict[Name, ShortText] = Field(default_factory=dict)
    terms: dict[Name, Term] = Field(default_factory=dict)


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Read and validate a vocabulary file (default: the bundled one)."""
    if path is None:
        return bundled_vocabulary()
    return _load(path)


@cache
def bundled_vocabulary() -> Vocabulary:
    """``vocabulary.toml`` of the criteria folder, else the one shipped with greenmark (an
    empty vocabulary when neither exists)."""
    for folder in (criteria_dir(), shipped_criteria_dir()):
        if (folder / VOCABULARY_FILE).is_file():
            return _load(folder / VOCABULARY_FILE)
    return Vocabulary()


def _load(path: Path) -> Vocabulary:
    data, text = read_toml(path)
    try:
        return Vocabulary.model_validate(data)
    except ValidationError as exc:
        lines = LineIndex(text)
        raise GreenmarkError(
            problems=[
                Problem(message, str(path), dotted(location) or None, lines.line_of(location))
                for location, message in friendly_errors(exc)
            ]
        ) from None


def terms_of(scheme: Scheme) -> dict[str, str]:
    """The scheme's inputs by the shared term they are: ``{term: input name}``."""
    return {spec.shared: name for name, spec in scheme.inputs.items() if spec.shared}


def carried_inputs(own: Scheme | None, other: Scheme) -> dict[str, str]:
    """How the inputs of a project assessed under ``own`` read in ``other``, through the
    shared terms both schemes name: ``{own input: other input}``. Terms measured against
    each scheme's own reference (``per_scheme``) are left out; so is an input of the same
    name that the two schemes tie to different terms, or one of them to a per-scheme term."""
    if own is None or own.id == other.id:
        return {}
    terms = bundled_vocabulary().terms
    theirs = terms_of(other)
    carried: dict[str, str] = {}
    for name, spec in own.inputs.items():
        term = spec.shared
        if term is not None and term in theirs and not _per_scheme(terms, term):
            carried[name] = theirs[term]
    return carried


def blocked_names(own: Scheme | None, other: Scheme) -> set[str]:
    """Inputs of ``own`` whose name ``other`` also uses for another quantity (another term,
    or a term measured against each scheme's own reference): never carried by name."""
    if own is None or own.id == other.id:
        return set()
    terms = bundled_vocabulary().terms
    blocked = set()
    for name, spec in own.inputs.items():
        mine, counterpart = spec.shared, other.inputs.get(name)
        if counterpart is None:
            continue
        if mine != counterpart.shared or (mine is not None and _per_scheme(terms, mine)):
            blocked.add(name)
    return blocked


def _per_scheme(terms: dict[str, Term], term: str) -> bool:
    found = terms.get(term)
    return found is not None and found.per_scheme


def building_type_in(scheme: Scheme, building_type: str) -> str | None:
    """What ``scheme`` calls a shared building type: the type itself when the scheme rates
    it (or declares no types), its ``building_type_map`` entry, else None."""
    types = scheme.scheme.building_types
    if not types or building_type in types:
        return building_type
    return scheme.scheme.building_type_map.get(building_type)


def check_shared(scheme: Scheme) -> list[tuple[tuple[str | int, ...], str]]:
    """A scheme's ties to the vocabulary: known terms of a matching kind and unit, shared
    building types mapped onto the scheme's own."""
    from greenmark.core.errors import UnitError
    from greenmark.core.units import conversion

    vocabulary = bundled_vocabulary()
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name, spec in scheme.inputs.items():
        if spec.shared is None:
            continue
        where = ("inputs", name, "shared")
        term = vocabulary.terms.get(spec.shared)
        if term is None:
            known = ", ".join(sorted(vocabulary.terms)) or "none"
            problems.append((where, f"{spec.shared!r} is not a shared term (terms: {known})"))
        elif (term.type == "boolean") != (spec.type == "boolean"):
            problems.append((where, f"{spec.shared!r} is a {term.type}, this input a {spec.type}"))
        elif term.type != "boolean":
            try:
                conversion(spec.unit, term.unit)
            except UnitError:
                problems.append(
                    (where, f"{spec.shared!r} is in {term.unit}, which {spec.unit} is not")
                )
    info = scheme.scheme
    for shared_type, own_type in info.building_type_map.items():
        where = ("scheme", "building_type_map", shared_type)
        if shared_type not in vocabulary.building_types:
            known = ", ".join(vocabulary.building_types)
            problems.append((where, f"{shared_type!r} is not a shared building type ({known})"))
        elif own_type not in info.building_types:
            types = ", ".join(info.building_types) or "none declared"
            problems.append(
                (where, f"{own_type!r} is not a building type of this scheme (types: {types})")
            )
    return problems
