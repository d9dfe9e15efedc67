"""A scheme column: each row scored with the scheme (and version) it names."""

from __future__ import annotations

import json

from batch.conftest import read_csv
from batch.test_cli_batch import counts

DIRECTORY = """\
Name,Type,GFA,EUI,Scheme,Award
Alpha,office,20000,150,GM EB 2017,Green Mark Gold
Beta,office,30000,120,GM NRB 4.1,Green Mark GoldPLUS
Gamma,hotel,25000,260,,Green Mark Platinum
Delta,office,18000,140,GM 2021,Green Mark Platinum (Super Low Energy)
Echo,office,12000,150,GM 2030,Green Mark Gold
"""
MAPPING = """\
[mapping]
scheme = "gm-eb"
[columns]
name = "Name"
building_type = "Type"
gfa = "GFA"
award = "Award"
[columns.scheme]
column = "Scheme"
aliases = { "GM EB 2017" = "gm-eb", "GM NRB 4.1" = "gm-nrb", "GM 2021" = "gm-2021" }
[inputs]
eui = "EUI"
"""


def _files(tmp_path):
    data, mapping = tmp_path / "directory.csv", tmp_path / "m.toml"
    data.write_text(DIRECTORY, encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    return data, mapping


def test_each_row_is_scored_with_its_scheme(run, tmp_path):
    data, mapping = _files(tmp_path)
    out, errors, summary = tmp_path / "r.csv", tmp_path / "e.csv", tmp_path / "s.json"
    result = run(
        "batch", data, "--mapping", mapping, "--out", out, "--errors", errors,
        "--summary", summary, "--detail", "criteria", "--workers", "2",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert counts(result.stderr) == (5, 4, 1)
    rows = {r["name"]: r for r in read_csv(out)}
    assert {n: r["scheme"] for n, r in rows.items()} == {
        "Alpha": "gm-eb 2.1-gm.1",
        "Beta": "gm-nrb 4.1-gm.1",
        "Gamma": "gm-eb 2.1-gm.1",  # blank: the mapping's scheme
        "Delta": "gm-2021 2021.3",
    }
    assert [r["row"] for r in read_csv(out)] == ["1", "2", "3", "4"]  # input order kept
    # each scheme's own criteria and gates; others' are empty
    assert rows["Alpha"]["st_EB-1-1"] and not rows["Alpha"]["gate_NRB-P-1"]
    assert rows["Beta"]["gate_NRB-P-1"] and not rows["Beta"]["st_EB-1-1"]
    assert rows["Alpha"]["blocking"].startswith("gate EB-P-")
    assert rows["Beta"]["blocking"].startswith("gate NRB-P-")
    # recorded awards are read against the row's scheme: gm-2021 has the SLE badge
    assert (rows["Delta"]["recorded_tier"], rows["Delta"]["recorded_badges"]) == ("platinum", "sle")
    (error,) = read_csv(errors)
    assert (error["line"], error["row"], error["column"], error["value"]) == (
        "6",
        "5",
        "Scheme",
        "GM 2030",
    )
    assert "names none of the run's schemes (gm-eb, gm-nrb, gm-2021)" in error["reason"]
    data = json.loads(summary.read_text())
    assert data["schemes"] == {"gm-eb 2.1-gm.1": 2, "gm-nrb 4.1-gm.1": 1, "gm-2021 2021.3": 1}
    assert data["skipped_by_reason"] == [{"reason": "unknown scheme (Scheme)", "rows": 1}]


def test_a_scheme_alias_naming_no_scheme_is_a_mapping_error(run, tmp_path):
    data, mapping = _files(tmp_path)
    mapping.write_text(MAPPING.replace('"gm-2021"', '"gm-2099"'), encoding="utf-8")
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert "alias target 'gm-2099'" in result.stderr and "Traceback" not in result.stderr


def test_routed_runs_are_the_same_in_a_pool(run, tmp_path):
    from batch.conftest import NRB_CSV

    lines = NRB_CSV.read_text(encoding="utf-8").splitlines()
    schemes = ["gm-nrb", "gm-eb", ""]
    body = lines[1:] * 13  # past 4 MB: scored in the pool, not in one chunk in process
    text = [lines[0] + ',"scheme"'] + [f'{line},"{schemes[i % 3]}"' for i, line in enumerate(body)]
    data = tmp_path / "mixed.csv"
    data.write_text("\n".join(text) + "\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-nrb"\n[columns]\nid = "id"\nbuilding_type = "building_type"\n'
        'gfa = "gfa"\n[columns.scheme]\ncolumn = "scheme"\naliases = { "gm-eb" = "gm-eb" }\n'
        '[inputs]\neui = "eui"\nettv = "ettv"\nchiller_eff = "chiller_eff"\n',
        encoding="utf-8",
    )
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"r{workers}.csv"
        result = run("batch", data, "--mapping", mapping, "--out", out, "--workers", workers,
                     "--chunk-rows", "1500", "-q")  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    rows = read_csv(tmp_path / "r1.csv")
    assert len(rows) == 13000
    assert sum(r["scheme"].startswith("gm-eb") for r in rows) == 13000 // 3
