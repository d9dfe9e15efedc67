"""Rating styles unlike Green Mark, written in the scheme format and checked by their own
fixtures with `greenmark scheme test`: a BREEAM-style scheme (weights by building type
adding up to 100, an all-N/A section keeping its weight, minimum standards per tier on
named issues, innovation on top), a version 2 that `extends` it, a CASBEE-style scheme
(headline BEE, a ratio of two section results; ranks by conditions) and an EDGE-style
scheme (no points at all, thresholds only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STYLES = ROOT / "tests" / "data" / "styles"


@pytest.mark.parametrize(
    "scheme",
    ["breeam-style.toml", "breeam-style-v2.toml", "casbee-style.toml", "edge-style.toml"],
)
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


def _project(tmp_path: Path, scheme: str, inputs: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(
        f"""[project]
name = "Style test"
scheme = "{(STYLES / scheme).as_posix()}"
building_type = "office"
gross_floor_area = 5000
stage = "design"

[inputs]
{inputs}
""",
        encoding="utf-8",
    )
    return path


def test_a_scheme_without_points_leads_with_its_headline(cli, tmp_path):
    project = _project(
        tmp_path,
        "edge-style.toml",
        "energy_savings = 42\nwater_savings = 25\nmaterials_savings = 31",
    )
    done = cli("score", str(project))
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "Energy savings 42 % Tier: EDGE Advanced" in text
    assert "points" not in text and "Total:" not in text
    result = json.loads(cli("score", str(project), "--format", "json").stdout)
    assert result["scheme"]["scoring"] == "none" and result["tier"] == "advanced"
    assert result["headline"] == {
        "id": "energy",
        "label": "Energy savings",
        "value": 42,
        "unit": "%",
    }


def test_a_ratio_headline_is_shown_with_every_metric(cli, tmp_path):
    inputs = "indoor_level = 5\nservice_level = 4\nenergy_level = 4\nresources_level = 3"
    project = _project(tmp_path, "casbee-style.toml", inputs)
    result = json.loads(cli("score", str(project), "--format", "json").stdout)
    metrics = {m["id"]: m["value"] for m in result["metrics"]}
    assert metrics == {"q_score": 87.5, "l_score": 37.5, "bee": pytest.approx(2.3333, abs=1e-4)}
    assert result["headline"]["id"] == "bee" and result["tier"] == "a"
    text = " ".join(cli("score", str(project)).stdout.split())
    assert "BEE 2.33 Tier: A" in text and "SQ (quality score): 87.5" in text


def test_a_points_scheme_needs_criteria_and_a_no_points_scheme_no_thresholds(cli, tmp_path):
    text = (STYLES / "edge-style.toml").read_text(encoding="utf-8")
    bad = tmp_path / "edge.toml"
    bad.write_text(
        text.replace('scoring = "none"\n', "").replace(
            'title = "EDGE Certified"\n', 'title = "EDGE Certified"\nmin_points = 1\n'
        )
    )
    done = cli("validate", str(bad))
    assert done.returncode == 2
    assert "a points-scored scheme needs criteria (or scoring = 'none')" in done.stderr


@pytest.mark.parametrize("scheme", sorted(p.name for p in (ROOT / "criteria" / "tests").iterdir()))
def test_the_bundled_schemes_pass_their_fixtures(cli, scheme):
    done = cli("scheme", "test", scheme, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0 and report["passed"] >= 3
