"""``greenmark batch`` end to end, through the real entry point."""

from __future__ import annotations

import json
import re
import shutil
import signal
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch.conftest import NRB_CSV, NRB_PARQUET, SAMPLES, popen_greenmark, read_csv, write_csv
from greenmark.core.project import load_project
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.core.scoring import score_project

COUNTS = re.compile(r"read ([\d,]+) rows: ([\d,]+) scored, ([\d,]+) skipped")


def counts(stderr: str) -> tuple[int, int, int]:
    found = COUNTS.search(stderr)
    assert found, stderr
    read, scored, skipped = (int(g.replace(",", "")) for g in found.groups())
    return read, scored, skipped


def test_clean_run_exits_0_with_results_summary_and_report(run, tmp_path):
    out, errors, summary, report = (
        tmp_path / "results.csv",
        tmp_path / "errors.csv",
        tmp_path / "summary.json",
        tmp_path / "portfolio.html",
    )
    result = run(
        "batch", NRB_CSV, "--scheme", "gm-nrb", "--out", out, "--errors", errors,
        "--summary", summary, "--report", report,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert counts(result.stderr) == (1000, 1000, 0)
    assert result.stdout == ""
    rows = read_csv(out)
    assert len(rows) == 1000
    assert rows[0]["id"] == "B0000001" and rows[0]["row"] == "1"
    assert {"total_points", "tier", "badges", "next_tier", "points_needed", "sec_energy"} <= set(
        rows[0]
    )
    assert {"n_awarded", "n_partial", "n_not_met", "n_not_assessed", "n_not_applicable"} <= set(
        rows[0]
    )
    assert errors.read_text().strip() == '"source","row","line","id","column","value","reason"'
    data = json.loads(summary.read_text())
    assert data["counts"] == {
        "read": 1000, "scored": 1000, "skipped": 0, "out_of_scope": 0, "duplicate_ids": 0
    }  # fmt: skip
    assert data["skipped_by_reason"] == data["out_of_scope_by_reason"] == []
    assert sum(t["buildings"] for t in data["tiers"]) == 1000
    tier_counts = {t["id"]: t["buildings"] for t in data["tiers"]}
    assert tier_counts == {
        tier: sum(1 for r in rows if (r["tier"] or None) == tier) for tier in tier_counts
    }
    assert [m["name"] for m in data["metrics"]] == ["eui", "embodied_carbon"]
    html = report.read_text()
    assert "Tier mix" in html and "<svg" in html and "Best performers" in html
    assert "Tier mix" in result.stderr  # the summary table, on stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_parquet_and_json_outputs_hold_the_same_results(run, tmp_path):
    parquet, jsonl = tmp_path / "r.parquet", tmp_path / "r.json"
    for out in (parquet, jsonl):
        result = run("batch", NRB_PARQUET, "--scheme", "gm-nrb", "--out", out, "-q")
        assert result.returncode == 0, result.stderr
    table = pq.read_table(parquet)
    records = json.loads(jsonl.read_text())
    assert table.num_rows == len(records) == 1000
    assert table.to_pylist() == records
    assert table.schema.field("total_points").type == pa.float64()


EB_HEADER = ["Name", "Type", "GFA", "EUI"]
EB_ROWS = [
    ["Good office", "Office", "12,000", "150"],
    ["Typo", "Office", "12,000", "15O"],
    ["Too high", "Retail", "5,000", "3500"],
    ["Unknown type", "Warehouse", "5,000", "200"],
    ["No EUI", "Hotel", "NA", "NA"],
    ["Two problems", "Depot", "-3", "1"],
]
EB_MAPPING = """\
[mapping]
scheme = "gm-eb"
[columns]
name = "Name"
gfa = "GFA"
[columns.building_type]
column = "Type"
aliases = { Office = "office", Retail = "retail", Hotel = "hotel" }
[inputs]
eui = "EUI"
"""


def test_bad_rows_go_to_the_errors_file_and_exit_1(run, tmp_path):
    data = write_csv(tmp_path / "portfolio.csv", EB_HEADER, EB_ROWS)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(EB_MAPPING, encoding="utf-8")
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    result = run("batch", data, "--mapping", mapping, "--out", out, "--errors", errors, "-q")
    assert result.returncode == 1, result.stderr
    assert counts(result.stderr) == (6, 2, 4)
    assert "5 problems written to" in result.stderr
    scored = read_csv(out)
    assert [(r["row"], r["name"]) for r in scored] == [("1", "Good office"), ("5", "No EUI")]
    assert scored[1]["eui"] == "" and scored[1]["gfa"] == ""  # missing stays missing
    problems = read_csv(errors)
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [
        ("2", "EUI", "15O"),
        ("3", "EUI", "3500"),
        ("4", "Type", "Warehouse"),
        ("6", "Type", "Depot"),
        ("6", "GFA", "-3"),
    ]
    assert problems[0]["reason"] == "not a number"
    assert problems[1]["reason"] == "3,500 kWh/m2/yr is above the maximum 3,000 kWh/m2/yr of eui"
    assert problems[4]["reason"] == "gross floor area must be positive, got -3 m2"
    assert all(p["source"] == str(data) for p in problems)

    # without --errors the problems are listed on stderr; without --out the results are
    # CSV on stdout (diagnostics stay on stderr)
    result = run("batch", data, "--mapping", mapping)
    assert result.returncode == 1
    assert f"skipped: {data}:3 (row 2) EUI: not a number (value '15O')" in result.stderr
    assert result.stdout.splitlines()[0].startswith('"row","id","name"')
    assert len(result.stdout.splitlines()) == 3
    assert counts(result.stderr) == (6, 2, 4)


def test_folder_of_project_files(run, tmp_path):
    folder = tmp_path / "projects"
    folder.mkdir()
    for path in sorted(SAMPLES.glob("nrb-*.toml")):
        shutil.copy(path, folder / path.name)
    broken = folder / "zz-broken.toml"
    broken.write_text(
        '[project]\nname = "Broken"\nscheme = "gm-nrb"\nbuilding_type = "office"\n\n'
        '[inputs]\neui = "lots"\n',
        encoding="utf-8",
    )
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    result = run("batch", folder, "--scheme", "gm-nrb", "--out", out, "--errors", errors, "-q")
    assert result.returncode == 1, result.stderr
    files = sorted(folder.glob("nrb-*.toml"))
    assert counts(result.stderr) == (len(files) + 1, len(files), 1)
    scheme = load_scheme(resolve_scheme("gm-nrb"))
    rows = read_csv(out)
    assert [r["id"] for r in rows] == [str(p) for p in files]
    for row, path in zip(rows, files, strict=True):
        single = score_project(load_project(path), scheme).result
        assert float(row["total_points"]) == pytest.approx(single.total_points, abs=1e-3)
        assert (row["tier"] or None) == single.tier
    (problem,) = read_csv(errors)
    assert (problem["source"], problem["line"], problem["column"]) == (
        str(broken),
        "7",
        "inputs.eui",
    )
    assert problem["reason"] == "expected a number in kWh/m2/yr, got 'lots'"


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as plain text (their dictionaries differ with the chunking)."""
    for index, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(index, column.name, table.column(index).cast(pa.string()))
    return table


def test_dask_engine_gives_the_local_engine_results(run, tmp_path):
    """Same results and errors through Dask (several partitions), on a local cluster of
    its own and on a scheduler given by address, as through the local process pool."""
    text = NRB_CSV.read_text(encoding="utf-8").splitlines()
    text[10] = text[10].replace(",145.", ",abc", 1) if ",145." in text[10] else text[10]
    lines = [*text[:500], text[1].replace('"B0000001"', '"BAD"').replace('"office"', '"depot"')]
    data = tmp_path / "portfolio.csv"
    data.write_text("\n".join([*lines, *text[500:]]) + "\n", encoding="utf-8")
    distributed = pytest.importorskip("distributed")  # the optional greenmark[dask] extra

    outputs = {}
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        runs = {
            "local": ["--engine", "local", "--workers", "2"],
            "dask": ["--engine", "dask", "--workers", "1"],  # a local cluster of its own
            "scheduler": ["--engine", "dask", "--scheduler", cluster.scheduler_address],
        }
        for name, options in runs.items():
            out, errors = tmp_path / f"{name}.parquet", tmp_path / f"{name}-errors.csv"
            result = run(
                "batch", data, "--scheme", "gm-nrb", "--out", out, "--errors", errors, "-q",
                "--chunk-rows", "200", *options,
            )  # fmt: skip
            assert result.returncode == 1, result.stderr
            outputs[name] = (_decoded(pq.read_table(out)), read_csv(errors))
    assert outputs["local"][0].num_rows == 1000
    # the local engine knows each row's line; Dask's CSV reader does not say
    assert [int(e["line"]) for e in outputs["local"][1]] == [
        int(e["row"]) + 1 for e in outputs["local"][1]
    ]
    for name in ("dask", "scheduler"):
        assert outputs[name][0].equals(outputs["local"][0]), name
        without_line = [{**e, "line": ""} for e in outputs["local"][1]]
        assert outputs[name][1] == without_line, name
    assert outputs["local"][1][-1]["value"] == "depot"


def test_ctrl_c_exits_130_and_leaves_no_file(tmp_path):
    table = pq.read_table(NRB_PARQUET)
    big = tmp_path / "big.parquet"
    pq.write_table(pa.concat_tables([table] * 1000), big, row_group_size=50_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = popen_greenmark(
        "batch", big, "--scheme", "gm-nrb", "--out", out_dir / "results.parquet",
        "--errors", out_dir / "errors.csv", "--workers", "2", "--chunk-rows", "10000",
        cwd=tmp_path,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".results.parquet") for p in out_dir.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)  # some chunks written
    assert process.poll() is None, "the batch finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []  # no results, no errors file, no temporary files
