"""Parsing what the assessor types: the same rules and words as the scorer."""

from __future__ import annotations

import pytest

from greenmark.core.model import InputSpec
from greenmark.core.project import Quantity
from greenmark.tui.tables import BOQ, FACADES, FITTINGS, parse_cell
from greenmark.tui.values import Refused, edit_text, parse_input, split_number

ETTV = InputSpec(label="ETTV", unit="W/m2", min=0, max=200)
TICKS = InputSpec(label="ticks", type="integer", unit="tick", min=0, max=3)
FLAG = InputSpec(label="flag", type="boolean")
CHOICE = InputSpec(label="vent", type="choice", choices=["natural", "mechanical"])
EUI = InputSpec(label="EUI", unit="kWh/m2/yr", min=0, max=3000)


def test_numbers_in_range_are_stored() -> None:
    assert parse_input(ETTV, "41.5") == 41.5
    assert parse_input(ETTV, " 41.5 W/m2 ") == 41.5
    assert parse_input(EUI, "1,200") == 1200  # thousands separators accepted
    assert parse_input(TICKS, "3") == 3
    assert parse_input(ETTV, "") is None  # blank clears: not given


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("999", "999 W/m2 is above the maximum 200 W/m2"),
        ("-1", "-1 W/m2 is below the minimum 0 W/m2"),
        ("abc", "expected a number"),
        ("4.5.6", "expected a number"),
        ("1,5", "use '.' for decimals"),
        ("nan", "expected a number"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(Refused, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_input(ETTV, text)


def test_integer_and_choice_and_boolean() -> None:
    with pytest.raises(Refused, match="whole number"):
        parse_input(TICKS, "2.5")
    assert parse_input(CHOICE, "natural") == "natural"
    with pytest.raises(Refused, match="expected one of: natural, mechanical"):
        parse_input(CHOICE, "open")
    assert parse_input(FLAG, "yes") is True
    assert parse_input(FLAG, "no") is False


def test_a_value_with_another_unit_is_converted_for_the_check_and_kept_with_its_unit() -> None:
    value = parse_input(EUI, "40 kBtu/ft2/yr")
    assert isinstance(value, Quantity) and value.unit == "kBtu/ft2/yr"
    assert edit_text(value) == "40 kBtu/ft2/yr"
    with pytest.raises(Refused, match="above the maximum"):
        parse_input(EUI, "2000 kBtu/ft2/yr")
    with pytest.raises(Refused):
        parse_input(EUI, "5 m")  # not convertible


def test_split_number() -> None:
    assert split_number("1,234.5 m2") == (1234.5, "m2")
    assert split_number("3%") == (3.0, "%")


def test_table_cells() -> None:
    wall = next(c for c in FACADES.columns if c.key == "wall_area")
    with pytest.raises(Refused, match="must be above 0 m2"):
        parse_cell(wall, "0")
    orientation = next(c for c in FACADES.columns if c.key == "orientation")
    assert parse_cell(orientation, "ne") == "NE"
    assert parse_cell(orientation, "135") == 135.0
    with pytest.raises(Refused):
        parse_cell(orientation, "upwards")
    material = next(c for c in BOQ.columns if c.key == "material")
    assert parse_cell(material, "glass") == "glass"
    with pytest.raises(Refused, match="expected one of"):
        parse_cell(material, "unobtainium")
    density = next(c for c in BOQ.columns if c.key == "density")
    assert parse_cell(density, "") is None  # optional: the factor table's value
    count = next(c for c in FITTINGS.columns if c.key == "count")
    with pytest.raises(Refused, match="whole number"):
        parse_cell(count, "1.5")
