"""Rating styles unlike Green Mark, written in the scheme format and checked by their own
fixtures with `greenmark scheme test`: a BREEAM-style scheme (weights by building type
adding up to 100, an all-N/A section keeping its weight, minimum standards per tier on
named issues, innovation on top) and a version 2 that `extends` it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STYLES = ROOT / "tests" / "data" / "styles"


@pytest.mark.parametrize("scheme", ["breeam-style.toml", "breeam-style-v2.toml"])
def test_the_style_schemes_pass_their_fixtures(cli, scheme):
    done = cli("scheme", "test", str(STYLES / scheme), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0 and report["passed"] >= 1


def test_respread_weights_give_the_all_na_section_weight_to_the_others(cli, tmp_path):
    text = (STYLES / "breeam-style.toml").read_text(encoding="utf-8")
    respread = tmp_path / "breeam-style.toml"
    respread.write_text(text.replace('na_weights = "fixed"', 'na_weights = "respread"'))
    project = tmp_path / "office.toml"
    fixture = STYLES / "tests" / "breeam-style" / "office-water-not-applicable.toml"
    project.write_text(
        fixture.read_text(encoding="utf-8").replace(
            'scheme = "breeam-style"', f'scheme = "{respread.as_posix()}"'
        )
    )
    done = cli("score", str(project), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    # (30 + 37.5) / 80 * 100 = 84.375, + 2 innovation
    assert result["total_percent"] == pytest.approx(86.375, abs=1e-3)
    assert result["tier"] == "outstanding"


def test_weights_that_do_not_add_up_are_refused(cli, tmp_path):
    text = (STYLES / "breeam-style.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        text.replace("weight = { office = 50, retail = 40", "weight = { office = 45, retail = 40")
    )
    done = cli("validate", str(bad))
    assert done.returncode == 2
    assert "the section weights for office add up to 95, not 100" in done.stderr
