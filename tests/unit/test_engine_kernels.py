"""The engine's compiled kernels (large batches) give the numpy path's results, bit for bit.

Every field of :class:`Scores` (points, statuses, sections, groups, totals, gates,
floors, tiers, badges, points needed, the values explanations read) and every entry of
the formula environment are compared byte for byte, on random engine inputs that no
validation has seen: NaN, infinities, negative and signed zeros, huge numbers, option
indices out of range (both paths then raise), and the assessor's N/A marks; on a
scheme that uses every feature the kernels handle, on a percent-scored one and on
every bundled scheme.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from helpers import scheme_from_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine import PERCENT_SCHEME
from tests_paths import CRITERIA

from greenmark.core import engine_batch
from greenmark.core.engine import Scores, compile_scheme, score
from greenmark.core.scheme import load_scheme

# the numpy path warns when a huge value plus the rounding allowance overflows
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

EVERYTHING = """
[scheme]
id = "kernels"
title = "Every feature the batch kernels handle"
version = "1.0"
building_types = ["office", "retail", "residential"]

[inputs.a]
label = "a"
[inputs.b]
label = "b"
[inputs.c]
label = "c"
default = 2
[inputs.flag]
label = "flag"
type = "boolean"
[inputs.kind]
label = "kind"
type = "choice"
choices = ["one", "two", "three"]

[derived.ratio]
label = "a over b"
formula = "a / b"
[derived.mix]
label = "every function"
formula = "round(sqrt(abs(a)) + (b // 3) % 2 - ceil(c) + min(a, b, 2) - max(a, 0), 1)"
[derived.square]
label = "a power"
formula = "a ** 2 / 10 + where(flag, floor(b), clip(c, 0, 1))"

[[sections]]
id = "energy"
title = "Energy"
cap = 12
bonus_cap = 2
[[sections]]
id = "carbon"
title = "Carbon in tonnes"
conversion = 6
floor = 1
floor_from_tier = "gold"
[[sections]]
id = "water"
title = "Water"
floor_percent = 20
[[sections]]
id = "other"
title = "Other"

[[groups]]
id = "rest"
title = "The rest"
sections = ["water", "other"]
cap = 9
floor = 1

[[criteria]]
id = "E-1"
section = "energy"
title = "a as points"
max_points = 5
points = { formula = "a" }
[[criteria]]
id = "E-2"
section = "energy"
title = "bands on a ratio"
max_points = 6
max_points_by_type = { retail = 4, residential = 0 }
points = { bands = "ratio", at = [0.5, 1, 2], give = [1, 3, 6] }
[[criteria]]
id = "E-3"
section = "energy"
title = "lower is better"
max_points = 4
applies_if = "flag"
points = { bands = "b", at = [10, 5, 1], give = [1, 2, 4], better = "lower" }
[[criteria]]
id = "E-4"
section = "energy"
title = "bonus"
max_points = 3
bonus = true
points = { formula = "c - 1" }
[[criteria]]
id = "C-1"
section = "carbon"
title = "own points"
max_points = 12
max_points_by_type = { office = 6 }
points = { formula = "2 * a - b" }
[[criteria]]
id = "C-2"
section = "carbon"
title = "a boolean band"
max_points = 3
applies_if = "a - b"
points = { bands = "a > b", at = [0.5], give = [3] }
[[criteria]]
id = "W-1"
section = "water"
title = "yes"
max_points = 2
points = { yes = "flag", give = 2 }
[[criteria]]
id = "W-2"
section = "water"
title = "yes on a comparison"
max_points = 2
applies_if = "kind_is_two or kind_is_three"
points = { yes = "b >= c", give = 2 }
[[criteria]]
id = "W-3"
section = "water"
title = "by choice"
max_points = 3
points = { choice = "kind", give = { one = 1, two = 2.5, three = 3 } }
[[criteria]]
id = "O-1"
section = "other"
title = "constant"
max_points = 2
points = { formula = "1.5" }
[[criteria]]
id = "O-2"
section = "other"
title = "a clipped ratio"
max_points = 8
max_points_by_type = { office = 0 }
points = { formula = "ratio * 3" }

[[criteria]]
id = "O-3"
section = "other"
title = "every function"
max_points = 4
points = { formula = "mix + square" }

[metrics.share]
label = "share of energy"
formula = "100 * sec_energy / max(total_points, 1)"

[[gates]]
id = "G-1"
title = "a at least 1"
condition = "a >= 1"
[[gates]]
id = "G-2"
title = "b at most 20 from gold"
condition = "b <= 20"
applies_if = "flag"
from_tier = "gold"

[[tiers]]
id = "certified"
title = "Certified"
min_points = 5
[[tiers]]
id = "gold"
title = "Gold"
min_percent = 40
[[tiers]]
id = "platinum"
title = "Platinum"
min_points = 20
condition = "pts_E_1 >= 3 or na_E_3"

[[badges]]
id = "low"
title = "Low"
condition = "share > 10"
[[badges]]
id = "high"
title = "High"
condition = "share > 40"
min_tier = "gold"
supersedes = ["low"]
"""

SCHEME = scheme_from_text(EVERYTHING)
PERCENT = scheme_from_text(PERCENT_SCHEME)
BUNDLED = [
    load_scheme(path)
    for path in sorted(CRITERIA.glob("*.toml"))
    if path.stem not in ("measures", "vocabulary")
]
SIZE = 48  # big enough for several blocks of nothing; the kernels' threshold is forced

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-9, 1e300, -1e300, np.nan, np.inf, -np.inf]),
    st.floats(-30, 30),
    st.integers(-3, 12).map(float),
)


def columns(scheme, size: int, bad_codes: bool = False):
    """Engine inputs for ``size`` buildings: any float for numbers, 0/1/NaN for booleans,
    option indices (NaN, and with ``bad_codes`` some out of range) for choices."""
    fields = {}
    for name, spec in scheme.inputs.items():
        if spec.type == "boolean":
            values = st.sampled_from([0.0, 1.0, np.nan])
        elif spec.type == "choice":
            count = len(spec.choices or [])
            codes = [*range(count), np.nan]
            if bad_codes:
                codes += [-1, count, 1.5, -0.5]
            values = st.sampled_from([float(c) for c in codes])
        else:
            values = NUMBERS
        fields[name] = st.lists(values, min_size=size, max_size=size)
    types = len(scheme.scheme.building_types)
    fields["building_type"] = st.lists(
        st.sampled_from([float(t) for t in range(types)] + [np.nan]), min_size=size, max_size=size
    )
    fields["gfa"] = st.lists(NUMBERS, min_size=size, max_size=size)
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: np.asarray(v, dtype=np.float64) for k, v in d.items()}
    )


def marks(scheme, size: int):
    ids = [c.id for c in scheme.criteria]
    if not ids:
        return st.just({})
    return st.dictionaries(
        st.sampled_from(ids), st.lists(st.booleans(), min_size=size, max_size=size), max_size=3
    ).map(lambda d: {k: np.asarray(v) for k, v in d.items()})


FIELDS = [
    "points",
    "status",
    "section_points",
    "section_core",
    "section_max",
    "section_percent",
    "group_points",
    "total_points",
    "total_percent",
    "total_max",
    "gate_status",
    "floor_ok",
    "tier_ok",
    "tier_index",
    "badges",
    "points_needed",
    "values",
]


def both_paths(scheme, inputs, not_applicable=None) -> tuple[Scores | Exception, ...]:
    compiled = compile_scheme(scheme)
    size = len(inputs["gfa"])
    found: list[Scores | Exception] = []
    for threshold in (10**9, 0):  # numpy, then the kernels
        engine_batch._threshold = threshold
        try:
            found.append(score(compiled, inputs, size=size, not_applicable=not_applicable))
        except Exception as exc:  # compared below: both paths raise the same
            found.append(exc)
        finally:
            engine_batch._threshold = None
    return tuple(found)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_identical(numpy_path, kernels) -> None:
    if isinstance(numpy_path, Exception):
        assert type(kernels) is type(numpy_path), (numpy_path, kernels)
        return
    assert not isinstance(kernels, Exception), kernels
    for name in FIELDS:
        assert same_bits(getattr(numpy_path, name), getattr(kernels, name)), name
    assert set(numpy_path.env) == set(kernels.env)
    for name, value in numpy_path.env.items():
        assert same_bits(value, kernels.env[name]), name


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(columns(SCHEME, SIZE), marks(SCHEME, SIZE))
def test_every_feature_gives_the_numpy_bits(inputs, not_applicable):
    assert_identical(*both_paths(SCHEME, inputs, not_applicable))


@SETTINGS
@given(columns(SCHEME, SIZE, bad_codes=True))
def test_an_option_index_outside_its_table_raises_on_both_paths(inputs):
    assert_identical(*both_paths(SCHEME, inputs))


@SETTINGS
@given(columns(PERCENT, SIZE), marks(PERCENT, SIZE))
def test_percent_scoring_gives_the_numpy_bits(inputs, not_applicable):
    assert_identical(*both_paths(PERCENT, inputs, not_applicable))


NASTY = np.asarray([0.0, -0.0, 1.0, -1.0, 1e-9, 1e300, -1e300, np.nan, np.inf, -np.inf])


def random_columns(scheme, size: int, seed: int) -> dict[str, np.ndarray]:
    """Like :func:`columns`, drawn by numpy from ``seed`` (schemes with many inputs)."""
    rng = np.random.default_rng(seed)
    found = {}
    for name, spec in [*scheme.inputs.items(), ("gfa", None)]:
        if spec is not None and spec.type == "boolean":
            column = rng.choice([0.0, 1.0, np.nan], size)
        elif spec is not None and spec.type == "choice":
            column = rng.choice([*map(float, range(len(spec.choices or []))), np.nan], size)
        else:
            lo = spec.min if spec is not None and spec.min is not None else -100.0
            hi = spec.max if spec is not None and spec.max is not None else lo + 200.0
            column = rng.uniform(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), size)
            whole = rng.random(size) < 0.2
            column[whole] = np.round(column[whole])
            nasty = rng.random(size) < 0.15
            column[nasty] = rng.choice(NASTY, int(nasty.sum()))
        found[name] = column
    types = len(scheme.scheme.building_types)
    found["building_type"] = rng.choice([*map(float, range(types)), np.nan], size)
    return found


@pytest.mark.parametrize("scheme", BUNDLED, ids=[s.id for s in BUNDLED])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_bundled_schemes_give_the_numpy_bits(scheme, seed, data):
    inputs = random_columns(scheme, 300, seed)
    assert_identical(*both_paths(scheme, inputs, data.draw(marks(scheme, 300))))


def test_blocks_and_left_out_points():
    """Several kernel blocks with a partial last one; points left out of a large batch
    are scored on first read, into the matrix and the formula environment alike."""
    rng = np.random.default_rng(5)
    size = 5000
    inputs = {
        "a": rng.uniform(-5, 15, size),
        "b": rng.uniform(-1, 25, size),
        "c": np.where(rng.random(size) < 0.2, np.nan, rng.uniform(0, 5, size)),
        "flag": rng.integers(0, 2, size).astype(float),
        "kind": rng.integers(0, 3, size).astype(float),
        "building_type": rng.integers(0, 3, size).astype(float),
        "gfa": rng.uniform(1e3, 1e5, size),
    }
    inputs["a"][rng.random(size) < 0.1] = np.nan
    assert_identical(*both_paths(SCHEME, inputs))
    assert_identical(*both_paths(PERCENT, inputs))
    compiled = compile_scheme(PERCENT)
    assert not compiled.reads_points
    engine_batch._threshold = 0
    try:
        late = score(compiled, inputs, size=size)
    finally:
        engine_batch._threshold = None
    assert late._points is None
    first = late.env["pts_O1"]  # read through the environment: scores every criterion
    assert late._points is not None
    assert same_bits(first, late.points[:, 0])
    early = score(compiled, inputs, size=size)
    assert same_bits(early.points, late.points)


@pytest.mark.parametrize("threshold", [0, None], ids=["kernels", "numpy"])
def test_a_scored_batch_is_freed_as_soon_as_it_is_dropped(threshold):
    """No reference cycle between the scores and their formula environment: a batch's
    arrays go with its last reference, not at the collector's next full pass."""
    rng = np.random.default_rng(9)
    size = 3000
    inputs = {name: rng.uniform(0, 20, size) for name in ("a", "b", "c", "gfa")}
    inputs.update(flag=rng.integers(0, 2, size).astype(float), kind=np.zeros(size))
    inputs["building_type"] = rng.integers(0, 3, size).astype(float)
    compiled = compile_scheme(PERCENT)
    engine_batch._threshold = threshold
    gc.disable()
    try:
        scores = score(compiled, inputs, size=size)
        assert scores.env["pts_O1"].shape == (size,)  # the late points still come
        probe = weakref.ref(scores)
        del scores
        assert probe() is None
    finally:
        gc.enable()
        engine_batch._threshold = None
