"""The certificate digest, its canonical form, and `verify` against edits of every kind."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from report_helpers import (
    DEMO,
    ISSUED,
    PROJECTS,
    SAMPLES,
    copy_project,
    copy_scheme,
    prepared_for,
    rendered,
    set_scheme_version,
)

from greenmark.core.errors import GreenmarkError
from greenmark.reports.certificate import (
    FORMAT,
    Certificate,
    canonical_json,
    certificate_number,
    digest_of,
)
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render, render_certificate_text
from greenmark.reports.verify import verify


def write(tmp_path, project, kind="certificate", fmt="html", name=None):
    """Render ``project`` and write it to tmp; returns the path."""
    data = render(prepare(project, issued=ISSUED), kind, fmt)
    path = tmp_path / (name or f"{project.stem}-{kind}.{fmt}")
    path.write_bytes(data)
    return path


def kinds(outcome):
    return {d.kind for d in outcome.differences}


def messages(outcome):
    return "\n".join(d.message for d in outcome.differences)


# --------------------------------------------------------------------------- canonical form


def test_digest_is_sha256_of_the_canonical_json() -> None:
    certificate = prepared_for(DEMO).certificate
    payload = certificate.payload
    text = canonical_json(payload)
    assert text == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert certificate.digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert certificate.digest == digest_of(payload)
    assert certificate.number == certificate_number("demo", ISSUED, certificate.digest)
    assert re.fullmatch(r"DEMO-2026-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", certificate.number)


def test_payload_holds_scheme_inputs_tables_and_result() -> None:
    payload = prepared_for(DEMO).certificate.payload
    assert payload["format"] == FORMAT
    assert payload["issued"] == ISSUED
    assert payload["scheme"] == {
        "id": "demo",
        "version": "1.0",
        "title": "Demonstration scheme (small non-residential)",
        "scoring": "points",
    }
    assert payload["inputs"]["eui"] == 128  # whole numbers are written as integers
    assert payload["inputs"]["ettv"] == 41.5
    assert payload["inputs"]["carpark_ventilation"] == "co_sensors"
    assert payload["inputs"]["gfa"] == 24500
    assert set(payload["tables"]) == {"facades", "boq", "fittings"}
    result = payload["result"]
    assert result["tier"] == "goldplus" and result["total_points"] == 53.7
    assert result["criteria"]["EN-1"] == 10.2


def test_digest_does_not_depend_on_key_order_or_float_noise() -> None:
    payload = prepared_for(DEMO).certificate.payload
    shuffled = json.loads(json.dumps(payload, sort_keys=False))
    shuffled["inputs"] = dict(reversed(list(shuffled["inputs"].items())))
    shuffled["inputs"]["ettv"] = 41.5 + 1e-13
    assert digest_of(shuffled) == digest_of(payload)


def test_every_format_embeds_the_data_block() -> None:
    digest = prepared_for(DEMO).certificate.digest
    html = rendered(DEMO, "certificate", "html").decode()
    assert '<script type="application/json" id="greenmark-certificate">' in html
    md = rendered(DEMO, "certificate", "md").decode()
    assert "```json greenmark-certificate" in md
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(rendered(DEMO, "certificate", "pdf")))
    block = json.loads(reader.attachments["greenmark-certificate.json"][0])
    assert block["digest"] == digest
    assert digest in reader.metadata["/Keywords"]


# --------------------------------------------------------------------------- verify: matches


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_verify_passes_on_the_untouched_project(tmp_path, fmt) -> None:
    path = tmp_path / f"certificate.{fmt}"
    path.write_bytes(rendered(DEMO, "certificate", fmt))
    outcome = verify(path, DEMO)
    assert outcome.ok, messages(outcome)
    assert outcome.digest == prepared_for(DEMO).certificate.digest


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.stem)
def test_verify_passes_for_every_sample(tmp_path, project) -> None:
    for fmt in ("html", "md"):
        path = tmp_path / f"certificate.{fmt}"
        path.write_bytes(rendered(project, "certificate", fmt))
        outcome = verify(path, project)
        assert outcome.ok, messages(outcome)


# --------------------------------------------------------------------------- verify: changes


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_verify_fails_after_an_input_changes(tmp_path, fmt) -> None:
    project = copy_project(tmp_path)
    certificate = write(tmp_path, project, fmt=fmt)
    copy_project(tmp_path, project, **{r"^eui = 128$": "eui = 126"})
    outcome = verify(certificate, project)
    assert not outcome.ok
    assert "input" in kinds(outcome)
    assert "input eui differs: certificate 128, project 126" in messages(outcome)


def test_a_change_that_moves_the_result_is_named(tmp_path) -> None:
    project = copy_project(tmp_path)
    certificate = write(tmp_path, project)
    copy_project(tmp_path, project, **{r"^ettv = .*$": "ettv = 38"})
    outcome = verify(certificate, project)
    assert {"input", "result"} <= kinds(outcome)
    assert "EN-1 points 10.2 -> 14.4" not in messages(outcome)  # EN-1 is capped at 12
    assert "EN-1 points 10.2 -> 12" in messages(outcome)
    assert "tier 'goldplus' -> 'platinum'" in messages(outcome)


def test_verify_fails_after_project_metadata_changes(tmp_path) -> None:
    project = copy_project(tmp_path)
    certificate = write(tmp_path, project)
    copy_project(tmp_path, project, **{r"^name = .*$": 'name = "Another Tower"'})
    outcome = verify(certificate, project)
    assert "project name differs" in messages(outcome)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_the_certificate_states_the_stage_and_its_revision(tmp_path, fmt) -> None:
    project = copy_project(tmp_path, **{r'^stage = "design"$': 'stage = "design"\nrevision = 3'})
    certificate = prepared_for(project).certificate
    assert certificate.payload["project"]["stage"] == "design"
    assert certificate.payload["project"]["revision"] == 3
    assert certificate.shown()["stage"] == "design, revision 3"
    text = render(prepare(project, issued=ISSUED), "certificate", fmt).decode("utf-8")
    assert "design, revision 3" in text
    assert "A design-stage self-assessment: not final." in text


def test_verify_fails_after_the_project_moves_to_a_new_revision(tmp_path) -> None:
    project = copy_project(tmp_path)
    certificate = write(tmp_path, project)
    copy_project(tmp_path, project, **{r'^stage = "design"$': 'stage = "design"\nrevision = 2'})
    outcome = verify(certificate, project)
    assert not outcome.ok
    assert "project revision differs: certificate 1, project file 2" in messages(outcome)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_a_certificate_issued_before_revisions_were_certified_still_verifies(tmp_path, fmt) -> None:
    """Such a certificate's payload has no revision: it shows the stage alone, and its
    project's revision is not held against it."""
    project = copy_project(tmp_path, **{r'^stage = "design"$': 'stage = "design"\nrevision = 2'})
    payload = json.loads(json.dumps(prepared_for(project).certificate.payload))
    del payload["project"]["revision"]
    older = Certificate.of(payload)
    assert older.shown()["stage"] == "design"
    path = tmp_path / f"older.{fmt}"
    path.write_text(render_certificate_text(older, fmt), encoding="utf-8")
    outcome = verify(path, project)
    assert outcome.ok, messages(outcome)
    assert outcome.digest == older.digest


def test_verify_fails_after_a_table_row_changes(tmp_path) -> None:
    source = next((p for p in PROJECTS if prepared_for(p).scored.loaded.project.facades), None)
    if source is None:
        pytest.skip("no sample project with facades yet")
    project = copy_project(tmp_path, source)
    certificate = write(tmp_path, project)
    copy_project(tmp_path, project, **{r"^(wall_u = )([0-9.]+)": r"\g<1>0.99"})
    outcome = verify(certificate, project)
    assert "table" in kinds(outcome)
    assert "table facades row 1 differs: wall_u" in messages(outcome)


def test_boq_element_is_certified_only_where_it_is_not_the_default(tmp_path) -> None:
    """``element`` came after format 1: at its default it stays out of the payload (so
    certificates issued before it existed still verify); substructure rows carry it."""
    source = SAMPLES / "rb-cluster-house.toml"  # one basement row, marked substructure
    payload = prepared_for(source).certificate.payload
    elements = [row.get("element") for row in payload["tables"]["boq"]]
    assert elements.count("substructure") == 1 and set(elements) == {None, "substructure"}

    project = copy_project(tmp_path, source)
    certificate = write(tmp_path, project)
    copy_project(tmp_path, project, **{r'^element = "substructure"\n': ""})
    outcome = verify(certificate, project)
    said = messages(outcome)
    assert "table boq row 1 differs: element 'substructure' -> 'superstructure'" in said
    assert "input concrete_usage_index differs" in said  # and the CUI it moves


def test_verify_fails_after_the_scheme_version_changes(tmp_path) -> None:
    scheme = copy_scheme(tmp_path)
    project = copy_project(
        tmp_path,
        **{r'^scheme = "demo"$': f'scheme = "{scheme.name}"', r"^scheme_version = .*$": ""},
    )
    certificate = write(tmp_path, project)
    assert verify(certificate, project).ok
    set_scheme_version(scheme, "1.1")
    outcome = verify(certificate, project)
    assert kinds(outcome) == {"scheme"}
    assert "scheme version differs: certified under demo 1.0, the scheme is now version 1.1" in (
        messages(outcome)
    )


def test_verify_fails_when_the_scheme_changes_under_the_same_version(tmp_path) -> None:
    scheme = copy_scheme(tmp_path)
    project = copy_project(tmp_path, **{r'^scheme = "demo"$': f'scheme = "{scheme.name}"'})
    certificate = write(tmp_path, project)
    text = scheme.read_text().replace("min_points = 48", "min_points = 54")
    scheme.write_text(text)
    outcome = verify(certificate, project)
    assert kinds(outcome) == {"result"}
    assert "tier 'goldplus' -> 'gold'" in messages(outcome)


# --------------------------------------------------------------------------- verify: tampering


def test_verify_fails_when_the_tier_shown_is_edited_in_html(tmp_path) -> None:
    html = rendered(DEMO, "certificate", "html").decode()
    edited, count = re.subn(r'(data-gm="tier">)GoldPLUS<', r"\1Platinum<", html)
    assert count == 1
    path = tmp_path / "certificate.html"
    path.write_text(edited)
    outcome = verify(path, DEMO)
    assert kinds(outcome) == {"certificate"}
    assert (
        "the certificate text was edited: tier shows 'Platinum', the certified data says "
        "'GoldPLUS'" in messages(outcome)
    )


def test_verify_fails_when_the_tier_shown_is_edited_in_markdown(tmp_path) -> None:
    md = rendered(DEMO, "certificate", "md").decode()
    edited = md.replace("| Tier | **GoldPLUS** |", "| Tier | **Platinum** |")
    assert edited != md
    path = tmp_path / "certificate.md"
    path.write_text(edited)
    outcome = verify(path, DEMO)
    assert "tier shows 'Platinum'" in messages(outcome)


def test_verify_fails_when_a_visible_field_is_removed(tmp_path) -> None:
    html = rendered(DEMO, "certificate", "html").decode()
    edited = html.replace('data-gm="digest"', 'data-x="digest"')
    path = tmp_path / "certificate.html"
    path.write_text(edited)
    assert "verification digest (sha-256) is not shown" in messages(verify(path, DEMO))


def test_verify_fails_when_the_data_block_is_edited(tmp_path) -> None:
    html = rendered(DEMO, "certificate", "html").decode()
    edited = html.replace('"tier":"goldplus"', '"tier":"platinum"', 1)
    assert edited != html
    path = tmp_path / "certificate.html"
    path.write_text(edited)
    outcome = verify(path, DEMO)
    assert "the certificate data was edited: its digest does not match its content" in (
        messages(outcome)
    )


def test_a_re_sealed_forgery_still_fails_against_the_project(tmp_path) -> None:
    """Editing the data, recomputing the digest and rendering the document again from it
    (an unsigned certificate: integrity only) is caught by the recomputation."""
    from greenmark.reports.certificate import Certificate
    from greenmark.reports.render import render_certificate

    original = prepared_for(DEMO).certificate
    payload = json.loads(json.dumps(original.payload))
    payload["result"]["tier"], payload["result"]["tier_title"] = "platinum", "Platinum"
    forged = Certificate.of(payload)
    path = tmp_path / "certificate.html"
    path.write_bytes(render_certificate(forged, "html"))
    outcome = verify(path, DEMO)
    assert kinds(outcome) == {"result"}
    assert "tier 'platinum' -> 'goldplus'" in messages(outcome)


def test_a_report_is_not_a_certificate(tmp_path) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(rendered(DEMO, "assessment", "html"))
    with pytest.raises(GreenmarkError, match="not a greenmark certificate: it has no"):
        verify(path, DEMO)
