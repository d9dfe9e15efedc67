"""What a PDF render keeps for the next one (the font configuration, the charts drawn)
changes no byte of any document."""

from __future__ import annotations

import hashlib

import matplotlib
import pytest
from report_helpers import DEMO, ISSUED

from greenmark.reports import charts
from greenmark.reports import pdf as pdf_module
from greenmark.reports.prepared import Prepared, prepare
from greenmark.reports.render import render


def _fresh_fonts(_html: str) -> object:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@pytest.fixture(scope="module")
def demo() -> Prepared:
    return prepare(DEMO, issued=ISSUED)


def test_a_certificate_is_the_same_with_shared_and_fresh_fonts(
    demo: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = [render(demo, "certificate", "pdf") for _ in range(2)]
    monkeypatch.setattr(pdf_module, "_fonts", _fresh_fonts)
    fresh = render(demo, "certificate", "pdf")
    assert shared[0] == shared[1] == fresh


def test_an_assessment_report_is_the_same_with_remembered_and_drawn_charts(
    demo: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    charts._remembered_charts.clear()
    drawn = render(demo, "assessment", "pdf")
    assert charts._remembered_charts  # the charts were kept
    remembered = render(demo, "assessment", "pdf")
    monkeypatch.setattr(pdf_module, "_fonts", _fresh_fonts)
    charts._remembered_charts.clear()
    fresh = render(demo, "assessment", "pdf")
    digests = {hashlib.sha256(data).hexdigest() for data in (drawn, remembered, fresh)}
    assert len(digests) == 1


def test_a_document_with_fonts_of_its_own_gets_its_own_configuration() -> None:
    plain = pdf_module._fonts("<p>text</p>")
    assert pdf_module._fonts("<p>more</p>") is plain
    own = pdf_module._fonts("<style>@font-face { font-family: X; src: url(x.woff) }</style>")
    assert own is not plain


BARS = [charts.Bar("North", 41.5), charts.Bar("South", 38.0)]


def test_a_remembered_chart_is_the_chart_drawn_afresh() -> None:
    charts._remembered_charts.clear()
    first = charts.envelope_chart(BARS, 50.0, quantity="ETTV")
    again = charts.envelope_chart(BARS, 50.0, quantity="ETTV")
    charts._remembered_charts.clear()
    assert first == again == charts.envelope_chart(BARS, 50.0, quantity="ETTV")


def test_other_data_or_settings_draw_another_chart() -> None:
    charts._remembered_charts.clear()
    base = charts.envelope_chart(BARS, 50.0, quantity="ETTV")
    assert charts.envelope_chart(BARS, 45.0, quantity="ETTV") != base
    assert charts.envelope_chart([charts.Bar("North", 41.6), BARS[1]], 50.0) != base
    with matplotlib.rc_context({"lines.linewidth": 3.0, "axes.facecolor": "#eeeeee"}):
        changed = charts.envelope_chart(BARS, 50.0, quantity="ETTV")
    assert changed != base
    assert charts.envelope_chart(BARS, 50.0, quantity="ETTV") == base


def test_the_charts_kept_are_few() -> None:
    charts._remembered_charts.clear()
    for index in range(charts._REMEMBERED + 5):
        charts.carbon_chart([charts.Bar("Concrete", float(index + 1))])
    assert len(charts._remembered_charts) <= charts._REMEMBERED
