"""Per-building detail columns of the batch results, built with whole-array numpy work.

``--detail criteria`` adds, per criterion, its points (``pts_<id>``) and status
(``st_<id>``: awarded, partial, not_met, not_assessed, not_applicable), and per
gate its result (``gate_<id>``: passed, failed, not_assessed, not_applicable).
Every row also gets ``blocking``: the first thing keeping the building from the
next tier, in the order an assessor would look (a gate of that tier, a section
or group floor, the tier's own condition, then points), or empty at the top
tier. Status and gate columns are Arrow dictionaries: a few bytes per cell.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from greenmark.core.engine import GateStatus, Scores, Status
from greenmark.core.model import Scheme

STATUS_LABELS = [s.label for s in sorted(Status, key=int)]
GATE_LABELS = [g.label for g in sorted(GateStatus, key=int)]
LABEL_TYPE = pa.dictionary(pa.int8(), pa.string())


def detail_fields(scheme: Scheme) -> list[tuple[str, pa.DataType]]:
    """The ``--detail criteria`` columns, in scheme order."""
    fields: list[tuple[str, pa.DataType]] = []
    for criterion in scheme.criteria:
        fields += [(f"pts_{criterion.id}", pa.float64()), (f"st_{criterion.id}", LABEL_TYPE)]
    fields += [(f"gate_{gate.id}", LABEL_TYPE) for gate in scheme.gates]
    return fields


def _labels(codes: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int8)), pa.array(labels, pa.string())
    )


def detail_columns(scores: Scores, digits: int) -> dict[str, pa.Array]:
    """Per-criterion points and status, per-gate result, for every scored building."""
    scheme = scores.scheme
    columns: dict[str, pa.Array] = {}
    points = np.round(scores.points, digits)
    for c, criterion in enumerate(scheme.criteria):
        columns[f"pts_{criterion.id}"] = pa.array(points[:, c])
        columns[f"st_{criterion.id}"] = _labels(scores.status[:, c], STATUS_LABELS)
    for g, gate in enumerate(scheme.gates):
        columns[f"gate_{gate.id}"] = _labels(scores.gate_status[:, g], GATE_LABELS)
    return columns


def blocking(scores: Scores) -> pa.Array:
    """The first thing blocking each building's next tier ("" at the top tier)."""
    scheme = scores.scheme
    compiled = scores.compiled
    size = scores.size
    tiers = len(scheme.tiers)
    following = scores.tier_index.astype(np.int64) + 1
    messages: list[str] = [""]  # code 0: nothing (top tier)
    code = np.zeros(size, dtype=np.int64)
    undecided = following < tiers

    def take(mask: np.ndarray, message: str) -> None:
        nonlocal undecided
        hit = undecided & mask
        if hit.any():
            messages.append(message)
            code[hit] = len(messages) - 1
            undecided = undecided & ~hit

    for g, gate in enumerate(compiled.gates):
        applies = gate.rank <= following
        status = scores.gate_status[:, g]
        title = scheme.gates[g].title
        take(applies & (status == GateStatus.FAILED), f"gate {gate.id} failed: {title}")
        take(applies & (status == GateStatus.NOT_ASSESSED), f"gate {gate.id} not assessed: {title}")
    parts = [(s.id, s.title) for s in scheme.sections] + [(g.id, g.title) for g in scheme.groups]
    for f, (part, title) in enumerate(parts):
        take(~scores.floor_ok[:, f].astype(bool), f"floor of {part}: {title}")
    for t, tier in enumerate(scheme.tiers):
        own = ~scores.tier_ok[:, t].astype(bool)
        take(own & (following == t) & ~(scores.points_needed > 0), f"condition of {tier.id}")
    take(np.ones(size, dtype=bool), "points")
    return pa.DictionaryArray.from_arrays(
        pa.array(code.astype(np.int32)), pa.array(messages, pa.string())
    )
