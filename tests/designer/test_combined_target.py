"""Targets that combine a tier and badges: ``--target platinum+sle+maintainability``.

The hand-worked cases use mini-scheme.toml with three badges added (see ``BADGES``):
on mini-project.toml (0 points, eff 0.7) the cheapest Mid is {mb, mc, md} = 105; Mid
with Lean Plant adds meff2 (25) = 130; with Leaner Plant adds meff (30) = 135; with
Feature A (A from Mid) the cheapest is mab = 140; no measure touches ``unused``, so
the Wide badge is never earned.
"""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest
from designer_paths import MINI_CATALOGUE, MINI_PROJECT
from tests_paths import SAMPLES

from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.design.effects import DesignerError
from greenmark.design.measures import load_catalogue
from greenmark.design.optimiser import (
    REQUIREMENT_WEIGHT,
    badges_met,
    heuristic_search,
    requirements,
)
from greenmark.design.plan import gap, plan, resolve_target
from greenmark.design.space import DesignSpace

OFFICE_SLE = SAMPLES / "gm2021-office-sle.toml"
HOTEL_GOLD = SAMPLES / "gm2021-hotel-gold.toml"
PAVILION_PE = SAMPLES / "gm2021-pavilion-positive-energy.toml"

BADGES = """
[[badges]]
id = "lean"
title = "Lean Plant"
condition = "eff <= 0.62"
requires = "plant at most 0.62 kW/RT (has {eff})"

[[badges]]
id = "leaner"
title = "Leaner Plant"
condition = "eff <= 0.6"
supersedes = ["lean"]

[[badges]]
id = "feature_a"
title = "Feature A"
condition = "a"
min_tier = "mid"
requires = "feature A (has {a})"

[[badges]]
id = "wide"
title = "Wide Badge"
condition = "unused >= 10"
requires = "at least 10 of the unused number (has {unused})"
"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("badged")
    scheme_text = (MINI_PROJECT.parent / "mini-scheme.toml").read_text(encoding="utf-8")
    (folder / "mini-scheme.toml").write_text(scheme_text + BADGES, encoding="utf-8")
    project = folder / "mini-project.toml"
    project.write_text(MINI_PROJECT.read_text(encoding="utf-8"), encoding="utf-8")
    loaded = load_project(project)
    return loaded, scheme_for(loaded), load_catalogue(MINI_CATALOGUE)


def ids(option) -> set[str]:
    return {m.id for m in option.measures}


# ----------------------------------------------------------------------------- parsing


def test_target_text_tier_first_then_badges_by_id_or_title(mini):
    _, scheme, _ = mini
    goal = resolve_target(scheme, "MID + lean plant+Feature_A+lean")
    assert goal.tier == 1 and [scheme.badges[k].id for k in goal.badges] == ["lean", "feature_a"]
    assert goal.id == "mid+lean+feature_a"
    assert goal.title == "Mid with Lean Plant and Feature A"
    assert resolve_target(scheme, "top").badges == ()
    assert resolve_target(scheme, 2).id == "top"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mid+gold", "unknown badge 'gold' in target 'mid+gold' for scheme mini (badges: lean"),
        ("mid+", "unknown badge '' in target"),
        ("lean+mid", "unknown tier 'lean'"),
    ],
)
def test_unknown_parts_are_refused(mini, text, expected):
    _, scheme, _ = mini
    with pytest.raises(DesignerError) as raised:
        resolve_target(scheme, text)
    assert expected in str(raised.value.problems[0].message)


# ----------------------------------------------------------------------------- search


def test_badges_met_counts_a_superseded_badge(mini):
    loaded, scheme, catalogue = mini
    space = DesignSpace(loaded, scheme, catalogue)
    bits = np.zeros((2, space.m), dtype=bool)
    bits[1, [m.id for m in space.measures].index("meff")] = True  # eff 0.60: leaner
    scores = space.evaluate(bits)
    lean, leaner = 0, 1
    assert not scores.badges[1, lean] and scores.badges[1, leaner]  # hidden by the engine
    assert badges_met(scores, [lean, leaner]).tolist() == [[False, False], [True, True]]


def test_shortfall_adds_the_weight_per_missing_badge(mini):
    loaded, scheme, _ = mini
    scores = score_project(loaded, scheme).scores
    alone = requirements(scores, 1)
    both = requirements(scores, 1, [0, 3])
    assert both.shortfall[0] == pytest.approx(alone.shortfall[0] + 2 * REQUIREMENT_WEIGHT)
    assert both.badge_ok.tolist() == [[False, False]] and not both.feasible[0]


@pytest.mark.parametrize(
    ("target", "measures", "cost", "badges"),
    [
        ("mid", {"mb", "mc", "md"}, 105, []),
        ("mid+lean", {"mb", "mc", "md", "meff2"}, 130, ["lean"]),
        ("mid+leaner", {"mb", "mc", "md", "meff"}, 135, ["leaner"]),
        ("mid+lean+leaner", {"mb", "mc", "md", "meff"}, 135, ["leaner"]),
        ("mid+feature_a", {"mab"}, 140, ["feature_a"]),
    ],
)
def test_cheapest_plan_earns_the_badges(mini, target, measures, cost, badges):
    loaded, scheme, catalogue = mini
    found = plan(loaded, scheme, target, catalogue=catalogue)
    assert found.method == "exact" and found.best is not None
    assert ids(found.best) == measures and found.best.cost == pytest.approx(cost)
    assert found.best.badges == badges and found.best.tier == "mid"
    assert found.target == target


def test_heuristic_also_honours_the_badges(mini):
    loaded, scheme, catalogue = mini
    space = DesignSpace(loaded, scheme, catalogue)
    result = heuristic_search(space, 1, badges=[2])
    assert result.best is not None and result.best.cost == pytest.approx(140)


def test_badge_no_design_earns_is_diagnosed(mini):
    loaded, scheme, catalogue = mini
    for method in ("exact", "heuristic"):
        found = plan(loaded, scheme, "base+wide", catalogue=catalogue, method=method)
        assert found.cheapest is None and not found.reachable
        assert [(b.kind, b.id) for b in found.unreachable] == [("badge", "wide")]
        message = found.unreachable[0].message
        assert "Wide Badge: " in message and "earns it" in message
        assert "at least 10 of the unused number (has 5)" in message


def test_gap_lists_each_missing_badge_with_its_reason(mini):
    loaded, scheme, _ = mini
    found = gap(score_project(loaded, scheme), "base+feature_a+lean")
    assert not found.reached
    badge_lines = {b.id: b.message for b in found.blocking if b.kind == "badge"}
    assert badge_lines["feature_a"] == (
        "Feature A: needs at least Mid (now no tier); needs feature A (has no)"
    )
    assert badge_lines["lean"] == "Lean Plant: needs plant at most 0.62 kW/RT (has 0.7 kW/RT)"
    data = found.to_dict()["target"]
    assert data["id"] == "base+feature_a+lean" and data["tier"] == "base"
    assert [b["met"] for b in data["badges"]] == [False, False]


# ----------------------------------------------------------------------------- the CLI


def test_office_sle_reaches_platinum_sle_maintainability(cli):
    done = cli("check", str(OFFICE_SLE), "--target", "platinum+sle+maintainability")
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    assert "Platinum with Super Low Energy and Maintainability Badge is already reached" in flat
    assert "Nothing to do" in flat
    data = json.loads(
        cli(
            "check",
            str(OFFICE_SLE),
            "--target",
            "Platinum+Super Low Energy+maintainability badge",
            "--format",
            "json",
        ).stdout
    )
    target = data["target"]
    assert target["id"] == "platinum+sle+maintainability" and target["reached"] is True
    assert [(b["id"], b["met"], b["reason"]) for b in target["badges"]] == [
        ("sle", True, "earned"),
        ("maintainability", True, "earned"),
    ]
    assert data["plan"]["already_reached"] is True
    assert data["plan"]["target_badges"] == ["sle", "maintainability"]


def test_office_sle_positive_energy_says_why(cli):
    done = cli("check", str(OFFICE_SLE), "--target", "platinum+positive_energy")
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    assert "Gap to Platinum with Positive Energy: enough points" in flat
    assert (
        "badge positive_energy: Positive Energy: needs Super Low Energy and at least 115 %" in flat
    )
    assert "from on-site renewables (has 18 %)" in flat
    data = json.loads(
        cli(
            "check", str(OFFICE_SLE), "--target", "platinum+positive_energy", "--format", "json"
        ).stdout
    )
    assert data["target"]["reached"] is False
    found = data["plan"]
    if found["reachable"]:  # the catalogue can add on-site renewables: the plan earns it
        assert "positive_energy" in found["cheapest"]["badges"]
    else:
        assert "Platinum with Positive Energy cannot be reached" in flat
        badge = [b for b in found["unreachable"] if b["kind"] == "badge"]
        assert [b["id"] for b in badge] == ["positive_energy"]
        assert "earns it; needs Super Low Energy" in badge[0]["message"]


def test_a_superseding_badge_meets_the_lower_ones(cli):
    done = cli(
        "check",
        str(PAVILION_PE),
        "--target",
        "gold+sle+zero_energy",
        "--no-plan",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    target = json.loads(done.stdout)["target"]
    assert target["reached"] is True
    assert {b["reason"] for b in target["badges"]} == {"met: Positive Energy supersedes it"}


def test_hotel_platinum_with_maintainability_plan_replayed_by_whatif(cli):
    done = cli("check", str(HOTEL_GOLD), "--target", "platinum+maintainability", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["target"]["reached"] is False
    assert data["target"]["badges"][0]["met"] is True  # the tier is what is missing
    best = data["plan"]["best"]
    assert best["tier"] == "platinum" and "maintainability" in best["badges"]
    replay = cli(*shlex.split(data["plan"]["whatif"])[1:], "--format", "json")
    assert replay.returncode == 0, replay.stderr
    after = json.loads(replay.stdout)["after"]
    assert after["tier"] == "platinum" and "maintainability" in after["badges"]


def test_hotel_platinum_sle_maintainability_plan_or_reason(cli):
    done = cli("check", str(HOTEL_GOLD), "--target", "platinum+sle+maintainability")
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    assert "Gap to Platinum with Super Low Energy and Maintainability Badge" in flat
    assert "badge sle: Super Low Energy: needs the Super Low Energy level" in flat
    assert "✔ badge maintainability: Maintainability Badge: earned" in flat
    if "cannot be reached" in flat:
        assert "badge sle: Super Low Energy: no combination of the catalogue's measures" in flat
    else:
        result = flat.split("Result:")[1].split("Check it with")[0]
        assert "Platinum, badges:" in result and "maintainability" in result


def test_unknown_badge_exits_2_listing_the_badges(cli):
    done = cli("check", str(OFFICE_SLE), "--target", "platinum+leed")
    assert done.returncode == 2
    assert "unknown badge 'leed'" in done.stderr and "Traceback" not in done.stderr
    assert "sle (Super Low Energy)" in done.stderr
    assert "maintainability (Maintainability Badge)" in done.stderr
