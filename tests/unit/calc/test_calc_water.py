"""WELS ticks and potable-water savings (case 9 of shared/domain.md A.6)."""

from __future__ import annotations

import numpy as np
import pytest

from greenmark.calc import water
from greenmark.calc.errors import CalcError


def test_case9_wels_ticks() -> None:
    assert water.wels_ticks("basin_tap", 2.0) == 3
    assert water.wels_ticks("basin_tap", 3.0) == 2
    assert water.wels_ticks("shower_tap", 6.0) == 2


def test_band_edges_are_inclusive_upper_bounds() -> None:
    flows = [0.0, 2.0, 2.01, 4.0, 4.01, 6.0, 6.01]
    np.testing.assert_array_equal(water.wels_ticks("basin_tap", flows), [3, 3, 2, 2, 1, 1, 0])


def test_mixed_fitting_types_in_one_call() -> None:
    types = ["basin_tap", "Sink Tap", "urinal_flush_valve", "urinal_flush_valve", "wc_flush_valve"]
    values = [1.5, 5.0, 0.0, 0.8, 4.5]
    np.testing.assert_array_equal(water.wels_ticks(types, values), [3, 2, 3, 2, 0])
    scalar = [water.wels_ticks(t, v) for t, v in zip(types, values, strict=True)]
    np.testing.assert_array_equal(scalar, water.wels_ticks(types, values))


def test_dual_flush_cistern_takes_the_lower_of_full_and_reduced() -> None:
    got = water.wels_ticks("dual_flush_cistern", [3.5, 3.5, 4.0], reduced_flush=[2.5, 3.0, 2.0])
    np.testing.assert_array_equal(got, [3, 2, 2])
    with pytest.raises(CalcError, match="reduced_flush"):
        water.wels_ticks("dual_flush_cistern", 3.5)


def test_unknown_fitting_and_bad_flow() -> None:
    with pytest.raises(CalcError, match=r"'basin tab'.*did you mean basin_tap"):
        water.wels_ticks("basin tab", 2.0)
    with pytest.raises(CalcError, match=r"value: expected a value >= 0 at item 2"):
        water.wels_ticks("basin_tap", [2.0, -1.0])


def test_wels_savings_and_fittings_share() -> None:
    np.testing.assert_allclose(water.wels_savings("basin_tap", [3, 2, 1, 0]), [0.6, 0.4, 0, 0])
    assert water.fittings_share([3, 2, 1, 0]) == pytest.approx(0.5)
    # counts: 10 fittings at 3 ticks, 30 at 1 tick -> 25 %
    assert water.fittings_share([3, 1], counts=[10, 30]) == pytest.approx(0.25)
    shares = water.fittings_share([3, 0, 2, 2], building=[0, 0, 1, 1])
    np.testing.assert_allclose(shares, [0.5, 1.0])
    assert set(water.wels_fitting_types()) >= {"basin_tap", "dual_flush_cistern"}


def test_potable_water_savings() -> None:
    # baseline 12,000 m3/yr, proposed 9,000 m3/yr -> 25 % saved
    assert water.potable_water_savings(9_000.0, 12_000.0) == pytest.approx(0.25)
    np.testing.assert_allclose(water.potable_water_savings([6.0, 12.0], 12.0), [0.5, 0.0])
