"""The command line through its real entry point (a subprocess running ``python -m greenmark``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests_paths import ROOT, SAMPLES

from greenmark.core.scheme import load_scheme, unverified_constants

OFFICE = str(SAMPLES / "demo-office.toml")


def test_score_json_follows_the_contract(cli):
    done = cli("score", OFFICE, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= {
        "project",
        "scheme",
        "total_points",
        "tier",
        "badges",
        "sections",
        "criteria",
        "next_tier",
    }
    assert result["scheme"]["id"] == "demo" and result["scheme"]["version"] == "1.0"
    assert result["project"]["name"] == "Harbourfront Office Tower"
    assert result["total_points"] == 53.7
    assert result["tier"] == "goldplus"
    assert result["badges"] == []
    for section in result["sections"]:
        assert set(section) >= {"id", "title", "points", "max_points"}
    assert {c["id"] for c in result["criteria"]} >= {"EN-1", "EN-2", "WA-1"}
    for criterion in result["criteria"]:
        assert set(criterion) >= {"id", "section", "points", "max_points", "status", "reason"}
        assert criterion["status"] in {
            "awarded",
            "partial",
            "not_met",
            "not_assessed",
            "not_applicable",
        }
        assert criterion["reason"]
    assert result["next_tier"]["id"] == "platinum"
    assert result["next_tier"]["points_needed"] == 1.3
    assert result["next_tier"]["blocking"] == []
    assert done.stderr == ""


def test_score_table_is_readable_at_80_columns(cli):
    done = cli("score", OFFICE, columns=80)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = done.stdout
    for expected in (
        "Harbourfront Office Tower",
        "EN-2",
        "Energy efficiency",
        "GoldPLUS",
        "Next tier: Platinum",
        "1.3 points short",
        "P-2",
    ):
        assert expected in text


def test_score_states_the_stage_and_its_revision(cli, tmp_path):
    text = (SAMPLES / "demo-office.toml").read_text(encoding="utf-8")
    assert text.count('stage = "design"\n') == 1
    project = tmp_path / "tower.toml"
    project.write_text(text.replace('stage = "design"\n', 'stage = "design"\nrevision = 3\n'))
    done = cli("score", project, columns=100)
    assert done.returncode == 0, done.stderr
    assert "stage: design, revision 3" in done.stdout
    result = json.loads(cli("score", project, "--format", "json").stdout)
    assert (result["project"]["stage"], result["project"]["revision"]) == ("design", 3)


def test_score_with_scheme_override_and_blocking_gate(cli, tmp_path):
    text = Path(OFFICE).read_text().replace("chiller_eff = 0.62", "chiller_eff = 0.72")
    text = text.replace("green_plot_ratio = 2.5", "green_plot_ratio = 4")
    text = text.replace("eui = 128", "eui = 100")
    project = tmp_path / "p.toml"
    project.write_text(text)
    done = cli(
        "score", str(project), "--scheme", str(ROOT / "criteria" / "demo.toml"), "--format", "json"
    )
    result = json.loads(done.stdout)
    assert result["tier"] == "goldplus"
    assert [b["id"] for b in result["next_tier"]["blocking"]] == ["P-2"]
    assert result["next_tier"]["blocking"][0]["kind"] == "gate"


def test_schemes_lists_bundled(cli):
    done = cli("schemes", "--format", "json")
    assert done.returncode == 0
    ids = {entry["id"]: entry for entry in json.loads(done.stdout)}
    assert ids["demo"]["version"] == "1.0"
    table = cli("schemes", columns=200)
    assert "demo" in table.stdout and "Demonstration scheme" in table.stdout
    gm = ids["gm-2021"]
    assert gm["owner"] == "Building and Construction Authority (BCA), Singapore"
    for entry in ids.values():  # the unverified ones are those validate -v lists
        listed = unverified_constants(load_scheme(entry["path"]))
        assert entry["values_unverified"] == len(listed), entry["id"]
    assert gm["values_verified"] > 0 and ids["trees-nc"]["values_verified"] == 0
    total = gm["values_verified"] + gm["values_unverified"]
    assert f"{gm['values_verified']} of {total}" in table.stdout


def test_validate_good_files_and_unverified_count(cli):
    done = cli("validate", "criteria/demo.toml", OFFICE)
    assert done.returncode == 0, done.stderr
    assert "2 unverified values" in done.stdout
    assert "2 files valid" in done.stdout
    one = cli("validate", OFFICE)
    assert one.returncode == 0 and "1 file valid" in one.stdout, one.stderr


def test_validate_verbose_lists_unverified_values_of_every_kind(cli):
    done = cli(
        "validate", "-v", "criteria/factors/grid-emission-factors.toml", "criteria/measures.toml"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    grid = next(i for i, line in enumerate(lines) if "grid-emission-factors" in line)
    assert lines[grid].endswith("factor table, 1 unverified value")
    assert lines[grid + 1].strip().startswith("unverified: ")
    assert any(line.strip().startswith("unverified: measures.") for line in lines)


def test_bare_greenmark_outside_a_terminal_scores_the_bundled_sample(cli):
    done = cli()  # stdin and stdout are pipes here: no UI
    assert done.returncode == 0, done.stderr
    assert "Harbourfront Office Tower" in done.stdout
    assert "Total: 53.7 points" in done.stdout and "GoldPLUS" in done.stdout
    assert "opens the assessor's UI" in done.stderr and "--help" in done.stderr


def test_version_and_help(cli):
    from greenmark import __version__

    assert __version__ in cli("--version").stdout
    for command in ([], ["score"], ["validate"], ["schemes"]):
        done = cli(*command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout


def test_usage_errors_exit_2_without_traceback(cli):
    for args in (
        ["score"],
        ["score", "missing.toml"],
        ["frobnicate"],
        ["score", OFFICE, "--format", "xml"],
        ["score", OFFICE, "--scheme", "nope"],
    ):
        done = cli(*args)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


def test_installed_console_script_runs_from_any_folder(tmp_path):
    script = shutil.which("greenmark", path=str(Path(sys.executable).parent))
    assert script, "the greenmark console script is installed with the package"
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(
        [script, "score", OFFICE, "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tier"] == "goldplus"


def test_interrupt_exits_130_without_traceback(monkeypatch, capsys):
    import pytest

    from greenmark.cli import main as cli_module
    from greenmark.cli import score as score_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(score_module, "score_project", interrupted)
    with pytest.raises(SystemExit) as stopped:
        cli_module.main(["score", OFFICE])
    assert stopped.value.code == 130
    assert "interrupted" in capsys.readouterr().err


def test_validate_the_whole_criteria_folder(cli):
    done = cli("validate", "criteria")
    assert done.returncode == 0, done.stderr
    for expected in (
        "scheme gm-nrb",
        "scheme gm-2021",
        "scheme gm-rb",
        "scheme gm-eb",
        "measures catalogue",
        "factor table",
        "unverified values",
    ):
        assert expected in done.stdout


def test_version_loads_no_scoring_library():
    """``greenmark --version`` (and the group itself) import neither numpy nor pydantic."""
    import subprocess
    import sys

    code = (
        "import sys; from greenmark.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in ('numpy', 'pydantic', 'pint') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_names_print_as_written_with_no_emoji_codes_or_markup(cli, tmp_path):
    # a file or building named with :fire: is not shown with an emoji, nor [bold] as bold
    project = tmp_path / "Tower :fire: [bold]A.toml"
    text = Path(OFFICE).read_text(encoding="utf-8")
    project.write_text(
        text.replace('name = "Harbourfront Office Tower"', 'name = "Tower :fire: [bold]A[/bold]"'),
        encoding="utf-8",
    )
    checked = cli("validate", project)
    assert checked.returncode == 0, checked.stderr
    assert "Tower :fire: [bold]A.toml" in checked.stdout
    scored = cli("score", project)
    assert scored.returncode == 0, scored.stderr
    assert "Tower :fire: [bold]A[/bold]" in scored.stdout
    assert "\N{FIRE}" not in checked.stdout + scored.stdout
