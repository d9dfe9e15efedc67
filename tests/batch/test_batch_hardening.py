"""``greenmark batch`` against hostile or unlucky conditions: nested Parquet columns,
stop signals and ``kill -9`` mid-run, formulas in CSV cells, missing output folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch.conftest import NRB_PARQUET, popen_greenmark, read_csv, write_csv
from greenmark.portfolio.io import TableWriter, remove_stale_temps, temp_pattern
from greenmark.portfolio.runners import Stopped, StopSignals

LINUX = Path("/proc/self/stat").exists()


def nrb(rows: int = 20) -> pa.Table:
    return pq.read_table(NRB_PARQUET).slice(0, rows)


def big_parquet(tmp_path: Path, copies: int = 1000) -> Path:
    """A million rows: several seconds of scoring on two workers, long enough to interrupt
    well before the finished files are moved into place."""
    path = tmp_path / "big.parquet"
    pq.write_table(pa.concat_tables([pq.read_table(NRB_PARQUET)] * copies), path)
    return path


def wait_for_temp(process: subprocess.Popen[str], folder: Path, target: str) -> None:
    """Wait until the run has opened its temporary output, then let it write a little."""
    deadline = time.monotonic() + 60
    while not any(temp_pattern(folder / target).fullmatch(p.name) for p in folder.iterdir()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    assert process.poll() is None, "the batch finished before it could be interrupted"


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while [p for p in pids if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def spools_of(pid: int) -> list[Path]:
    bases = {Path("/dev/shm"), Path(tempfile.gettempdir())}
    return [p for base in bases if base.is_dir() for p in base.glob(f"greenmark-batch-{pid}-*")]


# ----------------------------------------------------------------------------- nested columns


@pytest.mark.parametrize(
    ("column", "expected_type"),
    [
        (pa.array([[1.0, 2.0]] * 20, pa.list_(pa.float64())), "list<element: double>"),
        (pa.array([{"kwh": 1.0}] * 20, pa.struct([("kwh", pa.float64())])), "struct<kwh: double>"),
        (pa.array([[("a", 1)]] * 20, pa.map_(pa.string(), pa.int64())), "map<string, int64"),
    ],
)
def test_a_nested_parquet_column_in_use_is_refused_by_name_and_type(
    run, tmp_path, column, expected_type
):
    table = nrb()
    data = tmp_path / "nested.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("eui"), "eui", column), data)
    result = run("batch", data, "--scheme", "gm-nrb", "--out", tmp_path / "r.csv", "-q")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Arrow" in result.stderr
    assert f"{data}: column 'eui' (for eui) has Arrow type {expected_type}" in result.stderr
    assert "expected text, whole or decimal numbers, booleans" in result.stderr
    assert not (tmp_path / "r.csv").exists()


def test_a_nested_keep_column_is_refused_too(run, tmp_path):
    table = nrb().append_column("tags", pa.array([["a", "b"]] * 20, pa.list_(pa.string())))
    data = tmp_path / "nested.parquet"
    pq.write_table(table, data)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[mapping]\nscheme = "gm-nrb"\n[keep]\nlabels = "tags"\n', encoding="utf-8")
    result = run("batch", data, "--mapping", mapping, "-q")
    assert result.returncode == 2, result.stderr
    assert "column 'tags' (for labels) has Arrow type list<element: string>" in result.stderr
    assert "Traceback" not in result.stderr


def test_unused_nested_columns_are_left_alone(run, tmp_path):
    table = nrb()
    table = table.append_column("tags", pa.array([["a"]] * 20, pa.list_(pa.string())))
    meter = pa.struct([("kwh", pa.float64()), ("ids", pa.list_(pa.int64()))])
    table = table.append_column("meter", pa.array([{"kwh": 1.0, "ids": [1]}] * 20, meter))
    data = tmp_path / "extra.parquet"
    pq.write_table(table, data)
    out = tmp_path / "r.parquet"
    result = run("batch", data, "--scheme", "gm-nrb", "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    assert pq.read_table(out).num_rows == 20


def test_integers_beyond_float_precision_do_not_crash(run, tmp_path):
    table = nrb()
    huge = pa.array([2**62] * 20, pa.int64())
    data = tmp_path / "huge.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("eui"), "eui", huge), data)
    errors = tmp_path / "e.csv"
    out = tmp_path / "r.csv"
    result = run("batch", data, "--scheme", "gm-nrb", "--errors", errors, "--out", out)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert {p["column"] for p in read_csv(errors)} == {"eui"}


# ----------------------------------------------------------------------------- stop signals


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_stop_signals_clean_up_like_ctrl_c(tmp_path, signum, code):
    big = big_parquet(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = popen_greenmark(
        "batch", big, "--scheme", "gm-nrb", "--out", out_dir / "results.parquet",
        "--errors", out_dir / "errors.csv", "--workers", "2", "--chunk-rows", "10000",
        cwd=tmp_path,
    )  # fmt: skip
    wait_for_temp(process, out_dir, "results.parquet")
    workers = children(process.pid)
    assert len(workers) >= 2  # the pool is up
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []  # no results, no errors file, no temporary files
    assert wait_gone(workers) == []
    assert spools_of(process.pid) == []


def test_a_signal_while_the_files_are_moved_into_place_is_reported_not_obeyed():
    received = StopSignals()
    with pytest.raises(Stopped):
        received.handle(signal.SIGTERM, None)  # mid-run: stops at once
    received = StopSignals()
    received.finish()
    received.handle(signal.SIGHUP, None)  # finishing: recorded, the files still go in place
    received.handle(signal.SIGTERM, None)  # a second signal changes nothing
    late = received.stopped()
    assert late is not None and late.signum == signal.SIGHUP and late.exit_code == 129
    received = StopSignals()
    received.signum = signal.SIGINT  # came before finishing, while a handler was unwinding
    with pytest.raises(Stopped):
        received.finish()


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_after_kill_9_no_worker_survives_and_the_next_run_removes_the_leftovers(run, tmp_path):
    big = big_parquet(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "results.parquet"
    process = popen_greenmark(
        "batch", big, "--scheme", "gm-nrb", "--out", target, "--workers", "2",
        "--chunk-rows", "10000", cwd=tmp_path,
    )  # fmt: skip
    wait_for_temp(process, out_dir, "results.parquet")
    workers = children(process.pid)
    assert len(workers) >= 2
    process.kill()
    process.communicate(timeout=30)
    assert wait_gone(workers) == []  # workers die with their parent: no orphans
    stale = [p for p in out_dir.iterdir() if temp_pattern(target).fullmatch(p.name)]
    assert len(stale) == 1  # what kill -9 leaves behind

    # files that look alike but are not this target's stale temporary files stay
    fresh = out_dir / ".results.parquet.zzzzzzzz.tmp"  # modified after the next run starts
    fresh.write_text("a run still writing")
    later = time.time() + 3600
    os.utime(fresh, (later, later))
    others = [
        out_dir / ".results.parquet.keep.tmp",
        out_dir / ".errors.csv.abcdefgh.tmp",
        out_dir / "results.parquet.abcdefgh.tmp",
        out_dir / ".results.parquet.abcdefgh.tmp.bak",
    ]
    for path in others:
        path.write_text("not ours")

    result = run("batch", NRB_PARQUET, "--scheme", "gm-nrb", "--out", target, "-q")
    assert result.returncode == 0, result.stderr
    assert pq.read_table(target).num_rows == 1000
    assert not stale[0].exists()
    assert fresh.exists() and all(p.exists() for p in others)
    assert spools_of(process.pid) == []  # the killed run's spool folder is gone too


def test_stale_temp_cleanup_takes_only_old_files_of_the_exact_pattern(tmp_path):
    target = tmp_path / "r.csv"
    old = tmp_path / ".r.csv.a1b2_c3d.tmp"
    new = tmp_path / ".r.csv.e5f6g7h8.tmp"
    folder = tmp_path / ".r.csv.abcdefgh.tmp"
    for path in (old, new):
        path.write_text("x")
    folder.mkdir()
    os.utime(old, (time.time() - 60, time.time() - 60))
    removed = remove_stale_temps(target, before=time.time() - 30)
    assert removed == [old]
    assert new.exists() and folder.is_dir()


# ----------------------------------------------------------------------------- CSV injection

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_formulas_in_csv_results_and_errors_are_neutralised(run, tmp_path):
    header = ["Name", "Type", "GFA", "EUI"]
    rows = [[formula, "Office", "1000", "150"] for formula in FORMULAS]
    bad = ["=1+1", "\tx", "\rx", "@x", "-x"]
    rows += [["Bad EUI", "Office", "1000", value] for value in bad]
    rows += [["Negative", "Office", "-3.5", "150"]]
    data = write_csv(tmp_path / "p.csv", header, rows)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[columns]\nname = "Name"\ngfa = "GFA"\n'
        '[columns.building_type]\ncolumn = "Type"\naliases = { Office = "office" }\n'
        '[inputs]\neui = "EUI"\n',
        encoding="utf-8",
    )
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    result = run("batch", data, "--mapping", mapping, "--out", out, "--errors", errors, "-q")
    assert result.returncode == 1, result.stderr
    scored = read_csv(out)
    assert [r["name"] for r in scored] == ["'" + formula for formula in FORMULAS]
    assert [r["gfa"] for r in scored] == ["1000"] * len(FORMULAS)
    values = [p["value"] for p in read_csv(errors)]
    assert values == ["'" + value for value in bad] + ["-3.5"]  # -3.5 is a number, no formula
    cells = [cell for path in (out, errors) for r in read_csv(path) for cell in r.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]

    # Parquet and JSON outputs keep the raw values
    parquet, lines = tmp_path / "r.parquet", tmp_path / "r.jsonl"
    for path in (parquet, lines):
        assert run("batch", data, "--mapping", mapping, "--out", path, "-q").returncode == 1
    assert pq.read_table(parquet).column("name").to_pylist() == FORMULAS
    assert [json.loads(line)["name"] for line in lines.read_text().splitlines()] == FORMULAS
    raw_errors = tmp_path / "e.parquet"
    run("batch", data, "--mapping", mapping, "--errors", raw_errors, "--out", parquet, "-q")
    assert pq.read_table(raw_errors).column("value").to_pylist() == [*bad, "-3.5"]


def test_numeric_columns_are_not_quoted_in_csv(tmp_path):
    path = tmp_path / "t.csv"
    schema = pa.schema([("label", pa.string()), ("value", pa.float64())])
    writer = TableWriter(path, schema)
    writer.write(pa.table({"label": ["-x", "-3.5"], "value": [-3.5, 2.0]}, schema=schema))
    writer.commit()
    assert path.read_text().splitlines() == ['"label","value"', '"\'-x",-3.5', '"-3.5",2']


def test_formulas_in_dictionary_columns_are_neutralised_in_csv(tmp_path):
    """Result columns with few distinct texts are dictionary columns: their texts are
    neutralised once each, and every row shows its own."""
    path = tmp_path / "t.csv"
    labels = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema([("kind", labels)])
    entries = pa.array(["office", "=cmd|' /C calc'!A0", "-3"])
    column = pa.DictionaryArray.from_arrays(pa.array([1, 0, None, 1, 2], pa.int32()), entries)
    writer = TableWriter(path, schema)
    writer.write(pa.table({"kind": column}, schema=schema))
    writer.commit()
    rows = path.read_text().splitlines()
    assert rows == [
        '"kind"',
        "\"'=cmd|' /C calc'!A0\"",
        '"office"',
        "",
        "\"'=cmd|' /C calc'!A0\"",
        '"-3"',
    ]


# ----------------------------------------------------------------------------- output folders


def test_missing_output_folders_are_created(run, tmp_path):
    small = tmp_path / "small.parquet"
    pq.write_table(nrb(), small)
    outputs = {
        "--out": tmp_path / "a" / "b" / "results.csv",
        "--errors": tmp_path / "c" / "errors.parquet",
        "--summary": tmp_path / "d" / "e" / "summary.json",
        "--report": tmp_path / "f" / "portfolio.html",
    }
    args = [item for option, path in outputs.items() for item in (option, path)]
    result = run("batch", small, "--scheme", "gm-nrb", *args, "-q")
    assert result.returncode == 0, result.stderr
    assert all(path.is_file() for path in outputs.values())
    assert len(read_csv(outputs["--out"])) == 20


@pytest.mark.parametrize("option", ["--out", "--summary"])
def test_an_output_folder_that_cannot_be_created_is_a_clear_error(run, tmp_path, option):
    small = tmp_path / "small.parquet"
    pq.write_table(nrb(), small)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    target = blocker / "inside" / "file.json"
    result = run("batch", small, "--scheme", "gm-nrb", option, target, "-q")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{target}: cannot create the folder {blocker / 'inside'}" in result.stderr


def test_a_blank_building_type_is_an_error_not_a_zero(tmp_path: Path) -> None:
    """A row without a building type is skipped with a reason, never scored as untyped."""
    from batch.conftest import greenmark
    from batch.test_cli_batch import EB_MAPPING

    data = write_csv(
        tmp_path / "p.csv",
        ["Name", "Type", "GFA", "EUI"],
        [["Typed", "Office", "12,000", "150"], ["Blank", "", "8,000", "150"],
         ["Marked missing", "NA", "8,000", "150"]],
    )  # fmt: skip
    mapping = tmp_path / "m.toml"
    mapping.write_text(EB_MAPPING, encoding="utf-8")
    out, errors = tmp_path / "r.csv", tmp_path / "e.csv"
    done = greenmark("batch", data, "--mapping", mapping, "--out", out, "--errors", errors, "-q")
    assert done.returncode == 1, done.stderr
    assert [r["name"] for r in read_csv(out)] == ["Typed"]
    problems = read_csv(errors)
    assert [(p["row"], p["column"]) for p in problems] == [("2", "Type"), ("3", "Type")]
    assert all(p["reason"].startswith("no building type given (expected one of:") for p in problems)
