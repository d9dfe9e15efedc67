"""``greenmark mapping init`` and ``mapping check``, and ``validate`` on mapping files: a
proposal for the imperial-unit export that, after a few edits, scores with filters,
constants, a formula and an extraction (an .xlsx copy giving identical results)."""

from __future__ import annotations

import csv
import tomllib

import pytest

from batch.conftest import BCA_CSV, needs_bca_listing, read_csv
from batch.helpers import write_xlsx
from batch.test_cli_batch import counts
from batch.test_mapping_derive import CITY_CSV, KBTU_FT2_TO_KWH_M2

FORMULA = """
[inputs.eui]
formula = "(electricity + gas + steam) / area"
unit = "kWh/m2/yr"
vars.electricity = { column = "Electricity Use - Grid Purchase (kWh)", unit = "kWh/yr" }
vars.gas = { column = "Natural Gas Use (therms)", unit = "therm/yr", default = 0 }
vars.steam = { column = "District Steam Use (kBtu)", unit = "kBtu/yr", default = 0 }
vars.area = { column = "Property GFA - Self-Reported (ft²)", unit = "ft2" }
"""


@pytest.fixture(scope="module")
def proposed(tmp_path_factory):
    from batch.conftest import greenmark

    folder = tmp_path_factory.mktemp("init")
    path = folder / "city.toml"
    result = greenmark("mapping", "init", CITY_CSV, "-o", path)
    return result, path


def test_init_proposes_columns_units_aliases_and_a_scope_filter(proposed):
    result, path = proposed
    assert result.returncode == 0, result.stderr
    assert "5 matched to gm-eb" in result.stderr  # the best-matching bundled scheme
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["mapping"]["scheme"] == "gm-eb"
    assert "Not Available" in data["mapping"]["missing"]  # seen in the numeric columns
    columns = data["columns"]
    assert columns["id"] == "Property Id" and columns["name"] == "Property Name"
    assert columns["award"] == "Green Mark Award"  # most of its values name a tier
    assert columns["gfa"] == {"column": "Property GFA - Self-Reported (ft²)", "unit": "ft2"}
    kind = columns["building_type"]
    assert kind["column"] == "Primary Property Type - Self Selected"
    assert kind["aliases"] == {
        "Office": "office",
        "Retail Store": "retail",
        "Hotel": "hotel",
        "K-12 School": "school",
        "Mixed Use Property": "mixed_use",
        "Hospital (General Medical & Surgical)": "hospital",
        "College/University": "ihl",
    }
    assert '# no match: "Multifamily Housing"' in text
    (where,) = data["where"]
    assert where["column"] == kind["column"] and set(where["in"]) == set(kind["aliases"])
    assert data["inputs"] == {"eui": {"column": "Site EUI (kBtu/ft²)", "unit": "kBtu/ft2/yr"}}
    # profiles and the inputs still to map are comments for the analyst
    assert "# id = " not in text and "numbers 40,500 to 891,000, no blanks" in text
    assert "# chiller_eff = ...  # number (kW/RT)" in text
    assert '# column = "Outlier"' in text and '# in = ["High Outlier", "Low Outlier"]' in text


def _finish(text: str) -> str:
    """The analyst's edits: exclude the city's outliers, constants, a formula for the EUI
    and the chiller efficiency taken from the plant notes."""
    text = text.replace(
        '# [[exclude]]\n# column = "Outlier"\n# in =', '[[exclude]]\ncolumn = "Outlier"\nin ='
    )
    text = text.replace('eui = { column = "Site EUI (kBtu/ft²)", unit = "kBtu/ft2/yr" }\n', "")
    text += (
        "\n[inputs.measured_months]\nvalue = 12\n"
        '\n[inputs.ac_system]\nvalue = "water_cooled_chiller"\n'
        '\n[inputs.chiller_eff]\ncolumn = "Plant Notes"\n'
        'extract = "([0-9.]+)\\\\s*kW/RT"\nunit = "kW/RT"\n'
    )
    return text + FORMULA


def test_the_finished_proposal_scores_and_checks(proposed, run, tmp_path):
    _, path = proposed
    mapping = tmp_path / "finished.toml"
    mapping.write_text(_finish(path.read_text(encoding="utf-8")), encoding="utf-8")
    checked = run("validate", mapping)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "mapping for gm-eb: 10 columns read, 4 inputs, 2 filters" in checked.stdout
    check = run("mapping", "check", mapping, CITY_CSV)
    assert check.returncode == 1  # the one data fault
    assert "read 34 rows: 25 would be scored, 1 skipped, 8 out of scope" in check.stdout
    assert "chiller_eff <- Plant Notes" in check.stdout
    out, summary = tmp_path / "r.csv", tmp_path / "s.json"
    result = run("batch", CITY_CSV, "--mapping", mapping, "--out", out, "--summary", summary)
    assert counts(result.stderr) == (34, 25, 1) and "8 out of scope" in result.stderr
    raw = {r["Property Id"]: r for r in read_csv(CITY_CSV)}
    rows = read_csv(out)
    for row in rows:
        site_eui = float(raw[row["id"]]["Site EUI (kBtu/ft²)"])
        assert float(row["eui"]) == pytest.approx(site_eui * KBTU_FT2_TO_KWH_M2, abs=0.17)
    assert not {r["id"] for r in rows} & {i for i, r in raw.items() if r["Outlier"]}
    assert all(r["recorded_award"] == raw[r["id"]]["Green Mark Award"] for r in rows)
    assert "Recorded award vs computed tier" in result.stderr
    # an .xlsx copy of the export gives identical results
    with CITY_CSV.open(newline="", encoding="utf-8") as stream:
        book = write_xlsx(tmp_path / "city.xlsx", list(csv.reader(stream)))
    xlsx_out = tmp_path / "x.csv"
    again = run("batch", book, "--mapping", mapping, "--out", xlsx_out)
    assert counts(again.stderr) == (34, 25, 1)
    assert xlsx_out.read_bytes() == out.read_bytes()


def test_validate_locates_mapping_problems(run, tmp_path):
    mapping = tmp_path / "bad.toml"
    mapping.write_text('[mapping]\nscheme = "gm-eb"\n\n[inputs]\neuii = "EUI"\n', encoding="utf-8")
    result = run("validate", mapping)
    assert result.returncode == 2
    assert f"{mapping}:5: inputs.euii: scheme gm-eb has no input 'euii'" in result.stderr
    assert "did you mean 'eui'?" in result.stderr


def test_init_refuses_to_overwrite_and_check_needs_a_scheme(proposed, run, tmp_path):
    _, path = proposed
    result = run("mapping", "init", CITY_CSV, "-o", path)
    assert result.returncode == 2 and "pass --force" in result.stderr
    bare = tmp_path / "bare.toml"
    bare.write_text('[inputs]\neui = "Site EUI (kBtu/ft²)"\n', encoding="utf-8")
    result = run("mapping", "check", bare, CITY_CSV)
    assert result.returncode == 2 and "give --scheme" in result.stderr
    result = run("mapping", "init", tmp_path, "--scheme", "gm-eb")
    assert result.returncode == 2 and "not a folder" in result.stderr


@needs_bca_listing
def test_init_on_the_bca_listing_finds_its_columns(run):
    result = run("mapping", "init", BCA_CSV)
    assert result.returncode == 0, result.stderr
    data = tomllib.loads(result.stdout)
    assert data["columns"]["building_type"]["column"] == "buildingtype"
    assert data["columns"]["building_type"]["aliases"]["Univerisity"] == "ihl"  # misspelt
    assert data["columns"]["gfa"] == "grossfloorarea"
    assert data["inputs"] == {"eui": "2018energyusintensity"}


def test_the_readmes_mapping_example_scores_the_export(run, tmp_path):
    from batch.conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Mapping files") :]
    block = section[section.index("```toml\n") + 8 :]
    mapping = tmp_path / "readme.toml"
    mapping.write_text(block[: block.index("```")], encoding="utf-8")
    assert run("validate", mapping).returncode == 0
    result = run("batch", CITY_CSV, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert counts(result.stderr) == (34, 17, 1) and "16 out of scope" in result.stderr
