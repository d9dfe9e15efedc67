"""The assessment report's evidence section: per criterion, the files attached (path,
SHA-256, size, date, and whether each still matches) and the scheme's required documents;
and the stage the report reports, with its revision and sign-off."""

from __future__ import annotations

from typing import Any

from greenmark.core.evidence import check
from greenmark.core.stages import label, signed_off
from greenmark.reports.prepared import Prepared

_STATE = {"ok": "unchanged", "changed": "CHANGED since attached", "missing": "MISSING"}


def attached_block(prepared: Prepared) -> list[dict[str, Any]]:
    """``[{"id", "title", "files": [...], "documents": [...]}]`` for criteria with either."""
    loaded = prepared.scored.loaded
    found = check(loaded.project, loaded.path)
    rows = []
    for spec in prepared.scored.scheme.criteria:
        response = loaded.project.responses.get(spec.id)
        ticked = response.documents_received if response else []
        files = [
            {
                "path": f.entry.path,
                "sha256": f.entry.sha256,
                "size": f.entry.size,
                "attached": f.entry.attached.strftime("%Y-%m-%d"),
                "who": f.entry.who,
                "state": f.state,
                "state_label": _STATE[f.state],
            }
            for f in found
            if f.criterion == spec.id
        ]
        documents = [{"name": d, "received": d in ticked} for d in spec.documents]
        if files or documents:
            rows.append(
                {"id": spec.id, "title": spec.title, "files": files, "documents": documents}
            )
    return rows


def stage_text(prepared: Prepared) -> str:
    """The stage a report reports: ``design assessment, revision 2, signed off by R on
    2026-12-06`` (or ``…, not signed off``)."""
    project = prepared.scored.loaded.project
    info = project.project
    signoff = signed_off(project)
    state = f"signed off by {signoff.who} on {signoff.at:%Y-%m-%d}" if signoff else "not signed off"
    return f"{label(info.stage)}, revision {info.revision}, {state}"
