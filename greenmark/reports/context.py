"""What a report shows: a project scored and prepared once, then the plain-data contexts
of the certificate and the assessment report (project, scheme, result, sections, gates,
tiers, inputs, the provisional values relied on).

Templates receive these dicts only; :mod:`greenmark.reports.render` turns them into
HTML, Markdown or PDF.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from greenmark.reports.attached import attached_block, stage_text
from greenmark.reports.figures import _charts, _no_charts, _sensitivity_block
from greenmark.reports.prepared import KINDS, Prepared, value_text
from greenmark.reports.text import pretty_unit, total_text

STATUS = {
    "awarded": ("✔", "Awarded"),
    "partial": ("◐", "Partial"),
    "not_met": ("✘", "Not met"),
    "not_assessed": ("?", "Not assessed"),
    "not_applicable": ("–", "Not applicable"),
}


GATE_STATUS = {
    "passed": ("✔", "Passed"),
    "failed": ("✘", "Failed"),
    "not_assessed": ("?", "Not assessed"),
    "not_applicable": ("–", "Not applicable"),
}


def tier_style(tier_id: str | None) -> str:
    """CSS class of a tier: platinum, goldplus, gold, certified, other or none."""
    if tier_id is None:
        return "none"
    key = tier_id.lower().replace("_", "").replace("-", "")
    for name in ("platinum", "goldplus", "gold", "certified"):
        if name in key:
            return name
    return "other"


def _project_block(prepared: Prepared) -> dict[str, Any]:
    info = prepared.scored.loaded.project.project
    summary = prepared.scored.result.project
    return {
        "name": info.name,
        "address": info.address,
        "building_type": (info.building_type or "").replace("_", " "),
        "gross_floor_area": summary.get("gross_floor_area"),
        "stage": info.stage,
        "assessor": info.assessor,
        "reference": info.reference,
        "description": info.description,
        "file": prepared.scored.loaded.path.name,
    }


def _scheme_block(prepared: Prepared) -> dict[str, Any]:
    """The scheme as the assessment shows it; ``superseded``: the one-line notice of a
    legacy scheme (None for a current one)."""
    scheme = prepared.scored.scheme
    return {
        "id": scheme.id,
        "version": scheme.version,
        "title": scheme.scheme.title,
        "scoring": scheme.scheme.scoring,
        "description": scheme.scheme.description,
        "source": scheme.scheme.source,
        "superseded": _superseded_notice(prepared.certificate.payload["scheme"]),
    }


def _superseded_notice(scheme: dict[str, Any]) -> str | None:
    from greenmark.reports.certificate import superseded_notice

    return superseded_notice(scheme)


def _result_block(prepared: Prepared) -> dict[str, Any]:
    result = prepared.scored.result
    percent = result.scoring == "percent"
    return {
        "total_points": float(result.total_points),
        "total_max": float(result.total_max),
        "total_percent": float(result.total_percent),
        "percent_scoring": percent,
        "total_text": total_text(
            result.scoring,
            result.total_points,
            result.total_max,
            result.total_percent,
            result.headline,
        ),
        "tier": None
        if result.tier is None
        else {"id": result.tier, "title": result.tier_title, "style": tier_style(result.tier)},
        "tier_title": result.tier_title or "No tier reached",
        "tier_style": tier_style(result.tier),
        "badges": [{"id": b["id"], "title": b["title"]} for b in result.badges],
    }


def _certificate_block(prepared: Prepared) -> dict[str, Any]:
    certificate = prepared.certificate
    return {
        "number": certificate.number,
        "digest": certificate.digest,
        "issued": certificate.shown()["issued"],
        "issued_iso": certificate.payload["issued"],
        "shown": certificate.shown(),
        "embedded_json": certificate.embedded_json(),
        "fields": dict(_certificate_fields()),
    }


def _certificate_fields() -> dict[str, str]:
    from greenmark.reports.certificate import FIELDS

    return FIELDS


def certificate_context_of(certificate: Any) -> dict[str, Any]:
    """Plain data for ``certificate.*.j2``, from the certificate's embedded block alone
    (payload, digest, number, signature): what is signed is what is shown, and
    ``verify`` renders the same document again from the file's block."""
    payload = certificate.payload
    scheme = payload["scheme"]
    project = payload["project"]
    result = payload["result"]
    shown = certificate.shown()
    issuer = payload.get("issuer")
    return {
        "kind": "certificate",
        "generator": payload["generator"],
        "scheme": {
            "id": scheme["id"],
            "version": scheme["version"],
            "title": scheme["title"],
            "scoring": scheme["scoring"],
            "superseded": _superseded_notice(scheme),
        },
        "project": {
            "name": project["name"],
            "assessor": project["assessor"],
            "stage": project["stage"],
        },
        "result": {
            "tier": result["tier"],
            "tier_style": tier_style(result["tier"]),
            "badges": [{"id": b["id"], "title": b["title"]} for b in result["badges"]],
        },
        "certificate": {
            "number": certificate.number,
            "digest": certificate.digest,
            "issued": shown["issued"],
            "issued_iso": payload["issued"],
            "valid_until_iso": payload["valid_until"],
            "shown": shown,
            "signed": isinstance(issuer, dict),
            "embedded_json": certificate.embedded_json(),
            "fields": dict(_certificate_fields()),
        },
        "provisional_count": int(payload["provisional"]),
    }


def certificate_context(prepared: Prepared) -> dict[str, Any]:
    """Plain data for ``certificate.*.j2`` (see :func:`certificate_context_of`)."""
    return certificate_context_of(prepared.certificate)


def _inputs_block(prepared: Prepared) -> list[dict[str, Any]]:
    from greenmark.calc.registry import table_of

    scheme = prepared.scored.scheme
    given = prepared.scored.loaded.project.inputs
    rows = []
    for name, spec in scheme.inputs.items():
        value = prepared.values.get(name)
        if name in given:
            source = "given"
        elif value is not None and spec.calculator:
            source = f"calculated from {table_of(spec.calculator)}"
        else:
            source = "not given"
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "value": value_text(value, spec),
                "unit": pretty_unit(spec.unit) if value is not None else "",
                "source": source,
                "missing": value is None,
            }
        )
    return rows


def _derived_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    env = prepared.scored.scores.env
    rows = []
    for name, spec in [*scheme.derived.items(), *scheme.metrics.items()]:
        raw = env.get(name)
        value = float(raw[0]) if isinstance(raw, np.ndarray) else raw
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "value": value_text(value) if value is not None else "not given",
                "unit": pretty_unit(spec.unit),
                "formula": spec.formula,
                "missing": value is None or (isinstance(value, float) and math.isnan(value)),
            }
        )
    return rows


def _sections_block(prepared: Prepared) -> list[dict[str, Any]]:
    result = prepared.scored.result
    scheme = prepared.scored.scheme
    responses = prepared.scored.loaded.project.responses
    specs = {c.id: c for c in scheme.criteria}
    sections = []
    for section in result.sections:
        criteria = []
        for c in (c for c in result.criteria if c.section == section.id):
            response = responses.get(c.id)
            spec = specs[c.id]
            mark, label = STATUS[c.status]
            criteria.append(
                {
                    "id": c.id,
                    "title": c.title,
                    "points": c.points,
                    "max_points": c.max_points,
                    "bonus": c.bonus,
                    "status": c.status,
                    "status_mark": mark,
                    "status_label": label,
                    "reason": c.reason,
                    "guidance": spec.guidance,
                    "provisional": not spec.verified,
                    "answer": response.answer if response else "",
                    "evidence": list(response.evidence) if response else [],
                    "notes": response.notes if response else "",
                    "review_state": (response.review_state if response else "open").replace(
                        "_", " "
                    ),
                    "review_comment": response.review_comment if response else "",
                    "ruled_out": bool(response and response.not_applicable),
                }
            )
        max_points = section.max_points
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "points": section.points,
                "max_points": max_points,
                "bonus_points": section.bonus_points,
                "percent": section.percent,
                "floor": section.floor,
                "floor_met": section.floor_met,
                "bar": 0.0 if max_points <= 0 else min(100.0, 100.0 * section.points / max_points),
                "criteria": criteria,
            }
        )
    return sections


def _gates_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    tiers = {t.id: t.title for t in scheme.tiers}
    verified = {g.id: g.verified for g in scheme.gates}
    rows = []
    for gate in prepared.scored.result.gates:
        mark, label = GATE_STATUS[gate.status]
        rows.append(
            {
                "id": gate.id,
                "title": gate.title,
                "status": gate.status,
                "status_mark": mark,
                "status_label": label,
                "from_tier": tiers.get(gate.from_tier or "", "every tier"),
                "reason": gate.reason,
                "provisional": not verified.get(gate.id, True),
            }
        )
    return rows


def _next_tier_block(prepared: Prepared) -> dict[str, Any] | None:
    upcoming = prepared.scored.result.next_tier
    if upcoming is None:
        return None
    return {
        "id": upcoming.id,
        "title": upcoming.title,
        "points_needed": upcoming.points_needed,
        "blocking": [{"kind": b.kind, "id": b.id, "message": b.message} for b in upcoming.blocking],
    }


def _tiers_block(prepared: Prepared) -> list[dict[str, Any]]:
    scheme = prepared.scored.scheme
    reached = int(prepared.scored.scores.tier_index[0])
    return [
        {
            "id": t.id,
            "title": t.title,
            "threshold": t.min_percent if t.min_percent is not None else t.min_points,
            "condition": t.condition or "",
            "reached": i <= reached,
            "style": tier_style(t.id),
        }
        for i, t in enumerate(scheme.tiers)
    ]


def assessment_context(prepared: Prepared, *, charts: bool = True) -> dict[str, Any]:
    """Plain data for ``assessment.*.j2`` (``charts=False``: no SVG, for Markdown)."""
    from greenmark.core.version import __version__

    provisional = prepared.provisional()
    relied = [p for p in provisional if p["relied_on"]]
    movers = _sensitivity_block(prepared)
    context = {
        "kind": "assessment",
        "generator": f"greenmark {__version__}",
        "scheme": _scheme_block(prepared),
        "project": _project_block(prepared),
        "result": _result_block(prepared),
        "certificate": _certificate_block(prepared),
        "sections": _sections_block(prepared),
        "evidence_files": attached_block(prepared),
        "stage_text": stage_text(prepared),
        "groups": list(prepared.scored.result.groups),
        "gates": _gates_block(prepared),
        "tiers": _tiers_block(prepared),
        "next_tier": _next_tier_block(prepared),
        "inputs": _inputs_block(prepared),
        "derived": _derived_block(prepared),
        "provisional": relied,
        "provisional_other": len(provisional) - len(relied),
        "provisional_count": len(relied),
        "charts": _charts(prepared, movers) if charts else _no_charts(),
        "sensitivity": movers,
        "comparison": prepared.comparison,
    }
    return context


def context(prepared: Prepared, kind: str, fmt: str = "html") -> dict[str, Any]:
    """The template context of a report ``kind`` in format ``fmt``."""
    if kind == "certificate":
        return certificate_context(prepared)
    if kind == "assessment":
        return assessment_context(prepared, charts=fmt != "md")
    raise ValueError(f"unknown report kind {kind!r}; expected one of {', '.join(KINDS)}")
