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


TYPED = """
[scheme]
id = "typed"
title = "Maxima by building type and stage"
version = "1.0"
building_types = ["office", "retail", "residential"]

[inputs.x]
label = "x"
[inputs.stage]
label = "Stage"
type = "choice"
choices = ["pre_assessment", "design", "as_built", "existing"]

[[sections]]
id = "one"
title = "One"

[[criteria]]
id = "T-1"
section = "one"
title = "worth 3 for offices, 5 for retail, nothing for homes"
max_points = 3
max_points_by_type = { retail = 5, residential = 0 }
points = { formula = "x" }

[[criteria]]
id = "F-1"
section = "one"
title = "assessed at the final stage only"
max_points = 2
applies_if = "stage_is_as_built or stage_is_existing"
points = { formula = "x" }

[[tiers]]
id = "pass"
title = "Pass"
min_points = 1
"""


@pytest.mark.parametrize(
    ("building_type", "points", "maximum", "status"),
    [("office", 3, 3, "awarded"), ("retail", 4, 5, "partial"), ("residential", 0, 0, "n/a")],
)
def test_a_maximum_by_building_type(building_type, points, maximum, status):
    from greenmark.core.engine import Status
    from greenmark.core.explain import Explainer
    from greenmark.core.reference import score_one

    scheme = scheme_from_text(TYPED)
    row = {"x": 4, "building_type": building_type, "stage": "design"}
    scores = score_rows(scheme, [row])
    assert scores.points[0, 0] == points
    assert Explainer(scores).building(0).criteria[0].max_points == maximum
    label = Status(int(scores.status[0, 0])).label
    assert label == ("not_applicable" if status == "n/a" else status)
    assert score_one(scheme, row)["points"]["T-1"] == points
    assert scores.section_max[0, 0] == maximum  # F-1 is not applicable at design stage


def test_a_design_stage_maximum_and_a_final_one(tmp_path):
    from greenmark.core.project import load_project
    from greenmark.core.scoring import score_project

    scheme_file = tmp_path / "typed.toml"
    scheme_file.write_text(TYPED, encoding="utf-8")
    results = {}
    for stage in ("design", "as-built"):
        project = tmp_path / f"{stage}.toml"
        project.write_text(
            f'[project]\nname = "P"\nscheme = "typed.toml"\nbuilding_type = "office"\n'
            f'gross_floor_area = 100\nstage = "{stage}"\n\n[inputs]\nx = 2\n',
            encoding="utf-8",
        )
        loaded = load_project(project)
        results[stage] = score_project(loaded, scheme_from_text(TYPED)).result
    assert results["design"].total_max == 3 and results["as-built"].total_max == 5


def test_maxima_by_type_name_the_scheme_types():
    with pytest.raises(SchemeError) as raised:
        scheme_from_text(TYPED.replace("residential = 0", "homes = 0"))
    assert "not a building type of this scheme" in raised.value.problems[0].message


def test_a_percent_threshold_in_a_points_scheme_and_its_points_short():
    text = SCHEME.replace('min_points = "gold"', "min_percent = 80")
    scheme = scheme_from_text(text)
    # maximum 4 (A-1 capped at 4, B-1 not applicable): Gold needs 80 % of 4 = 3.2 points
    scores = score_rows(scheme, [{"a": 12}, {"a": 25}])
    assert [scores.tier_id(i) for i in range(2)] == ["certified", "gold"]
    assert scores.points_needed[0] == pytest.approx(1.2)  # 2 points of the 3.2 needed
    from greenmark.core.reference import score_one

    assert score_one(scheme, {"a": 12})["tier_index"] == 0
