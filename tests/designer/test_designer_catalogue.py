"""The measures catalogue: the bundled file loads; every defect is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenmark.core.tomlfile import read_toml
from greenmark.design.measures import (
    CatalogueError,
    is_catalogue,
    load_catalogue,
    unverified_values,
)

GOOD_MEASURE = """
[[measures]]
id = "ok"
title = "A good measure"
effects = [{ input = "a", set = true }]
cost = { formula = "10 * gfa", basis = "SGD 10 per m2" }
"""
HEADER = """[meta]
title = "Test catalogue"
version = "1"
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "measures.toml"
    path.write_text(HEADER + GOOD_MEASURE + body, encoding="utf-8")
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return caught.value.problems


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_bundled_catalogue_loads_and_flags_its_costs_unverified():
    catalogue = load_catalogue()
    ids = {m.id for m in catalogue.measures}
    assert {"glazing-sc030", "chiller-060", "led-lpd-8", "pv-100", "low-carbon-concrete"} <= ids
    assert {"basin-taps-3tick"} <= ids
    assert catalogue.meta.currency == "SGD"
    assert catalogue.constants["pv_yield"].value == 1200
    assert not catalogue.constants["pv_yield"].verified and catalogue.constants["pv_yield"].source
    flagged = dict(unverified_values(catalogue))
    assert "measures.chiller-060.cost" in flagged
    assert all(not m.cost.verified for m in catalogue.measures)
    data, _ = read_toml(Path("criteria/measures.toml").resolve())
    assert is_catalogue(data)


def test_unknown_key_is_refused_with_its_line(tmp_path):
    path = write(
        tmp_path,
        """
[[measures]]
id = "bad"
title = "Bad"
colour = "red"
effects = [{ input = "a", set = true }]
cost = { formula = "1", basis = "x" }
""",
    )
    (problem,) = problems_of(path)
    assert problem.file.endswith("measures.toml")
    assert problem.location == "measures[1].colour"
    assert problem.line == line_of(path, "colour")
    assert "unknown key" in problem.message


def test_formula_that_is_not_allowed_is_refused_never_run(tmp_path):
    path = write(
        tmp_path,
        """
[[measures]]
id = "sneaky"
title = "Sneaky"
effects = [{ input = "a", formula = "__import__('os').system('true')" }]
cost = { formula = "1", basis = "x" }
""",
    )
    (problem,) = problems_of(path)
    assert problem.location == "measures[1].effects[0].formula"
    assert problem.line == line_of(path, "__import__")
    assert "refused" in problem.message


def test_cross_checks_report_every_problem_with_lines(tmp_path):
    path = write(
        tmp_path,
        """
[[measures]]
id = "ok"
title = "Duplicate id"
excludes = ["nowhere"]
effects = [{ input = "a", set = true }]
cost = { formula = "12 * glazing_m2", basis = "x" }

[[measures]]
id = "concrete"
title = "Unknown material"
boq = { materials = ["unobtainium"], share = 0.5, replace_with = "concrete" }
cost = { formula = "1", basis = "x" }

[[measures]]
id = "taps"
title = "Unknown fitting field"
fittings = { type = "basin_tap", set = { colour = 2 } }
fallback = [{ input = "basin_tap_ticks", set = 3 }]
cost = { formula = "1", basis = "x" }

[[measures]]
id = "nothing"
title = "No effect at all"
cost = { formula = "1", basis = "x" }
""",
    )
    found = {p.location: p for p in problems_of(path)}
    assert "duplicate measure id" in found["measures[1].id"].message
    assert found["measures[1].id"].line == line_of(path, 'title = "Duplicate id"') - 1
    assert "unknown measure 'nowhere'" in found["measures[1].excludes[0]"].message
    assert "glazing_m2" in found["measures[1].cost.formula"].message
    assert "unknown material 'unobtainium'" in found["measures[2].boq.materials[0]"].message
    assert "cannot change 'colour'" in found["measures[3].fittings.set.colour"].message
    assert "needs 'effects'" in found["measures[4]"].message
    for problem in found.values():
        assert problem.line is not None and problem.file.endswith("measures.toml")


def test_an_effect_needs_exactly_one_rule(tmp_path):
    path = write(
        tmp_path,
        """
[[measures]]
id = "both"
title = "Both"
effects = [{ input = "a", set = true, formula = "1" }]
cost = { formula = "1", basis = "x" }
""",
    )
    (problem,) = problems_of(path)
    assert problem.location == "measures[1].effects[0]"
    assert "exactly one of 'set' or 'formula'" in problem.message
    assert problem.line == line_of(path, 'formula = "1" }]')


def test_malformed_toml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(HEADER + "[[measures]\n", encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.file.endswith("broken.toml") and problem.line == 4
    assert "invalid TOML" in problem.message
