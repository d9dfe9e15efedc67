"""``whatif``: values per input type, units, unused inputs, unknown names."""

from __future__ import annotations

import json

import pytest
from designer_paths import GOLD_FIXTURE, MINI_PROJECT

from greenmark.core.errors import GreenmarkError
from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for
from greenmark.design.whatif import WhatIfError, parse_value, whatif


@pytest.fixture(scope="module")
def gold():
    loaded = load_project(GOLD_FIXTURE)
    return loaded, scheme_for(loaded)


@pytest.fixture(scope="module")
def mini():
    loaded = load_project(MINI_PROJECT)
    return loaded, scheme_for(loaded)


def test_values_are_parsed_per_type_and_converted_to_the_scheme_unit(gold):
    _, scheme = gold
    assert parse_value(scheme, "eui", "40kBtu/ft2/yr") == pytest.approx(126.1881, rel=1e-4)
    assert parse_value(scheme, "eui", "40 [kBtu/ft2/yr]") == pytest.approx(126.1881, rel=1e-4)
    assert parse_value(scheme, "ettv", "45W/m2") == 45
    assert parse_value(scheme, "chiller_eff", "0.6") == 0.6
    assert parse_value(scheme, "heat_recovery", "yes") is True
    assert parse_value(scheme, "heat_recovery", "False") is False
    assert parse_value(scheme, "irrigation", "Non_Potable") == "non_potable"
    assert parse_value(scheme, "basin_tap_ticks", "3") == 3
    assert parse_value(scheme, "gfa", "215278ft2") == pytest.approx(20000, rel=1e-4)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("chiller_eff", "0.1", "below the minimum 0.3 kW/RT"),
        ("eui", "40 zorks", "unknown unit"),
        ("eui", "40 m2", "cannot convert"),
        ("basin_tap_ticks", "2.5", "whole number"),
        ("heat_recovery", "maybe", "expected true or false"),
        ("irrigation", "hose", "expected one of"),
        ("chiler_eff", "0.6", "did you mean chiller_eff?"),
    ],
)
def test_bad_values_are_clear_errors(gold, name, raw, expected):
    _, scheme = gold
    with pytest.raises(WhatIfError) as caught:
        parse_value(scheme, name, raw)
    assert expected in str(caught.value)


def test_a_change_in_units_scores_like_its_metric_equivalent(gold):
    loaded, scheme = gold
    imperial = whatif(loaded, scheme, ["eui=40kBtu/ft2/yr"])
    metric = whatif(loaded, scheme, [f"eui={40 * 3.154590745}"])
    assert imperial.after.total_points == pytest.approx(metric.after.total_points)
    assert imperial.assignments[0].after == pytest.approx(126.1836, rel=1e-3)
    assert imperial.changed
    assert {c["id"] for c in imperial.criterion_diffs()} == {"NRB-1-9c"}


def test_an_input_no_criterion_uses_changes_nothing_and_says_so(mini):
    loaded, scheme = mini
    result = whatif(loaded, scheme, ["unused=42", "colour=white"])
    assert not result.changed
    assert result.unused == ["unused", "colour"]
    assert "not used by any criterion, gate, tier condition or badge" in result.message()
    assert result.criterion_diffs() == [] and result.gate_diffs() == []
    data = result.to_dict()
    assert data["changed"] is False and data["delta_points"] == 0


def test_setting_the_current_value_says_so(mini):
    loaded, scheme = mini
    result = whatif(loaded, scheme, ["x=200"])
    assert not result.changed and "already at that value" in result.message()


def test_a_calculated_input_can_be_overridden(gold):
    loaded, scheme = gold
    result = whatif(loaded, scheme, {"ettv": 40.0})
    assert result.assignments[0].before == pytest.approx(47.1427, rel=1e-4)
    row = next(c for c in result.criterion_diffs() if c["id"] == "NRB-1-1")
    assert row["after"] == 12


def test_unknown_name_through_the_api_lists_close_matches(gold):
    loaded, scheme = gold
    with pytest.raises(GreenmarkError) as caught:
        whatif(loaded, scheme, {"chillereff": 0.6})
    assert "did you mean chiller_eff" in str(caught.value)


# ------------------------------------------------------------------ through the real CLI


def test_cli_whatif_json(cli):
    done = cli("whatif", str(GOLD_FIXTURE), "--set", "chiller_eff=0.6", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {
        "project",
        "scheme",
        "set",
        "before",
        "after",
        "delta_points",
        "changed",
        "message",
        "unused",
        "sections",
        "criteria",
        "gates",
        "next_tier",
    }
    assert data["set"] == [
        {
            "input": "chiller_eff",
            "label": "Air-conditioning plant / system efficiency (design)",
            "unit": "kW/RT",
            "before": 0.72,
            "after": 0.6,
            "used": True,
        }
    ]
    assert data["before"]["tier"] == "gold" and data["changed"] is True
    assert {g["id"] for g in data["gates"]} == {"NRB-P-3", "NRB-P-4"}


def test_cli_whatif_with_units_in_the_table(cli):
    done = cli("whatif", str(GOLD_FIXTURE), "--set", "eui=40kBtu/ft2/yr")
    assert done.returncode == 0, done.stderr
    assert "eui: 150 kWh/m2/yr → 126.2 kWh/m2/yr" in done.stdout
    assert "NRB-1-9c" in done.stdout


def test_cli_whatif_unused_input(cli):
    done = cli("whatif", str(MINI_PROJECT), "--set", "unused=7")
    assert done.returncode == 0, done.stderr
    assert "No change to the result" in done.stdout
    assert "not used by any criterion" in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            "chiler_eff=0.6",
            "unknown input 'chiler_eff' for scheme gm-nrb; did you mean chiller_eff?",
        ),
        ("eui", "expected NAME=VALUE"),
        ("eui=40 zorks", "unknown unit"),
    ],
)
def test_cli_whatif_bad_input_exits_2_without_traceback(cli, item, expected):
    done = cli("whatif", str(GOLD_FIXTURE), "--set", item)
    assert done.returncode == 2
    assert expected in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr and done.stdout == ""
