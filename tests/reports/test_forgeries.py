"""The tamper campaign: every kind of forgery fails `verify` with a message naming it, and
genuine signed certificates pass (HTML, Markdown, PDF)."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from report_helpers import DEMO, copy_project, prepared_for

from greenmark.reports.certificate import PDF_ATTACHMENT, Certificate, canonical_json
from greenmark.reports.pdf import render_html_to_pdf
from greenmark.reports.pdfsign import sign_pdf
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render_certificate, render_certificate_text
from greenmark.reports.signing import (
    IssuerKey,
    load_private_key,
    load_trusted,
    new_key,
    sign_certificate,
)
from greenmark.reports.verify import verify

#: one xdist worker runs the whole module, so its module fixture is built once
pytestmark = pytest.mark.xdist_group("forgeries")


TIER = '<p class="tier" data-gm="tier">GoldPLUS</p>'


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A trusted issuer, an untrusted one, and the demo's signed certificate in every
    format (the PDF rendered and signed once, with a forged twin)."""
    folder = tmp_path_factory.mktemp("forgeries")
    private, public = new_key("Example Certification Body", folder / "trusted")
    other, _ = new_key("Someone Else", folder / "untrusted")
    key = load_private_key(private)
    certificate = sign_certificate(prepared_for(DEMO).certificate, key)
    html = render_certificate_text(certificate, "html")
    assert TIER in html
    pdf = sign_pdf(render_certificate(certificate, "pdf"), key, number=certificate.number)
    # the forger's PDF: a visible "Platinum", the real tier in 1-px white text, and the
    # genuine signed data attached
    forged_html = html.replace(
        TIER,
        '<p class="tier" data-gm="tier">Platinum'
        '<span style="color:#ffffff;font-size:1px">GoldPLUS</span></p>',
    )
    attachment = {PDF_ATTACHMENT: canonical_json(certificate.embedded())}
    forged_pdf = render_html_to_pdf(forged_html, attachments=attachment)
    return {
        "folder": folder,
        "key": key,
        "other": load_private_key(other),
        "trusted": load_trusted([public]),
        "keys": folder / "trusted",
        "certificate": certificate,
        "html": html,
        "md": render_certificate_text(certificate, "md"),
        "pdf": pdf,
        "forged_pdf": forged_pdf,
    }


def check(signed, tmp_path, content: str | bytes, suffix: str = "html", project=None, **options):
    path = tmp_path / f"certificate.{suffix}"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    options.setdefault("trusted", signed["trusted"])
    return verify(path, project, **options)


def messages(outcome) -> str:
    return "\n".join(d.message for d in outcome.differences)


# --------------------------------------------------------------------------- genuine


@pytest.mark.parametrize("fmt", ["html", "md", "pdf"])
def test_a_genuine_signed_certificate_passes(signed, tmp_path, fmt) -> None:
    content = signed[fmt]
    outcome = check(signed, tmp_path, content, fmt, project=DEMO, today=date(2026, 12, 1))
    assert outcome.ok, messages(outcome)
    assert outcome.trust == "trusted" and outcome.signer == "Example Certification Body"
    assert outcome.project_checked and outcome.valid_until == "2029-11-25"
    if fmt == "pdf":
        assert any("PDF signature: intact" in note for note in outcome.notes)


# --------------------------------------------------------------------------- HTML


HIDINGS = {
    "style sheet": (
        lambda html: html.replace("</style>", ".tier { display: none }\n</style>").replace(
            TIER, TIER + '<p class="forged">Platinum</p>'
        ),
        "the <style> sheet was edited (line 12): it adds '.tier { display: none }'",
    ),
    "css generated text": (
        lambda html: html.replace(
            "</style>", ".tier { font-size: 0 } .award::after { content: 'Platinum' }\n</style>"
        ),
        "<style>",
    ),
    "display none": (
        lambda html: html.replace(
            TIER,
            '<p class="tier" data-gm="tier" style="display:none">GoldPLUS</p><p>Platinum</p>',
        ),
        "a style attribute greenmark does not render: style='display:none'",
    ),
    "visibility hidden": (
        lambda html: html.replace(
            TIER,
            '<p class="tier" data-gm="tier"><span style="visibility:hidden">GoldPLUS</span>'
            "Platinum</p>",
        ),
        'a hidden or restyled element greenmark does not render: <span style="visibility:hidden">',
    ),
    "tiny font": (
        lambda html: html.replace(
            TIER,
            '<p class="tier" data-gm="tier"><span style="font-size:0.1px">GoldPLUS</span>'
            "Platinum</p>",
        ),
        "font-size:0.1px",
    ),
    "colour of the background": (
        lambda html: html.replace(
            TIER,
            '<p class="tier" data-gm="tier"><span style="color:#9a6d12">GoldPLUS</span>'
            "Platinum</p>",
        ),
        "color:#9a6d12",
    ),
    "zero size": (
        lambda html: html.replace(
            TIER,
            '<p class="tier" data-gm="tier"><span style="display:inline-block;width:0;'
            'height:0;overflow:hidden">GoldPLUS</span>Platinum</p>',
        ),
        "width:0",
    ),
    "hidden attribute": (
        lambda html: html.replace(
            TIER, '<p class="tier" data-gm="tier" hidden>GoldPLUS</p><p>Platinum</p>'
        ),
        "an attribute greenmark does not render: hidden",
    ),
    "class swapped": (
        lambda html: html.replace('<main class="sheet tier-goldplus">', '<main class="sheet">'),
        "the attribute class of <main",
    ),
}


@pytest.mark.parametrize("name", list(HIDINGS))
def test_hidden_or_restyled_text_in_html_fails(signed, tmp_path, name) -> None:
    forge, said = HIDINGS[name]
    forged = forge(signed["html"])
    assert forged != signed["html"]
    outcome = check(signed, tmp_path, forged)
    assert not outcome.ok
    assert {d.kind for d in outcome.differences} == {"certificate"}
    assert said in messages(outcome)


def test_an_edited_title_fails(signed, tmp_path) -> None:
    forged = signed["html"].replace("<title>GoldPLUS certificate", "<title>Platinum certificate")
    assert forged != signed["html"]
    said = messages(check(signed, tmp_path, forged))
    assert "<title>" in said and "'Platinum certificate · Harbourfront Office Tower'" in said


def test_an_edited_heading_fails(signed, tmp_path) -> None:
    forged = signed["html"].replace("<h1>Indicative self-assessment", "<h1>Platinum Award")
    assert forged != signed["html"]
    said = messages(check(signed, tmp_path, forged))
    assert "<h1>" in said and "'Platinum Award'" in said


def test_a_marked_field_edited_is_named_by_its_label(signed, tmp_path) -> None:
    forged = signed["html"].replace(TIER, TIER.replace("GoldPLUS", "Platinum"))
    said = messages(check(signed, tmp_path, forged))
    assert "tier shows 'Platinum', the certified data says 'GoldPLUS'" in said


def test_whitespace_alone_is_no_edit(signed, tmp_path) -> None:
    reflowed = signed["html"].replace("\n", "\r\n  ")
    assert check(signed, tmp_path, reflowed).ok


# --------------------------------------------------------------------------- Markdown


def test_extra_markdown_text_fails(signed, tmp_path) -> None:
    forged = signed["md"].replace(
        "Check it with", "Upgraded to **Platinum** on review.\n\nCheck it with"
    )
    said = messages(check(signed, tmp_path, forged, "md"))
    assert "text greenmark does not render: 'Upgraded to **Platinum** on review.'" in said


def test_raw_html_hidden_in_markdown_fails(signed, tmp_path) -> None:
    forged = signed["md"].replace(
        "| Tier | **GoldPLUS** |", '| Tier | **Platinum** <span style="display:none">x</span> |'
    )
    said = messages(check(signed, tmp_path, forged, "md"))
    assert "tier shows" in said and "display:none" in said


def test_an_edited_markdown_heading_fails(signed, tmp_path) -> None:
    forged = signed["md"].replace(
        "# Indicative self-assessment: GoldPLUS", "# Certificate: Platinum"
    )
    said = messages(check(signed, tmp_path, forged, "md"))
    assert "line 1 shows '# Certificate: Platinum'" in said


# --------------------------------------------------------------------------- PDF


def test_white_or_tiny_text_added_to_a_pdf_fails(signed, tmp_path) -> None:
    outcome = check(signed, tmp_path, signed["forged_pdf"], "pdf")
    said = messages(outcome)
    assert not outcome.ok
    assert "the PDF carries no PDF signature, although its data is signed" in said
    assert "page 1 shows 'Platinum" in said and "where greenmark renders 'GoldPLUS'" in said


def test_a_pdf_changed_after_signing_fails(signed, tmp_path) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed["pdf"]))
    writer.root[generic.NameObject("/Forged")] = generic.BooleanObject(True)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    said = messages(check(signed, tmp_path, out.getvalue(), "pdf"))
    assert "the PDF was changed after it was signed" in said


def test_a_pdf_with_a_signed_byte_flipped_fails(signed, tmp_path) -> None:
    data = bytearray(signed["pdf"])
    at = data.index(b"/Producer")
    data[at + 12] ^= 0x01
    said = messages(check(signed, tmp_path, bytes(data), "pdf"))
    assert "the PDF signature does not hold" in said


# --------------------------------------------------------------------------- the signature


def test_reissued_from_edited_inputs_with_an_untrusted_key_fails(signed, cli, tmp_path) -> None:
    project = copy_project(tmp_path, **{r"^eui = 128$": "eui = 90"})
    forged = sign_certificate(prepare(project, issued="2026-11-25").certificate, signed["other"])
    path = tmp_path / "forged.html"
    path.write_bytes(render_certificate(forged, "html"))
    outcome = verify(path, DEMO, trusted=signed["trusted"])
    assert outcome.differences[0].kind == "signature"
    key_id = signed["other"].key_id
    assert f"signed by key {key_id} (naming itself 'Someone Else'), which is not among" in (
        outcome.differences[0].message
    )
    assert "input eui differs: certificate 90, project 128" in messages(outcome)
    done = cli("verify", str(path), "--keys", str(signed["keys"]), cwd=tmp_path)
    assert done.returncode == 1 and key_id in done.stderr
    assert "Traceback" not in done.stderr


def test_signed_data_edited_and_resealed_fails(signed, tmp_path) -> None:
    certificate = signed["certificate"]
    payload = json.loads(json.dumps(certificate.payload))
    payload["result"]["tier"], payload["result"]["tier_title"] = "platinum", "Platinum"
    resealed = Certificate.of(payload, certificate.signature)  # new digest, old signature
    outcome = check(signed, tmp_path, render_certificate(resealed, "html"))
    assert outcome.trust == "invalid"
    assert "does not match the data: it was edited after signing" in messages(outcome)


def test_a_stripped_signature_fails(signed, tmp_path) -> None:
    stripped = Certificate.of(signed["certificate"].payload)  # still names its issuer
    said = messages(check(signed, tmp_path, render_certificate(stripped, "html")))
    assert "it names an issuer but carries no signature" in said


def test_a_trusted_key_under_another_name_fails(signed, tmp_path) -> None:
    key = signed["key"]
    impostor = IssuerKey("Another Body", key.key_id, key.private)
    certificate = sign_certificate(prepared_for(DEMO).certificate, impostor)
    said = messages(check(signed, tmp_path, render_certificate(certificate, "md"), "md"))
    assert "records for 'Example Certification Body', but the certificate names" in said


# --------------------------------------------------------------------------- validity


def test_an_expired_document_fails_even_with_a_good_signature(signed, cli, tmp_path) -> None:
    last_day = check(signed, tmp_path, signed["html"], today=date(2029, 11, 25))
    assert last_day.ok
    outcome = check(signed, tmp_path, signed["html"], today=date(2029, 11, 26))
    assert outcome.trust == "trusted"
    assert [(d.kind, d.message) for d in outcome.differences] == [
        ("expired", "expired: valid until 25 November 2029")
    ]
    done = cli(
        "verify", str(tmp_path / "certificate.html"), "--keys", str(signed["keys"]),
        "--today", "2029-11-26", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert re.search(
        r"error: .*certificate\.html: expired: valid until 25 November 2029", done.stderr
    )
