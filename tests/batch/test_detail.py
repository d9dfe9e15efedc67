"""``--detail criteria`` (per-criterion and per-gate columns), what blocks each row's next
tier, recorded awards against computed tiers, and per-criterion percentiles."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from batch.conftest import NRB_CSV, read_csv
from batch.helpers import scheme
from batch.test_cli_batch import counts
from batch.test_mapping_derive import CITY_CSV, CITY_MAPPING
from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.portfolio.awards import parse_award


@pytest.fixture(scope="module")
def nrb_detail(tmp_path_factory):
    from batch.conftest import greenmark

    folder = tmp_path_factory.mktemp("detail")
    out, summary = folder / "r.parquet", folder / "s.json"
    result = greenmark(
        "batch", NRB_CSV, "--scheme", "gm-nrb", "--detail", "criteria", "--out", out,
        "--summary", summary, "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return pq.read_table(out), json.loads(summary.read_text())


def test_criteria_columns_add_up_to_the_section_totals(nrb_detail):
    table, _ = nrb_detail
    found = scheme("gm-nrb")
    rows = table.to_pylist()
    assert len(rows) == 1000
    for criterion in found.criteria:
        assert f"pts_{criterion.id}" in table.column_names
        assert set(table.column(f"st_{criterion.id}").to_pylist()) <= {
            "awarded", "partial", "not_met", "not_assessed", "not_applicable"
        }  # fmt: skip
    for gate in found.gates:
        assert set(table.column(f"gate_{gate.id}").to_pylist()) <= {
            "passed", "failed", "not_assessed", "not_applicable"
        }  # fmt: skip
    for row in rows[:50]:
        for name, status in (("n_awarded", "awarded"), ("n_not_assessed", "not_assessed")):
            assert row[name] == sum(row[f"st_{c.id}"] == status for c in found.criteria)
        for criterion in found.criteria:
            if row[f"st_{criterion.id}"] in ("not_assessed", "not_applicable", "not_met"):
                assert row[f"pts_{criterion.id}"] == 0


def test_blocking_names_the_first_obstacle(nrb_detail):
    table, _ = nrb_detail
    rows = table.to_pylist()
    tiers = [t.id for t in scheme("gm-nrb").tiers]
    for row in rows:
        if row["tier"] == tiers[-1]:
            assert row["blocking"] == ""
        else:
            assert row["blocking"].startswith(("gate ", "floor of ", "condition of ", "points"))
    # a row blocked by a gate has that gate failed or not assessed
    for row in rows:
        if row["blocking"].startswith("gate "):
            gate = row["blocking"].split()[1]
            assert row[f"gate_{gate}"] in ("failed", "not_assessed")
    assert {r["blocking"] for r in rows if r["blocking"] == "points"}  # some only need points


def test_criteria_percentiles_leave_out_rows_not_assessed(nrb_detail):
    table, summary = nrb_detail
    by_id = {c["id"]: c for c in summary["criteria"]}
    for criterion in scheme("gm-nrb").criteria:
        status = table.column(f"st_{criterion.id}").to_pylist()
        assessed = [
            p
            for p, s in zip(table.column(f"pts_{criterion.id}").to_pylist(), status, strict=True)
            if s not in ("not_assessed", "not_applicable")
        ]
        entry = by_id[criterion.id]
        assert entry["assessed"] == len(assessed)
        if assessed:
            assert entry["percentiles"]["p50"] == pytest.approx(
                sorted(assessed)[len(assessed) // 2], abs=max(assessed)
            )


def test_detail_matches_scoring_one_project(tmp_path, run):
    """The batch detail of a building equals the single-building result."""
    sample = NRB_CSV.parents[1] / "eb-office-retrofit.toml"
    loaded = load_project(sample)
    result = score_project(loaded, scheme_for(loaded)).result
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / sample.name).write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "r.parquet"
    done = run("batch", folder, "--scheme", result.scheme_id, "--detail", "criteria", "--out", out)
    assert done.returncode == 0, done.stderr
    (row,) = pq.read_table(out).to_pylist()
    for criterion in result.criteria:
        assert row[f"pts_{criterion.id}"] == pytest.approx(criterion.points)
        assert row[f"st_{criterion.id}"] == criterion.status


def test_award_parsing():
    found = scheme("gm-2021")
    award = parse_award("Green Mark Gold Plus (Super Low Energy)", found)
    assert (award.tier, award.badges, award.unknown) == ("goldplus", ("sle",), ())
    assert parse_award("GoldPLUS", found).tier == "goldplus"
    assert parse_award("Green Mark Platinum (SLE)", found).badges == ("sle",)
    award = parse_award("Green Mark Platinum (Zero Energy) (Whole Life Carbon)", found)
    assert award.badges == ("zero_energy", "whole_life_carbon")
    award = parse_award("Legislated", found)
    assert award.tier is None and award.unknown == ("Legislated",)


def test_recorded_awards_against_computed_tiers(run, tmp_path):
    mapping = tmp_path / "m.toml"
    text = CITY_MAPPING.read_text(encoding="utf-8")
    mapping.write_text(
        text.replace(
            'name = "Property Name"\n', 'name = "Property Name"\naward = "Green Mark Award"\n'
        ),
        encoding="utf-8",
    )
    out, summary = tmp_path / "r.csv", tmp_path / "s.json"
    result = run("batch", CITY_CSV, "--mapping", mapping, "--out", out, "--summary", summary)
    assert counts(result.stderr) == (34, 24, 1)
    assert "Recorded award vs computed tier" in result.stderr
    rows = read_csv(out)
    raw = {r["Property Id"]: r["Green Mark Award"] for r in read_csv(CITY_CSV)}
    for row in rows:
        assert row["recorded_award"] == raw[row["id"]]
        if raw[row["id"]] == "Green Mark Gold Plus (Super Low Energy)":
            assert row["recorded_tier"] == "goldplus"
            assert "recorded award not understood: 'Super Low Energy'" in row["flags"]  # gm-eb
        if raw[row["id"]] == "Green Mark GoldPLUS":
            assert row["recorded_tier"] == "goldplus" and row["flags"] == ""
        if not raw[row["id"]]:
            assert row["recorded_tier"] == "" and row["award_agrees"] == ""
    awards = json.loads(summary.read_text())["awards"]
    recorded = [r for r in rows if r["recorded_award"]]
    assert awards["buildings"] == len(recorded)
    assert sum(c["buildings"] for c in awards["confusion"]) == len(recorded)
    assert awards["agree"] == sum(r["award_agrees"] == "true" for r in recorded)
    assert len(awards["disagreements"]) == min(20, len(recorded) - awards["agree"])
