"""Lossless project files: the document patcher, and saves that change only what changed."""

from __future__ import annotations

import difflib
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests_paths import CRITERIA, ROOT, SAMPLES

from greenmark.core import project as project_module
from greenmark.core.edits import round_significant
from greenmark.core.project import (
    BoqLine,
    Facade,
    Project,
    Quantity,
    Response,
    load_project,
    save_project,
)
from greenmark.core.scheme import load_scheme
from greenmark.core.tomledit import clean_float, parse_document, patch, same

BUNDLED = sorted([*SAMPLES.glob("*.toml"), ROOT / "tests" / "tui" / "data" / "nrb-tower.toml"])


def patched(text: str, old: dict, new: dict, fresh: dict | None = None, **kw) -> str:
    document = parse_document(text)
    patch(document, old, new, fresh, **kw)
    result = document.as_string()
    assert same(tomllib.loads(result), new, rel=1e-12) or fresh is not None
    return result


def changed_lines(before: str, after: str) -> list[str]:
    """The ``-``/``+`` lines of a diff, without the file headers."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


# ---------------------------------------------------------------------- the patcher

DOC = """\
# A header comment.

[project]
name = "Tower"                  # the name
gross_floor_area = 24500        # m2, or { value = 263716, unit = "ft2" }
stage = "design"

[inputs]
eui = 128                       # kWh/m2/yr
ettv = { value = 41.5, unit = "W/m2" }          # with its unit
pitch = 90.0
ratio = 0.5

# The facade schedule.
[[facades]]
name = "North"
wall_area = 1200                # m2

# the east one
[[facades]]
name = "East"
wall_area = 800
"""


def test_a_changed_value_keeps_its_comment_and_nothing_else_moves() -> None:
    old = tomllib.loads(DOC)
    new = tomllib.loads(DOC)
    new["inputs"]["eui"] = 120.0
    new["project"]["name"] = "Tower B"
    result = patched(DOC, old, new)
    assert changed_lines(DOC, result) == [
        '-name = "Tower"                  # the name',
        '+name = "Tower B"                  # the name',
        "-eui = 128                       # kWh/m2/yr",
        "+eui = 120                       # kWh/m2/yr",
    ]


def test_numbers_keep_their_form() -> None:
    old = tomllib.loads(DOC)
    new = tomllib.loads(DOC)
    new["inputs"]["eui"] = 130.0  # int stays int
    new["inputs"]["pitch"] = 80.0  # written "90.0": stays a float
    new["inputs"]["ratio"] = 1.0  # 0.5 -> a whole number: an integer
    new["project"]["gross_floor_area"] = 0.1 + 0.2  # float noise is not written
    result = patched(DOC, old, new)
    assert "eui = 130 " in result and "pitch = 80.0" in result and "ratio = 1\n" in result
    assert "gross_floor_area = 0.3 " in result


def test_a_quantity_keeps_its_shape() -> None:
    old = tomllib.loads(DOC)
    new = tomllib.loads(DOC)
    new["inputs"]["ettv"] = {"value": 38.25, "unit": "W/m2"}
    result = patched(DOC, old, new)
    assert changed_lines(DOC, result) == [
        '-ettv = { value = 41.5, unit = "W/m2" }          # with its unit',
        '+ettv = { value = 38.25, unit = "W/m2" }          # with its unit',
    ]
    new["project"]["gross_floor_area"] = {"value": 263716, "unit": "ft2"}
    result = patched(DOC, old, new)
    assert 'gross_floor_area = { value = 263716, unit = "ft2" }        # m2, or' in result


def test_keys_added_after_the_last_key_and_removed_with_their_line() -> None:
    old = tomllib.loads(DOC)
    new = tomllib.loads(DOC)
    del new["inputs"]["ratio"]
    new["inputs"]["lpd"] = 8.5
    new["facades"][0]["pitch"] = 80
    result = patched(DOC, old, new)
    assert changed_lines(DOC, result) == [
        "-ratio = 0.5",
        "+lpd = 8.5",
        "+pitch = 80",
    ]
    # the new facade key sits with its row, above the comment that introduces the next row
    assert "wall_area = 1200                # m2\npitch = 80\n\n# the east one\n" in result


def test_rows_added_removed_and_edited() -> None:
    old = tomllib.loads(DOC)
    new = tomllib.loads(DOC)
    new["facades"][1]["wall_area"] = 900
    new["facades"].insert(1, {"name": "Mid", "wall_area": 10})
    new["facades"].append({"name": "West", "wall_area": 20})
    result = patched(DOC, old, new)
    assert changed_lines(DOC, result) == [
        "+[[facades]]",
        '+name = "Mid"',
        "+wall_area = 10",
        "+",
        "-wall_area = 800",
        "+wall_area = 900",
        "+",
        "+[[facades]]",
        '+name = "West"',
        "+wall_area = 20",
    ]
    assert '# the east one\n[[facades]]\nname = "East"' in result  # the comment kept its row
    removed = tomllib.loads(DOC)
    removed["facades"].pop(0)
    result = patched(DOC, old, removed)
    assert tomllib.loads(result)["facades"] == [{"name": "East", "wall_area": 800}]
    assert "# The facade schedule.\n" in result  # it belongs to what comes before
    gone = tomllib.loads(DOC)
    gone["facades"] = []
    document = parse_document(DOC)
    patch(document, old, gone)
    assert "facades" not in tomllib.loads(document.as_string())


def test_new_tables_go_in_order_and_fresh_rows_leave_defaults_out() -> None:
    text = '[project]\nname = "x"\n\n[[history]]\nat = 2026-01-01T00:00:00Z\nfield = "a"\n'
    old = tomllib.loads(text)
    new = tomllib.loads(text)
    new["inputs"] = {"eui": 100}
    new["responses"] = {"EN-1": {"answer": "yes", "not_applicable": False}}
    new["history"].append({"at": datetime(2026, 2, 1, tzinfo=UTC), "field": "b", "who": ""})
    fresh = {**new, "history": [new["history"][0], {"at": new["history"][1]["at"], "field": "b"}]}
    fresh["responses"] = {"EN-1": {"answer": "yes"}}
    document = parse_document(text)
    patch(document, old, new, fresh, order=("project", "inputs", "responses", "history"))
    result = document.as_string()
    assert result.index("[inputs]") < result.index("[responses") < result.index("[[history]]")
    assert 'who = ""' not in result and "not_applicable" not in result
    assert "at = 2026-02-01T00:00:00Z\n" in result


def test_multiline_text_and_helpers() -> None:
    text = 'notes = "one"\n'
    result = patched(text, {"notes": "one"}, {"notes": 'two\nlines with "quotes" and \\'})
    assert tomllib.loads(result)["notes"] == 'two\nlines with "quotes" and \\'
    assert clean_float(0.1 + 0.2) == 0.3 and clean_float(296.1041666666667) == 296.104166666667
    assert round_significant(296.1041666666667) == 296.104
    assert round_significant(0.000123456789) == 0.000123457
    assert same(1, 1.0) and not same(True, 1) and not same({"a": 1}, {"a": 2})


# ---------------------------------------------------------------------- project files


@pytest.mark.parametrize("sample", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_sample_saves_byte_identical_when_unchanged(
    sample: Path, tmp_path: Path
) -> None:
    copy = tmp_path / sample.name
    shutil.copyfile(sample, copy)
    loaded = load_project(copy)
    save_project(loaded.project, copy, loaded.source)
    assert copy.read_bytes() == sample.read_bytes()
    # and a change touches only its own lines plus the history entry
    before = copy.read_text()
    loaded.project.record("inputs.x", 1, 2, who="tester")
    save_project(loaded.project, copy, loaded.source)
    lines = changed_lines(before, copy.read_text())
    assert all(line.startswith("+") for line in lines) and "+[[history]]" in lines
    assert len([line for line in lines if line != "+"]) == 6


def test_a_byte_order_mark_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    data = b"\xef\xbb\xbf" + (SAMPLES / "demo-office.toml").read_bytes()
    path.write_bytes(data)
    loaded = load_project(path)
    save_project(loaded.project, path, loaded.source)
    assert path.read_bytes() == data


def test_a_first_save_keeps_comments_stage_and_integers(tmp_path: Path) -> None:
    sample = SAMPLES / "nrb-office-tower.toml"
    path = tmp_path / sample.name
    shutil.copyfile(sample, path)
    loaded = load_project(path)
    project = loaded.project
    old_eui = project.inputs["eui"]
    project.inputs["eui"] = 112.0
    project.facades[1] = project.facades[1].model_copy(update={"sc1": 0.28})
    project.responses["NRB-1-5"] = Response(evidence=["E-2201 rev B"])
    project.record("inputs.eui", old_eui, 112.0, who="tester", note="model rev C")
    save_project(project, path, loaded.source)
    text = path.read_text()
    lines = changed_lines(sample.read_text(), text)
    assert lines[:6] == [
        "-eui = 118",
        "+eui = 112",
        "-sc1 = 0.34",
        "+sc1 = 0.28",
        '-evidence = ["E-2201 lighting layout, typical office floor", '
        '"LPD calculation per space type"]',
        '+evidence = ["E-2201 rev B"]',
    ]
    assert lines[6:] == [
        "+",
        "+[[history]]",
        lines[8],  # at = <now>
        '+who = "tester"',
        '+field = "inputs.eui"',
        "+old = 118",
        "+new = 112",
        '+note = "model rev C"',
    ]
    assert lines[8].startswith("+at = ") and lines[8].endswith("Z")
    assert load_project(path).project == project


def test_measures_write_rounded_numbers_and_keep_the_file(tmp_path: Path) -> None:
    from greenmark.design.measures import load_catalogue
    from greenmark.design.plan import apply_measures

    sample = SAMPLES / "nrb-shopping-mall.toml"
    path = tmp_path / "mall.toml"
    shutil.copyfile(sample, path)
    loaded = load_project(path)
    scheme = load_scheme(CRITERIA / "gm-nrb.toml")
    catalogue = load_catalogue(CRITERIA / "measures.toml")
    measures = ["chiller-060", "led-lpd-8", "glazing-sc030", "low-carbon-concrete"]
    applied = apply_measures(loaded, scheme, measures, catalogue, who="designer")
    save_project(applied.project, path, loaded.source)
    lines = changed_lines(sample.read_text(), path.read_text())
    assert lines and all(len(line) < 120 for line in lines)
    for line in lines:
        if line.startswith("+at = "):
            continue
        value = line.partition("=")[2].strip()
        digits = value.replace(".", "").replace("-", "").lstrip("0")
        if value[:1].isdigit():
            assert len(digits) <= 6, line  # never 296.1041666666667
    removed = [line for line in lines if line.startswith("-")]
    assert not any(line.lstrip("-").startswith("#") for line in removed)  # comments stay


def test_a_layout_the_patcher_cannot_follow_is_still_saved_correctly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.toml"
    shutil.copyfile(SAMPLES / "demo-office.toml", path)
    loaded = load_project(path)
    loaded.project.inputs["eui"] = 99

    import greenmark.core.tomledit as tomledit

    real = tomledit.patch

    def broken(document: Any, old: dict, new: dict, *args: Any, **kwargs: Any) -> None:
        if old:  # editing a file read from disk; a fresh file is still written
            raise ValueError("cannot follow")
        real(document, old, new, *args, **kwargs)

    monkeypatch.setattr(tomledit, "patch", broken)
    save_project(loaded.project, path, loaded.source)
    again = load_project(path).project
    assert again.inputs["eui"] == 99 and again == loaded.project
    assert project_module.SECTIONS[0] == "project"


def test_a_new_file_keeps_the_stage_and_writes_whole_numbers(tmp_path: Path) -> None:
    project = Project.model_validate(
        {
            "project": {"name": "New", "scheme": "gm-nrb", "gross_floor_area": 1200},
            "facades": [Facade(orientation="N", wall_area=100, wall_u=0.5).model_dump()],
            "boq": [BoqLine(material="steel_rebar", quantity=5, unit="t").model_dump()],
            "inputs": {"ettv": Quantity(value=40, unit="W/m2").model_dump()},
        }
    )
    path = tmp_path / "new.toml"
    save_project(project, path)
    text = path.read_text()
    assert 'stage = "design"' in text and "gross_floor_area = 1200\n" in text
    assert "wall_area = 100\n" in text and "pitch" not in text  # defaults left out
    assert 'ettv = { value = 40, unit = "W/m2" }' in text
    assert load_project(path).project == project
