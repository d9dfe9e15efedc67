"""Project files: validation against the scheme, units, atomic save and lossless round trip."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from helpers import toml_values, with_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_paths import CRITERIA, ROOT, SAMPLES

from greenmark.core.errors import GreenmarkError, ProjectError
from greenmark.core.project import Project, load_project, save_project
from greenmark.core.projectinputs import resolve_inputs
from greenmark.core.scheme import load_scheme
from greenmark.core.scoring import scheme_for, score_project

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
    assert calculate("concrete_usage_index", only_basement, 1000.0) is None  # not assessed
    # saved only where it is not the default
    save_project(project, tmp_path / "saved.toml")
    saved = (tmp_path / "saved.toml").read_text()
    assert saved.count('element = "substructure"') == 1 and "superstructure" not in saved


# --- hardening: strict values, ranges, text limits, fitting types -------------------------

MINIMAL_SCHEME = ROOT / "tests" / "data" / "good" / "minimal-scheme.toml"
MINIMAL = (ROOT / "tests" / "data" / "good" / "minimal-project.toml").read_text(encoding="utf-8")


def minimal(old: str = "", new: str = "") -> str:
    """The minimal project reading the minimal scheme, with ``old`` replaced by ``new``."""
    text = MINIMAL.replace('scheme = "minimal-scheme.toml"', f"scheme = {str(MINIMAL_SCHEME)!r}")
    return text.replace(old, new) if old else text


def problems(tmp_path: Path, text: str) -> list[tuple[str | None, str]]:
    """``(location, message)`` of every problem of a project, loaded and resolved."""
    with pytest.raises(ProjectError) as caught:
        resolve_inputs(load_project(write(tmp_path, text)), load_scheme(MINIMAL_SCHEME))
    return [(p.location, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "location", "expected"),
    [
        (
            'evidence = ["facade schedule"]',
            'evidence = ["x"]\nnot_applicable = "true"',
            "responses.EN-1.not_applicable",
            "expected true or false (without quotes), got 'true'",
        ),
        (
            'evidence = ["facade schedule"]',
            'evidence = ["x"]\nnot_applicable = 1',
            "responses.EN-1.not_applicable",
            "got 1",
        ),
        ("gross_floor_area = 1000", 'gross_floor_area = "1000"', "project.gross_floor_area", ""),
        ("gross_floor_area = 1000", "gross_floor_area = true", "project.gross_floor_area", ""),
        ("value = 42", 'value = "42"', "inputs.ettv.value", "expected a number, got '42'"),
        ('name = "Minimal test building"', "name = 7", "project.name", "expected text, got 7"),
    ],
)
def test_values_are_not_coerced(tmp_path, old, new, location, expected):
    found = problems(tmp_path, minimal(old, new))
    assert len(found) == 1 and found[0][0] == location, found
    assert expected in found[0][1]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("old", "template", "location"),
    [
        ("gross_floor_area = 1000", "gross_floor_area = {}", "project.gross_floor_area"),
        ("value = 42", "value = {}", "inputs.ettv.value"),
        ("has_solar = true", "has_solar = {}", "inputs.has_solar"),
    ],
)
def test_non_finite_numbers_are_refused(tmp_path, value, old, template, location):
    found = problems(tmp_path, minimal(old, template.format(value)))
    assert found == [(location, "must be a finite number (not inf or nan)")]


@pytest.mark.parametrize(
    ("area", "ok"),
    [
        ("10_000_000", True),
        ("10_000_001", False),
        ("1e308", False),
        ('{ value = 100_000_000, unit = "ft2" }', True),  # 9.3 million m2
        ('{ value = 1e9, unit = "ft2" }', False),
        ('{ value = 0, unit = "ft2" }', False),
    ],
)
def test_gross_floor_area_has_a_plausible_range(tmp_path, area, ok):
    text = minimal("gross_floor_area = 1000", f"gross_floor_area = {area}")
    if ok:
        assert resolve_inputs(load_project(write(tmp_path, text)), load_scheme(MINIMAL_SCHEME))
        return
    [(location, message)] = problems(tmp_path, text)
    assert location == "project.gross_floor_area"
    assert "must be a positive number of m2" in message


FACADE = "\n[[facades]]\norientation = {}\nwall_area = 100\nwall_u = 0.5\npitch = {}\n"


@pytest.mark.parametrize(
    ("orientation", "pitch", "message"),
    [
        ("0", "90", None),
        ("360", "0", None),
        ('"North-East"', "45", None),
        ('"45°"', "90", None),
        ("999", "90", "an azimuth from 0 to 360 degrees, got 999 degrees"),
        ("-10", "90", "got -10 degrees"),
        ("360.5", "90", "got 360.5 degrees"),
        ('"400 deg"', "90", "got 400 degrees"),
        ('"NNE"', "90", "got 'NNE'; did you mean NE"),
        ("true", "90", "expected a number or text"),
        ('"N"', "91", "expected less than or equal to 90"),
        ('"N"', "-1", "expected greater than or equal to 0"),
    ],
)
def test_facade_angles_have_their_natural_range(tmp_path, orientation, pitch, message):
    text = minimal() + FACADE.format(orientation, pitch)
    if message is None:
        load_project(write(tmp_path, text))
        return
    [(location, found)] = problems(tmp_path, text)
    assert location.startswith("facades[0].")
    assert message in found


@pytest.mark.parametrize(
    ("old", "new", "location", "limit"),
    [
        ('name = "Minimal test building"', 'name = "{}"', "project.name", 200),
        ('stage = "design"', 'stage = "design"\ndescription = "{}"', "project.description", 10_000),
        (
            'evidence = ["facade schedule"]',
            'evidence = ["{}"]',
            "responses.EN-1.evidence[0]",
            10_000,
        ),
        ('evidence = ["facade schedule"]', 'notes = "{}"', "responses.EN-1.notes", 10_000),
        ("has_solar = true", 'has_solar = true\n"{}" = 1', None, 200),
    ],
)
def test_free_text_has_a_length_limit(tmp_path, old, new, location, limit):
    fits = problems_or_none(tmp_path, minimal(old, new.format("x" * limit)))
    assert all("too long" not in message for _, message in fits)
    found = problems(tmp_path, minimal(old, new.format("x" * (limit + 1))))
    assert len(found) == 1
    if location is not None:
        assert found[0][0] == location
    assert f"too long: at most {limit:,} characters (got {limit + 1:,})" == found[0][1]


def problems_or_none(tmp_path: Path, text: str) -> list[tuple[str | None, str]]:
    """Problems of a project, or ``[]`` when it is valid."""
    try:
        resolve_inputs(load_project(write(tmp_path, text)), load_scheme(MINIMAL_SCHEME))
    except ProjectError as exc:
        return [(p.location, p.message) for p in exc.problems]
    return []


def test_unknown_fitting_type_is_refused_with_a_suggestion(tmp_path):
    from helpers import scheme_from_text

    scheme = scheme_from_text(CALC_SCHEME)
    bad = TABLES.replace('type = "basin_tap"\nrating = 3.5', 'type = "basin-tap"\nrating = 3.5')
    bad = bad.replace('type = "basin_tap"\nrating = 1.8', 'type = "bidet_spray"\nrating = 1.8')
    with pytest.raises(ProjectError) as caught:
        resolve_inputs(load_project(write(tmp_path, bad)), scheme)
    found = [(p.location, p.line, p.message) for p in caught.value.problems]
    lines = bad.splitlines()
    rows = [i for i, line in enumerate(lines, start=1) if line.startswith("type = ")]
    assert found[0][:2] == ("fittings[0].type", rows[0])
    assert found[0][2].startswith("unknown WELS fitting type 'bidet_spray'")
    assert found[1] == (
        "fittings[1].type",
        rows[1],
        "unknown WELS fitting type 'basin-tap'; did you mean 'basin_tap'?",
    )
    assert len(found) == 2


def test_fitting_type_in_any_letter_case_is_rated(tmp_path):
    from helpers import scheme_from_text

    text = TABLES.replace('type = "basin_tap"\nrating = 3.5', 'type = "Basin_Tap"\nrating = 3.5')
    values = resolve_inputs(load_project(write(tmp_path, text)), scheme_from_text(CALC_SCHEME))
    assert values["basin_tap_ticks"] == 2  # the 3.5 L/min tap still counts


# --- fuzz: a project with one value replaced never ends in a traceback ----------------------

TOML_VALUES = toml_values(
    [
        '"x" ',
        '"' + "y" * 250 + '"',
        "1979-05-27T07:32:00Z",
        "1979-05-27",
        '{ value = 1e308, unit = "ft2" }',
        '{ value = nan, unit = "m2" }',
        '{ value = 1, unit = "' + "m" * 300 + '" }',
        "[" * 150 + "]" * 150,
        "[" * 3000 + "]" * 3000,
        "{",
        '"""',
    ],
    keys=["value", "unit", "a", "type"],
)
FUZZ_BASE = minimal() + (
    '\n[[facades]]\norientation = "N"\nwall_area = 100\nwall_u = 0.5\n'
    '\n[[fittings]]\ntype = "basin_tap"\nrating = 2\n'
    '\n[[boq]]\nmaterial = "concrete"\nquantity = 10\nunit = "m3"\n'
)
FUZZ_LINES = [i for i, line in enumerate(FUZZ_BASE.splitlines()) if " = " in line]
_FUZZ_NAMES = itertools.count()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FUZZ_LINES), TOML_VALUES)
def test_fuzz_project_values_give_a_score_or_a_clear_error(tmp_path_factory, index, value):
    folder = tmp_path_factory.getbasetemp()
    path = write(folder, with_value(FUZZ_BASE, index, value), f"fuzz-{next(_FUZZ_NAMES)}.toml")
    try:
        loaded = load_project(path)
        score_project(loaded, scheme_for(loaded))
    except GreenmarkError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        path.unlink()


def test_history_shortens_over_long_text(tmp_path):
    project = load_project(write(tmp_path, minimal())).project
    project.record("responses.EN-1.notes", None, "n" * 20_000, who="w" * 500)
    entry = project.history[-1]
    assert len(entry.new) == 10_000 and entry.new.endswith("…")
    assert len(entry.who) == 200
    save_project(project, tmp_path / "saved.toml")
    assert load_project(tmp_path / "saved.toml").project.history[-1] == entry
