"""Pool workers that read their own Parquet row groups give the one-process results."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tests_paths import SAMPLES


def _batch(data, out, errors, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "greenmark", "batch", str(data), "--scheme", "gm-nrb"]
    command += ["--out", str(out), "--errors", str(errors), "--quiet", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_row_groups_read_by_workers_score_as_one_process(tmp_path):
    table = pq.read_table(SAMPLES / "portfolio" / "gm-nrb-1000.parquet")
    # a bad value (skipped, listed) and a blank id (numbered by its row) in later row groups
    ettv = table.column("ettv").to_pylist()
    ettv[734] = -5.0
    ids = table.column("id").to_pylist()
    ids[901] = None
    table = table.set_column(table.schema.get_field_index("ettv"), "ettv", pa.array(ettv))
    table = table.set_column(table.schema.get_field_index("id"), "id", pa.array(ids))
    data = tmp_path / "portfolio.parquet"
    pq.write_table(table, data, row_group_size=150)

    one = _batch(data, tmp_path / "one.parquet", tmp_path / "one-errors.csv", "--workers", "1")
    two = _batch(
        data, tmp_path / "two.parquet", tmp_path / "two-errors.csv", "--workers", "2",
        "--chunk-rows", "64",
    )  # fmt: skip
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    ours, theirs = pq.read_table(tmp_path / "one.parquet"), pq.read_table(tmp_path / "two.parquet")
    assert theirs.num_rows == 999
    assert theirs.schema == ours.schema
    assert theirs.to_pylist() == ours.to_pylist()  # values (dictionaries may be laid out anew)
    assert pc.index(theirs.column("id"), "902").as_py() >= 0
    errors = (tmp_path / "two-errors.csv").read_text(encoding="utf-8")
    assert errors == (tmp_path / "one-errors.csv").read_text(encoding="utf-8")
    assert ",735," in errors
