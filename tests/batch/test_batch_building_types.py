"""Shared building types in a portfolio: a scheme that files them under its own
(``building_type_map``: GB/T 50378 rates offices as public buildings) reads an office
row as its own type, alone or beside a scheme that rates offices as such."""

from __future__ import annotations

from batch.conftest import read_csv, write_csv

HEADER = [
    "id", "building_type", "gfa", "prerequisites_met", "q1_safety", "q2_health",
    "q3_convenience", "q4_resources", "q5_environment", "qa_innovation", "eui",
]  # fmt: skip
ROWS = [
    ["B1", "office", 5000, "true", 62, 58, 44, 128, 61, 20, 150],
    ["B2", "residential", 8000, "true", 30, 30, 30, 60, 30, 0, 90],
    ["B3", "spaceport", 100, "true", 1, 1, 1, 1, 1, 0, 100],
]


def test_an_office_row_is_a_public_building_under_gbt_50378(run, tmp_path):
    data = write_csv(tmp_path / "in.csv", HEADER, ROWS)
    out = tmp_path / "out.csv"
    result = run("batch", data, "--scheme", "gbt-50378", "--out", out, "-q")
    assert result.returncode == 1, result.stderr  # the spaceport is skipped
    rows = {r["id"]: r for r in read_csv(out)}
    assert rows["B1"]["building_type"] == "public"
    # (400 + 62 + 58 + 128 + 61 + 20) / 10: convenience needs the stage, not given
    assert float(rows["B1"]["total_points"]) == 72.9
    assert rows["B2"]["building_type"] == "residential"
    assert "B3" not in rows
    assert "'spaceport' is not a building type (residential, public)" in result.stderr


def test_one_office_row_under_green_mark_and_gbt_50378_together(run, tmp_path):
    data = write_csv(tmp_path / "in.csv", HEADER, ROWS[:1])
    out = tmp_path / "out.csv"
    result = run(
        "batch", data, "--schemes", "gm-2021,gbt-50378", "--out", out, "-q", "--allow-empty"
    )
    assert result.returncode == 0, result.stderr
    (row,) = read_csv(out)
    assert row["building_type"] == "office" and row["skipped_under"] == ""
    assert float(row["gbt-50378.total_points"]) == 72.9
