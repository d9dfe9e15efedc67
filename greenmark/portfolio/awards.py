"""Recorded awards: a text column such as "Green Mark Gold Plus (Super Low Energy)" parsed
into the scheme's tier and badges, to compare with the computed result.

The text is matched loosely: case, spaces and punctuation do not count, a leading
"Green Mark" (or the scheme's title) is dropped, the part outside brackets is the
tier (by id or title: "GoldPLUS", "Gold Plus", "goldplus") and each bracketed part
a badge ("(Super Low Energy)", "(SLE)"). A mapping's aliases turn other spellings
into a tier id first. Text that names no tier gives no recorded tier and a flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.model import Scheme

_BRACKETS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_LOOSE = re.compile(r"[^a-z0-9]+")
AWARD_FIELDS = [
    ("recorded_award", pa.string()),
    ("recorded_tier", pa.string()),
    ("recorded_badges", pa.string()),
    ("award_agrees", pa.bool_()),
]


def _loose(text: str) -> str:
    return _LOOSE.sub("", text.lower())


@dataclass(frozen=True)
class Award:
    """One recorded award as parsed: tier id (None: none named), badge ids, what was not
    understood."""

    tier: str | None
    badges: tuple[str, ...]
    unknown: tuple[str, ...]


def parse_award(text: str, scheme: Scheme) -> Award:
    """``text`` read as the scheme's tier and badges (see the module)."""
    tiers: dict[str, str] = {}
    for spec in scheme.tiers:
        tiers[_loose(spec.id)] = spec.id
        tiers[_loose(spec.title)] = spec.id
    badges: dict[str, str] = {}
    for badge in scheme.badges:
        badges[_loose(badge.id)] = badge.id
        badges[_loose(badge.title)] = badge.id
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", badge.title))
        badges.setdefault(initials.lower(), badge.id)
    found_badges: list[str] = []
    unknown: list[str] = []
    for part in _BRACKETS.findall(text):
        key = _loose(part)
        if key in badges:
            found_badges.append(badges[key])
        elif key:
            unknown.append(part.strip())
    main = _loose(_BRACKETS.sub(" ", text))
    for prefix in (_loose(scheme.scheme.title), "greenmark"):
        if prefix and main.startswith(prefix) and main != prefix:
            main = main[len(prefix) :]
    tier = tiers.get(main)
    if tier is None and main:
        unknown.insert(0, _BRACKETS.sub(" ", text).strip())
    return Award(tier, tuple(dict.fromkeys(found_badges)), tuple(unknown))


def award_columns(
    scheme: Scheme, recorded: pa.Array, computed_tier: pa.Array
) -> tuple[dict[str, pa.Array], list[tuple[np.ndarray, list[str]]]]:
    """The recorded-award columns of scored rows, and flags for text not understood."""
    encoded = recorded.dictionary_encode()
    parsed = [
        None if value is None else parse_award(value, scheme)
        for value in encoded.dictionary.to_pylist()
    ]
    indices = encoded.indices
    tiers = pc.take(pa.array([p.tier if p else None for p in parsed], pa.string()), indices)
    badges = pc.take(
        pa.array([";".join(p.badges) if p else None for p in parsed], pa.string()), indices
    )
    agrees = pc.fill_null(pc.equal(pc.fill_null(tiers, ""), pc.fill_null(computed_tier, "")), False)
    agrees = pc.if_else(pc.is_null(recorded), pa.scalar(None, pa.bool_()), agrees)
    flags: list[tuple[np.ndarray, list[str]]] = []
    codes = indices.to_numpy(zero_copy_only=False)
    for code, award in enumerate(parsed):
        if award is None or not award.unknown:
            continue
        rows = np.flatnonzero(codes == code)
        message = f"recorded award not understood: {', '.join(repr(u) for u in award.unknown)}"
        flags.append((rows, [message] * len(rows)))
    columns = {
        "recorded_award": recorded,
        "recorded_tier": tiers,
        "recorded_badges": badges,
        "award_agrees": agrees,
    }
    return columns, flags
