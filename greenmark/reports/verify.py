"""``verify``: a certificate file against its own digest and signature, the document
greenmark renders from its data, its validity and a register export, then against the
project re-scored now; every difference named."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.reports.certificate import (
    FIELDS,
    FORMAT_1,
    LATER_FIELDS,
    LATER_PROJECT_FIELDS,
    LAYOUT,
    Certificate,
    build_payload,
    digest_of,
    format_date,
)
from greenmark.reports.prepared import issue_date
from greenmark.reports.reading import (
    CertificateFile,
    normal_text,
    read_certificate,
    read_certificate_bytes,
)
from greenmark.reports.signing import TrustedKey, check_signature


@dataclass(frozen=True)
class Difference:
    """One thing that differs: ``kind`` is signature, certificate (the file or its
    data), expired, register, scheme, project, input, table, result or evidence."""

    kind: str
    message: str


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def text_differences(file: CertificateFile, expected: dict[str, str]) -> list[Difference]:
    """Visible fields that do not show what the certificate's data says."""
    found: list[Difference] = []
    if file.kind == "pdf":
        flat = normal_text(file.text)
        for field, value in expected.items():
            pattern = re.escape(normal_text(value)) + r"(?![\w-])"
            if not re.search(pattern, flat):
                found.append(
                    Difference(
                        "certificate",
                        f"the certificate text was edited: {FIELDS[field].lower()} "
                        f"{_show(value)} is not shown",
                    )
                )
        digest = expected.get("digest", "")
        if digest and digest not in file.keywords:
            found.append(
                Difference("certificate", "the PDF keywords do not carry the certificate's digest")
            )
        return found
    for field, value in expected.items():
        shown = file.shown.get(field)
        if shown is None:
            found.append(
                Difference(
                    "certificate",
                    f"the certificate text was edited: {FIELDS[field].lower()} is not shown",
                )
            )
        elif shown != normal_text(value):
            found.append(
                Difference(
                    "certificate",
                    f"the certificate text was edited: {FIELDS[field].lower()} shows "
                    f"{_show(shown)}, the certified data says {_show(normal_text(value))}",
                )
            )
    return found


def payload_differences(certified: dict[str, Any], current: dict[str, Any]) -> list[Difference]:
    """What differs between the certified payload and the one recomputed from the project."""
    found: list[Difference] = []
    old_scheme, new_scheme = certified.get("scheme", {}), current["scheme"]
    if old_scheme.get("id") != new_scheme["id"]:
        found.append(
            Difference(
                "scheme",
                f"scheme differs: certified under {old_scheme.get('id')!r}, "
                f"the project is now scored with {new_scheme['id']!r}",
            )
        )
    elif old_scheme.get("version") != new_scheme["version"]:
        found.append(
            Difference(
                "scheme",
                f"scheme version differs: certified under {new_scheme['id']} "
                f"{old_scheme.get('version')}, the scheme is now version {new_scheme['version']}",
            )
        )
    for key in ("title", "scoring"):
        if old_scheme.get(key) != new_scheme[key] and old_scheme.get("id") == new_scheme["id"]:
            found.append(
                Difference(
                    "scheme",
                    f"scheme {key} differs: certificate {_show(old_scheme.get(key))}, "
                    f"scheme now {_show(new_scheme[key])}",
                )
            )
    old_project, new_project = certified.get("project", {}), current["project"]
    for key in new_project:
        if key in LATER_PROJECT_FIELDS and key not in old_project:
            continue  # certified before greenmark certified it
        if old_project.get(key) != new_project[key]:
            found.append(
                Difference(
                    "project",
                    f"project {key.replace('_', ' ')} differs: certificate "
                    f"{_show(old_project.get(key))}, project file {_show(new_project[key])}",
                )
            )
    old_inputs, new_inputs = certified.get("inputs", {}), current["inputs"]
    for name in sorted(set(old_inputs) | set(new_inputs)):
        if name not in new_inputs:
            found.append(
                Difference(
                    "input",
                    f"input {name} differs: certificate {_show(old_inputs[name])}, "
                    "not given in the project now",
                )
            )
        elif name not in old_inputs:
            found.append(
                Difference(
                    "input",
                    f"input {name} differs: not given when certified, "
                    f"project now {_show(new_inputs[name])}",
                )
            )
        elif old_inputs[name] != new_inputs[name]:
            found.append(
                Difference(
                    "input",
                    f"input {name} differs: certificate {_show(old_inputs[name])}, "
                    f"project {_show(new_inputs[name])}",
                )
            )
    if certified.get("not_applicable", []) != current["not_applicable"]:
        found.append(
            Difference(
                "input",
                "criteria marked not applicable differ: certificate "
                f"{_show(certified.get('not_applicable', []))}, "
                f"project {_show(current['not_applicable'])}",
            )
        )
    old_tables, new_tables = certified.get("tables", {}), current["tables"]
    for table, rows in new_tables.items():
        old_rows = old_tables.get(table, [])
        if old_rows == rows:
            continue
        if len(old_rows) != len(rows):
            found.append(
                Difference(
                    "table",
                    f"table {table} differs: {len(old_rows)} rows certified, "
                    f"{len(rows)} in the project",
                )
            )
            continue
        later = LATER_FIELDS.get(table, {})
        for index, (old_row, new_row) in enumerate(zip(old_rows, rows, strict=True), start=1):
            old, new = {**later, **old_row}, {**later, **new_row}  # left out = the default
            if old == new:
                continue
            keys = sorted(set(old) | set(new), key=str)
            changes = [
                f"{k} {_show(old.get(k))} -> {_show(new.get(k))}"
                for k in keys
                if old.get(k) != new.get(k)
            ]
            found.append(
                Difference("table", f"table {table} row {index} differs: {', '.join(changes)}")
            )
    found.extend(_result_differences(certified.get("result", {}), current["result"]))
    return found


def _result_differences(old: dict[str, Any], new: dict[str, Any]) -> list[Difference]:
    changes = []
    for key, label in (
        ("tier", "tier"),
        ("total_points", "total points"),
        ("total_percent", "total percent"),
        ("total_max", "maximum"),
    ):
        if old.get(key) != new[key]:
            changes.append(f"{label} {_show(old.get(key))} -> {_show(new[key])}")
    if old.get("tier_title") != new["tier_title"] and old.get("tier") == new["tier"]:
        changes.append(f"tier title {_show(old.get('tier_title'))} -> {_show(new['tier_title'])}")
    old_badges = [b.get("id") for b in old.get("badges", []) if isinstance(b, dict)]
    new_badges = [b["id"] for b in new["badges"]]
    if old.get("badges") != new["badges"]:
        changes.append(f"badges {_show(old_badges)} -> {_show(new_badges)}")
    old_criteria, new_criteria = old.get("criteria", {}), new["criteria"]
    for cid in [*new_criteria, *(c for c in old_criteria if c not in new_criteria)]:
        if old_criteria.get(cid) != new_criteria.get(cid):
            changes.append(
                f"{cid} points {_show(old_criteria.get(cid))} -> {_show(new_criteria.get(cid))}"
            )
    if not changes:
        return []
    return [Difference("result", "result differs: " + "; ".join(changes))]


@dataclass
class Verification:
    """The outcome of :func:`verify`.

    ``trust``: ``trusted`` (signed by a trusted key), ``unchecked`` (signed; no trusted
    keys given), ``unsigned`` (integrity only), or ``invalid``/``untrusted``.
    """

    certificate: CertificateFile
    number: str | None
    digest: str | None
    differences: list[Difference]
    trust: str = "unsigned"
    signer: str | None = None  # the issuer named by the signed data
    key_id: str | None = None
    valid_until: str | None = None
    project_checked: bool = False
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _integrity(file: CertificateFile) -> tuple[Certificate | None, list[Difference], bool]:
    """Data block intact, digest and number consistent. Returns the certificate (None if
    unreadable), the differences, and whether the data itself is intact."""
    assert file.embedded is not None
    payload = file.embedded["payload"]
    claimed = str(file.embedded["digest"])
    try:
        actual = digest_of(payload)
    except (TypeError, ValueError) as exc:
        return None, [Difference("certificate", f"the certificate data was edited ({exc})")], False
    differences: list[Difference] = []
    if actual != claimed:
        differences.append(
            Difference(
                "certificate",
                "the certificate data was edited: its digest does not match its content "
                f"(says {claimed[:16]}…, content gives {actual[:16]}…)",
            )
        )
    signature = file.embedded.get("signature")
    try:
        certificate = Certificate.of(payload, signature if isinstance(signature, dict) else None)
        certificate.shown()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return (
            None,
            [
                *differences,
                Difference("certificate", f"the certificate data was edited (unreadable: {exc})"),
            ],
            False,
        )
    if file.embedded.get("number") != certificate.number:
        differences.append(
            Difference(
                "certificate",
                f"the certificate number {_show(file.embedded.get('number'))} does not belong "
                f"to its digest (expected {certificate.number})",
            )
        )
    return certificate, differences, actual == claimed


def _legacy_text(file: CertificateFile, certificate: Certificate) -> list[Difference]:
    """Format 1: the visible fields as the data says (the documents were laid out by
    earlier templates, so the whole document cannot be rendered again)."""
    expected = certificate.shown()
    expected["digest"] = str(file.embedded["digest"]) if file.embedded else certificate.digest
    return text_differences(file, expected)


def document_differences(
    file: CertificateFile, certificate: Certificate, public_raw: bytes | None = None
) -> list[Difference]:
    """Format 2: the file must be the document greenmark renders from its data block;
    a signed PDF must also carry an intact PDF signature by the same key."""
    from greenmark.reports.render import render_certificate, render_certificate_text
    from greenmark.reports.visible import html_differences, md_differences, pdf_differences

    layout = certificate.payload.get("layout")
    if layout != LAYOUT:
        return [
            Difference(
                "certificate",
                f"the certificate was laid out with templates version {_show(layout)}; this "
                f"greenmark renders version {LAYOUT} and cannot check what it shows",
            )
        ]
    if file.kind == "html":
        found = html_differences(file.text, render_certificate_text(certificate, "html"))
    elif file.kind == "md":
        found = md_differences(file.text, render_certificate_text(certificate, "md"))
    else:
        found = _pdf_differences(file, certificate, public_raw)
        rendered = read_certificate_bytes(file.path, render_certificate(certificate, "pdf"))
        found.extend(pdf_differences(file.pages, rendered.pages))
    return [Difference("certificate", message) for message in found]


def _pdf_differences(
    file: CertificateFile, certificate: Certificate, public_raw: bytes | None
) -> list[str]:
    found = []
    if certificate.digest not in file.keywords:
        found.append("the PDF keywords do not carry the certificate's digest")
    if certificate.signature is not None:
        from greenmark.reports.pdfsign import pdf_signature_problems

        found.extend(pdf_signature_problems(file.raw, public_raw))
    return found


def check_file(
    file: CertificateFile,
    trusted: list[TrustedKey] | None = None,
    today: date | None = None,
) -> tuple[Certificate | None, Verification]:
    """Check a certificate on its own: data block intact, digest and number consistent,
    the signature (against ``trusted`` when given), the document exactly what its data
    renders, and its validity on ``today``. Returns the certificate (None if unreadable)."""
    outcome = Verification(file, None, None, [])
    if file.embedded is None:
        message = f"not a valid greenmark certificate: {file.problem}"
        outcome.differences.append(Difference("certificate", message))
        return None, outcome
    certificate, differences, intact = _integrity(file)
    outcome.differences.extend(differences)
    if certificate is None:
        return None, outcome
    outcome.number, outcome.digest = certificate.number, certificate.digest
    check = check_signature(certificate.payload, file.embedded.get("signature"), trusted)
    outcome.trust, outcome.signer, outcome.key_id = check.status, check.name, check.key_id
    if check.status in ("invalid", "untrusted"):
        outcome.differences.insert(0, Difference("signature", str(check.problem)))
    elif check.status == "unsigned" and trusted is not None:
        outcome.differences.insert(
            0,
            Difference(
                "signature",
                "the certificate is unsigned (integrity check only): it was issued by none "
                "of the trusted keys",
            ),
        )
    if certificate.format == FORMAT_1:
        outcome.notes.append(
            "format 1 (issued before signatures): its visible fields were checked, not "
            "the whole document"
        )
        outcome.differences.extend(_legacy_text(file, certificate))
        return certificate, outcome
    if intact and check.status != "invalid":
        found = document_differences(file, certificate, check.public_raw)
        outcome.differences.extend(found)
        if not found and file.kind == "pdf" and certificate.signature is not None:
            outcome.notes.append("PDF signature: intact, by the same key, nothing added after it")
    outcome.valid_until = str(certificate.payload.get("valid_until"))
    day = today or issue_date()
    try:
        until = date.fromisoformat(outcome.valid_until)
    except ValueError:
        outcome.differences.append(Difference("certificate", "its valid-until date is unreadable"))
        return certificate, outcome
    if until < day:
        outcome.differences.append(
            Difference("expired", f"expired: valid until {format_date(until.isoformat())}")
        )
    return certificate, outcome


def verify(
    certificate_path: str | Path,
    project_path: str | Path | None = None,
    scheme_ref: str | None = None,
    *,
    trusted: list[TrustedKey] | None = None,
    register: str | Path | None = None,
    today: date | None = None,
) -> Verification:
    """Check a certificate: its signature (against ``trusted`` public keys when given),
    the document against its data, its validity on ``today``, its revocation in a
    signed ``register`` export (needs ``trusted``), and, with ``project_path``, the
    payload recomputed from the project and its evidence files."""
    if register is not None and trusted is None:
        raise GreenmarkError(
            "checking against a register export needs the trusted keys (--key or --keys)",
            file=register,
        )
    file = read_certificate(certificate_path)
    certificate, outcome = check_file(file, trusted, today)
    if register is not None and trusted is not None and certificate is not None:
        from greenmark.reports.register import check_against_export

        checked = check_against_export(
            Path(register), trusted, certificate.number, certificate.digest,
            str(certificate.payload.get("issued", "")),
        )  # fmt: skip
        outcome.differences.extend(Difference("register", p) for p in checked.problems)
        if checked.note:
            outcome.notes.append(checked.note)
    if project_path is None:
        return outcome
    from greenmark.core.project import load_project
    from greenmark.core.projectinputs import resolve_inputs
    from greenmark.core.scoring import scheme_for, score_project

    loaded = load_project(project_path)
    scheme = scheme_for(loaded, scheme_ref)
    values = resolve_inputs(loaded, scheme)
    scored = score_project(loaded, scheme)
    outcome.project_checked = True
    if certificate is None:
        return outcome
    current = build_payload(scored, values, certificate.payload.get("issued", ""))
    outcome.differences.extend(payload_differences(certificate.payload, current))
    if certificate.format != FORMAT_1:
        from greenmark.reports.evidence import evidence_differences

        changed = evidence_differences(certificate.payload.get("evidence", []), current["evidence"])
        outcome.differences.extend(Difference("evidence", message) for message in changed)
    return outcome
