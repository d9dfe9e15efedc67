"""Project files: validation against the scheme, units, atomic save and lossless round trip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.errors import ProjectError
from greenmark.project import Project, load_project, resolve_inputs, save_project
from greenmark.scheme import load_scheme
from greenmark.scoring import score_project

DEMO = load_scheme(CRITERIA / "demo.toml")


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_round_trips_without_loss(tmp_path):
    copy = tmp_path / "office.toml"
    shutil.copy(SAMPLES / "demo-office.toml", copy)
    first = load_project(copy).project
    first.record("inputs.eui", 128, 120, who="assessor")
    save_project(first, copy)
    second = load_project(copy).project
    assert second == first
    save_project(second, copy)
    assert load_project(copy).project.to_toml() == first.to_toml()
    assert second.history[0].field == "inputs.eui" and second.history[0].old == 128


def test_units_are_converted_once_at_load(tmp_path):
    # 40.57 kBtu/ft2/yr is 128 kWh/m2/yr; an imperial EUI scores the same as its metric twin
    text = (SAMPLES / "demo-office.toml").read_text()
    kbtu = 128 / 3.15459074506
    imperial = text.replace("eui = 128", f'eui = {{ value = {kbtu!r}, unit = "kBtu/ft2/yr" }}')
    imperial = imperial.replace(
        "gross_floor_area = 24500", 'gross_floor_area = { value = 263715.8, unit = "ft2" }'
    )
    metric = score_project(load_project(SAMPLES / "demo-office.toml"), DEMO).result
    loaded = load_project(write(tmp_path, imperial))
    values = resolve_inputs(loaded, DEMO)
    assert values["eui"] == pytest.approx(128, rel=1e-6)
    assert values["gfa"] == pytest.approx(24500, rel=1e-4)
    converted = score_project(loaded, DEMO).result
    assert converted.total_points == pytest.approx(metric.total_points)
    assert converted.tier == metric.tier


def test_every_problem_is_listed_with_location_and_line(tmp_path):
    path = write(
        tmp_path,
        """
[project]
name = "x"
scheme = "demo"
building_type = "warehouse"

[inputs]
eui = -5
has_carpark = 1
carpark_ventilation = "fans"
ettv = { value = 40, unit = "kg" }
nonsense = 3
""",
    )
    loaded = load_project(path)
    with pytest.raises(ProjectError) as caught:
        resolve_inputs(loaded, DEMO)
    found = {(p.location, p.line) for p in caught.value.problems}
    assert ("project.building_type", 5) in found
    assert ("inputs.eui", 8) in found
    assert ("inputs.has_carpark", 9) in found
    assert ("inputs.carpark_ventilation", 10) in found
    assert ("inputs.ettv.unit", 11) in found
    assert ("inputs.nonsense", 12) in found
    text = str(caught.value)
    assert "below the minimum 0" in text and "one of: mechanical, co_sensors, natural" in text


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "office.toml"
    shutil.copy(SAMPLES / "demo-office.toml", path)
    before = path.read_text()
    project = load_project(path).project
    project.project.name = "Renamed"

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", explode)
    with pytest.raises(OSError):
        save_project(project, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["office.toml"]  # no temp file left
    monkeypatch.undo()
    save_project(project, path)
    assert load_project(path).project.project.name == "Renamed"


def test_new_project_written_from_a_model_is_valid(tmp_path):
    project = Project.model_validate(
        {
            "project": {"name": "New", "scheme": "demo", "stage": "as-built"},
            "inputs": {"eui": 100, "has_carpark": False},
        }
    )
    path = tmp_path / "new.toml"
    save_project(project, path)
    assert 'name = "New"' in path.read_text()
    assert resolve_inputs(load_project(path), DEMO) == {
        "eui": 100.0,
        "has_carpark": False,
        "gfa": None,
    }


CALC_SCHEME = """
[scheme]
id = "calc"
title = "Calculated inputs"
version = "1"
[inputs.ettv]
label = "ETTV"
unit = "W/m2"
calculator = "ettv"
[inputs.embodied_carbon]
label = "Embodied carbon"
unit = "kgCO2e/m2"
calculator = "embodied_carbon_intensity"
[inputs.basin_tap_ticks]
label = "Basin taps"
type = "integer"
unit = "tick"
calculator = "wels_ticks.basin_tap"
[[sections]]
id = "s"
title = "S"
[[criteria]]
id = "C1"
section = "s"
title = "Envelope"
max_points = 12
points = { formula = "1.2 * (50 - ettv)" }
[[criteria]]
id = "C2"
section = "s"
title = "Carbon"
max_points = 5
points = { bands = "embodied_carbon", better = "lower", at = [500, 300], give = [2, 5] }
[[tiers]]
id = "ok"
title = "OK"
min_points = 1
"""

TABLES = """
[project]
name = "tables"
scheme = "calc.toml"
gross_floor_area = 1000

[[facades]]
orientation = "N"
wall_area = 100
window_area = 40
wall_u = 2.0
window_u = 5.8
sc1 = 0.5

[[facades]]
orientation = 90
wall_area = 300
wall_u = 1.5

[[boq]]
material = "concrete"
quantity = 100
unit = "m3"

[[boq]]
material = "steel_rebar"
quantity = 10
unit = "t"

[[fittings]]
type = "basin_tap"
rating = 1.8
count = 40

[[fittings]]
type = "basin_tap"
rating = 3.5
count = 4
"""


def test_calculated_inputs_come_from_the_project_tables(tmp_path):
    from helpers import scheme_from_text

    from greenmark.calc.carbon import bill_of_quantities, embodied_carbon
    from greenmark.calc.envelope import correction_factors

    scheme = scheme_from_text(CALC_SCHEME)
    loaded = load_project(write(tmp_path, TABLES))
    values = resolve_inputs(loaded, scheme)
    cf_north = float(correction_factors("N"))
    north = 12 * 0.6 * 2.0 + 3.4 * 0.4 * 5.8 + 211 * 0.4 * cf_north * 0.5
    east = 12 * 1.5  # an opaque facade: 18 W/m2
    assert values["ettv"] == pytest.approx((100 * north + 300 * east) / 400)
    carbon = float(
        embodied_carbon(bill_of_quantities(["concrete", "steel_rebar"], [100, 10], ["m3", "t"]))[0]
    )
    assert values["embodied_carbon"] == pytest.approx(carbon / 1000)
    assert values["basin_tap_ticks"] == 2  # the worst basin tap (3.5 L/min) rates 2 ticks
    # a value given directly wins over the tables
    direct = TABLES.replace(
        "gross_floor_area = 1000", "gross_floor_area = 1000\n\n[inputs]\nettv = 44"
    )
    assert resolve_inputs(load_project(write(tmp_path, direct, "d.toml")), scheme)["ettv"] == 44


def test_bad_table_row_is_located(tmp_path):
    from helpers import scheme_from_text

    scheme = scheme_from_text(CALC_SCHEME)
    bad = TABLES.replace('material = "steel_rebar"', 'material = "steel_rebarr"')
    loaded = load_project(write(tmp_path, bad))
    with pytest.raises(ProjectError) as caught:
        resolve_inputs(loaded, scheme)
    problem = caught.value.problems[0]
    assert problem.location == "boq[1]"
    lines = bad.splitlines()
    second_boq = [i for i, line in enumerate(lines, start=1) if line == "[[boq]]"][1]
    assert problem.line == second_boq
    assert "steel_rebar" in problem.message  # the closest known material is suggested


def test_substructure_concrete_counts_for_carbon_not_for_the_concrete_usage_index(tmp_path):
    from greenmark.calc.registry import calculate

    text = TABLES.replace(
        'material = "concrete"\nquantity = 100\nunit = "m3"',
        'material = "concrete"\nquantity = 100\nunit = "m3"\n\n'
        '[[boq]]\nmaterial = "concrete"\nquantity = 60\nunit = "m3"\nelement = "substructure"',
    )
    project = load_project(write(tmp_path, text)).project
    assert [line.element for line in project.boq] == [
        "superstructure",
        "substructure",
        "superstructure",
    ]
    assert calculate("concrete_usage_index", project, 1000.0) == (pytest.approx(0.1), "m3/m2")
    with_basement = calculate("embodied_carbon_total", project, 1000.0)
    without = calculate(
        "embodied_carbon_total", project.model_copy(update={"boq": project.boq[::2]}), 1000.0
    )
    assert with_basement is not None and without is not None
    assert with_basement[0] > without[0]  # the basement's carbon is counted
    only_basement = project.model_copy(update={"boq": [project.boq[1]]})
    assert calculate("concrete_usage_index", only_basement, 1000.0) == (0.0, "m3/m2")
    # saved only where it is not the default
    save_project(project, tmp_path / "saved.toml")
    saved = (tmp_path / "saved.toml").read_text()
    assert saved.count('element = "substructure"') == 1 and "superstructure" not in saved
