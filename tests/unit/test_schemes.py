"""Every bundled scheme file is valid, sourced, and scores an empty building sensibly."""

from __future__ import annotations

import pytest
from helpers import score_rows
from tests_paths import CRITERIA

from greenmark.engine import Status
from greenmark.scheme import bundled_schemes, load_scheme, unverified_constants

SCHEME_FILES = sorted(p for p in CRITERIA.glob("*.toml") if b"[scheme]" in p.read_bytes())


def test_bundled_schemes_are_found_by_id():
    entries = bundled_schemes()
    assert {e.path for e in entries} == set(SCHEME_FILES)
    assert len({e.id for e in entries}) == len(entries), "scheme ids are unique"


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.stem)
def test_scheme_loads_and_every_value_has_a_source(path):
    scheme = load_scheme(path)
    assert scheme.scheme.source, "the scheme names where its numbers come from"
    for name, constant in scheme.constants.items():
        assert constant.source, f"constant {name} has no source"
    for where, source in unverified_constants(scheme):
        assert source, f"{where} is unverified and says nothing about why"


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.stem)
def test_empty_building_is_not_assessed_and_gets_no_tier(path):
    scheme = load_scheme(path)
    scores = score_rows(scheme, [{}])
    applies_if_free = [not c.applies_if for c in scheme.criteria]
    statuses = [
        Status(int(s)) for s, free in zip(scores.status[0], applies_if_free, strict=True) if free
    ]
    assert all(s == Status.NOT_ASSESSED for s in statuses)
    assert scores.tier_index[0] == -1
    assert not scores.badges.any()
