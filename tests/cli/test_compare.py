"""One building under several schemes: `greenmark compare`."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OFFICE = ROOT / "samples" / "gm2021-office-sle.toml"


def test_compare_scores_one_building_under_five_schemes(cli):
    schemes = "gm-2021,gm-2021-existing,gm-nrb,edge,demo"
    done = cli("compare", str(OFFICE), "--schemes", schemes, "--format", "json")
    assert done.returncode == 0, done.stderr
    outcomes = {o["scheme"]: o for o in json.loads(done.stdout)}
    assert list(outcomes) == schemes.split(",")
    assert all(o["error"] is None for o in outcomes.values())
    assert outcomes["gm-2021"]["tier"] == "platinum" and outcomes["gm-2021"]["missing"] == []
    # the existing-buildings stream reads one input the new-building project lacks
    assert outcomes["gm-2021-existing"]["missing"] == ["mt_baseline_evaluation"]
    # EDGE's savings are against its own base case: the project gives them for EDGE alone
    edge = outcomes["edge"]
    assert edge["tier"] == "advanced" and edge["headline"] == "Energy savings 47 %"
    assert edge["missing"] == []
    assert "ac_system" in outcomes["gm-nrb"]["missing"]
    assert outcomes["gm-nrb"]["left_out"]  # gm-2021 inputs gm-nrb has no use for


def test_compare_table_and_a_scheme_that_cannot_take_the_building(cli):
    done = cli("compare", str(OFFICE), "--schemes", "gm-2021,gm-rb", columns=160)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "Kallang Riverside Offices under 2 schemes" in text
    assert "Platinum" in text and "'office' is not a building type of scheme gm-rb" in text
    assert "gm-rb │ not scored (below)" in text and "(provisional)" in text
    narrow = " ".join(cli("compare", str(OFFICE), "--schemes", "gm-2021,gm-rb").stdout.split())
    assert "gm-2021 2021.3 Platinum (provisional) · 77 points next: top level reached" in narrow
    assert "gm-rb not scored" in narrow and "not a building type of scheme gm-rb" in narrow
