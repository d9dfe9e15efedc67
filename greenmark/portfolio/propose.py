"""Start a mapping from a file: profile its columns, match them to a scheme's inputs, and
write a commented mapping for the analyst to finish (``greenmark mapping init``).

Profiling streams the whole file once in bounded memory: per column the cells
read, blanks, how many read as numbers, their range, and up to
:data:`DISTINCT_KEPT` distinct texts with their counts. Matching scores every
column against every scheme input (and id, name, building type, floor area) by
shared words of the column name and the input's name and label, plus a unit
written in the column name that converts to the input's unit ("Site EUI
(kBtu/ft²)" gives ``kBtu/ft2/yr`` for ``eui``); each column feeds one target.
Building-type aliases are proposed from the distinct values by keywords.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow.compute as pc

from greenmark.core.errors import UnitError
from greenmark.core.model import Scheme
from greenmark.core.units import conversion
from greenmark.portfolio.awards import parse_award
from greenmark.portfolio.cells import missing_cells, number_pattern, read_numbers, text_array
from greenmark.portfolio.mapping import (
    DEFAULT_MISSING,
    FALSE_WORDS,
    TRUE_WORDS,
    normalise_option,
)
from greenmark.portfolio.source import Source

DISTINCT_KEPT = 200  # distinct texts counted per column; more are only counted as "many"
SHOWN_VALUES = 12  # distinct values shown per text column in the mapping's comments
MISSING_WORDS = ("not available", "n/a", "na", "-", "missing data", "none", "null", "")
#: Words that name a target in exports, beyond its own name and label.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifier", "code", "number", "ref", "reference"),
    "name": ("name", "title"),
    "building_type": ("type", "use", "category", "property", "primary", "building"),
    "gfa": ("gfa", "gross", "floor", "area", "size", "ft", "sqft", "m2"),
    "eui": ("eui", "intensity", "site", "energy", "use"),
}
#: Keywords in a file's building-type values, per common scheme building type.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "office": ("office",),
    "retail": ("retail", "store", "mall", "shop", "supermarket", "market"),
    "hotel": ("hotel", "hospitality", "lodging", "resort"),
    "hospital": ("hospital", "medical", "surgical"),
    "school": ("school", "k-12", "primary", "secondary", "education"),
    "ihl": ("university", "college", "polytechnic", "institute", "ihl", "campus"),
    "mixed_use": ("mixed",),
    "industrial": ("industrial", "factory", "manufacturing", "warehouse"),
    "residential": ("residential", "multifamily", "apartment", "condominium", "housing"),
}
_UNIT_IN_NAME = re.compile(r"\(([^()]{1,40})\)\s*$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class ColumnProfile:
    """What one column holds."""

    name: str
    cells: int = 0
    blanks: int = 0
    numbers: int = 0
    low: float = float("inf")
    high: float = float("-inf")
    distinct: Counter[str] = field(default_factory=Counter)
    many: bool = False  # more than DISTINCT_KEPT distinct texts
    markers: Counter[str] = field(default_factory=Counter)  # missing-like words seen

    @property
    def given(self) -> int:
        return self.cells - self.blanks

    @property
    def numeric(self) -> bool:
        """Most given cells read as numbers."""
        return self.given > 0 and self.numbers >= 0.9 * self.given

    def describe(self) -> str:
        """One line for the mapping's comments."""
        blank = f"{self.blanks:,} blank" if self.blanks else "no blanks"
        if self.numeric:
            return f"numbers {_short(self.low)} to {_short(self.high)}, {blank}"
        count = f"{len(self.distinct)}{'+' if self.many else ''} distinct"
        return f"text, {count}, {blank}"


def _short(value: float) -> str:
    return f"{value:,.6g}" if np.isfinite(value) else "–"


def profile(source: Source, chunk_rows: int = 65_536) -> list[ColumnProfile]:
    """Profile every column of ``source`` (the whole file, streamed)."""
    columns = source.columns
    found = {name: ColumnProfile(name) for name in columns}
    markers = [*DEFAULT_MISSING, "Not Available"]
    pattern = number_pattern(",", ".")
    for chunk in source.chunks(columns, chunk_rows):
        if chunk.batch is None:
            continue
        for index, name in enumerate(chunk.batch.schema.names):
            column = text_array(chunk.batch.column(index))
            entry = found[name]
            blank = missing_cells(column, markers)
            entry.cells += len(column)
            entry.blanks += int(blank.sum())
            trimmed = pc.utf8_trim_whitespace(column)
            well_formed = np.asarray(
                pc.fill_null(pc.match_substring_regex(trimmed, pattern), False)
            )
            entry.numbers += int((well_formed & ~blank).sum())
            if well_formed.any():
                values, _ = read_numbers(column, name, markers, ",", ".", [])
                given = values[np.isfinite(values)]
                if len(given):
                    entry.low = min(entry.low, float(given.min()))
                    entry.high = max(entry.high, float(given.max()))
            counted = pc.value_counts(trimmed)
            for value, count in zip(
                counted.field("values").to_pylist(),
                counted.field("counts").to_pylist(),
                strict=True,
            ):
                if value is None:
                    continue
                if value.strip().lower() in MISSING_WORDS and value.strip():
                    entry.markers[value] += count
                if value in entry.distinct or len(entry.distinct) < DISTINCT_KEPT:
                    entry.distinct[value] += count
                else:
                    entry.many = True
    return [found[name] for name in columns]


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("²", "2")))


def unit_in_name(name: str) -> str | None:
    """The unit a column name ends with in brackets: ``"Site EUI (kBtu/ft²)"`` -> ``kBtu/ft²``."""
    found = _UNIT_IN_NAME.search(name)
    return found[1].strip() if found else None


def fitting_unit(unit: str, to_unit: str) -> str | None:
    """``unit`` (or ``unit/yr`` for an annual intensity) when it converts to ``to_unit``."""
    unit = unit.replace("²", "2").replace("³", "3")
    for candidate in (unit, f"{unit}/yr"):
        try:
            conversion(candidate, to_unit)
        except UnitError:
            continue
        return candidate
    return None


@dataclass
class Match:
    """A proposed column for one target."""

    target: str
    column: str
    score: float
    unit: str | None = None  # the column's unit, when it differs from the target's


@dataclass
class Target:
    name: str
    words: set[str]
    kind: str  # number | integer | boolean | choice | text
    unit: str = ""


def targets(scheme: Scheme) -> list[Target]:
    """The metadata roles and the scheme's inputs, with the words that name each."""
    found = [
        Target("id", set(SYNONYMS["id"]), "text"),
        Target("name", set(SYNONYMS["name"]), "text"),
        Target("building_type", set(SYNONYMS["building_type"]), "choice"),
        Target("gfa", set(SYNONYMS["gfa"]), "number", "m2"),
    ]
    for name, spec in scheme.inputs.items():
        words = _words(name.replace("_", " ")) | _words(spec.label) | set(SYNONYMS.get(name, ()))
        found.append(Target(name, words, spec.type, spec.unit))
    return found


def _score(target: Target, column: ColumnProfile) -> tuple[float, str | None]:
    """How well ``column`` fits ``target`` (0: not at all) and the column's unit."""
    if not column.given:
        return 0.0, None
    numeric_target = target.kind in ("number", "integer")
    if numeric_target != column.numeric and target.kind != "text":
        return 0.0, None
    name_words = _words(column.name)
    shared = target.words & name_words
    rest = name_words - shared
    compact = "".join(sorted(rest))
    # run-together names ("grossfloorarea", "2018energyusintensity"): the share of their
    # letters that spell the target's words counts as one shared word
    inside = {w for w in target.words - shared if len(w) >= 4 and w in compact}
    covered = min(1.0, sum(len(w) for w in inside) / len(compact)) if compact else 0.0
    if covered < 0.7:  # a word or two inside a long name is chance ("greenmarkstatus")
        covered = 0.0
    score = (len(shared) + covered) / max(1, len(name_words))
    if target.name in name_words or target.name.replace("_", " ") in column.name.lower():
        score += 1.0
    unit = None
    written = unit_in_name(column.name)
    if numeric_target and written is not None and target.unit not in ("", "1"):
        unit = fitting_unit(written, target.unit)
        if unit is None:
            return 0.0, None
        score += 0.6
    if target.kind == "boolean" and not _yes_no(column):
        return 0.0, None
    if target.kind == "choice" and (column.many or len(column.distinct) > 100):
        return 0.0, None
    if target.name == "id" and column.numeric and not shared:
        return 0.0, None
    if target.name == "id" and len(column.distinct) < column.given and not column.many:
        score -= 0.5  # ids are distinct
    return score, unit


def _yes_no(column: ColumnProfile) -> bool:
    """Every given value is a yes/no word."""
    words = TRUE_WORDS | FALSE_WORDS
    given = [v for v in column.distinct if v.strip().lower() not in MISSING_WORDS]
    return bool(given) and not column.many and all(v.strip().lower() in words for v in given)


def match(scheme: Scheme, profiles: list[ColumnProfile], least: float = 0.5) -> list[Match]:
    """The best column for each target, each column used once (greedy, best first)."""
    candidates: list[Match] = []
    for target in targets(scheme):
        for column in profiles:
            score, unit = _score(target, column)
            if score >= least:
                candidates.append(Match(target.name, column.name, score, unit))
    candidates.sort(key=lambda m: -m.score)
    used_targets: set[str] = set()
    used_columns: set[str] = set()
    chosen: list[Match] = []
    for candidate in candidates:
        if candidate.target in used_targets or candidate.column in used_columns:
            continue
        used_targets.add(candidate.target)
        used_columns.add(candidate.column)
        chosen.append(candidate)
    return chosen


def type_aliases(values: list[str], types: list[str]) -> tuple[dict[str, str], list[str]]:
    """File value -> scheme building type by keywords; and the values with no match."""
    aliases: dict[str, str] = {}
    unmatched: list[str] = []
    loose = {normalise_option(t): t for t in types}
    for value in values:
        words = value.lower()
        direct = loose.get(normalise_option(value))
        if direct is not None:
            aliases[value] = direct
            continue
        hits = [
            t
            for t in types
            if any(re.search(rf"\b{re.escape(w)}", words) for w in TYPE_WORDS.get(t, (t,)))
        ]
        if not hits:  # a misspelt keyword ("Univerisity")
            keywords = {w: t for t in types for w in TYPE_WORDS.get(t, (t,)) if len(w) >= 5}
            for word in _words(value):
                close = difflib.get_close_matches(word, list(keywords), n=1, cutoff=0.85)
                if close:
                    hits.append(keywords[close[0]])
            hits = list(dict.fromkeys(hits))
        if len(hits) == 1:
            aliases[value] = hits[0]
        else:
            unmatched.append(value)
    return aliases, unmatched


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def write_mapping(
    scheme: Scheme, source: Source, profiles: list[ColumnProfile], matches: list[Match]
) -> str:
    """The proposed mapping as commented TOML."""
    by_target = {m.target: m for m in matches}
    by_column = {p.name: p for p in profiles}
    lines = [
        f"# Mapping proposed by `greenmark mapping init` from {source.name} for {scheme.id}.",
        "# Check every line: the matches are guesses from column names, units and values.",
        "# Then: greenmark mapping check THIS.toml INPUT   (counts per outcome, no scoring)",
        "",
        "[mapping]",
        f"scheme = {_toml(scheme.id)}",
        f"source = {_toml(source.path.name)}",
    ]
    markers = Counter[str]()
    for entry in profiles:
        markers.update(entry.markers)
    missing = list(dict.fromkeys([*DEFAULT_MISSING, *sorted(markers)]))
    lines.append(f"missing = [{', '.join(_toml(m) for m in missing)}]")
    lines.append("")
    type_match = by_target.get("building_type")
    unmatched: list[str] = []
    aliases: dict[str, str] = {}
    if type_match is not None:
        values = [v for v, _ in by_column[type_match.column].distinct.most_common()]
        values = [v for v in values if v.strip().lower() not in MISSING_WORDS]
        aliases, unmatched = type_aliases(values, list(scheme.scheme.building_types))
        if unmatched and aliases:
            lines += [
                "# Rows of a type the scheme does not rate are out of scope (not errors):",
                "[[where]]",
                f"column = {_toml(type_match.column)}",
                f"in = [{', '.join(_toml(v) for v in aliases)}]",
                'reason = "building type not rated by the scheme"',
                "",
            ]
    quality = [p for p in profiles if re.search(r"outlier|flag|quality|status", p.name, re.I)]
    for entry in quality:
        values = [v for v, _ in entry.distinct.most_common(SHOWN_VALUES) if v.strip()]
        shown = ", ".join(_toml(v) for v in values)
        lines += [
            f"# {entry.name!r} looks like a data-quality column; to leave rows out, keep the",
            "# values that should go and uncomment:",
            "# [[exclude]]",
            f"# column = {_toml(entry.name)}",
            f"# in = [{shown}]",
            "",
        ]
    lines.append("[columns]")
    award = _award_column(scheme, profiles, {m.column for m in matches})
    if award is not None:
        lines.append(
            f"award = {_toml(award.name)}  # recorded award: compared with the computed tier"
        )
    for role in ("id", "name", "gfa"):
        found = by_target.get(role)
        if found is None:
            lines.append(f'# {role} = "..."  # no column found')
            continue
        unit = found.unit or (_guess_area_unit(found.column) if role == "gfa" else None)
        note = f"  # {by_column[found.column].describe()}"
        if unit:
            lines.append(
                f"{role} = {{ column = {_toml(found.column)}, unit = {_toml(unit)} }}{note}"
            )
        else:
            lines.append(f"{role} = {_toml(found.column)}{note}")
    lines.append("")
    if type_match is not None:
        lines += [
            "[columns.building_type]",
            f"column = {_toml(type_match.column)}  # {by_column[type_match.column].describe()}",
            f"# scheme building types: {', '.join(scheme.scheme.building_types)}",
        ]
        for value in unmatched:
            lines.append(f"# no match: {_toml(value)}")
        lines.append("[columns.building_type.aliases]")
        for value, target in aliases.items():
            lines.append(f"{_toml(value)} = {_toml(target)}")
        lines.append("")
    else:
        lines += ["# [columns.building_type]  no column found", ""]
    lines.append("[inputs]")
    for name, spec in scheme.inputs.items():
        found = by_target.get(name)
        if found is None:
            continue
        column = by_column[found.column]
        unit = f" ({spec.unit})" if spec.unit not in ("", "1") else ""
        lines.append(f"# {name}: {spec.label}{unit}; the column holds {column.describe()}")
        if found.unit and found.unit != spec.unit:
            lines.append(
                f"{name} = {{ column = {_toml(found.column)}, unit = {_toml(found.unit)} }}"
            )
        else:
            lines.append(f"{name} = {_toml(found.column)}")
    missing_inputs = [n for n in scheme.inputs if n not in by_target]
    lines += [
        "",
        f"# {len(missing_inputs)} inputs have no column yet (their criteria are not assessed).",
        "# Give each a column, a constant (value = 12), a formula over columns with units",
        '# (formula = "(a + b) / area" with vars.a = { column = "...", unit = "kWh/yr" }),',
        '# or a number taken from text (column = "Notes", extract = "([0-9.]+) kW/RT"):',
    ]
    for name in missing_inputs:
        spec = scheme.inputs[name]
        unit = f" ({spec.unit})" if spec.unit not in ("", "1") else ""
        lines.append(f"# {name} = ...  # {spec.type}{unit}: {spec.label}")
    unused = [p for p in profiles if p.name not in {m.column for m in matches}]
    if unused:
        lines += ["", "# Columns not used:"]
        lines += [f"#   {p.name!r}: {p.describe()}" for p in unused]
    return "\n".join(lines) + "\n"


def _award_column(
    scheme: Scheme, profiles: list[ColumnProfile], used: set[str]
) -> ColumnProfile | None:
    """The text column most of whose values name one of the scheme's tiers, if any."""
    best: tuple[float, ColumnProfile] | None = None
    for entry in profiles:
        if entry.name in used or entry.numeric or not entry.given:
            continue
        named = sum(
            count
            for value, count in entry.distinct.items()
            if value.strip() and parse_award(value, scheme).tier is not None
        )
        share = named / entry.given
        if share >= 0.5 and (best is None or share > best[0]):
            best = (share, entry)
    return best[1] if best else None


def _guess_area_unit(column: str) -> str | None:
    words = _words(column)
    if words & {"ft", "ft2", "sqft", "sf"}:
        return "ft2"
    return None


def proposal(scheme: Scheme, source: Source) -> tuple[str, dict[str, Any]]:
    """The proposed mapping text and what was found (for the command's summary)."""
    profiles = profile(source)
    matches = match(scheme, profiles)
    text = write_mapping(scheme, source, profiles, matches)
    return text, {"columns": len(profiles), "matches": {m.target: m.column for m in matches}}
