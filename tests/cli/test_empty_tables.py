"""Empty is not perfect: a calculated input from an empty or all-zero table is "not
assessed" with a reason, never full marks (a 0 m3 BoQ row once gave the concrete usage
index all its points)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_paths import CRITERIA

from greenmark.calc.registry import calculate, not_calculated_reason, superstructure_concrete_m3
from greenmark.calc.tables import embodied_carbon_table
from greenmark.core.engine import Status
from greenmark.core.explain import Explainer
from greenmark.core.project import BoqLine
from greenmark.core.scheme import load_scheme
from greenmark.core.scoring import compiled
from greenmark.design.whatif import score_values

PROJECT = """
[project]
name = "Empty BoQ"
scheme = "gm-nrb"
building_type = "office"
gross_floor_area = 10000
stage = "design"
"""
ZERO_ROW = """
[[boq]]
material = "concrete_c40_50"
quantity = 0
unit = "m3"
"""
CUI = "NRB-3-1a"  # the concrete usage index criterion of gm-nrb
CARBON = "NRB-3-1b"  # embodied carbon computed (from the BoQ)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "project.toml"
    path.write_text(PROJECT + text, encoding="utf-8")
    return path


def _criteria(cli: Any, path: Path) -> dict[str, dict[str, Any]]:
    done = cli("score", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["criteria"]}


def test_a_zero_boq_row_is_not_assessed_with_a_reason(cli, tmp_path):
    criteria = _criteria(cli, _write(tmp_path, ZERO_ROW))
    for cid in (CUI, CARBON):
        assert criteria[cid]["status"] == "not_assessed"
        assert criteria[cid]["points"] == 0
    assert "bill of quantities has no superstructure concrete" in criteria[CUI]["reason"]
    assert "[[" not in criteria[CUI]["reason"], "plain words, no table syntax"
    assert "concrete_usage_index not given and not calculable" in criteria[CUI]["reason"]
    assert "embodied_carbon not given and not calculable" in criteria[CARBON]["reason"]


def test_the_reason_shows_in_the_terminal_table(cli, tmp_path):
    done = cli("score", str(_write(tmp_path, ZERO_ROW)), columns=240)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    at = next(k for k, row in enumerate(lines) if CUI in row)
    shown = " ".join(" ".join(lines[at : at + 3]).replace("│", " ").split())
    assert "concrete_usage_index not given and not calculable" in shown
    assert "(no rows, or only rows of 0)" in shown


def test_an_empty_table_and_only_substructure_concrete_are_not_assessed_either(cli, tmp_path):
    assert _criteria(cli, _write(tmp_path, ""))[CUI]["status"] == "not_assessed"
    below = ZERO_ROW.replace("quantity = 0", "quantity = 900") + 'element = "substructure"\n'
    criteria = _criteria(cli, _write(tmp_path, below))
    assert criteria[CUI]["status"] == "not_assessed"
    assert criteria[CARBON]["status"] != "not_assessed", "substructure counts for carbon"


def test_a_real_row_next_to_a_zero_row_is_scored(cli, tmp_path):
    real = ZERO_ROW.replace("quantity = 0", "quantity = 4500")
    criteria = _criteria(cli, _write(tmp_path, ZERO_ROW + real))
    assert criteria[CUI]["status"] != "not_assessed"
    assert "0.45" in criteria[CUI]["reason"]  # 4500 m3 / 10000 m2


def test_a_value_given_directly_still_counts(cli, tmp_path):
    text = "\n[inputs]\nconcrete_usage_index = 0.3\n" + ZERO_ROW
    assert _criteria(cli, _write(tmp_path, text))[CUI]["status"] == "awarded"


# ------------------------------------------------------------------ properties


@dataclass
class _Tables:
    boq: list[BoqLine]
    facades: list[Any] = field(default_factory=list)
    fittings: list[Any] = field(default_factory=list)


def _lines() -> Any:
    table = embodied_carbon_table()
    density = table.arrays()[1]
    materials = list(table.keys)

    @st.composite
    def line(draw: Any) -> BoqLine:
        material = draw(st.sampled_from(materials))
        units = ["kg", "t"] + (["m3"] if math.isfinite(density[materials.index(material)]) else [])
        return BoqLine(
            material=material,
            quantity=draw(st.one_of(st.just(0.0), st.floats(0.0, 1e5))),
            unit=draw(st.sampled_from(units)),
            element=draw(st.sampled_from(["superstructure", "substructure"])),
        )

    return st.lists(line(), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines(), gfa=st.floats(1.0, 1e6))
def test_no_value_without_quantities_and_never_zero(lines, gfa):
    tables = _Tables(lines)
    cui = calculate("concrete_usage_index", tables, gfa)
    concrete = superstructure_concrete_m3(lines) if lines else 0.0
    assert (cui is None) == (not concrete / gfa > 0)  # 5e-324 m3 over 2 m2 is no concrete
    if cui is not None:
        assert cui[0] > 0
    carbon = calculate("embodied_carbon_intensity", tables, gfa)
    assert (carbon is None) == (not any(line.quantity > 0 for line in lines))


@pytest.fixture(scope="module")
def nrb():
    scheme = load_scheme(CRITERIA / "gm-nrb.toml")
    return scheme, compiled(scheme)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(0, 5),
    elements=st.lists(st.sampled_from(["superstructure", "substructure"]), min_size=5),
    gfa=st.floats(1.0, 1e6),
)
def test_an_all_zero_boq_never_earns_the_concrete_index(nrb, rows, elements, gfa):
    scheme, engine = nrb
    lines = [
        BoqLine(material="concrete_c40_50", quantity=0.0, unit="m3", element=elements[k])
        for k in range(rows)
    ]
    values: dict[str, Any] = {"gfa": gfa, "building_type": "office"}
    for name in ("concrete_usage_index", "embodied_carbon"):
        found = calculate(scheme.inputs[name].calculator or "", _Tables(lines), gfa)
        assert found is None
    scores = score_values(engine, [values])
    c = next(k for k, spec in enumerate(scheme.criteria) if spec.id == CUI)
    assert Status(int(scores.status[0, c])) == Status.NOT_ASSESSED
    assert float(np.asarray(scores.points)[0, c]) == 0
    reason = Explainer(scores).criterion_reason(c, 0)
    assert not_calculated_reason("concrete_usage_index") in reason
