"""Scheme format v2: named constants wherever a number stands, provenance on sections,
input defaults, `na_`/`assessed_` in result formulas and floors from a tier."""

from __future__ import annotations

import pytest
from helpers import scheme_from_text, score_rows

from greenmark.core.errors import SchemeError
from greenmark.core.scheme import unverified_constants

SCHEME = """
[scheme]
id = "v2"
title = "Format v2 test scheme"
version = "1.0"

[constants.a_max]
value = 4
source = "test"
[constants.a_bands]
value = 10
[constants.gold]
value = 3
verified = false
source = "placeholder"

[inputs.a]
label = "a"
[inputs.flag]
label = "flag"
type = "boolean"
default = false

[[sections]]
id = "one"
title = "One"
cap = "a_max"
floor = 2
floor_from_tier = "gold"
source = "a placeholder cap"
verified = false

[[criteria]]
id = "A-1"
section = "one"
title = "a"
max_points = "a_max"
points = { bands = "a", at = ["a_bands", 20], give = [2, "a_max"] }

[[criteria]]
id = "B-1"
section = "one"
title = "flag"
max_points = 1
applies_if = "flag"
points = { yes = "a >= 30", give = 1 }

[[gates]]
id = "G"
title = "B-1 met unless not applicable"
condition = "na_B_1 or pts_B_1 >= 1"

[[tiers]]
id = "certified"
title = "Certified"
min_points = 1

[[tiers]]
id = "gold"
title = "Gold"
min_points = "gold"
"""


def test_constant_names_stand_for_their_numbers():
    scheme = scheme_from_text(SCHEME)
    criterion = scheme.criterion("A-1")
    assert criterion.max_points == 4
    assert criterion.points.at == [10, 20] and criterion.points.give == [2, 4]
    assert scheme.sections[0].cap == 4 and scheme.tiers[1].min_points == 3


def test_an_unknown_constant_name_is_named_with_its_place():
    with pytest.raises(SchemeError) as raised:
        scheme_from_text(SCHEME.replace('max_points = "a_max"', 'max_points = "a_mx"'))
    problem = raised.value.problems[0]
    assert problem.location == "criteria[0].max_points"
    assert "'a_mx' is not a constant of this scheme" in problem.message
    assert problem.line is not None


def test_sections_carry_their_provenance():
    found = dict(unverified_constants(scheme_from_text(SCHEME)))
    assert found["sections.one"] == "a placeholder cap"
    assert "constants.gold" in found


def test_a_gate_on_an_issue_ruled_not_applicable_does_not_block_and_defaults_fill_in():
    scheme = scheme_from_text(SCHEME)
    # flag not given: its default (false) makes B-1 not applicable, so the gate holds;
    # applicable with no point, the gate blocks every tier
    scores = score_rows(scheme, [{"a": 25}, {"a": 25, "flag": True}, {"a": 35, "flag": True}])
    assert [scores.tier_id(i) for i in range(3)] == ["gold", None, "gold"]


def test_a_floor_from_a_tier_binds_only_from_that_tier():
    scheme = scheme_from_text(SCHEME)
    uncapped = SCHEME.replace('cap = "a_max"\n', "").replace("floor = 2", "floor = 5")
    strict = scheme_from_text(uncapped)
    row = [{"a": 25}]  # 4 points: Gold by points, under a floor of 5 that starts at Gold
    assert score_rows(scheme, row).tier_id(0) == "gold"
    assert score_rows(strict, row).tier_id(0) == "certified"
