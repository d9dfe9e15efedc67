"""Embodied carbon from a bill of quantities, with a test table of round numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from greenmark.calc import carbon, tables
from greenmark.calc.errors import CalcError

TEST_TABLE = """
[meta]
title = "test factors"
version = "0"
scope = "A1-A3"

[materials.concrete]
description = "test concrete"
category = "concrete"
aliases = ["ready_mix"]
factor = { value = 0.1, unit = "kgCO2e/kg", source = "test", verified = false }
density = { value = 2400.0, unit = "kg/m3", source = "test", verified = false }

[materials.steel_rebar]
description = "test rebar"
category = "steel"
aliases = ["rebar"]
factor = { value = 2.0, unit = "kgCO2e/kg", source = "test", verified = false }
density = { value = 7850.0, unit = "kg/m3", source = "test", verified = false }

[materials.glass]
description = "test glass"
category = "glass"
factor = { value = 1.5, unit = "kgCO2e/kg", source = "test", verified = false }
areal_mass = { value = 15.0, unit = "kg/m2", source = "test", verified = false }

[materials.cement]
description = "test cement, no density"
category = "binder"
factor = { value = 0.9, unit = "kgCO2e/kg", source = "test", verified = false }
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tables.EmbodiedCarbonTable:
    folder: Path = tmp_path_factory.mktemp("factors")
    (folder / tables.EMBODIED_CARBON_FILE).write_text(TEST_TABLE, encoding="utf-8")
    return tables.embodied_carbon_table(folder)


def test_unit_conversions_through_density_and_tonnes(table: tables.EmbodiedCarbonTable) -> None:
    # 10 m3 concrete x 2400 kg/m3 = 24,000 kg x 0.1 = 2,400 kgCO2e
    # 2 t rebar = 2,000 kg x 2.0 = 4,000 kgCO2e
    # 20 m2 glass x 15 kg/m2 = 300 kg x 1.5 = 450 kgCO2e
    # 100 kg cement x 0.9 = 90 kgCO2e            total 6,940 kgCO2e
    boq = carbon.bill_of_quantities(
        ["concrete", "rebar", "glass", "cement"],
        [10, 2, 20, 100],
        ["m3", "t", "m2", "kg"],
        table=table,
    )
    np.testing.assert_allclose(boq.mass_kg, [24_000, 2_000, 300, 100])
    np.testing.assert_allclose(boq.kgco2e, [2_400, 4_000, 450, 90])
    np.testing.assert_allclose(carbon.embodied_carbon(boq), [6_940.0])
    assert carbon.material_breakdown(boq) == {
        "steel_rebar": 4_000.0,
        "concrete": 2_400.0,
        "glass": 450.0,
        "cement": 90.0,
    }


def test_per_line_density_overrides_the_table(table: tables.EmbodiedCarbonTable) -> None:
    # 1 m3 lightweight concrete at 1,800 kg/m3 -> 180 kgCO2e; cement 1 m3 at 1,500 -> 1,350
    boq = carbon.bill_of_quantities(
        ["concrete", "cement"], [1.0, 1.0], "m3", density_kg_m3=[1800.0, 1500.0], table=table
    )
    np.testing.assert_allclose(boq.kgco2e, [180.0, 1350.0])


def test_grouping_by_building_and_material(table: tables.EmbodiedCarbonTable) -> None:
    boq = carbon.bill_of_quantities(
        ["concrete", "rebar", "concrete", "glass"],
        [10, 2, 5, 20],
        ["m3", "t", "m3", "m2"],
        building=[0, 0, 2, 2],
        table=table,
    )
    totals = carbon.embodied_carbon(boq)
    np.testing.assert_allclose(totals, [6_400.0, 0.0, 1_200.0 + 450.0])
    matrix = carbon.carbon_by_material(boq)
    assert matrix.shape == (3, len(boq.materials))
    np.testing.assert_allclose(matrix.sum(axis=1), totals)
    assert carbon.material_breakdown(boq, building=2) == {"concrete": 1_200.0, "glass": 450.0}
    # intensity: 6,400 kgCO2e over 100 m2 = 64 kgCO2e/m2
    assert carbon.carbon_intensity(totals[0], 100.0) == pytest.approx(64.0)
    # concrete usage index: 10 m3 over 25 m2 = 0.4 m3/m2
    volume = carbon.concrete_volume_m3(boq)
    np.testing.assert_allclose(volume, [10.0, 0.0, 5.0])
    assert carbon.concrete_usage_index(volume[0], 25.0) == pytest.approx(0.4)


def test_concrete_given_by_mass_counts_towards_cui(table: tables.EmbodiedCarbonTable) -> None:
    boq = carbon.bill_of_quantities(["concrete", "concrete"], [2.4, 1.0], ["t", "m3"], table=table)
    np.testing.assert_allclose(carbon.concrete_volume_m3(boq), [2.0])


def test_reduction_against_reference() -> None:
    # design 420 kgCO2e/m2 against reference 600 -> 30 % reduction
    assert carbon.carbon_reduction(420.0, 600.0) == pytest.approx(0.30)


def test_unknown_material_names_line_and_suggests(table: tables.EmbodiedCarbonTable) -> None:
    with pytest.raises(CalcError) as info:
        carbon.bill_of_quantities(["concrete", "glass", "concreet"], [1, 1, 1], "kg", table=table)
    message = str(info.value)
    assert "BoQ line 3" in message
    assert "'concreet'" in message and "did you mean 'concrete'" in message
    assert info.value.items == (3,)
    assert "concrete" in info.value.suggestions


def test_missing_density_names_line(table: tables.EmbodiedCarbonTable) -> None:
    with pytest.raises(CalcError, match=r"BoQ line 2: quantity in m3 of 'cement' needs a density"):
        carbon.bill_of_quantities(["concrete", "cement"], [1, 1], "m3", table=table)
    with pytest.raises(CalcError, match=r"BoQ line 1: .*m2 of 'steel_rebar' needs an areal mass"):
        carbon.bill_of_quantities(["rebar"], [1], "m2", table=table)


def test_bad_units_and_quantities(table: tables.EmbodiedCarbonTable) -> None:
    with pytest.raises(CalcError, match=r"BoQ line 2: unknown unit 'ft3'"):
        carbon.bill_of_quantities(["concrete", "concrete"], [1, 1], ["m3", "ft3"], table=table)
    with pytest.raises(CalcError, match=r"quantities: expected .* BoQ line 2"):
        carbon.bill_of_quantities(["concrete", "concrete"], [1, -1], "kg", table=table)
    with pytest.raises(CalcError, match=r"quantities: expected 2 values"):
        carbon.bill_of_quantities(["concrete", "concrete"], [1, 1, 1], "kg", table=table)


def test_codes_and_names_give_the_same_result(table: tables.EmbodiedCarbonTable) -> None:
    names = ["concrete", "Rebar", "ready-mix", "glass"]
    codes = carbon.material_codes(names, table)
    np.testing.assert_array_equal(codes, [0, 1, 0, 2])
    by_name = carbon.bill_of_quantities(names, [1, 2, 3, 4], ["m3", "t", "kg", "m2"], table=table)
    by_code = carbon.bill_of_quantities(
        codes, [1, 2, 3, 4], carbon.unit_codes(["m3", "t", "kg", "m2"]), table=table
    )
    np.testing.assert_array_equal(by_name.kgco2e, by_code.kgco2e)
    single = [
        carbon.embodied_carbon(carbon.bill_of_quantities([n], [q], [u], table=table))[0]
        for n, q, u in zip(names, [1, 2, 3, 4], ["m3", "t", "kg", "m2"], strict=True)
    ]
    np.testing.assert_allclose(single, by_name.kgco2e)


def test_shipped_table_factors_are_used() -> None:
    shipped = tables.embodied_carbon_table()
    rebar = shipped.materials["steel_rebar"].factor.value
    boq = carbon.bill_of_quantities(["steel_rebar"], [1.0], ["t"])
    assert carbon.embodied_carbon(boq)[0] == pytest.approx(1000.0 * rebar)
    assert carbon.concrete_usage_index([40.0, 70.0], 100.0) == pytest.approx([0.4, 0.7])
