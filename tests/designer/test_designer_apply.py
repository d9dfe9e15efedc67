"""Measures applied to project files agree with the batched, column-wise designs."""

from __future__ import annotations

import numpy as np
import pytest
from designer_paths import GOLD_FIXTURE, MINI_PROJECT
from tests_paths import SAMPLES

from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.design.effects import DesignerError
from greenmark.design.measures import load_catalogue
from greenmark.design.plan import apply_measure, apply_measures, gap
from greenmark.design.sensitivity import project_sensitivity
from greenmark.design.space import DesignSpace


@pytest.fixture(scope="module")
def gold():
    loaded = load_project(GOLD_FIXTURE)
    return loaded, scheme_for(loaded), load_catalogue()


COMBINATIONS = [
    ["glazing-sc030"],
    ["glazing-sc030-worst", "shading-worst"],
    ["low-carbon-concrete"],
    ["basin-taps-3tick", "wc-3tick", "urinals-waterless"],
    ["chiller-060", "led-lpd-6", "pv-400"],
    ["glazing-sc030", "low-carbon-concrete", "chiller-055", "led-lpd-8", "pv-200", "gmap"],
]


@pytest.mark.parametrize("measures", COMBINATIONS, ids=lambda m: "+".join(m))
def test_project_path_and_batch_path_agree(gold, measures):
    loaded, scheme, catalogue = gold
    space = DesignSpace(loaded, scheme, catalogue)
    batch = space.evaluate(space.bits_of(measures).reshape(1, -1))
    changed = apply_measures(loaded, scheme, measures, catalogue)
    scored = score_project(changed, scheme)
    assert scored.scores.total_points[0] == pytest.approx(batch.total_points[0], abs=1e-9)
    assert int(scored.scores.tier_index[0]) == int(batch.tier_index[0])
    np.testing.assert_allclose(scored.scores.points[0], batch.points[0], atol=1e-9)


def test_glazing_changes_every_facade_and_lowers_ettv(gold):
    loaded, scheme, catalogue = gold
    changed = apply_measure(loaded, scheme, "glazing-sc030", catalogue)
    assert [f.sc1 for f in changed.project.facades] == [0.3] * 4
    assert [f.sc1 for f in loaded.project.facades] == [0.4] * 4  # the original is untouched
    before = score_project(loaded, scheme).scores.env["ettv"][0]
    after = score_project(changed, scheme).scores.env["ettv"][0]
    assert after < before - 5
    fields = [h.field for h in changed.project.history]
    assert fields == [f"facades[{i}].sc1" for i in range(4)]
    assert {h.who for h in changed.project.history} == {"designer"}


def test_worst_facade_is_the_one_with_the_highest_heat_gain(gold):
    loaded, scheme, catalogue = gold
    changed = apply_measure(loaded, scheme, "shading-worst", catalogue)
    assert [f.sc2 for f in changed.project.facades] == [1.0, 1.0, 1.0, 0.7]  # West: CF 1.20


def test_low_carbon_concrete_splits_the_boq_lines(gold):
    loaded, scheme, catalogue = gold
    changed = apply_measure(loaded, scheme, "low-carbon-concrete", catalogue)
    boq = changed.project.boq
    assert [line.quantity for line in boq[:2]] == [3000, 1500]
    assert [(line.material, line.quantity) for line in boq[5:]] == [
        ("concrete_ggbs_50", 3000),
        ("concrete_ggbs_50", 1500),
    ]
    before = score_project(loaded, scheme).scores.env["embodied_carbon"][0]
    after = score_project(changed, scheme).scores.env["embodied_carbon"][0]
    assert after < before


def test_fallback_sets_the_input_when_the_project_gives_it_directly():
    loaded = load_project(SAMPLES / "demo-office.toml")  # basin_tap_ticks = 2, no [[fittings]]
    scheme = scheme_for(loaded)
    space = DesignSpace(loaded, scheme, load_catalogue())
    taps = next(b for b in space.measures if b.id == "basin-taps-3tick")
    assert taps.fallback_used and taps.tables == ()
    assert taps.cost == pytest.approx(120 * 24500 / 150)
    changed = apply_measure(loaded, scheme, "basin-taps-3tick")
    assert changed.project.inputs["basin_tap_ticks"] == 3


def test_measures_that_cannot_apply_are_refused(gold):
    loaded, scheme, catalogue = gold
    with pytest.raises(DesignerError, match=r"escalator-sensors.*does not apply"):
        apply_measure(loaded, scheme, "escalator-sensors", catalogue)
    with pytest.raises(DesignerError, match="exclude each other"):
        apply_measures(loaded, scheme, ["chiller-060", "chiller-065"], catalogue)


def test_gap_lists_capped_and_not_assessed_points():
    loaded = load_project(MINI_PROJECT)
    scheme = scheme_for(loaded)
    found = gap(score_project(loaded, scheme), "top")
    assert found.points_needed == 9 and not found.reached
    assert [a.id for a in found.available] == ["X", "A", "B", "C", "D"]
    assert found.available[0].effective == 10
    assert [b.id for b in found.blocking] == ["G-EFF"]


def test_sensitivity_rates_and_next_points():
    loaded = load_project(MINI_PROJECT)
    scheme = scheme_for(loaded)
    rows = {r.input: r for r in project_sensitivity(loaded, scheme)}
    assert set(rows) == {"a", "b", "c", "d", "x", "eff"}  # colour and unused are not scored
    x = rows["x"]
    assert x.slope == pytest.approx(-0.05)  # central difference across the kink at 0 points
    assert x.next_change == pytest.approx(-10, rel=0.01) and x.max_gain == pytest.approx(10)
    assert rows["a"].max_gain == 4 and rows["a"].best_value is True
    assert rows["eff"].max_gain == 0 and rows["eff"].next_change is None
    ranked = list(rows)
    assert ranked[:2] == ["x", "a"]


def test_sensitivity_ranks_chiller_efficiency_first_on_the_gold_office(gold):
    loaded, scheme, _ = gold
    rows = project_sensitivity(loaded, scheme)
    first = rows[0]
    assert first.input == "chiller_eff" and first.max_gain == pytest.approx(14)
    assert first.next_change is not None and -0.03 < first.next_change < 0
    ettv = next(r for r in rows if r.input == "ettv")
    assert ettv.slope == pytest.approx(-1.2)
