"""Every sample project renders to HTML, PDF and Markdown; content and reproducibility."""

from __future__ import annotations

import re

import pytest
from report_helpers import (
    DEMO,
    PDF_PROJECTS,
    PROJECTS,
    normal,
    parse_html,
    pdf_text,
    prepared_for,
    rendered,
)

from greenmark.reports.render import render

KINDS = ["certificate", "assessment"]


def test_there_are_sample_projects() -> None:
    assert DEMO in PROJECTS


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.stem)
def test_html_parses_and_shows_the_result(project, kind) -> None:
    prepared = prepared_for(project)
    result = prepared.scored.result
    html = rendered(project, kind, "html").decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    parser = parse_html(html)
    text = normal(" ".join(parser.text))
    assert normal(result.project["name"]) in text
    assert (result.tier_title or "No tier reached") in text
    assert prepared.certificate.digest in text
    if kind == "assessment":
        assert "svg" in parser.tags  # at least the points-by-section chart
        for criterion in result.criteria:
            assert criterion.id in text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.stem)
def test_markdown_renders(project, kind) -> None:
    prepared = prepared_for(project)
    result = prepared.scored.result
    md = rendered(project, kind, "md").decode("utf-8")
    assert md.startswith("# ")
    assert (result.tier_title or "No tier reached") in md
    assert "<svg" not in md
    if kind == "assessment":
        for criterion in result.criteria:
            assert criterion.id.replace("_", "\\_") in md
        assert "## Inputs used" in md


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("project", PDF_PROJECTS, ids=lambda p: p.stem)
def test_pdf_pages_and_text(project, kind) -> None:
    """PDF is the HTML through WeasyPrint (seconds a report): one sample per scheme."""
    result = prepared_for(project).scored.result
    data = rendered(project, kind, "pdf")
    assert data.startswith(b"%PDF")
    pages, text = pdf_text(data)
    if kind == "certificate":
        assert pages == 1
    else:
        assert pages >= 4  # cover, summary, criteria, inputs
        assert f"Page 2 of {pages}" in text
    assert (result.tier_title or "No tier reached") in text
    assert normal(result.project["name"]) in text


def test_certificate_is_a4_landscape_and_assessment_a4_portrait() -> None:
    import io

    from pypdf import PdfReader

    certificate = PdfReader(io.BytesIO(rendered(DEMO, "certificate", "pdf"))).pages[0]
    width, height = float(certificate.mediabox.width), float(certificate.mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points
    page = PdfReader(io.BytesIO(rendered(DEMO, "assessment", "pdf"))).pages[1]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
@pytest.mark.parametrize("kind", KINDS)
def test_output_is_reproducible(kind, fmt) -> None:
    again = render(prepared_for(DEMO), kind, fmt)
    assert again == rendered(DEMO, kind, fmt)


def test_assessment_shows_responses_inputs_and_provisional_values() -> None:
    html = rendered(DEMO, "assessment", "html").decode("utf-8")
    text = normal(" ".join(parse_html(html).text))
    # evidence references and reviewer comments from [responses]
    assert "A-201 facade schedule rev C" in text
    assert "ETTV computed from the facade schedule." in text
    assert "Design efficiency; verify with measured data at TOP." in text
    # inputs with units, and the derived savings
    assert "kWh/m²/yr" in text
    assert re.search(r"eui .*Energy use intensity 128 kWh/m²/yr given", text)
    assert "savings" in text
    # the unverified constant the P-2 gate relies on, shown as provisional
    assert "constants.chiller_platinum" in text
    assert "provisional" in text.lower()
    # gap to the next tier
    assert "Platinum" in text and "1.3 points short" in text


def test_charts_follow_the_project_tables() -> None:
    for project in PROJECTS:
        prepared = prepared_for(project)
        html = rendered(project, "assessment", "html").decode("utf-8")
        tables = prepared.scored.loaded.project
        assert ('id="envelope-' in html) == bool(tables.facades), project
        assert ('id="carbon-' in html) == bool(tables.boq), project
        assert 'id="sections-' in html
    # the demo project gives eui and eui_reference: an EUI chart, but no facades or BoQ
    assert 'id="eui-' in rendered(DEMO, "assessment", "html").decode("utf-8")


def test_charts_are_deterministic_svg() -> None:
    from greenmark.reports import charts

    sections = [{"title": "Energy", "points": 30, "max_points": 40, "bonus_points": 2}]
    first = charts.sections_chart(sections)
    assert first == charts.sections_chart(sections)
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert "<dc:date>" not in first and "<?xml" not in first


def test_percent_scheme_totals_read_as_percentages() -> None:
    from greenmark.reports.text import total_text

    assert total_text("percent", 0, 0, 72.56) == "72.6 %"
    assert total_text("points", 53.7, 60, 87) == "53.7 of 60 points"
    assert total_text("points", 103.2, 100, 100) == "103.2 points (max 100 + bonus)"
