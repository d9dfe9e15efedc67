"""Every bundled scheme file is valid, sourced, and scores an empty building sensibly."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from helpers import scheme_from_text, score_rows, toml_values, with_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_paths import CRITERIA, ROOT

from greenmark.core.engine import Status
from greenmark.core.errors import GreenmarkError, SchemeError
from greenmark.core.project import load_project
from greenmark.core.scheme import bundled_schemes, load_scheme, unverified_constants
from greenmark.core.scoring import score_project

SCHEME_FILES = sorted(p for p in CRITERIA.glob("*.toml") if b"[scheme]" in p.read_bytes())


def test_bundled_schemes_are_found_by_id():
    entries = bundled_schemes()
    assert {e.path for e in entries} == set(SCHEME_FILES)
    versions = {(e.id, e.version) for e in entries}
    assert len(versions) == len(entries), "one file per version of a scheme"
    assert sum(e.current for e in entries) == len({e.id for e in entries}), "one current each"


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.stem)
def test_scheme_loads_and_every_value_has_a_source(path):
    scheme = load_scheme(path)
    assert scheme.scheme.source, "the scheme names where its numbers come from"
    for name, constant in scheme.constants.items():
        assert constant.source, f"constant {name} has no source"
    for where, source in unverified_constants(scheme):
        assert source, f"{where} is unverified and says nothing about why"


@pytest.mark.parametrize("path", SCHEME_FILES, ids=lambda p: p.stem)
def test_empty_building_is_not_assessed_and_gets_no_tier(path):
    scheme = load_scheme(path)
    scores = score_rows(scheme, [{}])
    applies_if_free = [not c.applies_if for c in scheme.criteria]
    statuses = [
        Status(int(s)) for s, free in zip(scores.status[0], applies_if_free, strict=True) if free
    ]
    assert all(s == Status.NOT_ASSESSED for s in statuses)
    assert scores.tier_index[0] == -1
    assert not scores.badges.any()


# --- hardening: strict values, finite numbers, text limits, nesting -----------------------

MINIMAL = (ROOT / "tests" / "data" / "good" / "minimal-scheme.toml").read_text(encoding="utf-8")
_NAMES = itertools.count()


def scheme_problems(folder: Path, text: str | bytes) -> list[tuple[int | None, str | None, str]]:
    """``(line, location, message)`` of every problem of a scheme file, or ``[]``."""
    path = folder / f"scheme-{next(_NAMES)}.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_scheme(path)
    except SchemeError as exc:
        return [(p.line, p.location, p.message) for p in exc.problems]
    finally:
        path.unlink()
    return []


def test_minimal_scheme_is_valid(tmp_path):
    assert scheme_problems(tmp_path, MINIMAL) == []


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
@pytest.mark.parametrize(
    ("old", "template", "line", "location"),
    [
        ("value = 50", "value = VALUE", 11, "constants.ettv_limit.value"),
        ("min = 0", "min = VALUE", 17, "inputs.ettv.min"),
        ("cap = 30", "cap = VALUE", 37, "sections[0].cap"),
        ("max_points = 12", "max_points = VALUE", 47, "criteria[0].max_points"),
        ("at = [0, 5, 10]", "at = [0, 5, VALUE]", 58, "criteria[1].points.at[2]"),
        ("give = [2, 5, 10]", "give = [VALUE, 5, 10]", 59, "criteria[1].points.give[0]"),
        ("give = 3 }", "give = VALUE }", 66, "criteria[2].points.give"),
        ("natural = 4 }", "natural = VALUE }", 73, "criteria[3].points.give.natural"),
        ("min_points = 10", "min_points = VALUE", 84, "tiers[0].min_points"),
        ('title = "Energy"', 'title = "Energy"\nfloor = VALUE', 37, "sections[0].floor"),
    ],
)
def test_non_finite_numbers_are_refused(tmp_path, value, old, template, line, location):
    text = MINIMAL.replace(old, template.replace("VALUE", value))
    found = scheme_problems(tmp_path, text)
    assert found == [(line, location, "must be a finite number (not inf or nan)")]


def test_non_finite_weight_is_refused(tmp_path):
    text = MINIMAL.replace('scoring = "points"', 'scoring = "percent"')
    text = text.replace("cap = 30", "weight = nan").replace(
        'title = "Health"', 'title = "Health"\nweight = { office = inf, default = 1 }'
    )
    text = text.replace("min_points = 10", "min_percent = 10")
    text = text.replace("min_points = 20", "min_percent = 20")
    found = scheme_problems(tmp_path, text)
    assert [(loc, msg) for _, loc, msg in found] == [
        ("sections[0].weight", "must be a finite number (not inf or nan)"),
        ("sections[1].weight.office", "must be a finite number (not inf or nan)"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "location", "expected"),
    [
        ("max_points = 12", 'max_points = "12"', "criteria[0].max_points", "got '12'"),
        ("max_points = 12", "max_points = true", "criteria[0].max_points", "got true"),
        ("value = 50", 'value = "50"', "constants.ettv_limit.value", "got '50'"),
        ("max_points = 3\n", 'max_points = 3\nbonus = "yes"\n', "criteria[2].bonus", "got 'yes'"),
        ("max_points = 3\n", "max_points = 3\nverified = 1\n", "criteria[2].verified", "got 1"),
        ('version = "1.0"', "version = 1.0", "scheme.version", "expected text, got 1.0"),
    ],
)
def test_values_are_not_coerced(tmp_path, old, new, location, expected):
    found = scheme_problems(tmp_path, MINIMAL.replace(old, new))
    assert len(found) == 1 and found[0][1] == location, found
    assert expected in found[0][2]


def test_integers_still_count_as_numbers(tmp_path):
    scheme = scheme_from_text(MINIMAL)
    assert scheme.criteria[0].max_points == 12.0 and isinstance(
        scheme.criteria[0].max_points, float
    )


@pytest.mark.parametrize(
    ("old", "new", "location", "limit"),
    [
        ('title = "Minimal test scheme"', 'title = "{}"', "scheme.title", 200),
        ('title = "Envelope"', 'title = "{}"', "criteria[0].title", 200),
        ('label = "Ventilation"', 'label = "{}"', "inputs.ventilation.label", 200),
        ('title = "Envelope"', 'title = "E"\nguidance = "{}"', "criteria[0].guidance", 10_000),
        ('version = "1.0"', 'version = "1.0"\ndescription = "{}"', "scheme.description", 10_000),
        ('unit = "W/m2"\nmin', 'unit = "W/m2"\nhelp = "{}"\nmin', "inputs.ettv.help", 10_000),
    ],
)
def test_free_text_has_a_length_limit(tmp_path, old, new, location, limit):
    assert MINIMAL.count(old) == 1
    fits = scheme_problems(tmp_path, MINIMAL.replace(old, new.format("x" * limit)))
    assert all("too long" not in message for _, _, message in fits)
    found = scheme_problems(tmp_path, MINIMAL.replace(old, new.format("x" * (limit + 1))))
    assert [(loc, msg) for _, loc, msg in found] == [
        (location, f"too long: at most {limit:,} characters (got {limit + 1:,})")
    ]


@pytest.mark.parametrize(
    "value", ["[" * 5000 + "]" * 5000, "{ a = " * 5000 + "1" + " }" * 5000], ids=["array", "table"]
)
def test_deep_nesting_is_refused(tmp_path, value):
    found = scheme_problems(tmp_path, MINIMAL.replace("at = [0, 5, 10]", f"at = {value}"))
    assert found == [(58, None, "invalid TOML: arrays or inline tables nested too deeply")]


def test_byte_order_mark_is_accepted(tmp_path):
    assert scheme_problems(tmp_path, b"\xef\xbb\xbf" + MINIMAL.encode("utf-8")) == []


def test_bundled_schemes_skips_unreadable_files_and_reads_a_bom(tmp_path):
    (tmp_path / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    (tmp_path / "latin1.toml").write_bytes(b'[scheme]\nid = "caf\xe9"\n')
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert [e.id for e in bundled_schemes(tmp_path)] == ["minimal"]


# --- fuzz: a scheme with one value replaced never ends in a traceback -----------------------

SCHEME_VALUES = toml_values(
    [
        '"margin"',
        '"ettv * 2"',
        '"(" * 3',
        '"' + "((" * 200 + "1" + "))" * 200 + '"',
        '"10 ** 10 ** 10"',
        '"office"',
        '"' + "z" * 250 + '"',
        "1e308",
        "[" * 3000 + "]" * 3000,
        "{ formula = 1 }",
        '{ yes = "has_solar", give = inf }',
    ],
    keys=["formula", "give", "bands", "at"],
)
SCHEME_LINES = [i for i, line in enumerate(MINIMAL.splitlines()) if " = " in line]
GOOD_PROJECT = ROOT / "tests" / "data" / "good" / "minimal-project.toml"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SCHEME_LINES), SCHEME_VALUES)
def test_fuzz_scheme_values_give_a_score_or_a_clear_error(tmp_path_factory, index, value):
    path = tmp_path_factory.getbasetemp() / f"fuzz-scheme-{next(_NAMES)}.toml"
    path.write_text(with_value(MINIMAL, index, value), encoding="utf-8")
    try:
        scheme = load_scheme(path)
        score_project(load_project(GOOD_PROJECT), scheme)
    except GreenmarkError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    finally:
        path.unlink()
