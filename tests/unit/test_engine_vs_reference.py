"""Cross-check the vectorised engine against the naive scalar scorer on random inputs."""

from __future__ import annotations

import math

import pytest
from helpers import scheme_from_text, score_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine import PERCENT_SCHEME
from tests_paths import CRITERIA

from greenmark.core.engine import GateStatus, Status
from greenmark.core.reference import score_one
from greenmark.core.scheme import load_scheme

DEMO = load_scheme(CRITERIA / "demo.toml")
PCT = scheme_from_text(PERCENT_SCHEME)


def maybe(strategy):
    """A value or, one time in five, missing."""
    return st.one_of(st.none(), strategy, strategy, strategy, strategy)


def number(spec):
    lo = spec.min if spec.min is not None else -1e3
    hi = spec.max if spec.max is not None else 1e3
    if spec.type == "integer":
        return st.integers(math.ceil(lo), math.floor(hi))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def building(scheme):
    fields = {}
    for name, spec in scheme.inputs.items():
        if spec.type == "boolean":
            fields[name] = maybe(st.booleans())
        elif spec.type == "choice":
            fields[name] = maybe(st.sampled_from(spec.choices))
        else:
            fields[name] = maybe(number(spec))
    if scheme.scheme.building_types:
        fields["building_type"] = maybe(st.sampled_from(scheme.scheme.building_types))
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def compare(scheme, rows, na_ids=()):
    na = {cid: [cid in set(na_ids)] * len(rows) for cid in na_ids}
    scores = score_rows(scheme, rows, na=na)
    for i, row in enumerate(rows):
        expected = score_one(scheme, row, set(na_ids))
        for k, criterion in enumerate(scheme.criteria):
            assert scores.points[i, k] == pytest.approx(expected["points"][criterion.id]), (
                criterion.id
            )
            assert Status(int(scores.status[i, k])).label == expected["status"][criterion.id]
        for k, gate in enumerate(scheme.gates):
            assert GateStatus(int(scores.gate_status[i, k])).label == expected["gates"][gate.id]
        assert scores.total_points[i] == pytest.approx(expected["total_points"])
        assert scores.total_percent[i] == pytest.approx(expected["total_percent"])
        assert int(scores.tier_index[i]) == expected["tier_index"]
        badges = [b.id for k, b in enumerate(scheme.badges) if scores.badges[i, k]]
        assert badges == expected["badges"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(building(DEMO), min_size=1, max_size=8),
    st.lists(st.sampled_from([c.id for c in DEMO.criteria]), max_size=2),
)
def test_demo_scheme_matches_reference(rows, na_ids):
    compare(DEMO, rows, na_ids)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(building(PCT), min_size=1, max_size=8))
def test_percent_scheme_matches_reference(rows):
    compare(PCT, rows)
