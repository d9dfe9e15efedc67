"""The seeded portfolio generator: reproducible, in range, and readable by pyarrow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from tests_paths import CRITERIA, SAMPLES

from greenmark.core.scheme import load_scheme
from greenmark.portfolio.synthetic import Distributions, generate

DISTRIBUTIONS = Distributions.load(SAMPLES / "portfolio" / "distributions.toml")
NRB = load_scheme(CRITERIA / "gm-nrb.toml")


def test_same_seed_same_portfolio_and_values_in_range():
    first = generate(NRB, 2000, DISTRIBUTIONS, seed=7)
    second = generate(NRB, 2000, DISTRIBUTIONS, seed=7)
    other = generate(NRB, 2000, DISTRIBUTIONS, seed=8)
    assert set(first) == {"id", "name", "building_type", "gfa", *NRB.inputs}
    for name in first:
        assert np.array_equal(first[name], second[name], equal_nan=first[name].dtype != object)
    assert not np.array_equal(first["eui"], other["eui"], equal_nan=True)
    assert set(first["building_type"]) <= set(NRB.scheme.building_types)
    for name, spec in NRB.inputs.items():
        column = first[name]
        if column.dtype == object:
            given = [v for v in column if v is not None]
            if spec.type == "choice":
                assert set(given) <= set(spec.choices or [])
            continue
        given = column[~np.isnan(column)]
        if spec.min is not None:
            assert given.min() >= spec.min, name
        if spec.max is not None:
            assert given.max() <= spec.max, name
    missing = np.isnan(first["eui"]).mean()
    assert 0.005 < missing < 0.05  # the distributions' 2 % missing rate


def test_offices_use_less_energy_than_malls():
    columns = generate(NRB, 5000, DISTRIBUTIONS, seed=1)
    eui, kind = columns["eui"], columns["building_type"]
    office = np.nanmedian(eui[kind == "office"])
    retail = np.nanmedian(eui[kind == "retail"])
    assert office < retail


def test_script_writes_matching_csv_and_parquet(tmp_path):
    csv, parquet = tmp_path / "p.csv", tmp_path / "p.parquet"
    subprocess.run(
        [
            sys.executable,
            str(SAMPLES / "generate_portfolio.py"),
            "--rows",
            "250",
            "--chunk",
            "100",
            "--out",
            str(csv),
            "--out",
            str(parquet),
        ],
        check=True,
        capture_output=True,
    )
    from_csv = pa_csv.read_csv(csv)
    from_parquet = pq.read_table(parquet)
    assert from_csv.num_rows == from_parquet.num_rows == 250
    assert from_csv.column("id").to_pylist() == from_parquet.column("id").to_pylist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "p.parquet"]


def test_committed_example_is_the_seeded_output(tmp_path):
    out = tmp_path / "again.csv"
    subprocess.run(
        [
            sys.executable,
            str(SAMPLES / "generate_portfolio.py"),
            "--rows",
            "1000",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == (SAMPLES / "portfolio" / "gm-nrb-1000.csv").read_bytes()
