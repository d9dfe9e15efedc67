"""Mapping files: validated by pydantic and against the scheme, every problem at file:line."""

from __future__ import annotations

import pytest

from batch.conftest import BCA_HEADER, BCA_MAPPING, bca_shaped_csv
from batch.helpers import scheme
from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.mapping import bind, direct_mapping, load_mapping

BAD_STRUCTURE = """\
[mapping]
scheme = "gm-eb"
missing = ["NA"]

[columns]
name = "buildingname"
building_type = { column = "buildingtype", alias = { Office = "office" } }

[inputs.eui]
colum = "2018energyusintensity"
"""

BAD_AGAINST_SCHEME = """\
[mapping]
scheme = "gm-eb"

[inputs.eui]
column = "SiteEUI(kBtu/sf)"
unit = "kBtu/ft2/yr"

[inputs.chiller_eff]
column = "Plant"
unit = "kWh"

[inputs.euii]
column = "y"

[inputs.ac_system]
column = "AC"
aliases = { "WC" = "watercooled" }

[inputs.has_carpark]
column = "Carpark"
aliases = { "Some" = "maybe" }
"""


def test_structure_errors_name_file_line_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_STRUCTURE, encoding="utf-8")
    with pytest.raises(GreenmarkError) as caught:
        load_mapping(path)
    found = {(p.line, p.location, p.message) for p in caught.value.problems}
    assert all(p.file == str(path) for p in caught.value.problems)
    assert (7, "columns.building_type.alias", "unknown key (not part of the format)") in found
    assert (10, "inputs.eui.colum", "unknown key (not part of the format)") in found
    # the misspelt key hides the spec's missing source until it is fixed
    assert not any(location.startswith("inputs.eui.column") for _, location, _ in found)


def test_a_value_needs_exactly_one_source(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[inputs.eui]\nunit = "kWh/m2/yr"\n\n[inputs.lpd]\ncolumn = "A"\nvalue = 3\n',
        encoding="utf-8",
    )
    with pytest.raises(GreenmarkError) as caught:
        load_mapping(path)
    found = {(p.line, p.location): p.message for p in caught.value.problems}
    assert "give exactly one of column, value or formula" in found[(1, "inputs.eui")]
    assert "(got column and value)" in found[(4, "inputs.lpd")]


def test_scheme_errors_are_all_reported_with_lines(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_AGAINST_SCHEME, encoding="utf-8")
    with pytest.raises(GreenmarkError) as caught:
        bind(load_mapping(path), scheme("gm-eb"))
    problems = {p.location: p for p in caught.value.problems}
    assert problems["inputs.chiller_eff.unit"].line == 10
    assert "cannot convert 'kWh' to 'kW/RT'" in problems["inputs.chiller_eff.unit"].message
    assert problems["inputs.euii"].line == 12
    assert "did you mean 'eui'?" in problems["inputs.euii"].message
    assert problems["inputs.ac_system.aliases.WC"].line == 17
    assert "water_cooled_chiller" in problems["inputs.ac_system.aliases.WC"].message
    assert problems["inputs.has_carpark.aliases.Some"].line == 21
    assert "inputs.eui.unit" not in problems  # kBtu/ft2/yr converts fine


def test_shorthand_and_defaults(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[inputs]\neui = "EUI"\n[columns]\ngfa = "GFA"\n', encoding="utf-8")
    binding = bind(load_mapping(path), scheme("gm-eb"))
    eui = next(f for f in binding.fields if f.target == "eui")
    assert (eui.column, eui.scale, eui.offset, eui.unit) == ("EUI", 1.0, 0.0, "kWh/m2/yr")
    assert eui.missing == ("", "NA", "N/A", "-", "Missing Data")
    assert (eui.thousands, eui.decimal) == (",", ".")
    assert "measured_months" in binding.unmapped_inputs


def test_direct_mapping_takes_columns_named_like_inputs():
    found = scheme("gm-eb")
    loaded = direct_mapping(found, ["id", "eui", "gfa", "building_type", "unrelated"])
    targets = {f.target: f.column for f in bind(loaded, found).fields}
    assert targets == {"id": "id", "eui": "eui", "gfa": "gfa", "building_type": "building_type"}


def test_bundled_bca_mapping_is_valid():
    binding = bind(load_mapping(BCA_MAPPING), scheme("gm-eb"))
    header = BCA_HEADER.split(",")
    binding.check_columns(header, "listing.csv")  # raises if a column is missing


def test_cli_bad_mapping_exits_2_with_location(run, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD_STRUCTURE, encoding="utf-8")
    result = run("batch", bca_shaped_csv(tmp_path), "--mapping", path, "--out", tmp_path / "r.csv")
    assert result.returncode == 2, result.stderr
    assert f"{path}:7: columns.building_type.alias: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_cli_missing_column_is_located_in_the_mapping(run, tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(
        '[mapping]\nscheme = "gm-eb"\n\n[inputs]\neui = "2018energyuseintensity"\n',
        encoding="utf-8",
    )
    result = run("batch", bca_shaped_csv(tmp_path), "--mapping", path, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert f"{path}:5: inputs.eui: column '2018energyuseintensity'" in result.stderr
    assert "did you mean '2018energyusintensity'?" in result.stderr
