"""Throughput of the calculators against plain-Python loops.

Run: ``python bench/bench_calc.py [--items N] [--loop-items M] [--buildings B] [--repeat R]``

For ETTV (facades/second) and embodied carbon (BoQ lines/second) it times the
calculators over N items (default 1,000,000), which at that size run the compiled
single-pass kernels of :mod:`greenmark.calc.kernels`, and two plain-Python loops over
the same inputs as Python lists, timed on M items (default 100,000) and scaled. The
kernels are compiled (or loaded from the disk cache) before the timings, so compile
time is not in the throughput; it is printed once, measured in fresh processes with
an empty and then a filled cache folder. Both sides are timed best of R runs
(default 5), so that a busy machine disturbs neither side more than the other:

* ``checked``: the loop does the same work as the calculators: it validates every input
  the way the calculators do (ranges, NaN, unknown codes) and sums per building. This
  is the like-for-like comparison the speed-up ratio is quoted against.
* ``bare``: the tightest loop, with no input checks (for reference).

"ETTV facades (+ per-building)" times :func:`~greenmark.calc.envelope.ettv_per_building`
(facade inputs to area-weighted ETTV per building in one pass), as the loop does. The
BoQ is timed with material and unit *codes* (the batch engine's form) and, for
reference, with names (Python lists of str on both sides), where the per-line string
lookups dominate both sides.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from greenmark.calc import carbon, envelope, kernels, tables

TARGET = 50.0  # the speed-up the calculators are expected to reach


def best_of(runs: int, func: Callable[[], Any]) -> float:
    """Shortest wall time (s) of ``runs`` calls."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


# --------------------------------------------------------------------------- ETTV


def facade_inputs(n: int, n_buildings: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "wwr": rng.uniform(0.0, 0.9, n),
        "u_wall": rng.uniform(0.3, 3.0, n),
        "u_fen": rng.uniform(1.0, 6.0, n),
        "cf": rng.uniform(0.7, 1.3, n),
        "sc1": rng.uniform(0.2, 0.9, n),
        "sc2": rng.uniform(0.5, 1.0, n),
        "area": rng.uniform(10.0, 500.0, n),
        "building": np.sort(rng.integers(0, n_buildings, n)),
    }


def ettv_python(
    data: dict[str, list[Any]], n_buildings: int, checked: bool, grouped: bool = True
) -> list[float]:
    """Per-facade ETTV and (``grouped``) area-weighted ETTV per building, plain loop."""
    coefficients = tables.envelope_table().ettv
    a, b, c = coefficients.a.value, coefficients.b.value, coefficients.c.value
    inf = math.inf
    weighted = [0.0] * n_buildings
    total = [0.0] * n_buildings
    facade: list[float] = []
    for w, uw, uf, cf, s1, s2, area, bldg in zip(
        data["wwr"],
        data["u_wall"],
        data["u_fen"],
        data["cf"],
        data["sc1"],
        data["sc2"],
        data["area"],
        data["building"],
        strict=True,
    ):
        if checked and not (
            0.0 <= w <= 1.0
            and 0.0 <= uw < inf
            and 0.0 <= uf < inf
            and 0.0 < cf < inf
            and 0.0 <= s1 <= 1.0
            and 0.0 <= s2 <= 1.0
            and 0.0 <= area < inf
            and bldg >= 0
        ):
            raise ValueError("bad facade")
        value = a * (1 - w) * uw + b * w * uf + c * w * cf * s1 * s2
        if grouped:
            weighted[bldg] += area * value
            total[bldg] += area
        else:
            facade.append(value)
    if not grouped:
        return facade
    return [x / t if t else math.nan for x, t in zip(weighted, total, strict=True)]


def ettv_numpy(data: dict[str, np.ndarray], n_buildings: int | None) -> np.ndarray:
    return envelope.ettv_per_building(
        wwr=data["wwr"],
        u_wall=data["u_wall"],
        u_fen=data["u_fen"],
        cf=data["cf"],
        sc1=data["sc1"],
        sc2=data["sc2"],
        wall_area_m2=data["area"],
        building=data["building"],
        n_buildings=n_buildings,
    )


# --------------------------------------------------------------------------- JIT

_FIRST_CALL = """
import time
start = time.perf_counter()
import numba
imported = time.perf_counter()
from greenmark.calc import kernels
kernels.warm_up()
print(imported - start, time.perf_counter() - imported)
"""


def first_call_seconds(cache_dir: str) -> tuple[float, float]:
    """``(numba import, compile or cache load of every kernel)`` in seconds, measured in
    a fresh process whose numba cache folder is ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL], env=env, capture_output=True, text=True, check=True
    )
    imported, compiled = done.stdout.split()
    return float(imported), float(compiled)


# --------------------------------------------------------------------------- BoQ


def boq_inputs(n: int, n_buildings: int, seed: int = 2) -> dict[str, np.ndarray]:
    table = tables.embodied_carbon_table()
    _, density, areal, _ = table.arrays()
    rng = np.random.default_rng(seed)
    material = rng.integers(0, len(table.keys), n)
    unit = rng.integers(0, 2, n)  # kg or t; m3 only with a density, m2 only with areal mass
    unit[~np.isnan(density[material]) & (rng.random(n) < 0.5)] = 2
    unit[~np.isnan(areal[material]) & (rng.random(n) < 0.5)] = 3
    return {
        "material": material,
        "unit": unit,
        "quantity": rng.uniform(0.0, 100.0, n),
        "building": np.sort(rng.integers(0, n_buildings, n)),
        "material_name": np.array(table.keys)[material],
        "unit_name": np.array(carbon.UNITS)[unit],
    }


def boq_python(
    data: dict[str, list[Any]], n_buildings: int, by_name: bool, checked: bool
) -> list[float]:
    """kgCO2e per building with a plain loop (dict lookups when ``by_name``)."""
    table = tables.embodied_carbon_table()
    factor = [m.factor.value for m in table.materials.values()]
    density = [m.density.value if m.density else None for m in table.materials.values()]
    areal = [m.areal_mass.value if m.areal_mass else None for m in table.materials.values()]
    code_of = {name: i for i, name in enumerate(table.keys)}
    unit_of = {name: i for i, name in enumerate(carbon.UNITS)}
    n_materials, inf = len(factor), math.inf
    totals = [0.0] * n_buildings
    materials = data["material_name"] if by_name else data["material"]
    units = data["unit_name"] if by_name else data["unit"]
    for mat, unit, quantity, bldg in zip(
        materials, units, data["quantity"], data["building"], strict=True
    ):
        m = code_of[mat] if by_name else mat
        u = unit_of[unit] if by_name else unit
        if checked and not (
            0.0 <= quantity < inf and 0 <= m < n_materials and 0 <= u < 4 and bldg >= 0
        ):
            raise ValueError("bad BoQ line")
        if u == 0:
            kg = quantity
        elif u == 1:
            kg = quantity * 1000.0
        elif u == 2:
            d = density[m]
            if d is None:
                raise ValueError("missing density")
            kg = quantity * d
        else:
            s = areal[m]
            if s is None:
                raise ValueError("missing areal mass")
            kg = quantity * s
        totals[bldg] += kg * factor[m]
    return totals


def boq_numpy(data: dict[str, Any], n_buildings: int, by_name: bool) -> np.ndarray:
    boq = carbon.bill_of_quantities(
        data["material_name"] if by_name else data["material"],
        data["quantity"],
        data["unit_name"] if by_name else data["unit"],
        building=data["building"],
        n_buildings=n_buildings,
    )
    return carbon.embodied_carbon(boq)


# --------------------------------------------------------------------------- report


def head(data: dict[str, np.ndarray], m: int) -> dict[str, list[Any]]:
    return {key: value[:m].tolist() for key, value in data.items()}


def report(label: str, n: int, t_numpy: float, m: int, t_checked: float, t_bare: float) -> float:
    numpy_rate, checked_rate, bare_rate = n / t_numpy, m / t_checked, m / t_bare
    ratio = numpy_rate / checked_rate
    print(
        f"{label:<34} calc {numpy_rate / 1e6:7.1f} M/s | Python checked "
        f"{checked_rate / 1e6:5.2f} M/s  x{ratio:5.1f} | bare {bare_rate / 1e6:5.2f} M/s  "
        f"x{numpy_rate / bare_rate:5.1f}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="calculator items")
    parser.add_argument("--loop-items", type=int, default=100_000, help="Python loop items")
    parser.add_argument("--buildings", type=int, default=10_000, help="buildings")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best is kept)")
    args = parser.parse_args()
    n, m, nb, r = args.items, min(args.loop_items, args.items), args.buildings, args.repeat

    tables.all_tables()  # load and validate the factor tables outside the timings
    print(
        f"greenmark.calc benchmark: calculators on {n:,} items (kernels from "
        f"{kernels.THRESHOLD:,}); Python loops on {m:,} items, scaled; {nb:,} buildings; "
        f"best of {r} runs each. Ratios = calculator rate / loop rate.\n"
    )
    with tempfile.TemporaryDirectory() as cache_dir:
        imported, cold = first_call_seconds(cache_dir)
        _, warm = first_call_seconds(cache_dir)
    print(
        f"JIT compile (first call, cold cache): {cold:.2f} s for all kernels; "
        f"from the disk cache: {warm:.3f} s; numba import: {imported:.2f} s"
    )
    kernels.warm_up()  # this process: compile or load before the timings

    facades = facade_inputs(n, nb)
    facade_lists = head(facades, m)
    small_b = int(facades["building"][m - 1]) + 1  # buildings are sorted: whole ones
    t_ettv = best_of(
        r,
        lambda: envelope.ettv(
            wwr=facades["wwr"],
            u_wall=facades["u_wall"],
            u_fen=facades["u_fen"],
            cf=facades["cf"],
            sc1=facades["sc1"],
            sc2=facades["sc2"],
        ),
    )
    t_ettv_grouped = best_of(r, lambda: ettv_numpy(facades, nb))
    t_loop_checked = best_of(r, lambda: ettv_python(facade_lists, small_b, True, False))
    t_loop_bare = best_of(r, lambda: ettv_python(facade_lists, small_b, False, False))
    t_grouped_checked = best_of(r, lambda: ettv_python(facade_lists, small_b, True))
    t_grouped_bare = best_of(r, lambda: ettv_python(facade_lists, small_b, False))
    expected = ettv_python(facade_lists, small_b, checked=True)
    got = ettv_numpy({k: v[:m] for k, v in facades.items()}, None)
    assert np.allclose(expected, got), "ETTV: calculator and Python disagree"

    ratios = [
        report("ETTV facades (per facade)", n, t_ettv, m, t_loop_checked, t_loop_bare),
        report(
            "ETTV facades (+ per-building)", n, t_ettv_grouped, m, t_grouped_checked, t_grouped_bare
        ),
    ]

    lines = boq_inputs(n, nb)
    line_lists = head(lines, m)
    small_b = int(lines["building"][m - 1]) + 1
    named = {
        **lines,
        "material_name": lines["material_name"].tolist(),
        "unit_name": lines["unit_name"].tolist(),
    }
    t_boq = best_of(r, lambda: boq_numpy(lines, nb, by_name=False))
    t_boq_checked = best_of(r, lambda: boq_python(line_lists, small_b, False, checked=True))
    t_boq_bare = best_of(r, lambda: boq_python(line_lists, small_b, False, checked=False))
    t_names = best_of(r, lambda: boq_numpy(named, nb, by_name=True))
    t_names_checked = best_of(r, lambda: boq_python(line_lists, small_b, True, checked=True))
    t_names_bare = best_of(r, lambda: boq_python(line_lists, small_b, True, checked=False))
    small = {k: v[:m] for k, v in lines.items()}
    for by_name in (False, True):
        expected = boq_python(line_lists, small_b, by_name, checked=True)
        assert np.allclose(expected, boq_numpy(small, small_b, by_name)), "BoQ disagree"

    ratios.append(report("BoQ lines, codes (per building)", n, t_boq, m, t_boq_checked, t_boq_bare))
    report("BoQ lines, names (per building)", n, t_names, m, t_names_checked, t_names_bare)
    print(
        f"\ncalculator wall time at {n:,} items: ETTV {t_ettv * 1e3:.1f} ms, ETTV + per-building "
        f"{t_ettv_grouped * 1e3:.1f} ms, BoQ codes {t_boq * 1e3:.1f} ms, "
        f"BoQ names {t_names * 1e3:.1f} ms"
    )
    worst = min(ratios)
    verdict = "meets" if worst >= TARGET else "misses"
    print(
        f"lowest like-for-like speed-up (codes): x{worst:.1f}, {verdict} the x{TARGET:.0f} target"
    )


if __name__ == "__main__":
    main()
