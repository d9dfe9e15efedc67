"""Compiled kernels: same results as the exact numpy paths, same errors, any item."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmark.calc import carbon, envelope, kernels, tables
from greenmark.calc.errors import CalcError, Groups

SMALL = 64  # kernel threshold in these tests
N = 4_321
FIELDS = ("wwr", "u_wall", "u_fen", "cf", "sc1", "sc2")


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels from :data:`SMALL` items up, so that small inputs exercise them."""
    monkeypatch.setattr(kernels, "THRESHOLD", SMALL)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", result)`` or ``("error", (message, items, suggestions))``."""
    try:
        return "ok", call()
    except CalcError as exc:
        return "error", (str(exc), exc.items, exc.suggestions)


def _both(call: Callable[[], Any], threshold: int = SMALL) -> tuple[Any, Any]:
    """Outcome with the kernels (from ``threshold`` items) and with numpy only."""
    old = kernels.THRESHOLD
    try:
        kernels.THRESHOLD = threshold
        fast = _outcome(call)
        kernels.THRESHOLD = sys.maxsize
        exact = _outcome(call)
    finally:
        kernels.THRESHOLD = old
    return fast, exact


def _same(fast: tuple[str, Any], exact: tuple[str, Any], exact_values: bool = True) -> None:
    assert fast[0] == exact[0], (fast, exact)
    if fast[0] == "error":
        assert fast[1] == exact[1]
    elif exact_values:
        np.testing.assert_array_equal(fast[1], exact[1])
    else:
        np.testing.assert_allclose(fast[1], exact[1], rtol=1e-12, atol=1e-9)


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


# --------------------------------------------------------------------------- properties

_BAD = st.sampled_from([np.nan, np.inf, -np.inf, -0.5, 1.5, 0.0, -0.0])


@st.composite
def _facade_case(draw: st.DrawFn) -> tuple[dict[str, Any], Any, Any]:
    """Facade inputs around the threshold, some scalars, maybe one bad value; areas and
    building indices (unsorted) for the per-building sums."""
    n = draw(st.integers(0, 3 * SMALL))
    seed = draw(st.integers(0, 2**32 - 1))
    f = _facades(n, seed)
    for name in FIELDS[:-1] if n else ():  # sc2 stays an array: one input has n entries
        kind = draw(st.sampled_from(["array", "array", "scalar", "one"]))
        if kind == "scalar":
            f[name] = float(f[name][0])
        elif kind == "one":
            f[name] = f[name][:1]
    if n and draw(st.booleans()):
        name = draw(st.sampled_from(FIELDS))
        values = np.array(np.broadcast_to(f[name], (n,)), dtype=np.float64)
        values[draw(st.integers(0, n - 1))] = draw(_BAD)
        f[name] = values
    rng = np.random.default_rng(seed)
    areas: Any = rng.uniform(0, 50, n) if draw(st.booleans()) else 3.0
    if n and draw(st.booleans()) and isinstance(areas, np.ndarray):
        areas[draw(st.integers(0, n - 1))] = draw(_BAD)
    building = rng.integers(0, max(1, n // 8), n)
    if n and draw(st.booleans()):
        building[draw(st.integers(0, n - 1))] = -1
    return f, areas, building


@settings(max_examples=150, deadline=None)
@given(_facade_case())
def test_kernel_ettv_and_retv_equal_the_numpy_path(case: tuple[dict[str, Any], Any, Any]) -> None:
    f, _, _ = case
    _same(*_both(lambda: envelope.ettv(**f)))
    _same(*_both(lambda: envelope.retv(**f)))


@settings(max_examples=150, deadline=None)
@given(_facade_case(), st.sampled_from([None, "given", "more"]))
def test_kernel_per_building_sums_equal_the_numpy_path(
    case: tuple[dict[str, Any], Any, Any], n_buildings: str | None
) -> None:
    f, areas, building = case
    highest = int(building.max()) + 1 if building.size else 0
    n = {None: None, "given": highest, "more": highest + 2}[n_buildings]
    with np.errstate(invalid="ignore", over="ignore"):  # a bad value may give inf - inf
        values = _reference_ettv(f)
    _same(*_both(lambda: envelope.ettv_by_building(values, areas, building, n)), exact_values=False)
    for per_building in (envelope.ettv_per_building, envelope.retv_per_building):
        fast, exact = _both(
            lambda p=per_building: p(**f, wall_area_m2=areas, building=building, n_buildings=n)
        )
        _same(fast, exact, exact_values=False)
    # the one-pass entry point is the composition of the two steps
    composed = _outcome(lambda: envelope.ettv_by_building(envelope.ettv(**f), areas, building, n))
    direct = _outcome(
        lambda: envelope.ettv_per_building(
            **f, wall_area_m2=areas, building=building, n_buildings=n
        )
    )
    _same(direct, composed, exact_values=False)


@st.composite
def _boq_case(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 3 * SMALL))
    lines = _boq_lines(n, draw(st.integers(0, 2**32 - 1)), sort=draw(st.booleans()))
    if n and draw(st.booleans()):
        field, bad = draw(
            st.sampled_from(
                [
                    ("quantity", np.nan),
                    ("quantity", -1.0),
                    ("quantity", np.inf),
                    ("material", -1),
                    ("material", 10_000),
                    ("unit", 4),
                    ("unit", -1),
                    ("building", -2),
                    ("missing", 0),
                ]
            )
        )
        at = draw(st.integers(0, n - 1))
        if field == "missing":  # cement has no density: a m3 line cannot be converted
            lines["material"][at] = tables.embodied_carbon_table().keys.index("cement")
            lines["unit"][at] = 2
        else:
            lines[field][at] = bad
    if draw(st.booleans()):
        lines["unit"] = draw(st.sampled_from([0, 1, "kg", "t"]))
    if draw(st.booleans()):
        lines["building"] = None
    return lines


@settings(max_examples=150, deadline=None)
@given(_boq_case(), st.booleans(), st.sampled_from([None, 0, 3]))
def test_kernel_boq_equals_the_numpy_path(
    lines: dict[str, Any], by_name: bool, extra_buildings: int | None
) -> None:
    table = tables.embodied_carbon_table()
    materials: Any = lines["material"]
    if by_name and all(0 <= m < len(table.keys) for m in materials):
        materials = [table.keys[m] for m in materials]
    building = lines["building"]
    n = None
    if extra_buildings is not None and building is not None and building.size:
        n = max(int(building.max()) + 1, 0) + extra_buildings

    def totals() -> Any:
        boq = carbon.bill_of_quantities(
            materials, lines["quantity"], lines["unit"], building=building, n_buildings=n
        )
        return (
            carbon.embodied_carbon(boq),
            boq.kgco2e,
            boq.mass_kg,
            boq.groups.n,
            boq.groups.starts,
        )

    fast, exact = _both(totals)
    assert fast[0] == exact[0], (fast, exact)
    if fast[0] == "error":
        assert fast[1] == exact[1]
        return
    totals_fast, line_fast, *rest_fast = fast[1]
    totals_exact, line_exact, *rest_exact = exact[1]
    np.testing.assert_allclose(totals_fast, totals_exact, rtol=1e-12, atol=1e-9)
    # per line: quantity x (kgCO2e per unit) against (quantity x kg per unit) x factor
    np.testing.assert_allclose(line_fast, line_exact, rtol=1e-15, atol=0)
    for got, expected in zip(rest_fast, rest_exact, strict=True):  # mass, n, starts
        np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------- ETTV


@pytest.mark.usefixtures("small_threshold")
def test_kernel_ettv_equals_the_formula_with_scalars_mixed_in() -> None:
    f = _facades()
    np.testing.assert_allclose(envelope.ettv(**f), _reference_ettv(f), rtol=1e-12)
    mixed = {**f, "cf": 1.1, "sc2": np.array([0.8]), "u_wall": 0.5}
    np.testing.assert_allclose(envelope.ettv(**mixed), _reference_ettv(mixed), rtol=1e-12)
    # read-only and strided inputs are accepted as they are
    frozen = {k: np.array(v) for k, v in f.items()}
    for value in frozen.values():
        value.flags.writeable = False
    np.testing.assert_array_equal(envelope.ettv(**frozen), envelope.ettv(**f))
    strided = {k: np.repeat(v, 2)[::2] for k, v in f.items()}
    np.testing.assert_array_equal(envelope.ettv(**strided), envelope.ettv(**f))
    # -0.0 is >= 0: accepted like 0.0
    signed_zero = {**f, "wwr": f["wwr"].copy()}
    signed_zero["wwr"][3_500] = -0.0
    np.testing.assert_allclose(
        envelope.ettv(**signed_zero), _reference_ettv(signed_zero), rtol=1e-12
    )


def test_kernels_accept_what_the_calculators_pass() -> None:
    k = kernels.compiled()
    out = np.empty(3)
    ones = np.ones(3)
    assert k.transfer(12.0, 3.4, 211.0, ones, ones, ones, ones, ones, ones, out) == -1
    np.testing.assert_allclose(out, 211.0 + 3.4)
    bad = ones.copy()
    bad[2] = np.nan
    assert k.transfer(12.0, 3.4, 211.0, ones, ones, ones, ones, ones, bad, out) == 2
    # an empty input is fine, and a building index out of range is rejected, not written
    empty = np.zeros(0)
    assert k.weighted_sums(empty, empty, np.zeros(0, dtype=np.intp), out, out) == -1
    weighted, total = np.zeros(2), np.zeros(2)
    index = np.array([1, 0, 2], dtype=np.intp)
    assert k.weighted_sums(ones, ones, index, weighted, total) == 2
    assert kernels.compiled() is k


@pytest.mark.usefixtures("small_threshold")
@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("sc1", 1.5, r"sc1: expected .* item 4002 \(first: 1\.5\)"),
        ("u_fen", np.nan, r"u_fen: expected a finite value >= 0 at item 4002 \(first: nan\)"),
        ("u_wall", -0.1, r"u_wall: expected .* item 4002"),
        ("cf", 0.0, r"cf: expected a finite value > 0 at item 4002"),
        ("cf", -0.0, r"cf: expected a finite value > 0 at item 4002"),
        ("wwr", np.inf, r"wwr: expected .* item 4002"),
    ],
)
def test_kernel_ettv_error_in_a_late_item_names_the_facade(
    field: str, bad: float, message: str
) -> None:
    f = _facades()
    f[field] = f[field].copy()
    f[field][4_001] = bad
    with pytest.raises(CalcError, match=message):
        envelope.ettv(**f)
    with pytest.raises(CalcError, match=message):
        envelope.ettv_per_building(**f, wall_area_m2=1.0)


@pytest.mark.usefixtures("small_threshold")
@pytest.mark.parametrize("layout", ["sorted", "shuffled", "few_buildings"])
def test_kernel_ettv_by_building_equals_the_weighted_mean(layout: str) -> None:
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
    assert got.shape == (n_groups,)
    f = _facades()
    per_facade = envelope.ettv(**f)
    expected = np.bincount(building, weights=areas * per_facade) / np.bincount(
        building, weights=areas
    )
    np.testing.assert_allclose(
        envelope.ettv_per_building(**f, wall_area_m2=areas, building=building),
        expected,
        rtol=1e-12,
    )
    # building indices as int32 are accepted too
    np.testing.assert_allclose(
        envelope.ettv_by_building(values, areas, building.astype(np.int32)),
        got,
        rtol=1e-12,
    )


@pytest.mark.usefixtures("small_threshold")
def test_kernel_ettv_by_building_errors_match_the_exact_path() -> None:
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
    # float building indices holding whole numbers take the exact path, same result
    np.testing.assert_allclose(
        envelope.ettv_by_building(values, areas, building.astype(float)),
        envelope.ettv_by_building(values, areas, building),
        rtol=1e-12,
    )


# --------------------------------------------------------------------------- BoQ


def _boq_lines(n: int = N, seed: int = 8, sort: bool = True) -> dict[str, Any]:
    table = tables.embodied_carbon_table()
    _, density, areal, _ = table.arrays()
    rng = np.random.default_rng(seed)
    material = rng.integers(0, len(table.keys), n)
    unit = rng.integers(0, 2, n)
    unit[~np.isnan(density[material]) & (rng.random(n) < 0.5)] = 2
    unit[~np.isnan(areal[material]) & (rng.random(n) < 0.5)] = 3
    building = rng.integers(0, max(1, n // 20), n)
    return {
        "material": material,
        "unit": unit,
        "quantity": rng.uniform(0, 50, n),
        "building": np.sort(building) if sort else building,
    }


def _line_kgco2e(lines: dict[str, Any]) -> Any:
    factor, density, areal, _ = tables.embodied_carbon_table().arrays()
    m, u = lines["material"], lines["unit"]
    kg_per_unit = np.select([u == 0, u == 1, u == 2], [1.0, 1000.0, density[m]], areal[m])
    return lines["quantity"] * kg_per_unit * factor[m]


@pytest.mark.usefixtures("small_threshold")
def test_kernel_boq_equals_line_by_line() -> None:
    lines = _boq_lines()
    boq = carbon.bill_of_quantities(
        lines["material"], lines["quantity"], lines["unit"], building=lines["building"]
    )
    assert "building_kgco2e" in boq.__dict__  # summed by the kernel, not the exact path
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


@pytest.mark.usefixtures("small_threshold")
def test_kernel_boq_names_one_unit_and_no_building() -> None:
    table = tables.embodied_carbon_table()
    lines = _boq_lines()
    names = [table.keys[i] for i in lines["material"]]
    kg = {**lines, "unit": np.zeros(N, dtype=int)}
    boq = carbon.bill_of_quantities(names, lines["quantity"], "kg")
    assert boq.n_buildings == 1 and len(boq) == N
    assert "building_kgco2e" in boq.__dict__
    np.testing.assert_allclose(boq.kgco2e, _line_kgco2e(kg), rtol=1e-12)
    np.testing.assert_allclose(carbon.embodied_carbon(boq), [_line_kgco2e(kg).sum()])
    assert carbon.embodied_carbon(boq) is not carbon.embodied_carbon(boq)  # callers get a copy
    # the result per building is at least n_buildings long
    grouped = carbon.bill_of_quantities(
        lines["material"], lines["quantity"], 0, building=lines["building"], n_buildings=250
    )
    assert carbon.embodied_carbon(grouped).shape == (250,)
    # unknown names still suggest the closest materials
    names[3_000] = "concrte"
    with pytest.raises(CalcError, match=r"BoQ line 3001: unknown material 'concrte'; did you"):
        carbon.bill_of_quantities(names, lines["quantity"], "kg")


@pytest.mark.usefixtures("small_threshold")
def test_kernel_boq_errors_in_a_late_line_name_the_line() -> None:
    table = tables.embodied_carbon_table()
    lines = _boq_lines()
    cement = table.keys.index("cement")  # no density in the table

    def build(**change: Any) -> carbon.BillOfQuantities:
        given = {k: v.copy() for k, v in lines.items()}
        for key, (position, value) in change.items():
            given[key][position] = value
        return carbon.bill_of_quantities(
            given["material"], given["quantity"], given["unit"], building=given["building"]
        )

    with pytest.raises(CalcError, match=r"BoQ line 3002: quantity in m3 of 'cement' needs a dens"):
        build(material=(3_001, cement), unit=(3_001, 2))
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
    zero_material = lines["material"].copy()
    zero_material[3_500] = cement
    zero_unit = lines["unit"].copy()
    zero_unit[3_500] = 2
    with pytest.raises(CalcError, match=r"BoQ line 3501: quantity in m3 of 'cement'"):
        carbon.bill_of_quantities(zero_material, np.zeros(N), zero_unit)


@pytest.mark.usefixtures("small_threshold")
def test_kernel_paths_handle_empty_inputs() -> None:
    kernels.THRESHOLD = 0  # restored by the fixture
    empty = np.zeros(0)
    assert envelope.ettv(**{name: empty for name in FIELDS}).shape == (0,)
    assert envelope.ettv_by_building(empty, empty, np.zeros(0, dtype=int)).tolist() == []
    with pytest.raises(CalcError, match=r"none for buildings 0, 1 \(0-based\)"):
        envelope.ettv_by_building(empty, empty, np.zeros(0, dtype=int), 2)
    boq = carbon.bill_of_quantities(np.zeros(0, dtype=int), empty, "kg", n_buildings=2)
    assert carbon.embodied_carbon(boq).tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- caching


@pytest.fixture
def numba_without_disk_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """``numba.njit(cache=True)`` fails as with no writable cache folder; records calls."""
    import numba

    real = numba.njit
    cached: list[bool] = []

    def njit(*args: Any, **options: Any) -> Any:
        cached.append(bool(options.get("cache")))
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **options)

    monkeypatch.setattr(numba, "njit", njit)
    yield cached


def test_kernels_compile_without_a_writable_cache(numba_without_disk_cache: list[bool]) -> None:
    k = kernels.Kernels()
    out = np.empty(1)
    one = np.ones(1)
    assert k.transfer(1.0, 1.0, 1.0, one, one, one, one, one, one, out) == -1
    assert numba_without_disk_cache == [True, False]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_kernels_work_from_a_read_only_install(tmp_path: Path) -> None:
    """A copy of the package in a read-only folder, with no writable cache folder."""
    import shutil

    import greenmark

    source = Path(greenmark.__file__).parent
    install = tmp_path / "site"
    shutil.copytree(source, install / "greenmark", ignore=shutil.ignore_patterns("__pycache__"))
    for folder, _, _ in os.walk(install):
        os.chmod(folder, 0o555)
    home = tmp_path / "home"
    home.mkdir(mode=0o555)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")},
        "PYTHONPATH": str(install),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "GREENMARK_CRITERIA": str(tables.factors_dir().parent),
    }
    script = (
        "import numpy as np\n"
        "from greenmark.calc import envelope, kernels\n"
        "kernels.THRESHOLD = 1\n"
        "print(envelope.ettv(wwr=np.ones(3) / 2, u_wall=1.0, u_fen=1.0, cf=1.0, sc1=1.0))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        for folder, _, _ in os.walk(tmp_path):
            os.chmod(folder, 0o755)
    assert done.returncode == 0, done.stderr
    assert "113.2" in done.stdout  # 12 * 0.5 + 3.4 * 0.5 + 211 * 0.5
