"""Reading portfolio cells: units, aliases, missing markers, number formats, bad values."""

from __future__ import annotations

import csv
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch.conftest import NRB_CSV
from batch.helpers import column, plan_from, scheme, score_text
from greenmark.core.engine import encode_inputs, score
from greenmark.core.units import conversion
from greenmark.portfolio.cells import is_missing, missing_cells
from greenmark.portfolio.chunk import Plan, score_chunk
from greenmark.portfolio.inputs import open_source
from greenmark.portfolio.mapping import bind, direct_mapping

EB_MAPPING = """\
[mapping]
scheme = "gm-eb"

[columns]
id = "ID"
gfa = "GFA"

[columns.building_type]
column = "Type"
aliases = { "Univerisity" = "ihl", "Mixed Development" = "mixed_use" }

[inputs.eui]
column = "EUI"
unit = "kWh/m2/yr"

[keep.rating]
column = "Rating"
aliases = { "GoldPlus" = "goldplus" }
"""

IMPERIAL_MAPPING = EB_MAPPING.replace(
    'column = "EUI"\nunit = "kWh/m2/yr"', 'column = "SiteEUI(kBtu/sf)"\nunit = "kBtu/ft2/yr"'
)


def table(**columns: list[str | None]) -> dict[str, list[str | None]]:
    size = len(next(iter(columns.values())))
    defaults: dict[str, list[str | None]] = {
        "ID": [f"B{i + 1}" for i in range(size)],
        "Type": ["Office"] * size,
        "GFA": ["10,000"] * size,
        "Rating": ["NA"] * size,
    }
    return {**defaults, **columns}


def test_kbtu_per_ft2_scores_like_its_kwh_per_m2_equivalent(tmp_path):
    scale, offset = conversion("kBtu/ft2/yr", "kWh/m2/yr")
    assert scale == pytest.approx(3.15459, rel=1e-5) and offset == 0.0
    metric = [95.0, 131.5, 152.25, 187.0, 205.5, 233.0, 312.0, 455.5]
    imperial = [f"{value / scale!r}" for value in metric]
    types = ["Office", "Retail", "Hotel", "Univerisity"] * 2
    by_kwh = score_text(
        plan_from(tmp_path, EB_MAPPING), table(EUI=[str(v) for v in metric], Type=types)
    )
    by_kbtu = score_text(
        plan_from(tmp_path, IMPERIAL_MAPPING), table(**{"SiteEUI(kBtu/sf)": imperial}, Type=types)
    )
    assert by_kbtu.errors.num_rows == by_kwh.errors.num_rows == 0
    assert column(by_kbtu, "eui") == pytest.approx(metric, rel=1e-12)
    for name in ("total_points", "sec_energy", "tier", "n_awarded", "n_partial", "n_not_met"):
        assert column(by_kbtu, name) == column(by_kwh, name), name
    assert sum(column(by_kwh, "total_points")) > 0  # the EUIs do earn points


def test_aliases_and_loose_option_spelling(tmp_path):
    plan = plan_from(tmp_path, EB_MAPPING)
    result = score_text(
        plan,
        table(
            EUI=["150"] * 5,
            Type=["Univerisity", "Mixed Development", "OFFICE", " hotel ", "univerisity"],
            Rating=["GoldPlus", "NA", "Platinum", "", "goldplus"],
        ),
    )
    assert result.errors.num_rows == 0
    assert column(result, "building_type") == ["ihl", "mixed_use", "office", "hotel", "ihl"]
    assert column(result, "rating") == ["goldplus", None, "Platinum", None, "goldplus"]


@pytest.mark.parametrize("marker", ["NA", "", "-", "Missing Data", "  na  ", "missing data"])
def test_missing_markers_stay_missing_not_zero(tmp_path, marker):
    plan = plan_from(tmp_path, EB_MAPPING)
    result = score_text(plan, table(EUI=[marker, "250", "0.5"], GFA=[marker, "1,000", "1,000"]))
    assert result.errors.num_rows == 0
    assert column(result, "eui") == [None, 250.0, 0.5]
    assert column(result, "gfa") == [None, 1000.0, 1000.0]
    not_assessed = column(result, "n_not_assessed")
    not_met = column(result, "n_not_met")
    awarded = column(result, "n_awarded")
    # EB-1-1 is "not assessed" with a missing EUI, "not met" at 250 and awarded at 0.5:
    assert not_assessed[0] == not_assessed[1] + 1 == not_assessed[2] + 1
    assert not_met[1] == not_met[0] + 1 and awarded[2] == awarded[0] + 1
    assert column(result, "sec_energy") == [0.0, 0.0, 22.0]


MARKERS = ("", "NA", "N/A", "-", "Missing Data")
# Letters of the markers in both cases, white space, and characters that are not ASCII
# (the Kelvin sign lower-cases to "k"): cells near the markers and far from them.
CELL = st.text(alphabet=" \tnNaA/-mMiIsSgGdDtT\u212aKk\u00e9\u4e0d", max_size=14)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(st.one_of(st.none(), CELL, st.sampled_from(MARKERS)), max_size=30),
    start=st.integers(0, 3),
    markers=st.one_of(st.just(MARKERS), st.lists(CELL, max_size=3)),
)
def test_missing_cells_agree_with_the_rule_cell_by_cell(cells, start, markers):
    """Null, or one of the markers once trimmed, compared without case, as the scalar
    rule says, for every cell (also of a sliced column)."""
    column = pa.array(["x"] * start + cells, pa.string()).slice(start)
    expected = [value is None if not markers else is_missing(value, markers) for value in cells]
    assert missing_cells(column, markers).tolist() == expected


def test_ids_and_names_are_trimmed_and_markers_become_null(tmp_path):
    mapping = EB_MAPPING.replace('id = "ID"', 'id = "ID"\nname = "Name"')
    plan = plan_from(tmp_path, mapping)
    names = ["  Tower A ", "n/a", "Missing data", "NAB House", "-", "Missing Data Centre"]
    result = score_text(plan, table(EUI=["100"] * 6, Name=names, ID=["B1", " B2", "", *"456"]))
    assert column(result, "name") == [
        "Tower A",
        None,
        None,
        "NAB House",
        None,
        "Missing Data Centre",
    ]
    assert column(result, "id") == ["B1", "B2", None, "4", "5", "6"]


def test_thousands_separators_and_number_formats(tmp_path):
    plan = plan_from(tmp_path, EB_MAPPING)
    cells = ["65,640", "1,234,567.5", " 385 ", "1e3", "-", "1,5", "12,34", "1.2.3", "abc"]
    result = score_text(plan, table(EUI=["100"] * len(cells), GFA=cells))
    assert column(result, "row") == [0, 1, 2, 3, 4]
    assert column(result, "gfa") == [65640.0, 1234567.5, 385.0, 1000.0, None]
    errors = result.errors.to_pylist()
    assert [(e["row"], e["column"], e["value"], e["reason"]) for e in errors] == [
        (5, "GFA", "1,5", "not a number"),
        (6, "GFA", "12,34", "not a number"),
        (7, "GFA", "1.2.3", "not a number"),
        (8, "GFA", "abc", "not a number"),
    ]


def test_continental_number_format(tmp_path):
    text = EB_MAPPING.replace(
        'scheme = "gm-eb"', 'scheme = "gm-eb"\nthousands = "."\ndecimal = ","'
    )
    result = score_text(plan_from(tmp_path, text), table(EUI=["150,5"], GFA=["65.640,25"]))
    assert column(result, "gfa") == [65640.25] and column(result, "eui") == [150.5]


def test_bad_values_skip_their_row_and_say_why(tmp_path):
    plan = plan_from(tmp_path, EB_MAPPING)
    result = score_text(
        plan,
        table(
            EUI=["120", "abc", "3500", "200", "-5", "180"],
            Type=["Office", "Office", "Office", "Warehouse", "Office", "Hotel"],
            GFA=["1,000", "1,000", "1,000", "1,000", "1,000", "0"],
        ),
    )
    assert column(result, "row") == [0]
    reasons = {(e["row"], e["column"]): e["reason"] for e in result.errors.to_pylist()}
    assert reasons == {
        (1, "EUI"): "not a number",
        (2, "EUI"): "3,500 kWh/m2/yr is above the maximum 3,000 kWh/m2/yr of eui",
        (3, "Type"): "'Warehouse' is not a building type (office, retail, hotel, hospital, "
        "school, ihl, mixed_use) (add an alias in the mapping)",
        (4, "EUI"): "-5 kWh/m2/yr is below the minimum 0 kWh/m2/yr of eui",
        (5, "GFA"): "gross floor area must be positive, got 0 m2",
    }
    assert [e["id"] for e in result.errors.to_pylist()] == ["B2", "B3", "B4", "B5", "B6"]


def test_implausible_values_skip_or_become_missing(tmp_path):
    bounds = 'unit = "kWh/m2/yr"\nplausible = { min = 10, max = 1500 }'
    skip = EB_MAPPING.replace('unit = "kWh/m2/yr"', bounds)
    result = score_text(plan_from(tmp_path, skip), table(EUI=["0", "150", "2750"]))
    assert column(result, "row") == [1]
    assert [e["reason"] for e in result.errors.to_pylist()] == [
        "implausible eui 0 kWh/m2/yr: outside 10 to 1,500 kWh/m2/yr (mapping inputs.eui)",
        "implausible eui 2,750 kWh/m2/yr: outside 10 to 1,500 kWh/m2/yr (mapping inputs.eui)",
    ]
    missing = skip.replace(bounds, bounds + '\nimplausible = "missing"')
    result = score_text(plan_from(tmp_path, missing), table(EUI=["0", "150", "2750"]))
    assert result.errors.num_rows == 0
    assert column(result, "eui") == [None, 150.0, None]
    assert column(result, "flags") == [
        "implausible eui 0 kWh/m2/yr: outside 10 to 1,500 kWh/m2/yr (mapping inputs.eui); "
        "treated as missing",
        "",
        "implausible eui 2,750 kWh/m2/yr: outside 10 to 1,500 kWh/m2/yr (mapping inputs.eui); "
        "treated as missing",
    ]


def test_booleans_choices_and_whole_numbers(tmp_path):
    text = """\
[inputs]
has_carpark = "Carpark"
measured_months = "Months"
[inputs.ac_system]
column = "AC"
aliases = { "WC" = "water_cooled_chiller", "VRF" = "unitary" }
"""
    result = score_text(
        plan_from(tmp_path, text),
        {
            "Carpark": ["yes", "N", "TRUE", "0", "maybe", "NA"],
            "Months": ["12", "24", "12.0", "12.5", "12", "12"],
            "AC": ["WC", "VRF", "air_cooled_chiller", "unitary", "none", "split"],
        },
    )
    assert column(result, "row") == [0, 1, 2]
    assert [(e["row"], e["reason"]) for e in result.errors.to_pylist()] == [
        (3, "expected a whole number, got 12.5"),
        (4, "'maybe' is not true or false (add an alias in the mapping)"),
        (
            5,
            "'split' is not an option of ac_system (water_cooled_chiller, air_cooled_chiller, "
            "unitary, none) (add an alias in the mapping)",
        ),
    ]


def test_batch_scores_exactly_like_the_engine_on_the_sample_portfolio():
    """The 1,000-building CSV through the batch parser equals plain encode_inputs + score."""
    found = scheme("gm-nrb")
    source = open_source(NRB_CSV)
    plan = Plan.from_binding(found, bind(direct_mapping(found, source.columns), found))
    (chunk,) = list(source.chunks(plan.columns, 10_000))
    result = score_chunk(plan, chunk.batch)
    assert result.errors.num_rows == 0

    rows = []
    with NRB_CSV.open(newline="", encoding="utf-8") as stream:
        for record in csv.DictReader(stream):
            row: dict[str, object] = {}
            for name, spec in found.inputs.items():
                cell = record.get(name, "")
                if cell == "":
                    continue
                if spec.type == "boolean":
                    row[name] = cell == "true"
                elif spec.type == "choice":
                    row[name] = cell
                else:
                    row[name] = float(cell)
            row["building_type"] = record["building_type"]
            row["gfa"] = float(record["gfa"])
            rows.append(row)
    compiled = plan.compiled
    expected = score(compiled, encode_inputs(compiled, rows), size=len(rows))
    assert np.allclose(column(result, "total_points"), np.round(expected.total_points, 4))
    tiers = [found.tiers[i].id if i >= 0 else None for i in expected.tier_index]
    assert column(result, "tier") == tiers
    assert all(math.isfinite(v) for v in column(result, "total_points"))
