"""Names from a project are escaped in every format; nothing becomes markup."""

from __future__ import annotations

import re

import pytest
from report_helpers import ISSUED, PROJECTS, copy_project, normal, parse_html, pdf_text

from greenmark.reports.prepared import prepare
from greenmark.reports.render import render
from greenmark.reports.text import md_escape
from greenmark.reports.verify import verify

#: one xdist worker runs the whole module, so its module fixture is built once
pytestmark = pytest.mark.xdist_group("escaping")

NAME = "<script>alert(1)</script> & Co"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The demo project with a hostile name, address, evidence and notes."""
    folder = tmp_path_factory.mktemp("hostile")
    project = copy_project(
        folder,
        **{
            r"^name = .*$": f'name = "{NAME}"',
            r"^address = .*$": 'address = "<b>1</b> Walk | *bold* _x_ [link](http://x)"',
            r"^evidence = \[\"A-201.*$": 'evidence = ["<img src=x onerror=alert(2)>"]',
            r"^notes = .*$": 'notes = "</td></tr><script>alert(3)</script>"',
        },
    )
    prepared = prepare(project, issued=ISSUED)
    return project, {
        (kind, fmt): render(prepared, kind, fmt)
        for kind in ("certificate", "assessment")
        for fmt in ("html", "md", "pdf")
    }


@pytest.mark.parametrize("kind", ["certificate", "assessment"])
def test_html_escapes_the_name(hostile, kind) -> None:
    html = hostile[1][(kind, "html")].decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    text = normal(" ".join(parse_html(html).text))
    assert NAME in text  # a browser shows the literal name


@pytest.mark.parametrize("kind", ["certificate", "assessment"])
def test_markdown_escapes_the_name(hostile, kind) -> None:
    md = hostile[1][(kind, "md")].decode()
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert md_escape(NAME) in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in md
    assert "\\*bold\\*" in md and "\\[link\\]" in md
    # the address's pipe cannot split a table row
    assert re.search(r"Walk \\\| ", md)


@pytest.mark.parametrize("kind", ["certificate", "assessment"])
def test_pdf_shows_the_literal_name(hostile, kind) -> None:
    _, text = pdf_text(hostile[1][(kind, "pdf")])
    assert NAME in text


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_escaped_certificates_still_verify(hostile, tmp_path, fmt) -> None:
    project, files = hostile
    path = tmp_path / f"certificate.{fmt}"
    path.write_bytes(files[("certificate", fmt)])
    outcome = verify(path, project)
    assert outcome.ok, [d.message for d in outcome.differences]


def test_facade_names_are_escaped_in_charts(tmp_path) -> None:
    source = next((p for p in PROJECTS if "[[facades]]" in p.read_text()), None)
    if source is None:
        pytest.skip("no sample project with facades yet")
    project = copy_project(tmp_path, source)
    text = project.read_text()
    start = text.index("[[facades]]")
    head, facades = text[:start], text[start:]
    hostile = 'name = "<script>f()</script> $x^2$"'
    facades, count = re.subn(r'^name = ".*"$', hostile, facades, count=1, flags=re.M)
    if not count:
        facades = facades.replace("[[facades]]\n", f"[[facades]]\n{hostile}\n", 1)
    project.write_text(head + facades)
    html = render(prepare(project, issued=ISSUED), "assessment", "html").decode()
    assert "<script>f()" not in html
    assert "&lt;script&gt;f()" in html
    parse_html(html)
