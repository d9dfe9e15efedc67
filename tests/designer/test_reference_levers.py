"""Baselines are not levers: reference inputs (``role = "reference"``) are never proposed
by sensitivity, the report's "What moves the score" or the measures; ``whatif`` may
change one but says it is a reference value."""

from __future__ import annotations

import json
import tomllib

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.core.project import load_project
from greenmark.core.scheme import load_scheme
from greenmark.core.scoring import scheme_for
from greenmark.design.measures import load_catalogue, parse_catalogue
from greenmark.design.sensitivity import project_sensitivity
from greenmark.design.space import DesignSpace
from greenmark.design.whatif import reference_inputs, whatif
from greenmark.reports.context import assessment_context
from greenmark.reports.prepared import prepare

MALL = SAMPLES / "nrb-shopping-mall.toml"  # lpd_baseline alone could "add" 8 points

#: The baselines of the schemes this change marks (gm-2021 sets its own roles).
REFERENCES = {
    "gm-nrb": {"lpd_baseline", "eui_reference", "embodied_carbon_reference"},
    "gm-rb": {"lpd_baseline", "embodied_carbon_reference"},
    "gm-eb": {"lpd_baseline"},
    "demo": {"eui_reference"},
}


@pytest.mark.parametrize("scheme_id", sorted(REFERENCES))
def test_the_schemes_mark_their_baselines_as_references(scheme_id):
    scheme = load_scheme(CRITERIA / f"{scheme_id}.toml")
    assert reference_inputs(scheme) == REFERENCES[scheme_id]


def test_the_mall_sample_gains_from_its_baseline_unless_it_is_a_reference():
    """The sample really is one where the baseline would top the list if it were a lever."""
    loaded = load_project(MALL)
    scheme = scheme_for(loaded)
    assert "lpd_baseline" in reference_inputs(scheme)
    as_lever = scheme.model_copy(
        update={
            "inputs": {
                **scheme.inputs,
                "lpd_baseline": scheme.inputs["lpd_baseline"].model_copy(update={"role": "design"}),
            }
        }
    )
    before = {s.input: s.max_gain for s in project_sensitivity(loaded, as_lever)}
    assert before["lpd_baseline"] > 1
    ranked = project_sensitivity(loaded, scheme)
    assert ranked, "the design inputs still move the score"
    assert not {s.input for s in ranked} & reference_inputs(scheme)


@pytest.mark.parametrize(
    "sample",
    [
        p
        for p in sorted(SAMPLES.glob("*.toml"))
        if tomllib.loads(p.read_text(encoding="utf-8")).get("project", {}).get("scheme")
        in REFERENCES
    ],
    ids=lambda p: p.stem,
)
def test_sensitivity_never_lists_a_reference_input(sample):
    loaded = load_project(sample)
    scheme = scheme_for(loaded)
    names = {s.input for s in project_sensitivity(loaded, scheme)}
    assert not names & reference_inputs(scheme)
    asked = {s.input for s in project_sensitivity(loaded, scheme, names=list(scheme.inputs))}
    assert not asked & reference_inputs(scheme), "not even when asked for by name"


def test_the_report_does_not_list_a_baseline_as_what_moves_the_score():
    context = assessment_context(prepare(MALL))
    movers = {m["input"] for m in context["sensitivity"]}
    assert movers, "the report still ranks the design inputs"
    assert not movers & REFERENCES["gm-nrb"]


def test_a_measure_that_changes_a_baseline_is_never_proposed():
    text = """
[meta]
title = "Baseline tricks"
version = "1"

[[measures]]
id = "raise-budget"
title = "Raise the lighting budget"
effects = [{ input = "lpd_baseline", set = 30.0 }]
cost = { formula = "1", basis = "lump sum" }

[[measures]]
id = "smart-fdd"
title = "Fault detection"
effects = [{ input = "smart_fdd", set = true }]
cost = { formula = "1", basis = "lump sum" }
"""
    loaded = load_project(MALL)
    scheme = scheme_for(loaded)
    space = DesignSpace(loaded, scheme, parse_catalogue(tomllib.loads(text), text, "test"))
    assert [b.id for b in space.measures if b.id == "raise-budget"] == []
    skipped = {s.id: s.reason for s in space.skipped}
    assert "lpd_baseline" in skipped["raise-budget"]
    assert "not a design lever" in skipped["raise-budget"]


def test_no_bundled_measure_touches_a_reference_input():
    loaded = load_project(MALL)
    scheme = scheme_for(loaded)
    space = DesignSpace(loaded, scheme, load_catalogue(), keep_ineffective=True)
    for bound in space.measures:
        assert not set(bound.touches) & reference_inputs(scheme), bound.id


def test_whatif_may_change_a_baseline_but_says_it_is_a_reference():
    loaded = load_project(MALL)
    result = whatif(loaded, scheme_for(loaded), ["lpd_baseline=20"])
    assert result.references == ["lpd_baseline"]
    assert "lpd_baseline is a reference value" in result.message()
    assert "not a design lever" in result.message()
    design = whatif(loaded, scheme_for(loaded), ["lpd=5"])
    assert design.references == [] and "reference" not in design.message()


def test_whatif_cli_says_a_baseline_is_a_reference_value(cli):
    done = cli("whatif", str(MALL), "--set", "lpd_baseline=20", columns=200)
    assert done.returncode == 0, done.stderr
    assert "reference value" in done.stdout and "not a design lever" in done.stdout
    done = cli("whatif", str(MALL), "--set", "lpd_baseline=20", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["reference"] == ["lpd_baseline"]
    assert "not a design lever" in data["message"]
