"""In-process helpers: bind a mapping written as text and score a table of text cells."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from greenmark.core.model import Scheme
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.chunk import ChunkResult, Plan, score_chunk
from greenmark.portfolio.mapping import bind, load_mapping


def scheme(scheme_id: str = "gm-eb") -> Scheme:
    return load_scheme(resolve_scheme(scheme_id))


def plan_from(tmp_path: Path, mapping_text: str, scheme_id: str = "gm-eb") -> Plan:
    path = tmp_path / "mapping.toml"
    path.write_text(mapping_text, encoding="utf-8")
    found = scheme(scheme_id)
    return Plan.from_binding(found, bind(load_mapping(path), found))


def score_text(plan: Plan, columns: dict[str, list[str | None]]) -> ChunkResult:
    """Score a table whose cells are strings, as a CSV would give them."""
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    return score_chunk(plan, table, "test.csv")


def column(result: ChunkResult, name: str) -> list[object]:
    return result.results.column(name).to_pylist()
