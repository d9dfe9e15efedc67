"""``verify``: a certificate file against its own digest and visible text, then against
the project re-scored now; every difference named."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenmark.reports.certificate import (
    FIELDS,
    LATER_FIELDS,
    Certificate,
    build_payload,
    digest_of,
)
from greenmark.reports.reading import CertificateFile, normal_text, read_certificate


@dataclass(frozen=True)
class Difference:
    """One thing that differs: ``kind`` is certificate, scheme, project, input, table or
    result."""

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
    """The outcome of :func:`verify`."""

    certificate: CertificateFile
    number: str | None
    digest: str | None
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def check_file(file: CertificateFile) -> tuple[Certificate | None, list[Difference]]:
    """Check a certificate on its own: data block intact, digest and number consistent,
    visible text as the data says. Returns the certificate (None if unreadable)."""
    if file.embedded is None:
        message = f"not a valid greenmark certificate: {file.problem}"
        return None, [Difference("certificate", message)]
    payload = file.embedded["payload"]
    claimed = str(file.embedded["digest"])
    try:
        actual = digest_of(payload)
    except (TypeError, ValueError) as exc:
        return None, [Difference("certificate", f"the certificate data was edited ({exc})")]
    differences: list[Difference] = []
    if actual != claimed:
        differences.append(
            Difference(
                "certificate",
                "the certificate data was edited: its digest does not match its content "
                f"(says {claimed[:16]}…, content gives {actual[:16]}…)",
            )
        )
    try:
        certificate = Certificate.of(payload)
        expected = certificate.shown()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, [
            *differences,
            Difference("certificate", f"the certificate data was edited (unreadable: {exc})"),
        ]
    if file.embedded.get("number") != certificate.number:
        differences.append(
            Difference(
                "certificate",
                f"the certificate number {_show(file.embedded.get('number'))} does not belong "
                f"to its digest (expected {certificate.number})",
            )
        )
    # the visible text must show what the certified payload says, with its claimed digest
    expected["digest"] = claimed if actual != claimed else certificate.digest
    differences.extend(text_differences(file, expected))
    return certificate, differences


def verify(
    certificate_path: str | Path, project_path: str | Path, scheme_ref: str | None = None
) -> Verification:
    """Recompute the payload and digest from the project and compare with the certificate."""
    from greenmark.core.project import load_project, resolve_inputs
    from greenmark.core.scoring import scheme_for, score_project

    file = read_certificate(certificate_path)
    certificate, differences = check_file(file)
    loaded = load_project(project_path)
    scheme = scheme_for(loaded, scheme_ref)
    values = resolve_inputs(loaded, scheme)
    scored = score_project(loaded, scheme)
    if certificate is None:
        return Verification(file, None, None, differences)
    current = build_payload(scored, values, certificate.payload.get("issued", ""))
    differences.extend(payload_differences(certificate.payload, current))
    if not differences and digest_of(current) != certificate.digest:  # pragma: no cover
        differences.append(Difference("certificate", "the digest differs"))
    return Verification(file, certificate.number, certificate.digest, differences)
