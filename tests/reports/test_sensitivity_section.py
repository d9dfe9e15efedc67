"""The assessment report shows which inputs move the score most (table and chart)."""

from __future__ import annotations

from tests_paths import SAMPLES

from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for
from greenmark.design.sensitivity import project_sensitivity
from greenmark.reports.context import assessment_context
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render

MALL = SAMPLES / "nrb-shopping-mall.toml"


def test_report_ranks_the_inputs_that_move_the_total():
    prepared = prepare(MALL)
    context = assessment_context(prepared)
    movers = context["sensitivity"]
    assert 0 < len(movers) <= 10
    gains = [m["max_gain"] for m in movers]
    assert gains == sorted(gains, reverse=True)
    loaded = load_project(MALL)
    best = max(project_sensitivity(loaded, scheme_for(loaded)), key=lambda s: s.max_gain)
    assert movers[0]["input"] == best.input
    assert "sensitivity" in context["charts"]["sensitivity"]  # the chart's element ids
    html = render(prepared, "assessment", "html").decode()
    assert "What moves the score" in html and movers[0]["label"] in html
    markdown = render(prepared, "assessment", "md").decode()
    assert "## What moves the score" in markdown
