"""The unit table: its numbers are pint's, it covers what the bundled files use, and the
units it holds are checked and converted without building a pint registry."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.core.errors import UnitError
from greenmark.core.units import (
    KNOWN_UNITS,
    build_scales,
    conversion,
    parse_unit,
    pint_conversion,
    table_source,
)
from greenmark.core.units_table import GROUPS, SCALES

ROOT = CRITERIA.parent
PAIRS = [(a, b) for group in GROUPS for a, b in itertools.product(group, group)]


def _units_in(text: str) -> set[str]:
    return set(re.findall(r'\bunits? = "([^"]*)"', text))


def test_the_table_is_what_pint_gives_today() -> None:
    assert build_scales(GROUPS) == SCALES
    source = (ROOT / "greenmark" / "core" / "units_table.py").read_text(encoding="utf-8")
    assert table_source() == source


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_a_conversion_from_the_table_equals_pints(source: str, target: str) -> None:
    assert conversion(source, target) == pint_conversion(source, target)


def test_units_of_different_groups_do_not_convert() -> None:
    firsts = [group[0] for group in GROUPS]
    for source, target in itertools.permutations(firsts, 2):
        assert (source, target) not in SCALES
        assert parse_unit(source).dimensionality != parse_unit(target).dimensionality
        with pytest.raises(UnitError, match="cannot convert"):
            conversion(source, target)


def test_every_unit_of_the_bundled_schemes_samples_and_mappings_is_in_the_table() -> None:
    used: set[str] = set()
    files = [*CRITERIA.glob("*.toml"), *SAMPLES.glob("*.toml"), *(SAMPLES / "mappings").glob("*")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        # schemes, the shared vocabulary, projects and mappings (not the measure catalogue,
        # whose costs are in its own units, nor the factor tables, whose units are compared
        # as text)
        if re.search(r"^\[(scheme|terms\.|project|mapping)", text, re.MULTILINE):
            used |= _units_in(text)
    assert used, "no units found: the pattern no longer matches the files"
    assert used <= KNOWN_UNITS, sorted(used - KNOWN_UNITS)


def test_spellings_outside_the_table_still_convert_through_pint() -> None:
    assert "ft**2" not in KNOWN_UNITS
    assert conversion("ft**2", "m2") == pint_conversion("ft**2", "m2")
    assert conversion("m²", "ft2") == (SCALES["m2", "ft2"], 0.0)
    with pytest.raises(UnitError, match="annual intensity"):
        conversion("kBtu/ft2", "kWh/m2/yr")


def _pint_loaded_after(code: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint('pint' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] == "True"


def test_checking_and_converting_table_units_imports_no_pint() -> None:
    code = (
        "from greenmark.core.units import check_unit, convert\n"
        "for unit in ('kWh/m2/yr', 'ft2', '%', 'kgCO2e/m2', 'therm/yr'): check_unit(unit)\n"
        "convert(2.0, 'kBtu/ft2/yr', 'kWh/m2/yr'); convert(3.0, 'ft2', 'm2')"
    )
    assert not _pint_loaded_after(code)
    assert _pint_loaded_after(code + "\nconvert(1.0, 'ft**2', 'm2')")


@pytest.mark.parametrize(
    "sample", ["gm2021-office-sle.toml", "nrb-office-tower.toml", "eb-office-retrofit.toml"]
)
def test_loading_and_scoring_a_bundled_scheme_imports_no_pint(sample: str) -> None:
    code = (
        "from greenmark.core.project import load_project\n"
        "from greenmark.core.scoring import scheme_for, score_project\n"
        f"loaded = load_project({str(SAMPLES / sample)!r})\n"
        "score_project(loaded, scheme_for(loaded))"
    )
    assert not _pint_loaded_after(code)
