"""Large inputs take the chunked / sorted fast paths: same results, same error messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from greenmark.calc import carbon, envelope, tables, water
from greenmark.calc.errors import CalcError, Groups

N = 100_000  # > 3 chunks of 32,768


@pytest.fixture(scope="module")
def facades() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    return {
        "wwr": rng.uniform(0, 1, N),
        "u_wall": rng.uniform(0.2, 3, N),
        "u_fen": rng.uniform(1, 6, N),
        "cf": rng.uniform(0.7, 1.3, N),
        "sc1": rng.uniform(0.1, 1, N),
        "sc2": rng.uniform(0.4, 1, N),
    }


def test_chunked_ettv_equals_the_formula(facades: dict[str, Any]) -> None:
    f = facades
    expected = (
        12 * (1 - f["wwr"]) * f["u_wall"]
        + 3.4 * f["wwr"] * f["u_fen"]
        + 211 * f["wwr"] * f["cf"] * f["sc1"] * f["sc2"]
    )
    np.testing.assert_allclose(envelope.ettv(**f), expected, rtol=1e-12)
    # a scalar among arrays broadcasts in the chunked path too
    no_sc2 = {k: v for k, v in f.items() if k != "sc2"}
    np.testing.assert_allclose(
        envelope.ettv(**no_sc2, sc2=0.5), envelope.ettv(**no_sc2, sc2=np.full(N, 0.5))
    )


def test_error_in_a_late_chunk_names_the_facade(facades: dict[str, Any]) -> None:
    bad = dict(facades)
    bad["sc1"] = facades["sc1"].copy()
    bad["sc1"][90_000] = 1.5
    with pytest.raises(CalcError, match=r"sc1: expected .* item 90001 \(first: 1\.5\)"):
        envelope.ettv(**bad)


def test_sorted_and_unsorted_groups_agree() -> None:
    rng = np.random.default_rng(3)
    building = np.sort(rng.integers(0, 500, N))
    weights = rng.uniform(0, 10, N)
    sorted_groups = Groups.of(building, N, 600)
    assert sorted_groups.starts is not None
    order = rng.permutation(N)
    shuffled = Groups.of(building[order], N, 600)
    assert shuffled.starts is None
    np.testing.assert_allclose(sorted_groups.sum(weights), shuffled.sum(weights[order]))
    np.testing.assert_allclose(
        sorted_groups.sum(weights), np.bincount(building, weights=weights, minlength=600)
    )
    # runs that repeat a building out of order are not "sorted"
    assert Groups.of([0, 0, 1, 1, 0], 5).starts is None
    with pytest.raises(CalcError, match="n_buildings"):
        Groups.of(building, N, 10)
    with pytest.raises(CalcError, match=r"building: expected a building index >= 0 at item 3"):
        Groups.of([1, 0, -1], 3)


def test_chunked_boq_equals_line_by_line() -> None:
    table = tables.embodied_carbon_table()
    factor, density, _, _ = table.arrays()
    rng = np.random.default_rng(5)
    material = rng.integers(0, len(table.keys), N)
    unit = rng.integers(0, 2, N)
    unit[~np.isnan(density[material]) & (rng.random(N) < 0.5)] = 2
    quantity = rng.uniform(0, 50, N)
    building = np.sort(rng.integers(0, 100, N))
    boq = carbon.bill_of_quantities(material, quantity, unit, building=building)
    kg = np.where(unit == 0, 1.0, np.where(unit == 1, 1000.0, density[material])) * quantity
    np.testing.assert_allclose(boq.mass_kg, kg)
    np.testing.assert_allclose(boq.kgco2e, kg * factor[material])
    np.testing.assert_allclose(
        carbon.embodied_carbon(boq), np.bincount(building, weights=kg * factor[material])
    )
    # the same lines given by name
    names = [table.keys[i] for i in material]
    units = [carbon.UNITS[u] for u in unit]
    by_name = carbon.bill_of_quantities(names, quantity, units, building=building)
    np.testing.assert_array_equal(by_name.kgco2e, boq.kgco2e)


def test_chunked_boq_errors_name_the_line() -> None:
    table = tables.embodied_carbon_table()
    cement = table.keys.index("cement")  # no density in the table
    material = np.zeros(N, dtype=np.intp)
    material[70_000] = cement
    unit = np.full(N, 2)
    with pytest.raises(CalcError, match=r"BoQ line 70001: quantity in m3 of 'cement'"):
        carbon.bill_of_quantities(material, np.ones(N), unit)
    quantity = np.ones(N)
    quantity[50_000] = np.nan
    with pytest.raises(CalcError, match=r"quantities: .* BoQ line 50001"):
        carbon.bill_of_quantities(np.zeros(N, dtype=np.intp), quantity, "kg")


def test_many_fittings_in_one_call() -> None:
    rng = np.random.default_rng(11)
    flows = rng.uniform(0, 8, N)
    ticks = water.wels_ticks("basin_tap", flows)
    expected = np.select([flows <= 2, flows <= 4, flows <= 6], [3, 2, 1], 0)
    np.testing.assert_array_equal(ticks, expected)
