"""The DuckDB query and polars program of bench/bench_vs_sql.py agree with greenmark batch."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from tests_paths import ROOT

pytest.importorskip("duckdb", reason="duckdb is a dev dependency (pip install -e '.[dev]')")
pytest.importorskip("polars", reason="polars is a dev dependency (pip install -e '.[dev]')")


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_vs_sql", ROOT / "bench" / "bench_vs_sql.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_duckdb_and_polars_agree_with_greenmark_on_every_row(tmp_path, capsys):
    # a few hundred synthetic rows, 2 % of values missing: not assessed and not applicable
    # criteria, failed and inapplicable gates, every tier; main() exits on any disagreement
    _bench().main(["--rows", "400", "--repeat", "1", "--workers", "1", "--data", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("every row agrees") for line in lines)
    assert lines[-1].startswith("greenmark/duckdb = ")


def test_the_written_query_and_program_follow_the_scheme():
    bench = _bench()
    from greenmark.core.scheme import load_scheme

    scheme = load_scheme(ROOT / "criteria" / "gm-nrb.toml")
    sql = bench.duckdb_query(scheme, "in.parquet", "out.parquet")
    program = bench.polars_program(scheme, "in.parquet", "out.parquet")
    for criterion in scheme.criteria:
        key = criterion.id.replace("-", "_").lower()
        assert f"AS e_{key}" in sql
        assert f"e_{key}=" in program
    assert "TO 'out.parquet' (FORMAT parquet, COMPRESSION zstd)" in sql
    assert 'sink_parquet("out.parquet", compression="zstd")' in program
