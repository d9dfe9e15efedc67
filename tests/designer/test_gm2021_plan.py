"""The designer on GM:2021: the hotel sample (Gold through Pathway 2) gets a concrete
plan to Platinum from gm-2021's measures, and `whatif` with the plan's values proves it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOTEL = ROOT / "samples" / "gm2021-hotel-gold.toml"


def test_check_plans_the_hotel_to_platinum_and_whatif_confirms_it(cli):
    done = cli("check", str(HOTEL), "--target", "platinum", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["reachable"] and not plan["already_reached"]
    chosen = {m["id"] for m in plan["best"]["measures"]}
    # the plan moves Pathway 2's own metrics: the plant and the lighting
    assert "gm21-chiller-058" in chosen or "gm21-chiller-055" in chosen
    assert chosen & {"led-lpd-45"}
    words = shlex.split(plan["whatif"])
    assert words[:2] == ["greenmark", "whatif"]
    checked = cli(*words[1:], "--format", "json", cwd=ROOT)
    assert checked.returncode == 0, checked.stderr
    after = json.loads(checked.stdout)
    assert after["before"]["tier"] == "gold"
    assert after["after"]["tier"] == "platinum"


def test_blockers_name_the_pathway_threshold_in_words(cli):
    done = cli("check", str(HOTEL), "--target", "goldplus")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "chiller plant at most 0.61 kW/RT (has 0.63 kW/RT)" in text
    assert "energy_level" not in text


def test_whatif_says_an_input_is_not_used_by_the_chosen_pathway(cli):
    office = ROOT / "samples" / "gm2021-office-sle.toml"  # Pathway 3 (savings)
    done = cli("whatif", str(office), "--set", "chiller_eff=0.5", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert not result["changed"]
    assert "fixed_metrics (it is savings)" in result["idle"]["chiller_eff"]
    assert "chiller_eff: not used here" in result["message"]


def test_a_new_project_is_told_what_to_assess_first_and_to_choose_a_pathway(cli, tmp_path):
    project = tmp_path / "new.toml"
    done = cli(
        "new",
        str(project),
        "--scheme",
        "gm-2021",
        "--building-type",
        "office",
        "--name",
        "New Tower",
        "--gfa",
        "20000",
    )
    assert done.returncode == 0, done.stderr
    done = cli("check", str(project), "--target", "platinum")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "criteria not assessed yet: assess them first" in text
    assert "choose the energy efficiency pathway first: no measure makes that choice" in text
    assert text.count("choose the energy efficiency pathway") == 2  # the gap, the plan


@pytest.mark.parametrize(
    "sample",
    ["gm2021-hospital-goldplus", "gm2021-condo-residential", "gm2021-office-existing"],
)
def test_the_gm2021_streams_reach_platinum_with_a_plan_that_whatif_confirms(cli, sample):
    path = ROOT / "samples" / f"{sample}.toml"
    done = cli("check", str(path), "--target", "platinum", "--format", "json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert plan["reachable"] and plan["best"]["measures"]
    checked = cli(*shlex.split(plan["whatif"])[1:], "--format", "json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["after"]["tier"] == "platinum"
