"""GM:2021 as BCA states it: the badge rules on both sides of each threshold, the
Maintainability conversion and badge, and the streams that extend gm-2021.

Scored with the naive reference scorer on the office sample's values (the engine is
cross-checked against it in test_engine_vs_reference.py) and through the CLI once.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from greenmark.core.model import Scheme
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme, resolve_scheme

ROOT = Path(__file__).resolve().parents[2]
OFFICE = ROOT / "samples" / "gm2021-office-sle.toml"


def scheme(scheme_id: str = "gm-2021") -> Scheme:
    return load_scheme(resolve_scheme(scheme_id))


def office(**changes: Any) -> dict[str, Any]:
    """The office sample's entered values (tables left out: the calculated inputs given)."""
    data = tomllib.loads(OFFICE.read_text(encoding="utf-8"))
    values: dict[str, Any] = dict(data["inputs"])
    values.update(
        building_type="office",
        gfa=32400,
        ettv=40.0,
        embodied_carbon=260.0,
        concrete_usage_index=0.45,
        basin_tap_ticks=3,
        wc_ticks=3,
    )
    values.update(changes)
    return values


def result(values: dict[str, Any], scheme_id: str = "gm-2021") -> dict[str, Any]:
    s = scheme(scheme_id)
    out = score_one(s, values)
    index = out["tier_index"]
    out["tier"] = s.tiers[index].id if index >= 0 else None
    return out


def badges(values: dict[str, Any], scheme_id: str = "gm-2021") -> set[str]:
    return set(result(values, scheme_id)["badges"])


def savings_eui(percent: float, reference: float = 244.0) -> float:
    """The EUI giving ``percent`` savings against ``reference`` (kWh/m2/yr)."""
    return reference * (1 - percent / 100)


# -------------------------------------------------------------- Super Low Energy


def test_sle_needs_60_percent_savings_against_the_2005_codes():
    assert "sle" in badges(office(eui=savings_eui(60.0)))
    assert "sle" not in badges(office(eui=savings_eui(59.9)))


def test_sle_is_not_tied_to_the_2018_office_eui_rule():
    # 62 % savings with an EUI far above the old 100 kWh/m2/yr office cap: still SLE
    assert "sle" in badges(office(eui=savings_eui(62.0, reference=400.0), eui_reference=400.0))


def test_sle_from_pathway_1_where_the_scheme_has_an_sle_level():
    hospital = office(energy_pathway="eui", building_type="hospital", eui=300.0)
    assert "sle" in badges(hospital)
    assert "sle" not in badges({**hospital, "eui": 300.5})
    # offices have no Pathway 1 SLE level in the sources: Platinum at most
    assert "sle" not in badges(office(energy_pathway="eui", eui=60.0))


# -------------------------------------------------------------- Zero and Positive Energy

QUALIFYING = {
    "rec_ss673": True,
    "rec_generated_in_singapore": True,
    "rec_contract_years": 3,
    "onsite_re_maximised": True,
}


def test_zero_energy_counts_qualifying_offsite_certificates():
    sle = office(eui=savings_eui(62.0))
    assert "zero_energy" in badges(
        {**sle, "renewable_onsite_share": 70, "renewable_offsite_share": 30, **QUALIFYING}
    )
    assert "zero_energy" not in badges(
        {**sle, "renewable_onsite_share": 70, "renewable_offsite_share": 29.9, **QUALIFYING}
    )


@pytest.mark.parametrize(
    "failing",
    [
        {"rec_ss673": False},
        {"rec_generated_in_singapore": False},
        {"rec_contract_years": 2.9},
        {"onsite_re_maximised": False},
    ],
    ids=["not SS 673", "not from Singapore", "under 3 years", "on-site not first"],
)
def test_offsite_certificates_count_only_under_every_condition(failing):
    values = office(
        eui=savings_eui(62.0),
        renewable_onsite_share=50,
        renewable_offsite_share=60,
        **{**QUALIFYING, **failing},
    )
    assert badges(values) & {"zero_energy", "positive_energy"} == set()
    assert "sle" in badges(values)


def test_offsite_only_is_zero_energy_at_most():
    values = office(
        eui=savings_eui(62.0), renewable_onsite_share=0, renewable_offsite_share=200, **QUALIFYING
    )
    found = badges(values)
    assert "zero_energy" in found
    assert "positive_energy" not in found


def test_positive_energy_needs_115_percent_onsite():
    sle = office(eui=savings_eui(62.0))
    assert "positive_energy" in badges({**sle, "renewable_onsite_share": 115})
    found = badges({**sle, "renewable_onsite_share": 114.9})
    assert "positive_energy" not in found and "zero_energy" in found
    # PE hides the ZE and SLE it includes: one energy badge on the award
    assert badges({**sle, "renewable_onsite_share": 115}) & {"sle", "zero_energy"} == set()


def test_renewables_without_sle_give_no_energy_badge():
    values = office(eui=savings_eui(59.0), renewable_onsite_share=150)
    assert badges(values) & {"sle", "zero_energy", "positive_energy"} == set()


# -------------------------------------------------------------- Maintainability

MT_OFF = {
    "dfm_checklist": False,
    "facade_access": False,
    "mt_mechanical": False,
    "mt_electrical": False,
    "mt_landscape": False,
    "mt_smart_fm": False,
}


@pytest.mark.parametrize(
    ("scheme_id", "on", "expected"),
    [
        # new non-residential: 5 Mt points = 1 point; architectural 20 + facade 10 = 30 -> 6
        ("gm-2021", {"dfm_checklist": True, "facade_access": True}, 6.0),
        # new residential: 4:1 -> 7.5
        ("gm-2021-residential", {"dfm_checklist": True, "facade_access": True}, 7.5),
        # existing non-residential: 6:1 -> 5
        ("gm-2021-existing", {"dfm_checklist": True, "facade_access": True}, 5.0),
        # every Mt criterion: 85 Mt points = 17, capped at 15
        ("gm-2021", dict.fromkeys(MT_OFF, True), 15.0),
    ],
)
def test_maintainability_points_convert_to_green_mark_points(scheme_id, on, expected):
    values = office(**{**MT_OFF, **on})
    if scheme_id == "gm-2021-residential":
        values.update(building_type="residential", retv=18.0, ventilated_units=85)
    assert result(values, scheme_id)["sections"]["maintainability"] == pytest.approx(expected)


def test_maintainability_badge_needs_10_points_and_the_prerequisites():
    ten = office(
        **{**MT_OFF, "dfm_checklist": True, "facade_access": True, "mt_mechanical": True},
        mt_prerequisites=True,
    )  # 50 Mt points = 10
    assert result(ten)["sections"]["maintainability"] == pytest.approx(10.0)
    assert "maintainability" in badges(ten)
    assert "maintainability" not in badges({**ten, "mt_prerequisites": False})
    nine = {**ten, "mt_mechanical": False, "mt_landscape": True, "mt_electrical": False}
    assert result(nine)["sections"]["maintainability"] == pytest.approx(8.0)
    assert "maintainability" not in badges(nine)


def test_existing_buildings_badge_needs_the_baseline_evaluation():
    values = office(
        **{
            **MT_OFF,
            "dfm_checklist": True,
            "facade_access": True,
            "mt_mechanical": True,
            "mt_landscape": True,
        }
    )  # 60 Mt points = 10
    assert "maintainability" in badges(
        {**values, "mt_baseline_evaluation": True}, "gm-2021-existing"
    )
    assert "maintainability" not in badges(
        {**values, "mt_baseline_evaluation": False}, "gm-2021-existing"
    )


# -------------------------------------------------------------- the streams


def test_streams_extend_gm_2021_and_change_only_what_differs():
    base, existing, residential = (
        scheme(),
        scheme("gm-2021-existing"),
        scheme("gm-2021-residential"),
    )
    assert existing.scheme.extends == residential.scheme.extends == "gm-2021"
    assert [c.id for c in existing.criteria] == [c.id for c in base.criteria]
    assert existing.criterion("Hw1.1a").max_points == 2 and base.criterion("Hw1.1a").max_points == 1
    assert existing.criterion("Hw1.1a").title == base.criterion("Hw1.1a").title  # inherited
    assert "chiller_eff" not in residential.inputs and "retv" in residential.inputs
    assert {s.id: s.conversion for s in residential.sections}["maintainability"] == 4
    for s in (base, existing, residential):
        assert str(s.scheme.effective_from) == "2021-11-01"


def test_existing_active_mobility_is_worth_one_point_per_sub_item():
    values = office(hw_safe_access=True, hw_bicycle_lots=False)
    assert result(values)["points"]["Hw1.1a"] == pytest.approx(0.5)
    assert result(values, "gm-2021-existing")["points"]["Hw1.1a"] == pytest.approx(1.0)


def test_no_verified_value_cites_a_second_hand_source():
    second_hand = ("placeholder", "unchecked", "second-hand", "recollection", "Straits Times")
    for scheme_id in ("gm-2021", "gm-2021-existing", "gm-2021-residential"):
        s = scheme(scheme_id)
        items = [*s.criteria, *s.gates, *s.tiers, *s.badges, *s.constants.values()]
        for item in items:
            if item.verified:
                assert not any(word in item.source for word in second_hand), item.source


def test_placeholder_ids_say_they_are_placeholders():
    for criterion in scheme().criteria:
        if criterion.id.startswith("x-"):
            assert "placeholder" in criterion.title and not criterion.verified


def test_the_cli_scores_the_zero_energy_school_with_offsite_certificates(cli):
    done = cli(
        "score", str(ROOT / "samples" / "gm2021-school-zero-energy.toml"), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    scored = json.loads(done.stdout)
    assert scored["tier"] == "goldplus" and "zero_energy" in scored["badges"]
