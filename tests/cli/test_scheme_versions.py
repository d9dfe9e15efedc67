"""Versions side by side: a scheme is (id, version); a project pinned to a version is
scored with it, others get the current version (the latest in effect); `validate` refuses
two files with the same id and version; `greenmark schemes` lists each version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "demo-office.toml"


def _criteria_with_two_demo_versions(tmp_path: Path) -> Path:
    folder = tmp_path / "criteria"
    shutil.copytree(ROOT / "criteria", folder)
    text = (folder / "demo.toml").read_text(encoding="utf-8")
    # version 1.1: same scheme, Platinum harder, in effect later than 1.0
    newer = text.replace('version = "1.0"', 'version = "1.1"\neffective_from = 2026-01-01', 1)
    assert newer != text
    (folder / "demo-1.1.toml").write_text(newer, encoding="utf-8")
    return folder


def _run(*args: str, criteria: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GREENMARK_CRITERIA": str(criteria), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture
def criteria(tmp_path: Path) -> Path:
    return _criteria_with_two_demo_versions(tmp_path)


def test_a_pinned_project_is_scored_with_its_version(criteria: Path, tmp_path: Path):
    project = tmp_path / "pinned.toml"
    text = SAMPLE.read_text(encoding="utf-8")
    assert 'scheme_version = "1.0"' in text
    project.write_text(text, encoding="utf-8")
    done = _run("score", str(project), "--format", "json", criteria=criteria)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scheme"]["version"] == "1.0"
    assert "warning" not in done.stderr


def test_an_unpinned_project_gets_the_current_version(criteria: Path, tmp_path: Path):
    project = tmp_path / "unpinned.toml"
    text = SAMPLE.read_text(encoding="utf-8").replace('scheme_version = "1.0"\n', "")
    project.write_text(text, encoding="utf-8")
    done = _run("score", str(project), "--format", "json", criteria=criteria)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scheme"]["version"] == "1.1"


def test_the_scheme_list_shows_both_versions_and_the_current_one(criteria: Path):
    done = _run("schemes", "--format", "json", criteria=criteria)
    assert done.returncode == 0, done.stderr
    demo = [e for e in json.loads(done.stdout) if e["id"] == "demo"]
    assert [(e["version"], e["current"]) for e in demo] == [("1.0", False), ("1.1", True)]
    assert demo[1]["effective_from"] == "2026-01-01" and demo[0]["status"] == "older version"


def test_validate_refuses_two_files_with_the_same_id_and_version(criteria: Path):
    shutil.copyfile(criteria / "demo.toml", criteria / "demo-copy.toml")
    done = _run("validate", str(criteria), criteria=criteria)
    assert done.returncode == 2
    assert "scheme demo 1.0 is also defined in" in " ".join(done.stderr.split())


def test_scoring_against_another_scheme_uses_the_crosswalk_and_warns_once(cli):
    sample = ROOT / "samples" / "nrb-office-tower.toml"
    done = cli("score", str(sample), "--scheme", "gm-2021", "--format", "json")
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    assert warning.count("warning:") == 1 and "error" not in warning
    assert "assessed against gm-nrb 4.1-gm.1, scoring with gm-2021 2021.3" in warning
    assert "have no counterpart in gm-2021 and are left out (ac_system" in warning
    result = json.loads(done.stdout)
    assert result["scheme"]["id"] == "gm-2021"
    statuses = {c["id"]: c["status"] for c in result["criteria"]}
    assert statuses["In1.1"] == "not_assessed"  # what gm-2021 needs and gm-nrb lacks
    gates = {g["id"]: g["reason"] for g in result["gates"]}
    assert "choose the energy efficiency pathway" in gates["p1-gold"]


def test_a_bad_crosswalk_target_is_refused(cli, tmp_path):
    text = (ROOT / "criteria" / "gm-2021.toml").read_text(encoding="utf-8")
    bad = tmp_path / "gm.toml"
    bad.write_text(text.replace('bim_used = "in_pim"', 'bim_used = "in_pimm"'), encoding="utf-8")
    done = cli("validate", str(bad))
    assert done.returncode == 2
    assert "crosswalk.gm-nrb.bim_used: 'in_pimm' is not an input of this scheme" in done.stderr
