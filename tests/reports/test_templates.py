"""The shared Jinja2 environment: StrictUndefined, autoescaping, filters."""

from __future__ import annotations

import copy

import jinja2
import pytest
from report_helpers import DEMO, prepared_for

from greenmark.reports.context import assessment_context, certificate_context
from greenmark.reports.templates import environment, template_name
from greenmark.reports.text import fmt_number, md_escape


def test_a_missing_field_fails_instead_of_printing_blank() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("Tier: {{ result.tier_title }}").render(result={})


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_certificate_templates_need_every_field(fmt) -> None:
    context = certificate_context(prepared_for(DEMO))
    template = environment().get_template(template_name("certificate", fmt))
    template.render(copy.deepcopy(context))  # complete: renders
    broken = copy.deepcopy(context)
    del broken["certificate"]["shown"]["tier"]
    with pytest.raises(jinja2.UndefinedError):
        template.render(broken)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_assessment_templates_need_every_field(fmt) -> None:
    context = assessment_context(prepared_for(DEMO), charts=fmt == "html")
    template = environment().get_template(template_name("assessment", fmt))
    broken = copy.deepcopy(context)
    del broken["sections"][0]["criteria"][0]["reason"]
    with pytest.raises(jinja2.UndefinedError):
        template.render(broken)


def test_contexts_are_plain_data() -> None:
    allowed = (dict, list, str, int, float, bool, type(None))

    def check(value, where="context"):
        assert isinstance(value, allowed), f"{where} is a {type(value).__name__}"
        if isinstance(value, dict):
            for key, item in value.items():
                check(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                check(item, f"{where}[{i}]")

    check(certificate_context(prepared_for(DEMO)))
    check(assessment_context(prepared_for(DEMO)))


def test_autoescape_is_on_for_html_and_off_for_markdown() -> None:
    env = environment()
    assert env.undefined is jinja2.StrictUndefined
    html = env.from_string("{{ x }}")  # string templates are escaped too
    assert html.render(x="<b>") == "&lt;b&gt;"
    assert callable(env.autoescape)
    assert env.autoescape("certificate.html.j2") is True
    assert env.autoescape("portfolio.html") is True
    assert env.autoescape("certificate.md.j2") is False
    assert env.autoescape("certificate.css") is False


def test_environment_is_shared_and_templates_compiled_once() -> None:
    assert environment() is environment()
    assert environment().get_template("certificate.html.j2") is environment().get_template(
        "certificate.html.j2"
    )


def test_number_filters() -> None:
    assert fmt_number(24500, 0) == "24,500"
    assert fmt_number(53.70) == "53.7"
    assert fmt_number(12.0) == "12"
    assert fmt_number(-0.04) == "0"
    assert fmt_number(None) == "–"
    assert fmt_number(float("nan")) == "–"
    assert fmt_number(24500, 0, "m²") == "24,500 m²"
    env = environment()
    assert env.from_string("{{ 0.125|number(2) }}|{{ 87|percent }}").render() == "0.12|87 %"


def test_md_escape() -> None:
    assert md_escape("a | b") == "a \\| b"
    assert md_escape("<i>x</i> & y") == "&lt;i&gt;x&lt;/i&gt; &amp; y"
    assert md_escape("# not a heading") == "\\# not a heading"
    assert md_escape("line\nbreak") == "line break"
    assert md_escape("53.7 of 60") == "53.7 of 60"


def test_formulas_in_reasons_become_code_and_stay_escaped() -> None:
    env = environment()
    html = env.from_string("{{ x|codespans }}").render(x="`a <= b` holds <script>")
    assert html == "<code>a &lt;= b</code> holds &lt;script&gt;"
    markdown = env.overlay(autoescape=False)  # as for *.md.j2 files
    md = markdown.from_string("{{ x|mdreason }}").render(x="`a <= b` holds <script> *x*")
    assert md == "`a <= b` holds &lt;script&gt; \\*x\\*"
    assert markdown.from_string("{{ x|mdreason }}").render(x="odd ` <b>") == "odd \\` &lt;b&gt;"
