"""`greenmark report` and `greenmark verify` through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from report_helpers import DEMO, ISSUED, ROOT, copy_project


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *args],
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_default_file_name_and_verify(tmp_path) -> None:
    done = run("report", str(DEMO), "--date", ISSUED, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    certificate = tmp_path / "demo-office-certificate.html"
    assert certificate.is_file()
    assert b"wrote certificate DEMO-2026-" in done.stderr
    assert done.stdout == b""
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left nothing behind
    checked = run("verify", certificate.name, str(DEMO), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(b"OK: certificate DEMO-2026-")


def test_default_names_for_each_kind_and_format(tmp_path) -> None:
    done = run("report", str(DEMO), "--kind", "assessment", "--format", "md", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "demo-office-assessment.md").read_text().startswith("# Self-assessment report")
    )
    done = run("report", str(DEMO), "--format", "pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo-office-certificate.pdf").read_bytes().startswith(b"%PDF")


def test_output_to_stdout(tmp_path) -> None:
    done = run("report", str(DEMO), "-o", "-", "--date", ISSUED, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"<!DOCTYPE html>")
    assert list(tmp_path.iterdir()) == []
    done = run("report", str(DEMO), "--format", "md", "-o", "-", cwd=tmp_path)
    assert done.stdout.startswith(b"# Indicative self-assessment: GoldPLUS")


def test_explicit_output_file(tmp_path) -> None:
    target = tmp_path / "out" / "cert.md"
    target.parent.mkdir()
    done = run("report", str(DEMO), "--format", "md", "-o", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "```json greenmark-certificate" in target.read_text()


def test_verify_fails_with_exit_1_naming_the_difference(tmp_path) -> None:
    project = copy_project(tmp_path)
    assert run("report", str(project), cwd=tmp_path).returncode == 0
    copy_project(tmp_path, project, **{r"^chiller_eff = .*$": "chiller_eff = 0.7"})
    done = run("verify", "demo-office-certificate.html", str(project), cwd=tmp_path)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "input chiller_eff differs: certificate 0.62, project 0.7" in err
    assert "result differs" in err
    assert "does NOT verify" in err
    assert "Traceback" not in err


def test_bad_usage_exits_2_without_traceback(tmp_path) -> None:
    cases = [
        ("report", "missing.toml"),
        ("report", str(DEMO), "--kind", "diploma"),
        ("report", str(DEMO), "--format", "docx"),
        ("report", str(DEMO), "--date", "25/11/2026"),
        ("report", str(DEMO), "-o", str(DEMO / "under-a-file.html")),
        ("verify", "missing.html", str(DEMO)),
        ("verify", str(DEMO), "missing.toml"),
    ]
    for args in cases:
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert b"Traceback" not in done.stderr, args
        assert done.stderr.strip(), args


def test_verify_on_a_file_that_is_not_a_certificate_exits_2(tmp_path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Just notes\n")
    done = run("verify", str(note), str(DEMO), cwd=tmp_path)
    assert done.returncode == 2
    assert b"not a greenmark certificate" in done.stderr


def test_help_lists_both_commands(tmp_path) -> None:
    done = run("--help", cwd=tmp_path)
    assert b"report" in done.stdout and b"verify" in done.stdout
