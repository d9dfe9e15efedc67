"""Mapping files are strict: separators, numbers, text lengths and nesting are checked on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.conftest import greenmark
from batch.helpers import scheme
from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.mapping import bind, load_mapping

BOM = b"\xef\xbb\xbf"


def problems_of(tmp_path: Path, text: str | bytes) -> list[tuple[int | None, str | None, str]]:
    """``(line, location, message)`` of every problem ``load_mapping`` finds in ``text``."""
    path = tmp_path / "m.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(GreenmarkError) as caught:
        load_mapping(path)
    return [(p.line, p.location, p.message) for p in caught.value.problems]


def test_equal_separators_are_refused(tmp_path):
    found = problems_of(tmp_path, '[mapping]\nthousands = "."\ndecimal = "."\n')
    assert found == [
        (3, "mapping.decimal", "the thousands separator and the decimal mark are both '.'")
    ]


def test_equal_separators_of_a_column_are_refused(tmp_path):
    text = '[inputs.eui]\ncolumn = "EUI"\nthousands = ","\ndecimal = ","\n'
    found = problems_of(tmp_path, text)
    assert found == [
        (4, "inputs.eui.decimal", "the thousands separator and the decimal mark are both ','")
    ]


def test_column_decimal_equal_to_the_file_thousands_is_refused_when_bound(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[inputs.eui]\ncolumn = "EUI"\ndecimal = ","\n', encoding="utf-8")
    with pytest.raises(GreenmarkError) as caught:
        bind(load_mapping(path), scheme("gm-eb"))
    assert [p.location for p in caught.value.problems] == ["inputs.eui.thousands"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("thousands", "ab", "expected one punctuation or space character"),
        ("thousands", "1", "expected one punctuation or space character"),
        ("thousands", "-", "expected one punctuation or space character"),
        ("decimal", "", "the decimal mark cannot be empty"),
        ("decimal", " ", "expected a punctuation character such as '.' or ','"),
        ("decimal", "x", "expected a punctuation character such as '.' or ','"),
    ],
)
def test_separator_must_be_one_punctuation_or_space_character(tmp_path, key, value, expected):
    found = problems_of(tmp_path, f'[mapping]\n{key} = "{value}"\n')
    assert len(found) == 1
    line, location, message = found[0]
    assert (line, location) == (2, f"mapping.{key}")
    assert expected in message


@pytest.mark.parametrize("thousands", [" ", "'", "\u00a0", "\u202f", "", "."])
def test_usual_thousands_separators_are_kept(tmp_path, thousands):
    path = tmp_path / "m.toml"
    path.write_text(
        f'[mapping]\nthousands = "{thousands}"\ndecimal = ","\n[inputs]\neui = "EUI"\n',
        encoding="utf-8",
    )
    binding = bind(load_mapping(path), scheme("gm-eb"))
    eui = next(f for f in binding.fields if f.target == "eui")
    assert (eui.thousands, eui.decimal) == (thousands, ",")


@pytest.mark.parametrize(
    ("entry", "location", "expected"),
    [
        ('plausible = { min = "10" }', "inputs.eui.plausible.min", "number, got '10'"),
        ("plausible = { max = nan }", "inputs.eui.plausible.max", "must be a finite number"),
        ("plausible = { min = -inf }", "inputs.eui.plausible.min", "must be a finite number"),
        ("plausible = { max = true }", "inputs.eui.plausible.max", "number, got true"),
        ("missing = [1]", "inputs.eui.missing[0]", ", got 1"),
        ('unit = "' + "m" * 201 + '"', "inputs.eui.unit", "at most 200 characters"),
    ],
)
def test_column_values_are_strict(tmp_path, entry, location, expected):
    found = problems_of(tmp_path, f'[inputs.eui]\ncolumn = "EUI"\n{entry}\n')
    assert len(found) == 1, found
    assert found[0][:2] == (3, location)
    assert expected in found[0][2]


def test_long_title_is_refused(tmp_path):
    found = problems_of(tmp_path, '[mapping]\ntitle = "' + "t" * 5000 + '"\n')
    assert found == [(2, "mapping.title", "too long: at most 200 characters (got 5,000)")]


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{ a = " * 5000 + "1" + " }" * 5000])
def test_deep_nesting_is_refused(tmp_path, value):
    found = problems_of(tmp_path, f'[mapping]\ntitle = "x"\n\n[inputs]\neui = {value}\n')
    assert found == [(5, None, "invalid TOML: arrays or inline tables nested too deeply")]


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "m.toml"
    path.write_bytes(BOM + b'[mapping]\ntitle = "with a BOM"\n[inputs]\neui = "EUI"\n')
    loaded = load_mapping(path)
    assert loaded.model.mapping.title == "with a BOM"
    assert loaded.model.inputs["eui"].column == "EUI"


def test_gross_floor_area_has_a_plausible_maximum(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[columns]\ngfa = "GFA"\n', encoding="utf-8")
    gfa = next(f for f in bind(load_mapping(path), scheme("gm-eb")).fields if f.target == "gfa")
    assert gfa.max == 10_000_000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '[mapping]\nthousands = "."\ndecimal = "."\n',
            ["m.toml:3: mapping.decimal", "both '.'"],
        ),
        ("[inputs]\neui = " + "[" * 5000 + "]" * 5000 + "\n", ["m.toml:2", "nested too deeply"]),
        ('[inputs.eui]\ncolumn = "EUI"\nplausible = { min = nan }\n', ["must be a finite number"]),
    ],
    ids=["equal-separators", "deep-nesting", "nan-bound"],
)
def test_batch_refuses_a_bad_mapping(tmp_path, text, words):
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    (tmp_path / "data.csv").write_text("EUI,GFA\n100,1000\n", encoding="utf-8")
    run = greenmark(
        "batch", "data.csv", "--scheme", "gm-eb", "--mapping", "m.toml", "-q", cwd=tmp_path
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr
