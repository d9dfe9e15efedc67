"""Block-wise paths: same results as the exact paths, errors name the right item anywhere."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from greenmark.calc import blocks, carbon, envelope, tables
from greenmark.calc.errors import CalcError, Groups

SMALL_BLOCK = 1_000
N = 4_321  # not a multiple of SMALL_BLOCK: the last block is short


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 1,000 items, so that a few thousand items span several blocks."""
    monkeypatch.setattr(envelope, "BLOCK", SMALL_BLOCK)
    monkeypatch.setattr(carbon, "BLOCK", SMALL_BLOCK)


def _facades(n: int = N, seed: int = 4) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "wwr": rng.uniform(0, 1, n),
        "u_wall": rng.uniform(0.2, 3, n),
        "u_fen": rng.uniform(1, 6, n),
        "cf": rng.uniform(0.7, 1.3, n),
        "sc1": rng.uniform(0.1, 1, n),
        "sc2": rng.uniform(0.4, 1, n),
    }


def _reference_ettv(f: dict[str, Any]) -> Any:
    sc = np.asarray(f["sc1"]) * np.asarray(f["sc2"])
    w = np.asarray(f["wwr"])
    return 12 * (1 - w) * f["u_wall"] + 3.4 * w * f["u_fen"] + 211 * w * f["cf"] * sc


# --------------------------------------------------------------------------- bit tests


def test_bit_patterns_test_ranges_finiteness_and_nan() -> None:
    values = np.array([0.0, 5e-324, 0.5, 1.0, np.nextafter(1.0, 2.0), 2.0, 1e308])
    bits = blocks.float_bits(values)
    assert [b <= blocks.ONE_BITS for b in bits] == [True, True, True, True, False, False, False]
    assert all(b < blocks.INF_BITS for b in bits)
    for bad in (np.inf, -np.inf, np.nan, -1.0, -5e-324, -0.0):
        assert blocks.float_bits(np.array([bad]))[0] > blocks.ONE_BITS
        assert blocks.float_bits(np.array([bad]))[0] >= blocks.INF_BITS
    codes = np.array([0, 3, -1], dtype=np.intp)
    assert blocks.int_bits(codes).max() >= 4  # a negative code fails "< n"


# --------------------------------------------------------------------------- run sums


@pytest.mark.parametrize("order", ["sorted", "shuffled", "one_group"])
def test_run_sums_equal_bincount(order: str) -> None:
    rng = np.random.default_rng(9)
    group = np.sort(rng.integers(0, 40, N))
    if order == "shuffled":
        group = rng.permutation(group)
    elif order == "one_group":
        group = np.full(N, 7)
    weights = rng.uniform(0, 1, N)
    sums = blocks.RunSums(2, SMALL_BLOCK)
    for start in range(0, N, SMALL_BLOCK):
        part = slice(start, start + SMALL_BLOCK)
        sums.add(start, group[part], weights[part], 2 * weights[part])
    expected = np.bincount(group, weights=weights, minlength=50)
    np.testing.assert_allclose(sums.result(0, 50), expected)
    np.testing.assert_allclose(sums.result(1, 50), 2 * expected)
    assert sums.lowest() == group.min() and sums.highest() == group.max()
    starts = sums.sorted_starts()
    if order == "shuffled":
        assert starts is None
    else:
        reference = Groups.of(group, N)
        assert reference.starts is not None and starts is not None
        np.testing.assert_array_equal(starts, reference.starts)


def test_run_sums_without_groups_sum_everything() -> None:
    weights = np.arange(N, dtype=np.float64)
    sums = blocks.RunSums(1, SMALL_BLOCK)
    for start in range(0, N, SMALL_BLOCK):
        sums.add(start, None, weights[start : start + SMALL_BLOCK])
    np.testing.assert_allclose(sums.result(0, 1), [weights.sum()])
    np.testing.assert_array_equal(sums.sorted_starts(), [0])


# --------------------------------------------------------------------------- ETTV


@pytest.mark.usefixtures("small_blocks")
def test_blocked_ettv_equals_the_formula_with_scalars_mixed_in() -> None:
    f = _facades()
    np.testing.assert_allclose(envelope.ettv(**f), _reference_ettv(f), rtol=1e-12)
    inputs = tuple(np.asarray(f[k]) for k in ("wwr", "u_wall", "u_fen", "cf", "sc1", "sc2"))
    assert envelope._blocked_transfer(12.0, 3.4, 211.0, inputs, N) is not None  # blocks taken
    mixed = {**f, "cf": 1.1, "sc2": np.array([0.8]), "u_wall": 0.5}
    np.testing.assert_allclose(envelope.ettv(**mixed), _reference_ettv(mixed), rtol=1e-12)
    # a -0.0 is a false alarm of the bit test: the exact checks accept it
    signed_zero = {**f, "wwr": f["wwr"].copy()}
    signed_zero["wwr"][3_500] = -0.0
    np.testing.assert_allclose(
        envelope.ettv(**signed_zero), _reference_ettv(signed_zero), rtol=1e-12
    )


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("sc1", 1.5, r"sc1: expected .* item 4002 \(first: 1\.5\)"),
        ("u_fen", np.nan, r"u_fen: expected a finite value >= 0 at item 4002 \(first: nan\)"),
        ("u_wall", -0.1, r"u_wall: expected .* item 4002"),
        ("cf", 0.0, r"cf: expected a finite value > 0 at item 4002"),
        ("wwr", np.inf, r"wwr: expected .* item 4002"),
    ],
)
def test_blocked_ettv_error_in_the_last_block_names_the_facade(
    field: str, bad: float, message: str
) -> None:
    f = _facades()
    f[field] = f[field].copy()
    f[field][4_001] = bad
    with pytest.raises(CalcError, match=message):
        envelope.ettv(**f)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("layout", ["sorted", "shuffled", "few_buildings"])
def test_blocked_ettv_by_building_equals_the_weighted_mean(layout: str) -> None:
    rng = np.random.default_rng(2)
    values = rng.uniform(10, 80, N)
    areas = rng.uniform(5, 50, N)
    n_groups = {"sorted": 300, "shuffled": 300, "few_buildings": 2}[layout]
    building = np.sort(rng.integers(0, n_groups, N))
    if layout == "shuffled":
        building = rng.permutation(building)
    expected = np.bincount(building, weights=areas * values) / np.bincount(building, weights=areas)
    got = envelope.ettv_by_building(values, areas, building)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert envelope._blocked_area_sums(values, areas, building) is not None  # blocks taken
    assert got.shape == (n_groups,)


@pytest.mark.usefixtures("small_blocks")
def test_blocked_ettv_by_building_errors_match_the_exact_path() -> None:
    rng = np.random.default_rng(5)
    values = rng.uniform(10, 80, N)
    areas = rng.uniform(5, 50, N)
    building = np.sort(rng.integers(0, 50, N))
    bad_area = areas.copy()
    bad_area[3_999] = np.nan
    with pytest.raises(CalcError, match=r"wall_area_m2: expected .* item 4000"):
        envelope.ettv_by_building(values, bad_area, building)
    negative = building.copy()
    negative[4_200] = -1
    with pytest.raises(CalcError, match=r"building: expected a building index >= 0 at facade 4201"):
        envelope.ettv_by_building(values, areas, negative)
    with pytest.raises(CalcError, match="n_buildings: expected at least 50"):
        envelope.ettv_by_building(values, areas, building, 10)
    with pytest.raises(CalcError, match=r"none for building 50 \(0-based\)"):
        envelope.ettv_by_building(values, areas, building, 51)
    no_walls = areas.copy()
    no_walls[building == 49] = 0.0
    with pytest.raises(CalcError, match=r"none for building 49 \(0-based\)"):
        envelope.ettv_by_building(values, no_walls, building)
    # one building for all facades (no index), and a broadcast area
    np.testing.assert_allclose(
        envelope.ettv_by_building(values, areas, None), [np.average(values, weights=areas)]
    )
    one = np.zeros(N, dtype=int)
    np.testing.assert_allclose(envelope.ettv_by_building(values, 2.0, one), [values.mean()])


# --------------------------------------------------------------------------- BoQ


def _boq_lines(n: int = N, seed: int = 8) -> dict[str, Any]:
    table = tables.embodied_carbon_table()
    _, density, areal, _ = table.arrays()
    rng = np.random.default_rng(seed)
    material = rng.integers(0, len(table.keys), n)
    unit = rng.integers(0, 2, n)
    unit[~np.isnan(density[material]) & (rng.random(n) < 0.5)] = 2
    unit[~np.isnan(areal[material]) & (rng.random(n) < 0.5)] = 3
    return {
        "material": material,
        "unit": unit,
        "quantity": rng.uniform(0, 50, n),
        "building": np.sort(rng.integers(0, 200, n)),
    }


def _line_kgco2e(lines: dict[str, Any]) -> Any:
    factor, density, areal, _ = tables.embodied_carbon_table().arrays()
    m, u = lines["material"], lines["unit"]
    kg_per_unit = np.select([u == 0, u == 1, u == 2], [1.0, 1000.0, density[m]], areal[m])
    return lines["quantity"] * kg_per_unit * factor[m]


@pytest.mark.usefixtures("small_blocks")
def test_blocked_boq_equals_line_by_line() -> None:
    lines = _boq_lines()
    boq = carbon.bill_of_quantities(
        lines["material"], lines["quantity"], lines["unit"], building=lines["building"]
    )
    assert "building_kgco2e" in boq.__dict__  # summed in blocks, not by the exact path
    per_line = _line_kgco2e(lines)
    np.testing.assert_allclose(boq.kgco2e, per_line, rtol=1e-12)
    np.testing.assert_allclose(
        carbon.embodied_carbon(boq), np.bincount(lines["building"], weights=per_line), rtol=1e-12
    )
    factor = tables.embodied_carbon_table().arrays()[0]
    np.testing.assert_allclose(boq.mass_kg * factor[lines["material"]], per_line, rtol=1e-12)
    reference = Groups.of(lines["building"], N)
    assert boq.groups.n == reference.n
    assert reference.starts is not None and boq.groups.starts is not None
    np.testing.assert_array_equal(boq.groups.starts, reference.starts)
    # shuffled lines: same totals, no runs
    order = np.random.default_rng(1).permutation(N)
    shuffled = carbon.bill_of_quantities(
        lines["material"][order],
        lines["quantity"][order],
        lines["unit"][order],
        building=lines["building"][order],
    )
    assert shuffled.groups.starts is None
    np.testing.assert_allclose(
        carbon.embodied_carbon(shuffled), carbon.embodied_carbon(boq), rtol=1e-12
    )
    np.testing.assert_allclose(
        carbon.carbon_by_material(shuffled), carbon.carbon_by_material(boq), rtol=1e-12
    )


@pytest.mark.usefixtures("small_blocks")
def test_blocked_boq_names_one_unit_and_no_building() -> None:
    table = tables.embodied_carbon_table()
    lines = _boq_lines()
    names = [table.keys[i] for i in lines["material"]]
    kg = {**lines, "unit": np.zeros(N, dtype=int)}
    boq = carbon.bill_of_quantities(names, lines["quantity"], "kg")
    assert boq.n_buildings == 1 and len(boq) == N
    np.testing.assert_allclose(boq.kgco2e, _line_kgco2e(kg), rtol=1e-12)
    np.testing.assert_allclose(carbon.embodied_carbon(boq), [_line_kgco2e(kg).sum()])
    assert carbon.embodied_carbon(boq) is not carbon.embodied_carbon(boq)  # callers get a copy
    # the result per building is at least n_buildings long
    grouped = carbon.bill_of_quantities(
        lines["material"], lines["quantity"], 0, building=lines["building"], n_buildings=250
    )
    assert carbon.embodied_carbon(grouped).shape == (250,)


@pytest.mark.usefixtures("small_blocks")
def test_blocked_boq_errors_in_a_later_block_name_the_line() -> None:
    table = tables.embodied_carbon_table()
    lines = _boq_lines()
    cement = table.keys.index("cement")  # no density in the table

    def build(**change: Any) -> carbon.BillOfQuantities:
        given = {**lines, **{k: v.copy() for k, v in lines.items()}}
        for key, (position, value) in change.items():
            given[key][position] = value
        return carbon.bill_of_quantities(
            given["material"], given["quantity"], given["unit"], building=given["building"]
        )

    with pytest.raises(CalcError, match=r"BoQ line 3002: quantity in m3 of 'cement' needs a dens"):
        lines_m3 = {**lines, "unit": lines["unit"].copy(), "material": lines["material"].copy()}
        lines_m3["material"][3_001] = cement
        lines_m3["unit"][3_001] = 2
        carbon.bill_of_quantities(lines_m3["material"], lines["quantity"], lines_m3["unit"])
    with pytest.raises(CalcError, match=r"quantities: .* BoQ line 4001 \(first: -1\.0\)"):
        build(quantity=(4_000, -1.0))
    with pytest.raises(CalcError, match=r"quantities: .* BoQ line 2501 \(first: inf\)"):
        build(quantity=(2_500, np.inf))
    with pytest.raises(CalcError, match=r"material: expected a code 0\.\.\d+ at BoQ line 3334"):
        build(material=(3_333, len(table.keys)))
    with pytest.raises(CalcError, match=r"material: .* at BoQ line 1001 \(first: -1\)"):
        build(material=(1_000, -1))
    with pytest.raises(CalcError, match=r"unit: expected a code 0\.\.3 at BoQ line 4321"):
        build(unit=(4_320, 4))
    with pytest.raises(CalcError, match=r"building: expected a building index >= 0 at BoQ line 1"):
        build(building=(0, -3))
    # a zero quantity still needs a conversion: missing density is never a silent zero
    zero = {**lines, "quantity": lines["quantity"].copy()}
    zero["quantity"][:] = 0.0
    zero_material = lines["material"].copy()
    zero_material[3_500] = cement
    zero_unit = lines["unit"].copy()
    zero_unit[3_500] = 2
    with pytest.raises(CalcError, match=r"BoQ line 3501: quantity in m3 of 'cement'"):
        carbon.bill_of_quantities(zero_material, zero["quantity"], zero_unit)


# --------------------------------------------------------------------------- table cache


def test_table_cache_follows_folder_and_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tables.factors_dir()
    folder = tmp_path / "factors"
    folder.mkdir()
    path = folder / tables.ENVELOPE_FILE
    path.write_text((source / tables.ENVELOPE_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    first = tables.envelope_table(folder)
    assert tables.envelope_table(folder) is first  # cached
    assert tables.envelope_table(str(folder)) is first
    # a relative folder resolves against the current directory
    monkeypatch.chdir(tmp_path)
    assert tables.envelope_table("factors") is first
    # an edited table is read again without clearing the cache
    text = path.read_text(encoding="utf-8")
    edited = text.replace('value = 50.0, unit = "W/m2"', 'value = 45.0, unit = "W/m2"', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert tables.envelope_table(folder).ettv.limit.value == 45.0
    # the criteria folder follows GREENMARK_CRITERIA
    criteria = tmp_path / "criteria"
    (criteria / "factors").mkdir(parents=True)
    (criteria / "factors" / tables.ENVELOPE_FILE).write_text(edited, encoding="utf-8")
    default = tables.envelope_table()
    monkeypatch.setenv("GREENMARK_CRITERIA", str(criteria))
    assert tables.envelope_table().ettv.limit.value == 45.0
    monkeypatch.delenv("GREENMARK_CRITERIA")
    assert tables.envelope_table() is default


def test_cached_table_lookup_is_cheap() -> None:
    tables.envelope_table()
    start = time.perf_counter()
    for _ in range(1_000):
        tables.envelope_table()
    assert time.perf_counter() - start < 0.1  # a stat per call, no path resolution
