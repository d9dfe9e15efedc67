"""``greenmark scheme test|diff|fmt``: the tools for scheme authors, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests_paths import CRITERIA

from greenmark.core.errors import SchemeError
from greenmark.core.project import load_project
from greenmark.core.scheme import load_scheme
from greenmark.core.schemefmt import format_text
from greenmark.core.schemetest import CriterionStatus, GateState

FAMILY = ("gm-2021", "gm-2021-residential", "gm-2021-existing")
SCHEMES = sorted(p.name for p in CRITERIA.glob("*.toml") if b"[scheme]" in p.read_bytes())


def _draft(tmp_path: Path, scheme_id: str = "gm-2021-existing") -> Path:
    """A copy of a bundled scheme with its fixtures, as an author's working folder."""
    shutil.copy(CRITERIA / f"{scheme_id}.toml", tmp_path)
    shutil.copytree(CRITERIA / "tests" / scheme_id, tmp_path / "tests" / scheme_id)
    return tmp_path / f"{scheme_id}.toml"


# ---------------------------------------------------------------------- test


@pytest.mark.parametrize("scheme_id", FAMILY)
def test_the_gm2021_family_passes_its_fixtures(cli, scheme_id):
    done = cli("scheme", "test", scheme_id, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["scheme"]["id"] == scheme_id
    assert report["failed"] == report["errors"] == 0
    assert report["passed"] == len(report["fixtures"]) >= 3
    assert all(f["checks"] >= 3 for f in report["fixtures"])


def test_fixtures_pin_the_badge_rules(cli):
    done = cli("scheme", "test", "gm-2021", "--format", "json")
    got = {f["name"]: f for f in json.loads(done.stdout)["fixtures"]}
    assert "positive_energy" not in got["offsite-only-zero-energy"]["badges"]
    assert "zero_energy" in got["offsite-only-zero-energy"]["badges"]
    assert "positive_energy" in got["positive-energy-at-115-onsite"]["badges"]
    assert "sle" in got["sle-at-60-percent"]["badges"]
    assert "sle" not in got["no-sle-at-59-9-percent"]["badges"]
    assert got["savings-below-gold-gate"]["tier"] is None


def test_fixture_projects_are_normal_projects(cli):
    done = cli("validate", *(str(CRITERIA / "tests" / s) for s in FAMILY))
    assert done.returncode == 0, done.stdout + done.stderr
    for project in (CRITERIA / "tests").rglob("*.toml"):
        if not project.name.endswith(".expect.toml"):
            load_project(project)


def test_a_mismatch_exits_1_with_a_readable_table(cli, tmp_path):
    scheme = _draft(tmp_path)
    text = scheme.read_text(encoding="utf-8").replace("conversion = 6", "conversion = 8")
    scheme.write_text(text, encoding="utf-8")
    done = cli("scheme", "test", str(scheme), columns=120)
    assert done.returncode == 1, done.stderr
    assert "Mismatches" in done.stdout and "sections.maintainability" in done.stdout
    assert "11.67 ± 0.01" in done.stdout and "8.75" in done.stdout
    assert "missing maintainability" in done.stdout
    assert "0 passed, 3 failed" in done.stdout
    report = json.loads(cli("scheme", "test", str(scheme), "--format", "json").stdout)
    assert report["failed"] == 3
    checks = {m["check"] for f in report["fixtures"] for m in f["mismatches"]}
    assert {"total_points", "badges", "sections.maintainability"} <= checks


def test_bad_expectations_exit_2_naming_file_line_and_field(cli, tmp_path):
    scheme = _draft(tmp_path)
    expect = tmp_path / "tests" / "gm-2021-existing" / "active-mobility-one-sub-item.expect.toml"
    expect.write_text(
        'tier = "diamond"\nbadgez = []\n\n[criteria."Hw1.1a"]\npoints = "one"\n'
        '\n[gates]\np3-gold = "ok"\n',
        encoding="utf-8",
    )
    done = cli("scheme", "test", str(scheme), cwd=tmp_path)
    assert done.returncode == 2
    err = done.stderr
    assert "Traceback" not in err
    where = "tests/gm-2021-existing/active-mobility-one-sub-item.expect.toml"
    assert f"{where}:2: badgez: unknown key" in err
    assert f"{where}:5: criteria.Hw1.1a.points: expected a number, got 'one'" in err
    assert f"{where}:8: gates.p3-gold: expected 'not_assessed'" in err
    assert "2 failed" not in done.stdout and "1 could not be run" in done.stdout


def test_unknown_ids_in_expectations_are_named(cli, tmp_path):
    scheme = _draft(tmp_path)
    expect = tmp_path / "tests" / "gm-2021-existing" / "active-mobility-one-sub-item.expect.toml"
    expect.write_text('tier = "diamond"\nbadges = ["gold_star"]\n', encoding="utf-8")
    done = cli("scheme", "test", str(scheme))
    assert done.returncode == 2
    assert "tier: scheme gm-2021-existing has no tier 'diamond' (none, gold" in done.stderr
    assert "badges: scheme gm-2021-existing has no badge 'gold_star'" in done.stderr


def test_missing_fixtures_or_expectations_exit_2(cli, tmp_path):
    done = cli("scheme", "test", "demo")
    assert done.returncode == 2 and "no fixtures for scheme demo" in done.stderr
    scheme = _draft(tmp_path)
    (tmp_path / "tests" / "gm-2021-existing" / "active-mobility-one-sub-item.expect.toml").unlink()
    done = cli("scheme", "test", str(scheme))
    assert done.returncode == 2
    assert "no expectations for this fixture: write active-mobility" in done.stderr
    done = cli("scheme", "test", "no-such-scheme")
    assert done.returncode == 2 and "unknown scheme 'no-such-scheme'" in done.stderr


def test_a_fixture_must_name_the_scheme_it_tests(cli, tmp_path):
    scheme = _draft(tmp_path)
    project = tmp_path / "tests" / "gm-2021-existing" / "active-mobility-one-sub-item.toml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace('scheme = "gm-2021-existing"', 'scheme = "gm-2021"'))
    done = cli("scheme", "test", str(scheme))
    assert done.returncode == 2
    assert "project.scheme: names scheme 'gm-2021', but is a fixture of gm-2021-existing" in (
        done.stderr
    )


def test_a_fixture_pinned_to_another_version_is_skipped(cli, tmp_path):
    scheme = _draft(tmp_path)
    project = tmp_path / "tests" / "gm-2021-existing" / "active-mobility-one-sub-item.toml"
    text = project.read_text(encoding="utf-8")
    project.write_text(
        text.replace('stage = "design"', 'stage = "design"\nscheme_version = "2020.1"')
    )
    done = cli("scheme", "test", str(scheme), columns=120)
    assert done.returncode == 0, done.stderr
    assert "2 passed, 0 failed, 1 skipped (pinned to another version)" in done.stdout
    assert "pinned to version 2020.1" in done.stdout


def test_fixtures_elsewhere_with_the_fixtures_option(cli, tmp_path):
    shutil.copytree(CRITERIA / "tests" / "gm-2021-residential", tmp_path / "cases")
    done = cli("scheme", "test", "gm-2021-residential", "--fixtures", str(tmp_path / "cases"))
    assert done.returncode == 0, done.stderr
    assert "3 passed, 0 failed" in done.stdout


def test_the_statuses_an_expectation_accepts_are_the_engines():
    from typing import get_args

    from greenmark.core.engine import GateStatus, Status

    assert set(get_args(CriterionStatus)) == {s.label for s in Status}
    assert set(get_args(GateState)) == {s.label for s in GateStatus}


# ---------------------------------------------------------------------- diff


def test_diff_of_a_stream_lists_what_it_changes(cli):
    done = cli("scheme", "diff", "gm-2021", "gm-2021-existing", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["a"]["id"] == "gm-2021" and found["b"]["id"] == "gm-2021-existing"
    rows = {(d["kind"], d["id"], d["change"], d["field"]): d for d in found["differences"]}
    assert rows["criteria", "Hw1.1a", "changed", "max_points"]["new"] == 2
    rule = rows["criteria", "Hw1.1a", "changed", "points"]
    assert rule["old"] == {"formula": "0.5 * hw_safe_access + 0.5 * hw_bicycle_lots"}
    assert rows["sections", "maintainability", "changed", "conversion"]["old"] == 5
    assert ("inputs", "mt_prerequisites", "removed", None) in rows
    assert ("inputs", "mt_baseline_evaluation", "added", None) in rows
    assert (
        "mt_baseline_evaluation" in rows["badges", "maintainability", "changed", "condition"]["new"]
    )
    # texts only on request: the existing stream relabels the EUI input
    assert ("inputs", "eui", "changed", "label") not in rows
    texts = json.loads(
        cli("scheme", "diff", "gm-2021", "gm-2021-existing", "--texts", "--format", "json").stdout
    )
    assert any(d["id"] == "eui" and d["field"] == "label" for d in texts["differences"])


def test_diff_table_reads_at_80_columns(cli):
    done = cli("scheme", "diff", "gm-2021", "gm-2021-existing")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "gm-2021 2021.3 → gm-2021-existing 2021.3" in out
    assert "conversion: 5 → 6" in out and "max_points: 1 → 2" in out
    assert "+ added: Pre-submission evaluation" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_diff_between_scheme_generations(cli):
    done = cli("scheme", "diff", "gm-nrb", "gm-2021", "--format", "json")
    found = json.loads(done.stdout)
    counts = found["counts"]
    assert counts["criteria"]["removed"] == 40 and counts["criteria"]["added"] == 34
    assert counts["badges"] == {"added": 5}
    tiers = {d["id"]: d for d in found["differences"] if d["kind"] == "tiers"}
    assert tiers["gold"]["field"] == "min_points" or tiers["gold"]["change"] == "changed"
    table = cli("scheme", "diff", "gm-nrb", "gm-2021")
    assert table.returncode == 0 and "criteria: 40 removed, 34 added" in table.stdout


def test_diff_by_path_and_exit_code(cli, tmp_path):
    copy = tmp_path / "copy.toml"
    shutil.copy(CRITERIA / "demo.toml", copy)
    same = cli("scheme", "diff", "demo", str(copy), "--exit-code")
    assert same.returncode == 0 and "no differences" in same.stdout
    copy.write_text(copy.read_text(encoding="utf-8").replace("min_points = 48", "min_points = 52"))
    changed = cli("scheme", "diff", "demo", str(copy), "--exit-code")
    assert changed.returncode == 1 and "min_points: 48 → 52" in changed.stdout
    bad = cli("scheme", "diff", "demo", str(tmp_path / "missing.toml"))
    assert bad.returncode == 2 and "unknown scheme" in bad.stderr


# ---------------------------------------------------------------------- fmt


@pytest.fixture
def schemes_copy(tmp_path: Path) -> Path:
    for name in SCHEMES:
        shutil.copy(CRITERIA / name, tmp_path)
    return tmp_path


def _comments(text: str) -> list[str]:
    return sorted(line.strip() for line in text.splitlines() if line.strip().startswith("#"))


def test_fmt_check_then_fmt_keeps_every_scheme_equal(cli, schemes_copy):
    files = [schemes_copy / name for name in SCHEMES]
    before = {f.name: f.read_text(encoding="utf-8") for f in files}
    check = cli("scheme", "fmt", "--check", *map(str, files))
    assert check.returncode == 1, check.stderr
    assert "would reformat" in check.stderr
    assert {f.name: f.read_text(encoding="utf-8") for f in files} == before  # unchanged
    done = cli("scheme", "fmt", *map(str, files))
    assert done.returncode == 0, done.stderr
    for f in files:
        after = f.read_text(encoding="utf-8")
        assert load_scheme(f) == load_scheme(CRITERIA / f.name), f.name
        assert _comments(after) == _comments(before[f.name]), f.name
    again = cli("scheme", "fmt", "--check", *map(str, files))
    assert again.returncode == 0 and "would reformat" not in again.stderr


def test_fmt_puts_tables_and_keys_in_canonical_order(cli, tmp_path):
    scheme = tmp_path / "tiny.toml"
    scheme.write_text(TINY, encoding="utf-8")
    done = cli("scheme", "fmt", str(scheme))
    assert done.returncode == 0, done.stderr
    assert scheme.read_text(encoding="utf-8") == TINY_FORMATTED
    assert cli("scheme", "fmt", "--check", str(scheme)).returncode == 0


def test_fmt_refuses_bad_input_without_a_traceback(cli, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[scheme]\nid = "x\n', encoding="utf-8")
    done = cli("scheme", "fmt", str(broken))
    assert done.returncode == 2 and "broken.toml:2: invalid TOML" in done.stderr
    assert "Traceback" not in done.stderr
    other = tmp_path / "other.toml"
    other.write_text("[meta]\nx = 1\n", encoding="utf-8")
    done = cli("scheme", "fmt", str(other))
    assert done.returncode == 2 and "not a scheme file: expected a [scheme] table" in done.stderr


def test_fmt_never_rewrites_values_that_look_like_tables():
    text = (
        '[[criteria]]\npoints = { formula = "a" }\nguidance = """\n[[tiers]]\nid = "x"\n"""\n'
        'id = "C-1"\n\n[scheme]\nid = "s"\nnote = [\n  "[sections]",\n]\ntitle = "S"\n'
    )
    out = format_text(text)
    assert out.startswith('[scheme]\nid = "s"\ntitle = "S"\nnote = [\n  "[sections]",\n]\n')
    assert 'id = "C-1"\npoints = { formula = "a" }\nguidance = """\n[[tiers]]' in out
    with pytest.raises(SchemeError, match="expected a \\[scheme\\] table"):
        format_text("[criteria]\n")


def test_fmt_leaves_the_file_alone_when_the_data_would_change(tmp_path, monkeypatch):
    from greenmark.core import schemefmt

    scheme = tmp_path / "tiny.toml"
    scheme.write_text(TINY, encoding="utf-8")
    monkeypatch.setattr(schemefmt, "_order_keys", lambda chunk: chunk.items.pop())
    with pytest.raises(SchemeError, match="cannot be put in canonical order"):
        schemefmt.format_file(scheme)
    assert scheme.read_text(encoding="utf-8") == TINY
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.toml"]  # no temporary file left


TINY = """\
# A tiny scheme, out of order.

[[tiers]]
title = "Certified"  # the only tier
id = "certified"
min_points = 1

# ---- the one criterion
[[criteria]]
max_points = 2
# the rule
points = { formula = "x" }
id = "C-1"
section = "main"
title = "One"

[scheme]
version = "1"
title = "Tiny"
id = "tiny"

[inputs.x]
unit = "1"
label = "X"

[[sections]]
title = "Main"
id = "main"

[sections.weight]
office = 1.0

[constants.k]
value = 1
"""

TINY_FORMATTED = """\
# A tiny scheme, out of order.

[scheme]
id = "tiny"
title = "Tiny"
version = "1"

[constants.k]
value = 1

[inputs.x]
label = "X"
unit = "1"

[[sections]]
id = "main"
title = "Main"

[sections.weight]
office = 1.0

# ---- the one criterion
[[criteria]]
id = "C-1"
section = "main"
title = "One"
max_points = 2
# the rule
points = { formula = "x" }

[[tiers]]
id = "certified"
title = "Certified"  # the only tier
min_points = 1
"""
