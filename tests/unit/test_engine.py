"""The vectorised engine against hand-worked numbers on the demo scheme and inline schemes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import scheme_from_text, score_rows
from tests_paths import CRITERIA

from greenmark.core.engine import GateStatus, Status
from greenmark.core.explain import Explainer
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme

DEMO = load_scheme(CRITERIA / "demo.toml")

OFFICE = {
    "eui": 128,
    "eui_reference": 205,
    "ettv": 41.5,
    "chiller_eff": 0.62,
    "has_carpark": True,
    "carpark_ventilation": "co_sensors",
    "basin_tap_ticks": 2,
    "rainwater_harvesting": True,
    "green_plot_ratio": 2.5,
    "renewable_share": 3,
    "building_type": "office",
    "gfa": 24500,
}


def points_of(scores, i=0):
    return {c.id: float(scores.points[i, k]) for k, c in enumerate(DEMO.criteria)}


def test_demo_office_hand_worked():
    s = score_rows(DEMO, [OFFICE])
    p = points_of(s)
    assert p["EN-1"] == pytest.approx(1.2 * (50 - 41.5))  # 10.2
    assert pytest.approx(37.56, abs=0.01) == 100 * (1 - 128 / 205)
    assert p["EN-2"] == 15  # 30% band
    assert p["EN-3"] == 8  # 0.62 <= 0.65
    assert p["EN-4"] == 2  # co_sensors
    assert p["EN-5"] == 1.5  # bonus: 3 / 2
    assert (p["WA-1"], p["WA-2"], p["EP-1"], p["EP-2"]) == (4, 3, 5, 5)
    energy = 10.2 + 15 + 8 + 2  # 35.2, under the cap of 40
    other = 4 + 3 + 5 + 5  # 17, under the group cap of 20
    assert s.total_points[0] == pytest.approx(energy + other + 1.5)  # 53.7
    assert s.section_points[0].tolist() == pytest.approx([energy + 1.5, 7, 10])
    assert s.tier_id(0) == "goldplus"
    assert s.points_needed[0] == pytest.approx(55 - 53.7)
    assert s.badges[0].tolist() == [False, False]


def test_missing_input_is_not_assessed_never_zero():
    row = dict(OFFICE)
    del row["eui"]
    s = score_rows(DEMO, [row])
    status = {c.id: Status(int(s.status[0, k])) for k, c in enumerate(DEMO.criteria)}
    assert status["EN-2"] == Status.NOT_ASSESSED  # savings needs eui
    assert status["EP-2"] == Status.NOT_ASSESSED
    assert status["EN-1"] == Status.PARTIAL
    reason = Explainer(s).criterion_reason(1, 0)
    assert reason == "not assessed: eui not given"
    # a zero is a value: EUI 0 gives 100 % savings
    s0 = score_rows(DEMO, [{**OFFICE, "eui": 0}])
    assert Status(int(s0.status[0, 1])) == Status.AWARDED


def test_section_cap_and_bonus_outside_the_cap():
    row = {
        **OFFICE,
        "ettv": 30,
        "eui": 80,
        "chiller_eff": 0.55,
        "carpark_ventilation": "natural",
        "renewable_share": 20,
    }
    s = score_rows(DEMO, [row])
    # raw energy 12 + 20 + 10 + 3 = 45, capped at 40; the bonus (10 -> max 5) stays outside
    assert s.section_core[0, 0] == 40
    assert s.section_points[0, 0] == 45
    assert points_of(s)["EN-5"] == 5


def test_group_cap_and_floor():
    row = {**OFFICE, "basin_tap_ticks": 3, "green_plot_ratio": 5}
    s = score_rows(DEMO, [row])
    assert s.section_points[0, 1:].sum() == 6 + 3 + 8 + 5  # 22 before the group cap
    assert s.group_points[0, 0] == 20
    low = {
        **OFFICE,
        "basin_tap_ticks": 0,
        "rainwater_harvesting": False,
        "green_plot_ratio": 0,
        "eui": 200,
    }
    s = score_rows(DEMO, [low])
    assert s.group_points[0, 0] == 0
    assert s.tier_index[0] == -1  # group floor of 5 not met
    blockers = Explainer(s).blockers(0, 0)
    assert [(b.kind, b.id) for b in blockers] == [("floor", "other")]


def test_not_applicable_leaves_the_denominator():
    with_carpark = score_rows(DEMO, [OFFICE])
    without = score_rows(DEMO, [{**OFFICE, "has_carpark": False}])
    assert Status(int(without.status[0, 3])) == Status.NOT_APPLICABLE
    assert with_carpark.section_max[0, 0] == 40  # 12 + 20 + 10 + 3 = 45, capped
    assert without.section_max[0, 0] == 40  # 42 still above the cap
    marked = score_rows(DEMO, [OFFICE], na={"EN-2": [True]})
    assert Status(int(marked.status[0, 1])) == Status.NOT_APPLICABLE
    assert marked.section_max[0, 0] == 12 + 10 + 3
    assert "marked so by the assessor" in Explainer(marked).criterion_reason(1, 0)


def test_gate_from_tier_blocks_only_from_that_tier():
    row = {**OFFICE, "chiller_eff": 0.7, "ettv": 35, "eui": 100, "green_plot_ratio": 4}
    s = score_rows(DEMO, [row])
    assert s.total_points[0] >= 55
    gates = {g.id: GateStatus(int(s.gate_status[0, k])) for k, g in enumerate(DEMO.gates)}
    assert gates["P-2"] == GateStatus.FAILED
    assert s.tier_id(0) == "goldplus"
    result = Explainer(s).building(0)
    assert result.next_tier is not None and result.next_tier.id == "platinum"
    assert result.next_tier.points_needed == 0
    assert [b.id for b in result.next_tier.blocking] == ["P-2"]


def test_gate_with_missing_input_is_not_assessed_and_blocks():
    row = dict(OFFICE)
    del row["ettv"]
    s = score_rows(DEMO, [row])
    assert GateStatus(int(s.gate_status[0, 0])) == GateStatus.NOT_ASSESSED
    assert s.tier_index[0] == -1
    assert "ettv not given" in Explainer(s).blockers(0, 0)[0].message


def test_badges_need_their_condition_and_min_tier():
    row = {**OFFICE, "eui": 110, "renewable_share": 120}
    s = score_rows(DEMO, [row])
    assert s.badges[0].tolist() == [True, True]
    weak = {
        **row,
        "green_plot_ratio": 0,
        "basin_tap_ticks": 0,
        "rainwater_harvesting": False,
        "ettv": 49,
    }
    s = score_rows(DEMO, [weak])
    assert s.tier_index[0] < DEMO.tier_index("gold")
    assert s.badges[0].tolist() == [False, True]  # low energy needs Gold; zero energy does not


def test_a_badge_hides_the_badges_it_supersedes():
    low, zero = DEMO.badges
    family = DEMO.model_copy(
        update={"badges": [low, zero.model_copy(update={"supersedes": [low.id]})]}
    )
    both = {**OFFICE, "eui": 110, "renewable_share": 120}
    only_low = {**OFFICE, "eui": 110, "renewable_share": 10}
    s = score_rows(family, [both, only_low])
    assert s.badges.tolist() == [[False, True], [True, False]]
    assert [score_one(family, row)["badges"] for row in (both, only_low)] == [
        [zero.id],
        [low.id],
    ]


def test_batch_equals_batches_of_one():
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(50):
        row = dict(OFFICE)
        row["eui"] = float(rng.uniform(60, 250))
        row["ettv"] = float(rng.uniform(30, 55))
        row["chiller_eff"] = float(rng.uniform(0.5, 0.9))
        if rng.random() < 0.2:
            row.pop("green_plot_ratio")
        rows.append(row)
    batch = score_rows(DEMO, rows)
    for i, row in enumerate(rows):
        one = score_rows(DEMO, [row])
        assert one.points[0].tolist() == batch.points[i].tolist()
        assert one.tier_index[0] == batch.tier_index[i]


PERCENT_SCHEME = """
[scheme]
id = "pct"
title = "Weighted test scheme"
version = "0.1"
scoring = "percent"
building_types = ["office", "retail"]

[inputs.a]
label = "a"
[inputs.b]
label = "b"
[inputs.carpark]
label = "has car park"
type = "boolean"
[inputs.q]
label = "quality"
[inputs.load]
label = "load"

[[sections]]
id = "one"
title = "One"
weight = { office = 0.6, retail = 0.2, default = 0.5 }
floor_percent = 20
[[sections]]
id = "two"
title = "Two"
weight = { office = 0.4, retail = 0.8, default = 0.5 }
[[sections]]
id = "extra"
title = "Innovation"
weight = 0

[[criteria]]
id = "O1"
section = "one"
title = "a points"
max_points = 10
points = { formula = "a" }
[[criteria]]
id = "O2"
section = "one"
title = "car park"
max_points = 10
applies_if = "carpark"
points = { formula = "b" }
[[criteria]]
id = "T1"
section = "two"
title = "b points"
max_points = 4
points = { formula = "b" }
[[criteria]]
id = "X1"
section = "extra"
title = "innovation"
max_points = 5
bonus = true
points = { formula = "a / 2" }

[metrics.bee]
label = "quality to load ratio"
formula = "q / load"

[[tiers]]
id = "pass"
title = "Pass"
min_percent = 30
[[tiers]]
id = "excellent"
title = "Excellent"
min_percent = 70
condition = "bee >= 1.5 and sec_pct_two >= 50"
"""


def test_percent_scoring_with_weights_and_na():
    scheme = scheme_from_text(PERCENT_SCHEME)
    rows = [
        {"a": 5, "b": 2, "carpark": True, "q": 3, "load": 1, "building_type": "office"},
        {"a": 5, "b": 2, "carpark": False, "q": 3, "load": 1, "building_type": "office"},
        {"a": 5, "b": 2, "carpark": True, "q": 3, "load": 1, "building_type": "retail"},
    ]
    s = score_rows(scheme, rows)
    # office, car park: one = 7/20 = 35 %, two = 2/4 = 50 %; 0.6*35 + 0.4*50 = 41; +2.5 bonus
    assert s.total_percent[0] == pytest.approx(0.6 * 35 + 0.4 * 50 + 2.5)
    # no car park: O2 leaves the denominator: one = 5/10 = 50 %
    assert s.section_max[1, 0] == 10
    assert s.total_percent[1] == pytest.approx(0.6 * 50 + 0.4 * 50 + 2.5)
    # retail weights
    assert s.total_percent[2] == pytest.approx(0.2 * 35 + 0.8 * 50 + 2.5)
    assert [s.tier_id(i) for i in range(3)] == ["pass", "pass", "pass"]


def test_tier_condition_on_a_ratio_of_results():
    scheme = scheme_from_text(PERCENT_SCHEME)
    good = {"a": 10, "b": 4, "carpark": True, "q": 3, "load": 1, "building_type": "office"}
    s = score_rows(scheme, [good, {**good, "q": 1}])
    # one = (10 + 4) / 20 = 70 %, two = 4 / 4 = 100 %: 0.6*70 + 0.4*100 = 82, +5 bonus
    assert s.total_percent.tolist() == pytest.approx([87, 87])
    assert s.tier_id(0) == "excellent"
    assert s.tier_id(1) == "pass"  # bee = 1 < 1.5
    blocker = Explainer(s).blockers(1, 1)
    assert blocker[0].kind == "condition" and "bee" in blocker[0].message


def test_engine_does_not_import_the_ui():
    code = (
        "import sys, greenmark.core.engine, greenmark.core.scheme, greenmark.core.project, "
        "greenmark.core.explain, greenmark.core.scoring;"
        "bad = [m for m in ('textual', 'click', 'rich') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
