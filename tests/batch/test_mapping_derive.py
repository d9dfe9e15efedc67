"""Mapping filters, constants, formulas and extractions on an imperial-unit export."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from batch.conftest import ROOT, read_csv
from batch.test_cli_batch import counts
from greenmark.portfolio.chunk import Plan, prepare
from greenmark.portfolio.mapping import bind, load_mapping

DATA = ROOT / "tests" / "batch" / "data"
CITY_CSV = DATA / "city-benchmarking.csv"
CITY_MAPPING = DATA / "city-benchmarking.toml"
KBTU_FT2_TO_KWH_M2 = 3.154591  # 1 kBtu/ft2 in kWh/m2
FT2_TO_M2 = 0.09290304


def raw_rows() -> list[dict[str, str]]:
    return read_csv(CITY_CSV)


@pytest.fixture(scope="module")
def city_run(tmp_path_factory):
    from batch.conftest import greenmark

    folder = tmp_path_factory.mktemp("city")
    out, errors, summary = folder / "r.csv", folder / "e.csv", folder / "s.json"
    result = greenmark(
        "batch", CITY_CSV, "--mapping", CITY_MAPPING, "--out", out, "--errors", errors,
        "--summary", summary,
    )  # fmt: skip
    return result, read_csv(out), read_csv(errors), json.loads(summary.read_text())


def test_filters_put_rows_out_of_scope_not_in_errors(city_run):
    result, rows, errors, summary = city_run
    raw = raw_rows()
    assert counts(result.stderr) == (34, 24, 1)
    assert "9 out of scope" in result.stderr
    assert result.returncode == 1  # one real data fault, not the out-of-scope rows
    assert summary["counts"] == {
        "read": 34, "scored": 24, "skipped": 1, "out_of_scope": 9, "duplicate_ids": 0
    }  # fmt: skip
    by_reason = {r["reason"]: r["rows"] for r in summary["out_of_scope_by_reason"]}
    outside = {"Multifamily Housing", "Non-Refrigerated Warehouse"}
    assert by_reason == {
        "property type outside Green Mark (e.g. multifamily, warehouse)": sum(
            r["Primary Property Type - Self Selected"] in outside for r in raw
        ),
        "flagged as an outlier by the city": 2,
        "exclude 'ComplianceStatus' matches '^not in compliance'": 1,
    }
    # the only error is the real fault; no out-of-scope row is scored or listed
    assert [(e["id"], e["column"], e["value"]) for e in errors] == [
        ("30278", "Electricity Use - Grid Purchase (kWh)", "1,2O4,000")
    ]
    assert summary["skipped_by_reason"] == [
        {"reason": "not a number (Electricity Use - Grid Purchase (kWh))", "rows": 1}
    ]
    scored = {r["id"] for r in rows}
    flagged = {r["Property Id"] for r in raw if r["Outlier"] or "Not" in r["ComplianceStatus"]}
    assert flagged and not scored & flagged
    assert not any(r["Primary Property Type - Self Selected"] in outside
                   for r in raw if r["Property Id"] in scored)  # fmt: skip
    # the outliers are not among the best performers any more
    assert not {p["id"] for p in summary["performers"]["lowest_eui"]} & flagged


def test_formula_eui_matches_the_exports_site_eui(city_run):
    _, rows, _, _ = city_run
    raw = {r["Property Id"]: r for r in raw_rows()}
    for row in rows:
        source = raw[row["id"]]
        site_eui = float(source["Site EUI (kBtu/ft²)"])  # rounded to 0.1 kBtu/ft2 in the file
        assert float(row["eui"]) == pytest.approx(site_eui * KBTU_FT2_TO_KWH_M2, abs=0.17)
        area = float(source["Property GFA - Self-Reported (ft²)"].replace(",", ""))
        assert float(row["gfa"]) == pytest.approx(area * FT2_TO_M2, rel=1e-12)


def test_without_the_faulty_row_the_run_exits_0(run, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        CITY_MAPPING.read_text(encoding="utf-8")
        + '\n[[exclude]]\ncolumn = "Property Id"\nin = ["30278"]\nreason = "known bad meter"\n',
        encoding="utf-8",
    )
    result = run("batch", CITY_CSV, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 0, result.stderr
    assert counts(result.stderr) == (34, 24, 0)
    assert "10 out of scope" in result.stderr
    assert "out of scope: known bad meter" in result.stderr


def test_constants_and_extractions_reach_the_engine(tmp_path):
    from batch.helpers import scheme

    found = scheme("gm-eb")
    plan = Plan.from_binding(found, bind(load_mapping(CITY_MAPPING), found))
    table = pa_csv.read_csv(
        CITY_CSV,
        convert_options=pa_csv.ConvertOptions(
            column_types={name: "string" for name in plan.columns}, strings_can_be_null=False
        ),
    )
    prepared = prepare(plan, table)
    arrays = prepared.arrays
    assert (arrays["measured_months"] == 12).all()
    assert (arrays["ac_system"] == 0).all()  # water_cooled_chiller
    for i, source in enumerate(raw_rows()):
        notes, lighting = source["Plant Notes"], source["Lighting Notes"]
        if "kW/RT" in notes:
            expected = float(notes.split("measured ")[1].split(" kW/RT")[0])
            assert arrays["chiller_eff"][i] == pytest.approx(expected)
        else:
            assert np.isnan(arrays["chiller_eff"][i])
        if "W/" in lighting:
            number = float(lighting.split(" W/")[0].split()[-1])
            assert arrays["lpd"][i] == pytest.approx(number / FT2_TO_M2)
        else:
            assert np.isnan(arrays["lpd"][i])


@pytest.mark.parametrize(
    ("spec", "location", "message"),
    [
        (
            'formula = "a + b"\nvars.a = { column = "A", unit = "kWh/yr" }\n'
            'vars.b = { column = "B", unit = "ft2" }',
            "inputs.eui.formula",
            "the units in the formula do not add up",
        ),
        (
            'formula = "a / b"\nvars.a = { column = "A", unit = "kWh" }\n'
            'vars.b = { column = "B", unit = "ft2" }',
            "inputs.eui.formula",
            "not convertible to 'kWh/m2/yr'",
        ),
        ('formula = "a * c"\nvars.a = "A"', "inputs.eui.formula", "unknown name 'c'"),
        (
            'formula = "__import__(a)"\nvars.a = "A"',
            "inputs.eui.formula",
            "unknown function '__import__'",
        ),
        ('column = "A"\nextract = "[0-9]+"', "inputs.eui.extract", "exactly one capture group"),
        ('column = "A"\nextract = "(?<=x)(1)"', "inputs.eui.extract", "not a valid"),
        ('value = "high"', "inputs.eui.value", "expected a number, got 'high'"),
        ('formula = "a"', "inputs.eui", "a formula needs vars"),
    ],
)
def test_bad_derived_values_are_located_in_the_mapping(run, tmp_path, spec, location, message):
    data = tmp_path / "d.csv"
    data.write_text("A,B\n1,2\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(f'[mapping]\nscheme = "gm-eb"\n\n[inputs.eui]\n{spec}\n', encoding="utf-8")
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 2, result.stderr
    assert f"{mapping}:" in result.stderr and location in result.stderr, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_filters_are_located(run, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("A,B\n1,2\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[inputs]\neui = "A"\n\n'
        '[[where]]\ncolumn = "A"\n\n[[exclude]]\ncolumn = "Outlier"\nin = ["x"]\n',
        encoding="utf-8",
    )
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert f"{mapping}:6: where[0]: give at least one test" in result.stderr
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[inputs]\neui = "A"\n\n'
        '[[exclude]]\ncolumn = "Outlier"\nin = ["x"]\n',
        encoding="utf-8",
    )
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert f"{mapping}:6: exclude[0]: column 'Outlier' (for exclude[0]) is not in" in result.stderr


def test_bad_constants_are_refused_with_the_mapping_line(run, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[inputs]\neui = "A"\n'
        'ac_system = { value = "water_cooled" }\n'
        "measured_months = { value = 200 }\n"
        'has_carpark = { value = "maybe" }\n'
        "chiller_mv = { value = true }\n"
        'lpd = { value = 8.5, unit = "W/ft2" }\n',
        encoding="utf-8",
    )
    result = run("validate", mapping)
    assert result.returncode == 2
    assert (
        f"{mapping}:5: inputs.ac_system.value: 'water_cooled' is not an option of ac_system"
        in result.stderr
    )
    assert "did you mean 'water_cooled_chiller'?" in result.stderr
    assert f"{mapping}:6: inputs.measured_months.value: 200 is outside" in result.stderr
    assert f"{mapping}:7: inputs.has_carpark.value: 'maybe' is not true or false" in result.stderr
    assert ":8:" not in result.stderr
    assert f"{mapping}:9: inputs.lpd.value: 8.5 is outside lpd's range 0 to 50 W/m2" in (
        result.stderr
    )  # 8.5 W/ft2 is 91.5 W/m2


def test_plausible_ranges_per_building_type(run, tmp_path):
    mapping = tmp_path / "m.toml"
    text = CITY_MAPPING.read_text(encoding="utf-8")
    text = text.replace(
        'unit = "kWh/m2/yr"\n',
        'unit = "kWh/m2/yr"\nplausible = { min = 10, max = 2000 }\n'
        "plausible_by_type = { office = { max = 250 }, hospital = { min = 300, max = 900 } }\n",
    )
    mapping.write_text(text, encoding="utf-8")
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    result = run("batch", CITY_CSV, "--mapping", mapping, "--out", out, "--errors", errors)
    assert result.returncode == 1
    problems = [e for e in read_csv(errors) if e["reason"].startswith("implausible eui")]
    assert problems
    for problem in problems:
        assert (
            " for office: outside -∞ to 250 kWh/m2/yr (mapping inputs.eui)" in problem["reason"]
            or " for hospital: outside 300 to 900 kWh/m2/yr" in problem["reason"]
        )
    scored = read_csv(out)
    assert all(float(r["eui"]) <= 250 for r in scored if r["building_type"] == "office")
    assert all(300 <= float(r["eui"]) <= 900 for r in scored if r["building_type"] == "hospital")
    mapping.write_text(text.replace("hospital = {", "hospitals = {"), encoding="utf-8")
    result = run("validate", mapping)
    assert result.returncode == 2
    assert "inputs.eui.plausible_by_type.hospitals: 'hospitals' is not a building type" in (
        result.stderr
    )
    assert "did you mean 'hospital'?" in result.stderr
