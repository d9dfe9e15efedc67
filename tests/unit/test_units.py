"""Units: the known spellings really parse, and scoring a bundled sample needs no pint."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.core.errors import UnitError
from greenmark.core.units import KNOWN_UNITS, check_unit, convert, parse_unit


@pytest.mark.parametrize("unit", sorted(KNOWN_UNITS))
def test_every_known_spelling_parses_with_pint(unit: str) -> None:
    parse_unit(unit)  # raises UnitError if the table lies


def test_units_outside_the_table_still_go_through_pint() -> None:
    check_unit("kBtu/ft2/yr")
    with pytest.raises(UnitError, match="unknown unit"):
        check_unit("bogusunit")


def test_conversion_is_exact() -> None:
    assert convert(1.0, "ft2", "m2") == pytest.approx(0.09290304)


def test_every_unit_the_bundled_schemes_and_samples_use_is_known() -> None:
    import re

    used = set()
    for path in [*CRITERIA.glob("*.toml"), *SAMPLES.glob("*.toml")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\[(scheme|project)\]", text, re.MULTILINE):  # not the catalogue
            used |= set(re.findall(r'\bunit = "([^"]*)"', text))
    assert used <= KNOWN_UNITS, sorted(used - KNOWN_UNITS)


def test_scoring_a_bundled_sample_builds_no_pint_registry() -> None:
    code = (
        "import sys; from greenmark.core.project import load_project;"
        "from greenmark.core.scoring import scheme_for, score_project;"
        f"loaded = load_project({str(SAMPLES / 'demo-office.toml')!r});"
        "score_project(loaded, scheme_for(loaded));"
        "print('pint' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("kBtu/sf", "kBtu/ft2"),
        ("sqft", "ft2"),
        ("sf", "ft2"),
        ("sq ft", "ft2"),
        ("kbtu/ft2/year", "kBtu/ft2/yr"),
        ("KBTU/SQ FT/yr", "kBtu/ft2/yr"),
        ("kWh/sqm", "kWh/m2"),
        ("kwh/m2/yr", "kWh/m2/yr"),
        ("mmbtu", "kBtu"),
    ],
)
def test_export_spellings_mean_what_they_say(spelling: str, canonical: str) -> None:
    scale = 1000.0 if spelling == "mmbtu" else 1.0  # 1 MMBtu = 1,000 kBtu
    assert convert(1.0, spelling, canonical) == pytest.approx(scale)


def test_an_intensity_without_per_year_says_so() -> None:
    with pytest.raises(UnitError, match=r"annual intensity: add /yr \(e.g. 'kBtu/ft2/yr'\)"):
        convert(1.0, "kBtu/ft2", "kWh/m2/yr")
    with pytest.raises(UnitError, match="is not per time"):
        convert(1.0, "kWh/m2/yr", "kWh/m2")


def test_an_unknown_unit_gets_a_did_you_mean() -> None:
    with pytest.raises(UnitError, match="did you mean 'kWh/m2/yr'"):
        parse_unit("kWh/m2/yer")
    with pytest.raises(UnitError, match="did you mean 'kgCO2e/m2'"):
        parse_unit("kgCO2/m2")
