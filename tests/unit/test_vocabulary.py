"""The shared input vocabulary: one project file scored under several schemes, values
carried by shared term (converted between units), never a figure measured against one
scheme's reference carried into another, ``[inputs_for.<id>]`` for what one scheme alone
reads, and building types filed under a scheme's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import scheme_from_text
from tests_paths import ROOT

from greenmark.core.errors import ProjectError, SchemeError
from greenmark.core.project import load_project
from greenmark.core.projectinputs import resolve_inputs
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.core.vocabulary import bundled_vocabulary, check_shared

HOME = """
[scheme]
id = "home"
title = "Home scheme"
version = "1"
building_types = ["office", "retail"]
source = "test"

[inputs.eui]
label = "EUI"
shared = "eui"
unit = "kWh/m2/yr"

[inputs.energy_savings]
label = "Savings against the home scheme's own reference"
shared = "energy_savings"
unit = "%"

[inputs.solar]
label = "On-site renewables"
shared = "renewable_onsite_share"
unit = "%"

[inputs.ettv]
label = "Same name, untied"
unit = "W/m2"

[[sections]]
id = "s"
title = "S"

[[criteria]]
id = "c1"
section = "s"
title = "EUI"
max_points = 1
points = { formula = "min(1, eui / 100)" }

[[tiers]]
id = "certified"
title = "Certified"
min_points = 1
"""

AWAY = """
[scheme]
id = "away"
title = "Away scheme"
version = "1"
building_types = ["public", "residential"]
building_type_map = { office = "public" }
source = "test"

[inputs.energy_use]
label = "EUI, in megajoules"
shared = "eui"
unit = "MJ/m2/yr"

[inputs.energy_savings]
label = "Savings against the away scheme's own reference"
shared = "energy_savings"
unit = "%"

[inputs.renewables]
label = "On-site renewables"
shared = "renewable_onsite_share"
unit = "%"

[inputs.ettv]
label = "Same name, untied"
unit = "W/m2"

[[sections]]
id = "s"
title = "S"

[[criteria]]
id = "c1"
section = "s"
title = "EUI"
max_points = 1
points = { formula = "min(1, energy_use / 360)" }

[[tiers]]
id = "certified"
title = "Certified"
min_points = 1
"""


def write(folder: Path, extra: str = "", building_type: str = "office") -> Path:
    (folder / "home.toml").write_text(HOME, encoding="utf-8")
    (folder / "away.toml").write_text(AWAY, encoding="utf-8")
    project = folder / "p.toml"
    project.write_text(
        f'[project]\nname = "P"\nscheme = "home.toml"\nbuilding_type = "{building_type}"\n'
        "gross_floor_area = 1000\n\n"
        "[inputs]\neui = 100\nenergy_savings = 35\nsolar = 12\nettv = 40\n" + extra,
        encoding="utf-8",
    )
    return project


def values_under(project: Path, scheme_file: str) -> dict:
    loaded = load_project(project)
    return resolve_inputs(loaded, load_scheme(project.parent / scheme_file))


def test_a_shared_term_is_carried_and_converted_between_units(tmp_path):
    values = values_under(write(tmp_path), "away.toml")
    assert values["energy_use"] == pytest.approx(360.0)  # 100 kWh/m2/yr = 360 MJ/m2/yr
    assert values["renewables"] == 12
    assert values["building_type"] == "public"  # office, filed by the away scheme as public


def test_savings_against_each_schemes_own_reference_are_never_carried(tmp_path):
    values = values_under(write(tmp_path), "away.toml")
    assert "energy_savings" not in values  # same name, same term, but another reference
    assert values["ettv"] == 40  # same name and neither tied to a term: carried by name


def test_inputs_for_gives_what_one_scheme_alone_reads(tmp_path):
    project = write(tmp_path, "\n[inputs_for.away]\nenergy_savings = 22\n")
    assert values_under(project, "away.toml")["energy_savings"] == 22
    assert values_under(project, "home.toml")["energy_savings"] == 35  # its own, untouched


def test_a_bad_value_under_inputs_for_is_an_error_at_its_line(tmp_path):
    project = write(tmp_path, "\n[inputs_for.away]\nenergy_savings = true\nnonsense = 1\n")
    with pytest.raises(ProjectError) as caught:
        values_under(project, "away.toml")
    found = {(p.location, p.line): p.message for p in caught.value.problems}
    assert found[("inputs_for.away.energy_savings", 14)] == "expected a number in %, got True"
    assert found[("inputs_for.away.nonsense", 15)] == "scheme away has no input 'nonsense'"
    values_under(project, "home.toml")  # another scheme's values do not matter here


def test_a_building_type_the_scheme_does_not_file_asks_for_inputs_for(tmp_path):
    project = write(tmp_path, building_type="retail")
    with pytest.raises(ProjectError) as caught:
        values_under(project, "away.toml")
    message = caught.value.problems[0].message
    assert "'retail' is not a building type of scheme away (expected one of: public" in message
    assert "[inputs_for.away] building_type" in message
    project = write(tmp_path, '\n[inputs_for.away]\nbuilding_type = "residential"\n', "retail")
    assert values_under(project, "away.toml")["building_type"] == "residential"


def test_the_scheme_checks_refuse_unknown_terms_units_and_types():
    text = (
        AWAY.replace('shared = "eui"\nunit = "MJ/m2/yr"', 'shared = "eui"\nunit = "m2"')
        .replace('shared = "renewable_onsite_share"', 'shared = "renewables_share"')
        .replace('office = "public"', 'office = "civic", spaceport = "public"')
    )
    with pytest.raises(SchemeError) as caught:
        scheme_from_text(text)
    found = {p.location: p.message for p in caught.value.problems}
    assert "'eui' is in kWh/m2/yr, which m2 is not" in found["inputs.energy_use.shared"]
    assert "'renewables_share' is not a shared term" in found["inputs.renewables.shared"]
    civic = found["scheme.building_type_map.office"]
    assert "'civic' is not a building type of this scheme" in civic
    spaceport = found["scheme.building_type_map.spaceport"]
    assert "'spaceport' is not a shared building type" in spaceport


def test_every_bundled_scheme_ties_to_known_terms():
    vocabulary = bundled_vocabulary()
    assert {"eui", "energy_savings", "renewable_onsite_share"} <= set(vocabulary.terms)
    assert vocabulary.terms["energy_savings"].per_scheme
    for path in sorted((ROOT / "criteria").glob("*.toml")):
        if b"[scheme]" in path.read_bytes():
            assert check_shared(load_scheme(path)) == [], path.name


def test_a_green_mark_project_feeds_edge_and_china_from_one_file():
    loaded = load_project(ROOT / "samples" / "gm2021-office-sle.toml")  # has [inputs_for.edge]
    edge = resolve_inputs(loaded, load_scheme(resolve_scheme("edge")))
    assert (edge["energy_savings"], edge["water_savings"]) == (47, 34)
    china = resolve_inputs(loaded, load_scheme(resolve_scheme("gbt-50378")))
    assert china["building_type"] == "public"
    nrb = resolve_inputs(loaded, load_scheme(resolve_scheme("gm-nrb")))
    assert nrb["renewable_share"] == 18  # gm-2021's on-site share, the same term
    assert "energy_savings" not in resolve_inputs(loaded, load_scheme(resolve_scheme("gm-2021")))


def test_validate_reads_a_vocabulary_file_and_names_its_defects(cli, tmp_path):
    done = cli("validate", str(ROOT / "criteria" / "vocabulary.toml"))
    assert done.returncode == 0, done.stderr
    assert "shared input vocabulary: " in done.stdout
    bad = tmp_path / "vocabulary.toml"
    bad.write_text('[terms.eui]\nlabel = "EUI"\nunit = 3\n', encoding="utf-8")
    done = cli("validate", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{bad}:3: terms.eui.unit: expected text, got 3" in done.stderr
