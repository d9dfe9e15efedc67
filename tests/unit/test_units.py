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
