"""``greenmark batch --schemes a,b,c``: every row under several schemes in one pass, through
the real entry point."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from batch.conftest import NRB_CSV, greenmark, read_csv

SCHEMES = ("gm-nrb", "gm-2021", "edge")
PREFIX = {"gm-nrb": "", "gm-2021": "gm-2021.", "edge": "edge."}
SHARED = ("row", "id", "name", "building_type", "gfa")
EDGE_COLUMNS = ("energy_savings", "water_savings", "materials_savings", "zero_carbon_cover")
TIERS = {  # lowest first, as the schemes list them
    "gm-nrb": ["certified", "gold", "goldplus", "platinum"],
    "gm-2021": ["gold", "goldplus", "platinum"],
    "edge": ["certified", "advanced", "zero_carbon"],
}
COUNTS = re.compile(r"read ([\d,]+) rows: ([\d,]+) scored under every scheme, ([\d,]+) skipped")


def mixed_csv(path: Path, copies: int = 1) -> Path:
    """The gm-nrb sample with EDGE's inputs added; row 6 has a bad EDGE value (skipped
    under edge only), row 8 a bad GFA (skipped under every scheme); the 'ihl' rows are a
    building type EDGE does not rate (skipped under edge only)."""
    with NRB_CSV.open(newline="", encoding="utf-8") as stream:
        header, *rows = list(csv.reader(stream))
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow([*header, *EDGE_COLUMNS])
        for copy in range(copies):
            for index, row in enumerate(rows):
                number = copy * len(rows) + index
                energy = "n/a?" if index == 5 else str((number * 37) % 70 - 5)
                savings = [energy, str((number * 53) % 60), str((number * 29) % 50)]
                cover = "120" if number % 9 == 0 else ""
                if index == 7:
                    row = [*row[:3], "-20", *row[4:]]
                writer.writerow([*row, *savings, cover])
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One run under the three schemes and one run of each alone, criteria detail on."""
    folder = tmp_path_factory.mktemp("schemes")
    data = mixed_csv(folder / "mixed.csv")
    found = {"folder": folder, "data": data}
    multi = {k: folder / f"multi.{k}" for k in ("csv", "errors.csv", "json", "html")}
    found["multi"] = greenmark(
        "batch", data, "--schemes", ",".join(SCHEMES), "--detail", "criteria",
        "--out", multi["csv"], "--errors", multi["errors.csv"], "--summary", multi["json"],
        "--report", multi["html"],
    )  # fmt: skip
    found["paths"] = multi
    for scheme in SCHEMES:
        out, errors = folder / f"{scheme}.csv", folder / f"{scheme}.errors.csv"
        result = greenmark(
            "batch", data, "--scheme", scheme, "--detail", "criteria", "--out", out,
            "--errors", errors, "-q",
        )  # fmt: skip
        assert result.returncode == 1, result.stderr  # each has a skipped row
        found[scheme] = (read_csv(out), read_csv(errors))
    return found


def test_each_scheme_gets_what_it_gets_alone(runs):
    result = runs["multi"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    rows = read_csv(runs["paths"]["csv"])
    alone_first, _ = runs["gm-nrb"]
    header = list(rows[0])
    # the first scheme's columns keep their names and order; then skipped_under, then
    # each other scheme's columns under its prefix
    assert header[: len(alone_first[0])] == list(alone_first[0])
    assert header[len(alone_first[0])] == "skipped_under"
    assert "edge.tier" in header and "gm-2021.sec_carbon" in header
    assert any(h.startswith("gm-2021.pts_") for h in header)
    assert any(h.startswith("edge.gate_") for h in header)
    for scheme in SCHEMES:
        alone, _ = runs[scheme]
        prefix = PREFIX[scheme]
        mine = [
            {c: r[c] if c in SHARED else r[prefix + c] for c in alone[0]}
            for r in rows
            if r[f"{prefix}total_points"] != ""
        ]
        assert mine == alone, scheme
    # a row is written when some scheme scored it; skipped_under names the others
    skipped = {r["row"]: r["skipped_under"] for r in rows if r["skipped_under"]}
    assert skipped["6"] == "edge"  # a bad EDGE value
    assert skipped["12"] == "edge"  # 'ihl' is not an EDGE building type
    assert "8" not in {r["row"] for r in rows}  # a bad GFA: skipped under every scheme
    assert len(rows) == 999
    assert counts(result.stderr) == (1000, 950, 50)
    assert "  edge: 950 scored, 50 skipped (columns edge.…)" in result.stderr


def counts(stderr: str) -> tuple[int, int, int]:
    found = COUNTS.search(stderr)
    assert found, stderr
    read, scored, skipped = (int(g.replace(",", "")) for g in found.groups())
    return read, scored, skipped


def test_errors_name_their_schemes(runs):
    problems = read_csv(runs["paths"]["errors.csv"])
    assert list(problems[0]) == [
        "source", "row", "line", "id", "column", "value", "reason", "scheme"
    ]  # fmt: skip
    by_row = {p["row"]: p for p in problems}
    assert (by_row["6"]["column"], by_row["6"]["scheme"]) == ("energy_savings", "edge")
    assert by_row["8"]["column"] == "gfa"
    assert by_row["8"]["scheme"] == "gm-nrb;gm-2021;edge"  # one line for a shared problem
    assert by_row["12"]["scheme"] == "edge" and by_row["12"]["line"] == "13"
    # every problem of a single-scheme run is listed, under that scheme
    for scheme in SCHEMES:
        _, alone = runs[scheme]
        mine = [
            {k: v for k, v in p.items() if k != "scheme"}
            for p in problems
            if scheme in p["scheme"].split(";")
        ]
        assert mine == alone, scheme
    data = json.loads(runs["paths"]["json"].read_text())
    assert {r["reason"]: r["rows"] for r in data["skipped_by_reason"]} == {
        "unknown building type (building_type) under edge": 48,
        "gfa not positive (gfa) under every scheme": 1,
        "not a number (energy_savings) under edge": 1,
    }


def test_cross_tabs_count_the_rows_by_hand(runs):
    rows = read_csv(runs["paths"]["csv"])
    data = json.loads(runs["paths"]["json"].read_text())
    assert data["scheme"]["id"] == "gm-nrb"
    assert data["counts"] == {
        "read": 1000, "scored": 950, "skipped": 50, "out_of_scope": 0, "duplicate_ids": 0,
        "partly_scored": 49,
    }  # fmt: skip
    assert [(c["id"], c["prefix"], c["scored"], c["skipped"]) for c in data["compared"]] == [
        ("gm-nrb", "", 999, 1),
        ("gm-2021", "gm-2021.", 999, 1),
        ("edge", "edge.", 950, 50),
    ]

    def category(row: dict[str, str], scheme: str) -> str:
        prefix = PREFIX[scheme]
        if row[f"{prefix}total_points"] == "":
            return "skipped"
        return row[f"{prefix}tier"] or "none"

    # each scheme's tier mix: its own rows, "none" first, tiers lowest first
    summaries = {"gm-nrb": data, **{o["scheme"]["id"]: o for o in data["other_schemes"]}}
    for scheme in SCHEMES:
        found = Counter(category(r, scheme) for r in rows)
        tiers = summaries[scheme]["tiers"]
        assert [t["id"] for t in tiers] == [None, *TIERS[scheme]]
        assert [t["buildings"] for t in tiers] == [found[t["id"] or "none"] for t in tiers]
    assert data["other_schemes"][1]["counts"] == {"scored": 950, "skipped": 50}

    first, *_ = SCHEMES
    assert [(c["rows"]["id"], c["columns"]["id"]) for c in data["cross_tabs"]] == [
        ("gm-nrb", "gm-2021"),
        ("gm-nrb", "edge"),
    ]
    for cross in data["cross_tabs"]:
        other = cross["columns"]["id"]
        pairs = Counter((category(r, first), category(r, other)) for r in rows)
        row_ids = [t["id"] for t in cross["row_tiers"]]
        column_ids = [t["id"] for t in cross["column_tiers"]]
        assert row_ids == ["none", *TIERS[first]]  # nothing skipped under gm-nrb alone
        skipped = ["skipped"] if other == "edge" else []
        assert column_ids == ["none", *TIERS[other], *skipped]
        assert cross["counts"] == [[pairs[(a, b)] for b in column_ids] for a in row_ids]
        assert cross["buildings"] == len(rows) == sum(map(sum, cross["counts"]))
    edge = data["cross_tabs"][1]
    assert edge["column_tiers"][1] == {"id": "certified", "title": "EDGE Certified"}
    assert edge["row_tiers"][0] == {"id": "none", "title": "No tier"}
    assert sum(row[-1] for row in edge["counts"]) == 49  # skipped under edge, written
    assert sum(sum(row[1:-1]) for row in edge["counts"]) > 100  # EDGE levels reached


def test_console_and_report_show_the_comparison(runs):
    stderr = runs["multi"].stderr
    assert "Portfolio — gm-nrb 4.1-gm.1: 999 buildings scored" in stderr
    assert "Tier mix — edge 3.0" in stderr
    assert "gm-nrb tier (rows) by edge tier (columns), buildings" in stderr
    assert "skipped: gfa not positive (gfa) under every scheme" in stderr
    tables = [line for line in stderr.splitlines() if line[:1] in "┏┃│┡└"]
    assert tables and max(len(line) for line in tables) <= 100  # readable at 100 columns
    html = runs["paths"]["html"].read_text()
    assert "Schemes compared" in html and "Tier mix — edge 3.0" in html
    assert "gm-nrb tier (rows) by edge tier (columns)" in html
    assert html.count("<svg") >= 3  # a tier chart per scheme


def test_two_workers_and_dask_give_one_workers_results(run, tmp_path):
    data = mixed_csv(tmp_path / "mixed.csv", copies=13)  # past 4 MB: scored in the pool
    outputs = {}
    engines = {"1": ["--workers", "1"], "2": ["--workers", "2"]}
    try:
        import distributed  # noqa: F401 - the optional greenmark[dask] extra
    except ImportError:
        pass
    else:
        engines["dask"] = ["--engine", "dask", "--workers", "2"]
    for name, options in engines.items():
        out, errors, summary = (tmp_path / f"{name}.{k}" for k in ("parquet", "csv", "json"))
        result = run(
            "batch", data, "--schemes", "gm-nrb,gm-2021,edge", "--out", out, "--errors", errors,
            "--summary", summary, "--chunk-rows", "1500", "-q", *options,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert counts(result.stderr) == (13000, 12350, 650)
        problems = read_csv(errors)
        if name == "dask":  # its errors file leaves line empty
            problems = [{k: v for k, v in p.items() if k != "line"} for p in problems]
        outputs[name] = (pq.read_table(out), problems, json.loads(summary.read_text()))
    table, problems, summary = outputs["1"]
    assert table.num_rows == 12987
    assert "edge.tier" in table.column_names and "gm-2021.total_points" in table.column_names
    for name, (other, other_problems, other_summary) in outputs.items():
        assert other.equals(table), name
        assert other_summary == summary, name
        if name != "dask":
            assert other_problems == problems, name
    assert summary["cross_tabs"][1]["buildings"] == 12987


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--schemes", "gm-nrb,gm-9999"], "--schemes: unknown scheme 'gm-9999'"),
        (["--schemes", "gm-nrb,edge,gm-nrb"], "--schemes: scheme 'gm-nrb' is named twice"),
        (
            ["--schemes", "gm-nrb,criteria/gm-nrb.toml"],
            "scheme 'gm-nrb' is named twice (as 'gm-nrb' and 'criteria/gm-nrb.toml')",
        ),
        (["--scheme", "gm-nrb", "--schemes", "gm-nrb,edge"], "not both"),
        (["--schemes", "gm-nrb,,edge"], "give scheme ids or paths separated by commas"),
        (
            ["--schemes", "gm-nrb,edge"],  # the sample has no column EDGE reads
            "nothing to score under edge: no column is named like its inputs (energy_savings",
        ),
    ],
)
def test_bad_usage_is_refused_clearly(run, tmp_path, options, message):
    result = run("batch", NRB_CSV, *options, "--out", tmp_path / "r.csv", "-q")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_allow_empty_scores_a_scheme_nothing_feeds(run, tmp_path):
    out = tmp_path / "r.csv"
    result = run("batch", NRB_CSV, "--schemes", "gm-nrb,edge", "--allow-empty", "--out", out)
    assert result.returncode == 1, result.stderr  # 'ihl' rows: skipped under edge
    rows = read_csv(out)
    assert len(rows) == 1000
    assert {r["edge.tier"] for r in rows if r["edge.total_points"]} == {""}  # not assessed


def test_one_scheme_in_schemes_is_a_plain_run(run, tmp_path):
    outputs = []
    for options in (["--scheme", "gm-nrb"], ["--schemes", "gm-nrb"]):
        out = tmp_path / f"r{len(outputs)}.csv"
        result = run("batch", NRB_CSV, *options, "--out", out, "-q")
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"skipped_under" not in outputs[0]


MAPPING = """\
[mapping]
schemes = ["gm-nrb", "edge"]
[columns]
id = "id"
building_type = { column = "building_type", aliases = { ihl = "school" } }
gfa = "gfa"
[inputs]
eui = "eui"
ettv = "ettv"
energy_savings = "energy_savings"
water_savings = "water_savings"
materials_savings = "materials_savings"
"""


def test_a_mapping_names_the_schemes_and_binds_each(run, tmp_path):
    data = mixed_csv(tmp_path / "mixed.csv")
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    result = run("batch", data, "--mapping", mapping, "--out", out, "--errors", errors, "-q")
    assert result.returncode == 1, result.stderr
    rows = read_csv(out)
    assert "edge.tier" in rows[0] and "gm-2021.tier" not in rows[0]
    row12 = next(r for r in rows if r["row"] == "12")  # 'ihl' read as a school by both
    assert (row12["building_type"], row12["skipped_under"]) == ("school", "")
    assert {p["scheme"] for p in read_csv(errors)} == {"edge", "gm-nrb;edge"}
    # each scheme reads only its own inputs: EDGE alone leaves out eui and ettv
    alone = tmp_path / "edge.csv"
    result = run("batch", data, "--mapping", mapping, "--scheme", "edge", "--out", alone)
    assert "edge has no input eui, ettv: left out" in result.stderr
    compared = (*SHARED, "tier")
    mine = [{c: r[c] if c in SHARED else r[f"edge.{c}"] for c in compared} for r in rows]
    theirs = [{c: r[c] for c in compared} for r in read_csv(alone)]
    assert [m for m in mine if m["row"] != "6"] == theirs


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('materials_savings = "', 'material_savings = "', "none of the schemes (gm-nrb, edge) "
         "has an input 'material_savings'; did you mean 'materials_savings'?"),
        ('"school"', '"schol"', "none of the schemes (gm-nrb, edge) has a building type 'schol'"),
        ("[mapping]\n", '[mapping]\nscheme = "gm-nrb"\n', "give scheme (one) or schemes"),
        ('"edge"]', '"gm-nrb"]', "schemes names 'gm-nrb' twice"),
        ("[columns]\n", '[columns]\nscheme = "Scheme"\n', "use one or the other"),
    ],
)  # fmt: skip
def test_a_bad_mapping_for_several_schemes_is_refused(run, tmp_path, old, new, message):
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace(old, new, 1), encoding="utf-8")
    data = mixed_csv(tmp_path / "mixed.csv")
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
