"""The assessment report's "Under other rating systems" section (`report --compare`)."""

from __future__ import annotations

import re
from pathlib import Path

from report_helpers import CRITERIA, ISSUED, SAMPLES, normal, parse_html, pdf_text

from greenmark.core.compare import compare
from greenmark.reports.comparison import add_comparison, references_of
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render

OFFICE = SAMPLES / "gm2021-office-sle.toml"
TITLE = "Under other rating systems"


def _green_mark_only(folder: Path) -> Path:
    """The sample without its values for the other schemes (``[inputs_for.*]``)."""
    text = OFFICE.read_text(encoding="utf-8")
    start = text.index("# ------------------------------------------------------------ other")
    copy = folder / "office.toml"
    copy.write_text(text[:start] + text[text.index("[responses.", start) :], encoding="utf-8")
    return copy


def _section(html: str) -> str:
    """The text of the section, as a browser shows it."""
    text = normal(" ".join(parse_html(html).text))
    start = text.index(TITLE)
    return text[start : text.index("Criteria Every criterion", start)]


def test_no_section_without_the_option():
    prepared = prepare(OFFICE, issued=ISSUED)
    assert prepared.comparison is None
    for fmt in ("html", "md"):
        assert TITLE not in render(prepared, "assessment", fmt).decode()


def test_each_scheme_with_its_rating_and_provisional_status(tmp_path):
    prepared = prepare(_green_mark_only(tmp_path), issued=ISSUED)
    add_comparison(prepared, ["gm-2021", "gm-nrb", "edge", "gm-rb"])
    # the reported scheme is the report itself: not repeated under "other" systems
    assert [row["scheme"] for row in prepared.comparison] == ["gm-nrb", "edge", "gm-rb"]
    outcomes = {o.scheme: o for o in compare(prepared.scored.loaded, ["gm-nrb", "edge"])}
    nrb, edge = outcomes["gm-nrb"], outcomes["edge"]
    assert nrb.tier_title and nrb.provisional > 0  # a rating under a scheme with unverified values

    section = _section(render(prepared, "assessment", "html").decode())
    assert "Indicative comparison only" in section
    assert "No certification body has assessed or awarded any of these ratings" in section
    # the rating never stands alone: it reads as provisional, with the count
    assert f"{nrb.tier_title} PROVISIONAL" in section
    assert f"Provisional: {nrb.provisional} values unverified" in section
    assert f"{nrb.next_tier}: {nrb.next_needs}" in section and nrb.headline in section
    assert "No rating reached" in section and edge.headline in section
    assert f"Provisional: {edge.provisional} values unverified" in section
    # a scheme that cannot take the building says why, without the file's path
    assert "gm-rb Not scored 'office' is not a building type of scheme gm-rb" in section
    assert "office.toml" not in section
    # what each scheme still needs and what it leaves out
    assert ", ".join(edge.missing) in section and ", ".join(edge.left_out) in section
    assert ", ".join(nrb.missing) in section

    markdown = render(prepared, "assessment", "md").decode()
    part = markdown[markdown.index(f"## {TITLE}") : markdown.index("## Criteria")]
    assert "**Indicative comparison only.**" in part
    assert f"| {nrb.tier_title} (provisional) |" in part
    assert f"Provisional: {nrb.provisional} values unverified" in part
    assert "`energy_savings`, `materials_savings`, `water_savings`" in part


def test_a_scheme_without_unverified_values_still_reads_as_indicative(tmp_path: Path):
    """Its row says so, with no provisional flag; its title is escaped like any text."""
    text = (CRITERIA / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('id = "demo"', 'id = "checked"', 1).replace("verified = false", "")
    title = "<script>alert(1)</script> & checked"
    text = re.sub(r'^title = ".*"$', f'title = "{title}"', text, count=1, flags=re.M)
    scheme = tmp_path / "checked.toml"
    scheme.write_text(text, encoding="utf-8")
    prepared = prepare(SAMPLES / "demo-office.toml", issued=ISSUED)
    add_comparison(prepared, [str(scheme)])
    (row,) = prepared.comparison
    assert row["provisional"] == 0 and row["status"] == "Indicative: no value unverified"
    html = render(prepared, "assessment", "html").decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    section = _section(html)
    assert title in section and "PROVISIONAL" not in section
    assert "Indicative: no value unverified" in section
    markdown = render(prepared, "assessment", "md").decode()
    assert "<script>" not in markdown


def test_all_and_the_option_text():
    assert references_of(" gm-nrb, edge,,gm-nrb ") == ["gm-nrb", "edge"]
    prepared = prepare(OFFICE, issued=ISSUED)
    add_comparison(prepared, ["all"])
    schemes = [row["scheme"] for row in prepared.comparison]
    assert "gm-2021" not in schemes and {"gm-nrb", "edge", "gm-2021-existing"} <= set(schemes)
    assert len(schemes) == len(set(schemes))


def test_cli_writes_the_section_into_html_and_pdf(cli, tmp_path: Path):
    html = tmp_path / "office.html"
    done = cli(
        "report", str(OFFICE), "--kind", "assessment", "--compare", "gm-nrb,edge",
        "--date", ISSUED, "-o", str(html),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    section = _section(html.read_text(encoding="utf-8"))
    assert "gm-nrb" in section and "edge" in section and "PROVISIONAL" in section
    pdf = tmp_path / "office.pdf"
    done = cli(
        "report", str(OFFICE), "--kind", "assessment", "--compare", "edge",
        "--date", ISSUED, "--format", "pdf", "-o", str(pdf),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _, text = pdf_text(pdf.read_bytes())
    assert TITLE in text and "Indicative comparison only" in text
    assert "Provisional:" in text


def test_cli_refuses_the_option_for_a_certificate(cli, tmp_path: Path):
    done = cli(
        "report", str(OFFICE), "--compare", "edge", "-o", str(tmp_path / "c.html")
    )  # fmt: skip
    assert done.returncode != 0
    assert "--kind assessment" in done.stderr
    assert not (tmp_path / "c.html").exists()
