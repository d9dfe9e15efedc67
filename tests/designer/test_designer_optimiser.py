"""The cheapest-path search on a hand-built catalogue whose answers are worked out by hand.

mini-project.toml scores 0 under mini-scheme.toml (credits A 4, B 3, C 2, D 1, X = 0.1 x
(200 - x); tiers base 2, mid 6, top 9 plus the gate eff <= 0.65 from top). The
catalogue's costs (SGD): ma 100, mb 50, mc 45, md 10 (0.01 x 1000 m2), mx 120
(x - 50 -> +5 points), mab 140 (A and B; excludes ma, mb), meff 30 / meff2 25 (one
plant group; eff 0.60 / 0.62), mcolour 5 (changes nothing scored).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from designer_paths import MINI_CATALOGUE, MINI_PROJECT

from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.design.measures import Catalogue, load_catalogue, parse_catalogue
from greenmark.design.optimiser import exact_search, heuristic_search, layout
from greenmark.design.plan import apply_measures, plan
from greenmark.design.space import DesignSpace


@pytest.fixture(scope="module")
def mini():
    loaded = load_project(MINI_PROJECT)
    return loaded, scheme_for(loaded), load_catalogue(MINI_CATALOGUE)


def ids(option) -> set[str]:
    return {m.id for m in option.measures}


def test_exact_finds_the_hand_worked_cheapest_set_and_runners_up(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "mid", catalogue=catalogue)
    assert found.method == "exact"
    assert found.best is not None
    assert ids(found.best) == {"mb", "mc", "md"} and found.best.cost == pytest.approx(105)
    assert found.best.tier == "mid" and found.best.total == pytest.approx(6)
    runners = [(ids(o), round(o.cost, 6)) for o in found.alternatives]
    assert runners == [({"md", "mx"}, 130), ({"mab"}, 140), ({"ma", "mc"}, 145)]
    assert [s.id for s in found.skipped] == ["mcolour"]
    assert "does not score" in found.skipped[0].reason


def test_the_target_gate_is_met_by_the_cheapest_plant_option(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", catalogue=catalogue)
    assert found.best is not None
    assert ids(found.best) == {"mb", "md", "mx", "meff2"}
    assert found.best.cost == pytest.approx(205)
    assert found.best.set_text == ["b=true", "d=true", "x=150", "eff=0.62"]
    assert found.whatif_command() == (
        f"greenmark whatif {MINI_PROJECT} --set b=true --set d=true --set x=150 --set eff=0.62"
    )


def test_budget_too_small_reports_the_cheapest_and_the_best_tier_within_it(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", 150, catalogue=catalogue)
    assert found.best is None and found.reachable
    assert found.cheapest is not None and found.cheapest.cost == pytest.approx(205)
    within = found.best_within_budget
    assert within is not None and within.tier == "mid"
    assert ids(within) == {"mb", "mc", "md"} and within.cost == pytest.approx(105)
    data = found.to_dict()
    assert data["within_budget"] is False and data["set"] == []


def test_budget_large_enough_keeps_the_plan(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", 205, catalogue=catalogue)
    assert found.best is not None and found.best.cost == pytest.approx(205)


def without(catalogue: Catalogue, *drop: str) -> Catalogue:
    return catalogue.model_copy(
        update={"measures": [m for m in catalogue.measures if m.id not in drop]}
    )


def test_unreachable_target_names_the_gate_that_no_measure_fixes(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", catalogue=without(catalogue, "meff", "meff2"))
    assert found.best is None and found.cheapest is None and not found.reachable
    kinds = {(b.kind, b.id) for b in found.unreachable}
    assert ("gate", "G-EFF") in kinds
    gate = next(b for b in found.unreachable if b.id == "G-EFF")
    assert "no combination" in gate.message and "eff = 0.7" in gate.message


def test_unreachable_by_points_says_how_many_points_are_possible(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", catalogue=without(catalogue, "ma", "mab", "mx"))
    points = next(b for b in found.unreachable if b.kind == "points")
    assert "needs 9 points" in points.message and "reaches is 6" in points.message


def test_already_reached_needs_nothing(mini):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, "top", catalogue=catalogue)
    assert found.best is not None
    better = apply_measures(loaded, scheme, [m.id for m in found.best.measures], catalogue)
    again = plan(better, scheme, "top", catalogue=catalogue)
    assert again.already and again.best is not None and again.best.cost == 0


def brute_force(loaded, scheme, catalogue, target):
    """Cheapest feasible subset, by applying each subset to the project file and scoring it."""
    ids_ = [m.id for m in catalogue.measures]
    best = None
    for r in range(len(ids_) + 1):
        for subset in itertools.combinations(ids_, r):
            chosen = [catalogue.measure(i) for i in subset]
            groups = [m.group for m in chosen if m.group]
            if len(groups) != len(set(groups)):
                continue
            if any(other in subset for m in chosen for other in m.excludes):
                continue
            changed = apply_measures(loaded, scheme, list(subset), catalogue, record=False)
            scored = score_project(changed, scheme)
            if int(scored.scores.tier_index[0]) >= scheme.tier_index(target):
                cost = sum(float(m.cost.formula) for m in chosen)  # constant costs only
                if best is None or cost < best - 1e-9:
                    best = cost
    return best


@pytest.mark.parametrize("seed", [1, 2])
def test_exact_agrees_with_applying_every_subset_to_the_project(mini, seed):
    """The column-wise batch and the project-file path give the same cheapest cost."""
    loaded, scheme, catalogue = mini
    rng = np.random.default_rng(seed)
    measures = [
        m.model_copy(update={"cost": m.cost.model_copy(update={"formula": str(int(c))})})
        for m, c in zip(
            catalogue.measures, rng.integers(5, 200, len(catalogue.measures)), strict=True
        )
        if m.id != "mcolour"
    ]
    shuffled = catalogue.model_copy(update={"measures": measures})
    found = plan(loaded, scheme, "top", catalogue=shuffled)
    assert found.best is not None
    assert found.best.cost == pytest.approx(brute_force(loaded, scheme, shuffled, "top"))


def test_heuristic_matches_exact_on_the_small_catalogue(mini):
    loaded, scheme, catalogue = mini
    space = DesignSpace(loaded, scheme, catalogue)
    exact = exact_search(space, scheme.tier_index("top"))
    heuristic = heuristic_search(space, scheme.tier_index("top"))
    assert exact.best is not None and heuristic.best is not None
    assert heuristic.best.cost == pytest.approx(exact.best.cost)
    assert "not guaranteed" in heuristic.label


def many_measures(count: int) -> Catalogue:
    """The mini catalogue plus ``count`` small energy cuts (no exclusions among them)."""
    lines = [MINI_CATALOGUE.read_text(encoding="utf-8")]
    for k in range(count):
        cut = 2 + k % 7
        lines.append(
            f"""
[[measures]]
id = "cut-{k}"
title = "Energy cut {k}"
effects = [{{ input = "x", formula = "x - {cut}" }}]
cost = {{ formula = "{3 * cut + k % 5}", basis = "lump sum" }}
"""
        )
    import tomllib

    text = "\n".join(lines)
    return parse_catalogue(tomllib.loads(text), text, "generated")


def test_more_than_twenty_measures_use_the_labelled_heuristic_and_reach_the_target(mini):
    loaded, scheme, _ = mini
    catalogue = many_measures(22)
    space = DesignSpace(loaded, scheme, catalogue)
    assert space.m > 20
    assert layout(space.conflicts, 1 << 22) is None  # too many designs for auto exact
    found = plan(loaded, scheme, "top", catalogue=catalogue)
    assert found.method == "heuristic"
    assert "heuristic" in found.method_label and "not guaranteed" in found.method_label
    assert found.best is not None and found.best.tier == "top"
    changed = apply_measures(loaded, scheme, [m.id for m in found.best.measures], catalogue)
    scored = score_project(changed, scheme)
    assert scored.result.tier == "top"
    assert scored.result.total_points == pytest.approx(found.best.total)


def test_exact_can_be_forced_and_is_never_worse_than_the_heuristic(mini):
    loaded, scheme, _ = mini
    catalogue = many_measures(14)  # 22 measures, 2^20 x 3 x ... designs: forced exact is fine
    forced = plan(loaded, scheme, "top", catalogue=catalogue, method="exact")
    heuristic = plan(loaded, scheme, "top", catalogue=catalogue, method="heuristic")
    assert forced.method == "exact" and heuristic.method == "heuristic"
    assert forced.best is not None and heuristic.best is not None
    assert forced.best.cost <= heuristic.best.cost + 1e-9
