"""``greenmark set``: scriptable edits, checked like the UI's, saved without loss."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from greenmark.core.project import Quantity, load_project

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "nrb-office-tower.toml"  # comments, tables, responses, history


@pytest.fixture
def tower(tmp_path: Path) -> Path:
    path = tmp_path / "tower.toml"
    shutil.copyfile(SAMPLE, path)
    return path


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_set_changes_only_the_values_and_appends_the_history(tower: Path, cli) -> None:
    before = tower.read_text()
    done = cli(
        "set",
        str(tower),
        "eui=112",
        "gfa=845000 ft2",
        "has_escalators=no",
        "carpark_ventilation=natural",
        "--note",
        "energy model rev C",
        "--assessor",
        "tester",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "inputs.eui: 118 kWh/m2/yr → 112 kWh/m2/yr",
        "project.gross_floor_area: 78,500 m² → 845,000 ft² (78,503 m²)",
        "inputs.has_escalators: yes → no",
        "inputs.carpark_ventilation: co_sensors → natural",
        done.stdout.splitlines()[-1],
    ]
    assert done.stdout.splitlines()[-1].startswith("Total: ")
    assert " → " in done.stdout.splitlines()[-1] and "tier Platinum" in done.stdout
    lines = changed_lines(before, tower.read_text())
    assert lines[:8] == [  # in the file's order; nothing else of the file changes
        "-gross_floor_area = 78500",
        '+gross_floor_area = { value = 845000, unit = "ft2" }',
        '-carpark_ventilation = "co_sensors"',
        '+carpark_ventilation = "natural"',
        "-has_escalators = true",
        "+has_escalators = false",
        "-eui = 118",
        "+eui = 112",
    ]
    history = lines[8:]
    assert history.count("+[[history]]") == 4
    assert [line for line in history if line.startswith(("+field", "+old", "+new"))] == [
        '+field = "inputs.eui"',
        "+old = 118",
        "+new = 112",
        '+field = "project.gross_floor_area"',
        "+old = 78500",
        '+new = { value = 845000, unit = "ft2" }',
        '+field = "inputs.has_escalators"',
        "+old = true",
        "+new = false",
        '+field = "inputs.carpark_ventilation"',
        '+old = "co_sensors"',
        '+new = "natural"',
    ]
    assert history.count('+who = "tester"') == 4
    assert history.count('+note = "energy model rev C"') == 4
    assert all(line == "+" or line.startswith(("+[[", "+at", "+who", "+field", "+old", "+new",
                                                "+note")) for line in history)  # fmt: skip
    project = load_project(tower).project
    assert project.inputs["eui"] == 112 and project.project.stage == "design"
    assert project.project.gross_floor_area == Quantity(value=845000, unit="ft2")


def test_units_are_kept_and_an_empty_value_removes(tower: Path, cli) -> None:
    done = cli("set", str(tower), "eui=37.5 kBtu/ft2/yr", "renewable_share=")
    assert done.returncode == 0, done.stderr
    assert "inputs.eui: 118 kWh/m2/yr → 37.5 kBtu/ft2/yr" in done.stdout
    assert "inputs.renewable_share: 1.6 % → not given" in done.stdout
    project = load_project(tower).project
    assert project.inputs["eui"] == Quantity(value=37.5, unit="kBtu/ft2/yr")
    assert "renewable_share" not in project.inputs
    assert 'eui = { value = 37.5, unit = "kBtu/ft2/yr" }' in tower.read_text()


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["eiu=120"], ["eiu: not an input of scheme gm-nrb", "did you mean eui?"]),
        (["eui=abc"], ["eui: expected a number in kWh/m2/yr, got 'abc'"]),
        (["eui=9999"], ["eui: 9999 kWh/m2/yr is above the maximum"]),
        (["eui=5 kg"], ["eui: cannot convert 'kg' to 'kWh/m2/yr'"]),
        (["has_carpark=maybe"], ["has_carpark: expected yes or no, got 'maybe'"]),
        (["roof_weight=hevy"], ["roof_weight: expected one of: ", "did you mean heavy"]),
        (["gfa=-5"], ["gfa: must be a positive area"]),
        (["eui"], ["expected NAME=VALUE, got 'eui'"]),
        # one bad assignment among good ones: nothing is written
        (["eui=100", "chiller_eff=0.4", "stage=built"], ["stage: expected one of: pre-assessment"]),
    ],
)
def test_bad_assignments_are_refused_and_nothing_is_written(
    tower: Path, cli, args: list[str], messages: list[str]
) -> None:
    before = tower.read_bytes()
    done = cli("set", str(tower), *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    for message in messages:
        assert message in done.stderr
    assert "tower.toml" in done.stderr
    assert tower.read_bytes() == before


def test_nothing_changed_writes_nothing(tower: Path, cli) -> None:
    before = tower.read_bytes()
    done = cli("set", str(tower), "eui=118", "stage=design")
    assert done.returncode == 0 and "Nothing changed" in done.stdout
    assert tower.read_bytes() == before


def test_set_is_listed_with_help(cli) -> None:
    assert "set" in cli("--help").stdout
    helped = cli("set", "--help")
    assert helped.returncode == 0 and "NAME=VALUE" in helped.stdout and "--note" in helped.stdout
