"""Verifiable certificates: canonical form, SHA-256 digest, embedding, issue.

Reading a certificate file back is :mod:`greenmark.reports.reading`; checking it,
:mod:`greenmark.reports.verify`; issuer keys and signatures,
:mod:`greenmark.reports.signing`.

Canonical form (format ``greenmark-certificate/2``)
---------------------------------------------------
The *payload* of a certificate is this JSON object::

    {
      "format":  "greenmark-certificate/2",
      "layout":  2,                 # version of the certificate templates (see LAYOUT)
      "generator": "greenmark X.Y", # the version that issued it
      "issued":  "YYYY-MM-DD",      # date of issue
      "valid_until": "YYYY-MM-DD",  # last day of validity
      "validity": {"years", "default"},  # default: the scheme declares no validity_years
      "issuer":  {"name", "key_id"} or null,  # null: unsigned
      "scheme":  {"id", "version", "title", "scoring"},  # and, for a superseded scheme,
                                  # "superseded_by" (text), "superseded_from" (YYYY-MM-DD)
      "project": {"name", "address", "building_type", "gross_floor_area" (m2),
                  "stage", "revision", "assessor"},  # revision: see LATER_PROJECT_FIELDS
      "inputs":  {name: value},   # every resolved input in the scheme's units, incl. gfa,
                                  # building_type and values calculated from the tables;
                                  # choices as option names, booleans as true/false
      "not_applicable": [criterion ids the assessor ruled out, sorted],
      "tables":  {"facades": [...], "boq": [...], "fittings": [...]},  # rows, all fields
                                  # (but see LATER_FIELDS)
      "result":  {"total_points", "total_max", "total_percent", "tier", "tier_title",
                  "badges": [{"id", "title"}], "criteria": {id: points},
                  "headline": {"id", "label", "value", "unit"} (only when the scheme has one)},
      "provisional": n,           # provisional scheme values the result relies on
      "evidence": [{"path", "sha256", "size"}]  # evidence files, sorted by path
    }

Numbers are rounded to 12 significant digits, and written as integers when whole;
NaN and infinities become ``null``. The canonical text is
``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
encoded as UTF-8, and the **digest** is the SHA-256 of that text, in lowercase hex.
The **certificate number** is ``<SCHEME-ID>-<year of issue>-<digest[0:4]>-<digest[4:8]>-
<digest[8:12]>`` in upper case, so it is bound to the digest too.

Assessor answers and notes are not part of the payload (they document the assessment;
they do not change what is certified); evidence *files* are, by their SHA-256 (see
:mod:`greenmark.reports.evidence`).

Format ``greenmark-certificate/1`` (before signatures) has neither ``layout``,
``generator``, the validity, ``issuer``, ``provisional`` nor ``evidence``; such
certificates are still read and verified, as unsigned ("integrity only").

Embedding
---------
Every certificate carries ``{"format", "digest", "number", "payload"}`` and, when
signed, ``"signature": {"algorithm": "Ed25519", "key_id", "public_key", "value"}`` (the
signature of the canonical text) in machine-readable form:

- HTML: ``<script type="application/json" id="greenmark-certificate">`` (``<``, ``>``
  and ``&`` written as ``\\u003c`` etc., so the block cannot be closed early);
- Markdown: a fenced block whose info string is ``json greenmark-certificate``;
- PDF: an embedded file ``greenmark-certificate.json``; the PDF keywords hold the
  digest and the number.

The visible document is rendered from the embedded block alone
(:func:`greenmark.reports.context.certificate_context_of`), so ``verify`` renders it
again and requires the file to be exactly that document. The digest alone proves only
that a certificate and a project agree; the signature proves who issued it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from greenmark.core.scoring import ProjectScore
from greenmark.reports.text import fmt_number, total_text

if TYPE_CHECKING:  # a type only: prepared.py imports this module
    from greenmark.reports.prepared import Prepared

FORMAT = "greenmark-certificate/2"


#: the format of certificates issued before signatures (read and verified as unsigned)
FORMAT_1 = "greenmark-certificate/1"


FORMATS = (FORMAT_1, FORMAT)


#: Version of the certificate templates (HTML, CSS, Markdown). ``verify`` renders a
#: certificate again and requires the file to be that document, so any change to what
#: the templates produce must raise this number (and keep the old templates for it).
LAYOUT = 2  # 2: a superseded scheme's notice ("This scheme was superseded by ...")


#: years a certificate stays valid when its scheme declares no ``validity_years``
DEFAULT_VALIDITY_YEARS = 3


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
    "issuer": "Issuer",
    "valid_until": "Valid until",
}


#: Table fields added after format 1 was fixed, with the default that keeps the meaning
#: rows had before they existed. At that default a field is left out of the payload, so
#: certificates issued before the field existed still verify; any other value is kept.
LATER_FIELDS: dict[str, dict[str, Any]] = {"boq": {"element": "superstructure"}}


#: Project fields a certificate carries since a later greenmark: one issued before has
#: none of them, shows its stage without them, and is not told apart from its project
#: by them when verified.
LATER_PROJECT_FIELDS = ("revision",)


_SIGNIFICANT = 12


NO_BLOCK = "it has no greenmark certificate data block"


NO_PDF_ATTACHMENT = f"it has no embedded {PDF_ATTACHMENT}"


_NO_BLOCK = (NO_BLOCK, NO_PDF_ATTACHMENT)


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


def add_years(day: date, years: int) -> date:
    """``day`` moved ``years`` years on (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def validity(scored: ProjectScore, issued: str) -> dict[str, Any]:
    """``valid_until`` and ``validity`` of a certificate issued on ``issued``."""
    years = scored.scheme.scheme.validity_years
    default = years is None
    count = DEFAULT_VALIDITY_YEARS if years is None else int(years)
    until = add_years(date.fromisoformat(issued), count)
    return {"valid_until": until.isoformat(), "validity": {"years": count, "default": default}}


@dataclass(frozen=True)
class _ScoredOnly:
    """What :func:`greenmark.reports.provisional.provisional_values` reads of a project."""

    scored: ProjectScore
    values: dict[str, Any]


def _provisional_count(scored: ProjectScore, values: dict[str, Any]) -> int:
    from greenmark.reports.provisional import provisional_values

    found = provisional_values(cast("Prepared", _ScoredOnly(scored, values)))
    return sum(1 for value in found if value["relied_on"])


def build_payload(
    scored: ProjectScore,
    values: dict[str, Any],
    issued: date | str,
    *,
    issuer: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The canonical payload of a scored project (see the module docstring).

    ``values``: the resolved inputs (:func:`greenmark.core.projectinputs.resolve_inputs`);
    ``issuer``: ``{"name", "key_id"}`` of the key that will sign it (None: unsigned).
    """
    from greenmark.core.version import __version__
    from greenmark.reports.evidence import evidence_files

    result = scored.result
    project = scored.loaded.project
    info = project.project
    summary = result.project
    day = issued.isoformat() if isinstance(issued, date) else str(issued)
    payload = {
        "format": FORMAT,
        "layout": LAYOUT,
        "generator": f"greenmark {__version__}",
        "issued": day,
        **validity(scored, day),
        "issuer": None if issuer is None else {"name": issuer["name"], "key_id": issuer["key_id"]},
        "scheme": {
            "id": result.scheme_id,
            "version": result.scheme_version,
            "title": result.scheme_title,
            "scoring": result.scoring,
            **_superseded(scored),
        },
        "project": {
            "name": info.name,
            "address": info.address,
            "building_type": info.building_type,
            "gross_floor_area": summary.get("gross_floor_area"),
            "stage": info.stage,
            "revision": info.revision,
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
            **({"headline": result.headline} if result.headline is not None else {}),
        },
        "provisional": _provisional_count(scored, values),
        "evidence": evidence_files(scored.loaded.path, project.responses),
    }
    value = canonical_value(payload)
    assert isinstance(value, dict)
    return value


def _superseded(scored: ProjectScore) -> dict[str, Any]:
    """``superseded_by`` / ``superseded_from`` of a legacy scheme (nothing for a current one,
    so the payload of a current scheme's certificate is as it was)."""
    info = scored.scheme.scheme
    if not info.superseded_by:
        return {}
    found: dict[str, Any] = {"superseded_by": info.superseded_by}
    if info.superseded_from is not None:
        found["superseded_from"] = info.superseded_from.isoformat()
    return found


def superseded_notice(scheme: dict[str, Any]) -> str | None:
    """``This scheme was superseded by X from 1 November 2021.`` for a payload's (or a
    report's) scheme block holding ``superseded_by`` (and ``superseded_from``); else None."""
    by = scheme.get("superseded_by")
    if not by:
        return None
    since = scheme.get("superseded_from")
    when = f" from {format_date(since)}" if since else ""
    return f"This scheme was superseded by {by}{when}."


def _row(table: str, row: Any) -> dict[str, Any]:
    """A table row as the payload holds it: every field, less later fields at their default."""
    data: dict[str, Any] = row.model_dump(mode="json")
    for name, default in LATER_FIELDS.get(table, {}).items():
        if data.get(name) == default:
            del data[name]
    return data


def format_date(iso: str) -> str:
    """``2026-11-25`` -> ``25 November 2026``."""
    day = date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%B')} {day.year}"


def issuer_text(payload: dict[str, Any]) -> str:
    """``Issued by NAME · key KEYID``, or that the certificate is unsigned."""
    issuer = payload.get("issuer")
    if not isinstance(issuer, dict):
        return "Unsigned — integrity check only"
    return f"Issued by {issuer['name']} · key {issuer['key_id']}"


def valid_until_text(payload: dict[str, Any]) -> str:
    """``25 November 2029``, with ``(default: 3 years)`` when the scheme sets none."""
    shown = format_date(payload["valid_until"])
    validity = payload.get("validity") or {}
    if validity.get("default"):
        years = validity.get("years", DEFAULT_VALIDITY_YEARS)
        shown += f" (default: {years} years)"
    return shown


def shown_stage(project: dict[str, Any]) -> str:
    """The stage a certificate shows: ``design, revision 2`` (the stage alone for a
    certificate issued before revisions were certified)."""
    revision = project.get("revision")
    return project["stage"] if revision is None else f"{project['stage']}, revision {revision}"


def shown_fields(payload: dict[str, Any], digest: str, number: str) -> dict[str, str]:
    """The exact text of every visible field of a certificate (see :data:`FIELDS`); a
    format 1 payload has no issuer or validity fields."""
    project = payload["project"]
    scheme = payload["scheme"]
    result = payload["result"]
    total = total_text(
        scheme.get("scoring", "points"),
        result["total_points"],
        result["total_max"],
        result["total_percent"],
        result.get("headline"),
    )
    gfa = project.get("gross_floor_area")
    later = {}
    if payload.get("format") != FORMAT_1:
        later = {"issuer": issuer_text(payload), "valid_until": valid_until_text(payload)}
    return {
        "name": project["name"],
        "address": project["address"] or "–",
        "building_type": (project["building_type"] or "–").replace("_", " "),
        "gfa": "–" if gfa is None else f"{fmt_number(gfa, 0)} m²",
        "stage": shown_stage(project),
        "tier": result["tier_title"] or "No tier reached",
        "badges": " · ".join(b["title"] for b in result["badges"]) or "No badges",
        "total": total,
        "scheme": scheme["title"],
        "version": f"{scheme['id']} {scheme['version']}",
        "assessor": project["assessor"] or "–",
        "issued": format_date(payload["issued"]),
        "number": number,
        "digest": digest,
        **later,
    }


@dataclass(frozen=True)
class Certificate:
    """A certificate's payload, digest and number, and its signature when signed."""

    payload: dict[str, Any]
    digest: str
    number: str
    signature: dict[str, str] | None = None

    @classmethod
    def of(cls, payload: dict[str, Any], signature: dict[str, str] | None = None) -> Certificate:
        digest = digest_of(payload)
        return cls(
            payload,
            digest,
            certificate_number(payload["scheme"]["id"], payload["issued"], digest),
            signature,
        )

    @property
    def format(self) -> str:
        return str(self.payload.get("format", FORMAT))

    def embedded(self) -> dict[str, Any]:
        """What the certificate file carries in machine-readable form."""
        block: dict[str, Any] = {
            "format": self.format,
            "digest": self.digest,
            "number": self.number,
            "payload": self.payload,
        }
        if self.signature is not None:
            block["signature"] = dict(self.signature)
        return block

    def embedded_json(self) -> str:
        """The embedded block as HTML-safe canonical JSON (one line)."""
        return html_safe_json(canonical_json(self.embedded()))

    def shown(self) -> dict[str, str]:
        return shown_fields(self.payload, self.digest, self.number)


def issue(
    scored: ProjectScore,
    values: dict[str, Any],
    issued: date | str,
    *,
    issuer: dict[str, str] | None = None,
) -> Certificate:
    """The (unsigned) certificate of a scored project, issued on ``issued``; sign it
    with :func:`greenmark.reports.signing.sign_certificate`."""
    return Certificate.of(build_payload(scored, values, issued, issuer=issuer))
