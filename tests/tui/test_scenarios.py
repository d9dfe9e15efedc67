"""Proposals are not facts: a scenario is kept beside the assessed values, scored, and
changes them only when accepted; certificates read the assessed values only."""

from __future__ import annotations

from pathlib import Path

from greenmark.core.project import load_project
from tui.conftest import SAMPLES, copy_project, run_cli


def _run(*args: str | Path, cwd: Path, code: int = 0) -> str:
    done = run_cli(*args, cwd=cwd)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stdout + done.stderr


def test_propose_list_accept_from_the_command_line(tmp_path: Path) -> None:
    mall = copy_project(SAMPLES / "nrb-shopping-mall.toml", tmp_path, "mall.toml")
    before = mall.read_text(encoding="utf-8")
    certificate = ("report", mall, "--format", "md", "--date", "2026-12-01", "-o", "-")
    issued = _run(*certificate, cwd=tmp_path)

    shown = _run("scenario", "propose", mall, "chiller-060", "--name", "better plant", cwd=tmp_path)
    assert "Scenario better plant: 90.75 points, Platinum (assessed: 78.75 points, Gold)" in shown
    after = mall.read_text(encoding="utf-8")
    assert after.startswith(before)  # only added: the assessed values are untouched
    assert load_project(mall).project.inputs["chiller_eff"] == 0.72
    listed = _run("scenario", "list", mall, cwd=tmp_path)
    assert "Assessed: 78.75 points, Gold" in listed and "better plant: 90.75" in listed
    assert _run(*certificate, cwd=tmp_path) == issued  # the certificate ignores proposals

    assert "no scenario 'nope'" in _run("scenario", "accept", mall, "nope", cwd=tmp_path, code=2)
    assert "not in the catalogue" in _run(
        "scenario", "propose", mall, "nosuch", cwd=tmp_path, code=2
    )

    _run("scenario", "accept", mall, "better plant", "--note", "client agreed", cwd=tmp_path)
    project = load_project(mall).project
    assert project.inputs["chiller_eff"] == 0.6 and not project.scenarios
    accepted = next(h for h in project.history if h.new == "accepted")
    assert accepted.field == "scenarios.better plant" and accepted.note == "client agreed"
    assert "Platinum" in _run(*certificate, cwd=tmp_path)

    _run("scenario", "propose", mall, "led-lpd-8", cwd=tmp_path)
    _run("scenario", "discard", mall, "led-lpd-8", cwd=tmp_path)
    assert not load_project(mall).project.scenarios
