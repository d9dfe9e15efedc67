"""Legacy schemes say they are superseded: by what and from when (GM:2021 took effect on
1 November 2021, replacing NRB:2015, RB:2016 and ENRB:2017). Scoring, checking or
reporting a project against one warns; the scheme list marks them; certificates and
assessment reports carry a one-line notice."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.core.scheme import load_scheme
from greenmark.reports.prepared import prepare
from greenmark.reports.render import render
from greenmark.reports.verify import verify

LEGACY = {"gm-nrb": "nrb-office-tower", "gm-rb": "rb-condominium", "gm-eb": "eb-office-retrofit"}
SUCCESSORS = {
    "gm-nrb": "Green Mark 2021 for new non-residential buildings (gm-2021)",
    "gm-rb": "Green Mark 2021 for new residential buildings (gm-2021-residential)",
    "gm-eb": "Green Mark 2021 for existing buildings (gm-2021-existing)",
}
SUCCESSOR = SUCCESSORS["gm-nrb"]
NOTICE = f"This scheme was superseded by {SUCCESSOR} from 1 November 2021."
DEMO = SAMPLES / "demo-office.toml"
ISSUED = "2026-11-25"


@pytest.mark.parametrize("scheme_id", sorted(LEGACY))
def test_the_legacy_schemes_name_their_successor_and_the_date(scheme_id):
    info = load_scheme(CRITERIA / f"{scheme_id}.toml").scheme
    assert info.superseded_by == SUCCESSORS[scheme_id]
    assert info.superseded_from == date(2021, 11, 1)


@pytest.mark.parametrize("scheme_id", sorted(LEGACY))
@pytest.mark.parametrize(
    "command", [["score"], ["check", "--target", "platinum", "--no-plan"], ["report"]]
)
def test_scoring_against_a_legacy_scheme_warns_on_stderr(cli, tmp_path, scheme_id, command):
    sample = SAMPLES / f"{LEGACY[scheme_id]}.toml"
    extra = ["-o", str(tmp_path / "out.html")] if command == ["report"] else []
    done = cli(command[0], str(sample), *command[1:], *extra)
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    assert "warning:" in warning and scheme_id in warning
    assert f"superseded by {SUCCESSORS[scheme_id]} from 1 November 2021" in warning
    assert f"new projects are assessed under {SUCCESSORS[scheme_id]}" in warning
    assert "superseded" not in done.stdout or command[0] == "report"


def test_a_current_scheme_gives_no_warning(cli):
    done = cli("score", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert "superseded" not in done.stderr


def test_a_project_recorded_before_the_cutoff_is_told_the_old_scheme_may_apply(cli, tmp_path):
    text = (SAMPLES / "nrb-office-tower.toml").read_text(encoding="utf-8")
    text += '\n[[history]]\nat = 2020-03-02T09:00:00Z\nfield = "inputs.lpd"\nold = 7.0\nnew = 5.9\n'
    path = tmp_path / "early.toml"
    path.write_text(text, encoding="utf-8")
    done = cli("score", str(path))
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    assert "superseded by" in warning and "1 November 2021" in warning
    assert "starts on 2 March 2020, before that date, so gm-nrb may still apply" in warning


def test_the_scheme_list_marks_the_superseded_schemes(cli):
    done = cli("schemes", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = {entry["id"]: entry for entry in json.loads(done.stdout)}
    for scheme_id in LEGACY:
        assert found[scheme_id]["superseded_by"] == SUCCESSORS[scheme_id]
        assert found[scheme_id]["superseded_from"] == "2021-11-01"
        assert found[scheme_id]["status"].startswith("superseded by")
    assert found["demo"]["superseded_by"] is None and found["demo"]["superseded_from"] is None
    assert found["gm-2021"]["current"] and found["gm-2021"]["effective_from"] == "2021-11-01"
    text = cli("schemes", columns=250).stdout
    rows = {line.split()[1]: line for line in text.splitlines() if line.startswith("│ ")}
    notes = {line.split(":")[0]: line for line in text.splitlines() if line.startswith("gm-")}
    for scheme_id in LEGACY:
        assert "superseded" in rows[scheme_id]
        assert f"superseded by {SUCCESSORS[scheme_id]} from 1 November 2021" in notes[scheme_id]
    assert "superseded" not in rows["demo"] and "current" in rows["demo"]


@pytest.mark.parametrize("kind", ["certificate", "assessment"])
@pytest.mark.parametrize("fmt", ["html", "md"])
def test_documents_carry_the_notice(kind, fmt):
    shown = render(prepare(SAMPLES / "nrb-office-tower.toml", issued=ISSUED), kind, fmt).decode()
    assert NOTICE in shown
    assert NOTICE not in render(prepare(DEMO, issued=ISSUED), kind, fmt).decode()


def test_the_notice_is_near_the_top_of_the_documents():
    prepared = prepare(SAMPLES / "rb-condominium.toml", issued=ISSUED)
    for kind in ("certificate", "assessment"):
        markdown = render(prepared, kind, "md").decode()
        notice = f"superseded by {SUCCESSORS['gm-rb']} from 1 November 2021."
        assert notice in "\n".join(markdown.splitlines()[:8]), kind


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_a_superseded_scheme_certificate_still_verifies(tmp_path: Path, fmt):
    sample = SAMPLES / "eb-office-retrofit.toml"
    prepared = prepare(sample, issued=ISSUED)
    scheme = prepared.certificate.payload["scheme"]
    assert (
        scheme["superseded_by"] == SUCCESSORS["gm-eb"] and scheme["superseded_from"] == "2021-11-01"
    )
    path = tmp_path / f"certificate.{fmt}"
    path.write_bytes(render(prepared, "certificate", fmt))
    outcome = verify(path, sample)
    assert not outcome.differences, [d.message for d in outcome.differences]
