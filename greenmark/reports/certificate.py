"""Verifiable certificates: canonical form, SHA-256 digest, embedding and verification.

Canonical form (format ``greenmark-certificate/1``)
---------------------------------------------------
The *payload* of a certificate is this JSON object::

    {
      "format":  "greenmark-certificate/1",
      "issued":  "YYYY-MM-DD",                         # date of issue
      "scheme":  {"id", "version", "title", "scoring"},
      "project": {"name", "address", "building_type", "gross_floor_area" (m2),
                  "stage", "assessor"},
      "inputs":  {name: value},   # every resolved input in the scheme's units, incl. gfa,
                                  # building_type and values calculated from the tables;
                                  # choices as option names, booleans as true/false
      "not_applicable": [criterion ids the assessor ruled out, sorted],
      "tables":  {"facades": [...], "boq": [...], "fittings": [...]},  # rows, all fields
                                  # (but see LATER_FIELDS)
      "result":  {"total_points", "total_max", "total_percent", "tier", "tier_title",
                  "badges": [{"id", "title"}], "criteria": {id: points}}
    }

Numbers are rounded to 12 significant digits, and written as integers when whole;
NaN and infinities become ``null``. The canonical text is
``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
encoded as UTF-8, and the **digest** is the SHA-256 of that text, in lowercase hex.
The **certificate number** is ``<SCHEME-ID>-<year of issue>-<digest[0:4]>-<digest[4:8]>-
<digest[8:12]>`` in upper case, so it is bound to the digest too.

Assessor answers, evidence and notes are not part of the payload (they document the
assessment; they do not change what is certified).

Embedding
---------
Every certificate carries ``{"format", "digest", "number", "payload"}`` in
machine-readable form:

- HTML: ``<script type="application/json" id="greenmark-certificate">`` (``<``, ``>``
  and ``&`` written as ``\\u003c`` etc., so the block cannot be closed early);
- Markdown: a fenced block whose info string is ``json greenmark-certificate``;
- PDF: an embedded file ``greenmark-certificate.json``; the PDF keywords hold the
  digest and the number.

The visible fields (building, tier, badges, total, number, date, digest…) are marked
``data-gm="<field>"`` in HTML and are the rows of the Markdown table; ``verify`` checks
that each shows exactly what the payload says. The digest proves that a certificate
and a project agree; it is not a signature: whoever can run greenmark can issue one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.core.scoring import ProjectScore

FORMAT = "greenmark-certificate/1"
SCRIPT_ID = "greenmark-certificate"
MD_INFO = "json greenmark-certificate"
PDF_ATTACHMENT = "greenmark-certificate.json"

#: visible fields and their labels, in the order a certificate shows them
FIELDS: dict[str, str] = {
    "name": "Building",
    "address": "Address",
    "building_type": "Building type",
    "gfa": "Gross floor area",
    "stage": "Stage",
    "tier": "Tier",
    "badges": "Badges",
    "total": "Score",
    "scheme": "Scheme",
    "version": "Scheme version",
    "assessor": "Assessor",
    "issued": "Date of issue",
    "number": "Certificate number",
    "digest": "Verification digest (SHA-256)",
}

#: Table fields added after format 1 was fixed, with the default that keeps the meaning
#: rows had before they existed. At that default a field is left out of the payload, so
#: certificates issued before the field existed still verify; any other value is kept.
LATER_FIELDS: dict[str, dict[str, Any]] = {"boq": {"element": "superstructure"}}

_SIGNIFICANT = 12

NO_BLOCK = "it has no greenmark certificate data block"
NO_PDF_ATTACHMENT = f"it has no embedded {PDF_ATTACHMENT}"
_NO_BLOCK = (NO_BLOCK, NO_PDF_ATTACHMENT)


# --------------------------------------------------------------------------- canonical form


def canonical_value(value: Any) -> Any:
    """``value`` normalised for the canonical form (numbers rounded, tuples as lists)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) or hasattr(value, "__float__"):
        number = float(value)
        if not math.isfinite(number):
            return None
        number = float(f"{number:.{_SIGNIFICANT}g}")
        if number.is_integer() and abs(number) < 1e15:
            return int(number)
        return number
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a certificate")


def canonical_json(payload: dict[str, Any]) -> str:
    """The canonical text of a payload: sorted keys, compact separators, UTF-8."""
    return json.dumps(
        canonical_value(payload),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def digest_of(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical text of ``payload``, lowercase hex (64 characters)."""
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def certificate_number(scheme_id: str, issued: str, digest: str) -> str:
    """``DEMO-2026-3F9A-C21B-77E0``: scheme, year of issue and the digest's first 12 hex."""
    year = issued[:4]
    return f"{scheme_id}-{year}-{digest[0:4]}-{digest[4:8]}-{digest[8:12]}".upper()


def html_safe_json(text: str) -> str:
    """JSON text that is safe inside ``<script>`` and shows no markup (same JSON value)."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def build_payload(
    scored: ProjectScore, values: dict[str, Any], issued: date | str
) -> dict[str, Any]:
    """The canonical payload of a scored project (see the module docstring).

    ``values``: the resolved inputs (:func:`greenmark.core.project.resolve_inputs`).
    """
    result = scored.result
    project = scored.loaded.project
    info = project.project
    summary = result.project
    payload = {
        "format": FORMAT,
        "issued": issued.isoformat() if isinstance(issued, date) else str(issued),
        "scheme": {
            "id": result.scheme_id,
            "version": result.scheme_version,
            "title": result.scheme_title,
            "scoring": result.scoring,
        },
        "project": {
            "name": info.name,
            "address": info.address,
            "building_type": info.building_type,
            "gross_floor_area": summary.get("gross_floor_area"),
            "stage": info.stage,
            "assessor": info.assessor,
        },
        "inputs": dict(values),
        "not_applicable": sorted(cid for cid, r in project.responses.items() if r.not_applicable),
        "tables": {
            table: [_row(table, row) for row in getattr(project, table)]
            for table in ("facades", "boq", "fittings")
        },
        "result": {
            "total_points": round(result.total_points, 4),
            "total_max": round(result.total_max, 4),
            "total_percent": round(result.total_percent, 4),
            "tier": result.tier,
            "tier_title": result.tier_title,
            "badges": [{"id": b["id"], "title": b["title"]} for b in result.badges],
            "criteria": {c.id: round(c.points, 4) for c in result.criteria},
        },
    }
    value = canonical_value(payload)
    assert isinstance(value, dict)
    return value


# --------------------------------------------------------------------------- display


def _row(table: str, row: Any) -> dict[str, Any]:
    """A table row as the payload holds it: every field, less later fields at their default."""
    data: dict[str, Any] = row.model_dump(mode="json")
    for name, default in LATER_FIELDS.get(table, {}).items():
        if data.get(name) == default:
            del data[name]
    return data


def _number(value: Any, digits: int = 1) -> str:
    from greenmark.reports.text import fmt_number

    return fmt_number(value, digits)


def total_text(scoring: str, points: float, maximum: float, percent: float) -> str:
    """The score as a certificate shows it (see :func:`greenmark.reports.text.total_text`)."""
    from greenmark.reports.text import total_text as text

    return text(scoring, points, maximum, percent)


def format_date(iso: str) -> str:
    """``2026-11-25`` -> ``25 November 2026``."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def shown_fields(payload: dict[str, Any], digest: str, number: str) -> dict[str, str]:
    """The exact text of every visible field of a certificate (see :data:`FIELDS`)."""
    project = payload["project"]
    scheme = payload["scheme"]
    result = payload["result"]
    total = total_text(
        scheme.get("scoring", "points"),
        result["total_points"],
        result["total_max"],
        result["total_percent"],
    )
    gfa = project.get("gross_floor_area")
    return {
        "name": project["name"],
        "address": project["address"] or "–",
        "building_type": (project["building_type"] or "–").replace("_", " "),
        "gfa": "–" if gfa is None else f"{_number(gfa, 0)} m²",
        "stage": project["stage"],
        "tier": result["tier_title"] or "No tier reached",
        "badges": " · ".join(b["title"] for b in result["badges"]) or "No badges",
        "total": total,
        "scheme": scheme["title"],
        "version": f"{scheme['id']} {scheme['version']}",
        "assessor": project["assessor"] or "–",
        "issued": format_date(payload["issued"]),
        "number": number,
        "digest": digest,
    }


@dataclass(frozen=True)
class Certificate:
    """A certificate's payload, digest and number."""

    payload: dict[str, Any]
    digest: str
    number: str

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Certificate:
        digest = digest_of(payload)
        return cls(
            payload, digest, certificate_number(payload["scheme"]["id"], payload["issued"], digest)
        )

    def embedded(self) -> dict[str, Any]:
        """What the certificate file carries in machine-readable form."""
        return {
            "format": FORMAT,
            "digest": self.digest,
            "number": self.number,
            "payload": self.payload,
        }

    def embedded_json(self) -> str:
        """The embedded block as HTML-safe canonical JSON (one line)."""
        return html_safe_json(canonical_json(self.embedded()))

    def shown(self) -> dict[str, str]:
        return shown_fields(self.payload, self.digest, self.number)


def issue(scored: ProjectScore, values: dict[str, Any], issued: date | str) -> Certificate:
    """The certificate of a scored project, issued on ``issued``."""
    return Certificate.of(build_payload(scored, values, issued))


# --------------------------------------------------------------------------- reading


@dataclass
class CertificateFile:
    """What a certificate file says: its embedded block and its visible fields."""

    path: Path
    kind: str  # html | md | pdf
    embedded: dict[str, Any] | None
    shown: dict[str, str]  # field -> visible text (html/md); empty for pdf
    text: str  # the visible text (pdf: extracted; others: unused but kept)
    keywords: str = ""
    problem: str | None = None  # why the embedded block could not be read


class _CertificateHTML(HTMLParser):
    """Collects the ``data-gm`` fields and the JSON block of an HTML certificate."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "param",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self.blocks: list[str] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, field)
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("id") == SCRIPT_ID:
            self._script = []
            return
        if tag in self.VOID:
            return
        field = attributes.get("data-gm")
        self._open.append((tag, field))
        if field is not None:
            self.fields.setdefault(field, []).append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._script is not None and tag == "script":
            self.blocks.append("".join(self._script))
            self._script = None
            return
        if tag in self.VOID:
            return
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        for _, field in self._open:
            if field is not None:
                self.fields[field][-1] += data


def _normal(text: str) -> str:
    return " ".join(text.split())


_MD_UNESCAPE = re.compile(r"\\(.)")
_MD_ROW = re.compile(r"^\|\s*(?P<label>[^|]+?)\s*\|\s*(?P<value>.*?)\s*\|\s*$")


def md_unescape(text: str) -> str:
    """Undo :func:`greenmark.reports.text.md_escape` (backslash escapes and entities)."""
    text = _MD_UNESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _md_value(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith("**") and cell.endswith("**") and len(cell) >= 4:
        cell = cell[2:-2]
    if cell.startswith("`") and cell.endswith("`"):
        return cell.strip("`").strip()
    # a cell may hold the escaped pipe "\|": split only on unescaped pipes above
    return md_unescape(cell)


def _parse_block(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"its data block is not valid JSON ({exc.msg})"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, f"its data block is not a {FORMAT} block"
    if not isinstance(data.get("payload"), dict) or not isinstance(data.get("digest"), str):
        return None, "its data block lacks the payload or the digest"
    return data, None


class NotACertificate(GreenmarkError):
    """A file that cannot be read as a greenmark certificate at all (exit code 2)."""

    def __init__(self, file: Path, why: str) -> None:
        super().__init__(f"not a greenmark certificate: {why}", file=file)


def read_certificate(path: str | Path) -> CertificateFile:
    """Read an HTML, Markdown or PDF certificate (kind by content, not by name).

    Raises :class:`NotACertificate` for a file that is no certificate at all: a folder,
    an empty file, binary data, a PDF that cannot be read, a file without the data block.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=file) from None
    except IsADirectoryError:
        raise NotACertificate(file, "it is a folder") from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror}", file=file) from None
    read = _read(file, raw)
    if read.embedded is None and read.problem in _NO_BLOCK:
        raise NotACertificate(file, read.problem)
    return read


def _read(file: Path, raw: bytes) -> CertificateFile:
    if not raw.strip():
        raise NotACertificate(file, "the file is empty")
    if raw.startswith(b"%PDF"):
        return _read_pdf(file, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACertificate(file, "neither a PDF nor UTF-8 text") from None
    head = text.lstrip()[:200].lower()
    if head.startswith("<!doctype html") or head.startswith("<html"):
        return _read_html(file, text)
    return _read_md(file, text)


def _read_html(file: Path, text: str) -> CertificateFile:
    parser = _CertificateHTML()
    parser.feed(text)
    parser.close()
    shown: dict[str, str] = {}
    for field, occurrences in parser.fields.items():
        values = {_normal(v) for v in occurrences}
        # a field shown twice with different text keeps the odd one out for the message
        shown[field] = values.pop() if len(values) == 1 else " | ".join(sorted(values))
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_BLOCK
    if len(parser.blocks) > 1:
        problem = "it has more than one certificate data block"
    elif parser.blocks:
        embedded, problem = _parse_block(parser.blocks[0])
    return CertificateFile(file, "html", embedded, shown, text, problem=problem)


def _read_md(file: Path, text: str) -> CertificateFile:
    lines = text.splitlines()
    shown: dict[str, str] = {}
    labels = {label: field for field, label in FIELDS.items()}
    block: list[str] | None = None
    blocks: list[str] = []
    for line in lines:
        stripped = line.strip()
        if block is not None:
            if stripped.startswith("```"):
                blocks.append("\n".join(block))
                block = None
            else:
                block.append(line)
            continue
        if stripped.startswith("```") and stripped[3:].strip() == MD_INFO:
            block = []
            continue
        row = _MD_ROW.match(_protect_pipes(stripped))
        if row:
            label = md_unescape(row["label"].strip("*").strip())
            field = labels.get(label)
            if field is not None:
                value = _normal(_md_value(row["value"].replace("\x00", "\\|")))
                shown[field] = value if field not in shown else f"{shown[field]} | {value}"
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_BLOCK
    if len(blocks) > 1:
        problem = "it has more than one certificate data block"
    elif blocks:
        embedded, problem = _parse_block(blocks[0])
    return CertificateFile(file, "md", embedded, shown, text, problem=problem)


def _protect_pipes(line: str) -> str:
    return line.replace("\\|", "\x00")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's log lines (e.g. "EOF marker not found") and warnings off the terminal
    while the block runs: a damaged file gets one clear message instead."""
    logger = logging.getLogger("pypdf")
    handler = logging.NullHandler()
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def _read_pdf(file: Path, raw: bytes) -> CertificateFile:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a dev dependency
        raise GreenmarkError(
            "verifying a PDF certificate needs pypdf (pip install pypdf); "
            "HTML and Markdown certificates need nothing more",
            file=file,
        ) from None
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(raw))
            text = "\n".join(page.extract_text() or "" for page in reader.pages)
            attachments: dict[str, list[bytes]] = dict(reader.attachments)
            metadata = reader.metadata
            keywords = str(metadata.get("/Keywords", "") or "") if metadata is not None else ""
        except Exception as exc:  # pypdf raises many kinds on damaged files
            why = str(exc) or type(exc).__name__
            raise NotACertificate(file, f"the PDF is damaged or truncated ({why})") from None
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_PDF_ATTACHMENT
    found = attachments.get(PDF_ATTACHMENT)
    if found:
        try:
            embedded, problem = _parse_block(found[0].decode("utf-8"))
        except UnicodeDecodeError:
            problem = f"its {PDF_ATTACHMENT} is not UTF-8"
    return CertificateFile(file, "pdf", embedded, {}, text, keywords=keywords, problem=problem)


# --------------------------------------------------------------------------- verification


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
        flat = _normal(file.text)
        for field, value in expected.items():
            pattern = re.escape(_normal(value)) + r"(?![\w-])"
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
        elif shown != _normal(value):
            found.append(
                Difference(
                    "certificate",
                    f"the certificate text was edited: {FIELDS[field].lower()} shows "
                    f"{_show(shown)}, the certified data says {_show(_normal(value))}",
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
