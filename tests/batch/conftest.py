"""Fixtures for the batch tests: small portfolios written on the fly, the CLI runner."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
BCA_CSV = ROOT.parent / "shared" / "data" / "sg-bca-commercial-buildings-energy-2017-2018.csv"
BCA_MAPPING = SAMPLES / "mappings" / "sg-bca-commercial-2017-2018.toml"
NRB_CSV = SAMPLES / "portfolio" / "gm-nrb-1000.csv"
NRB_PARQUET = SAMPLES / "portfolio" / "gm-nrb-1000.parquet"
# The listing's published header (column names only), for tests that need a file shaped
# like the export but none of its data.
BCA_HEADER = (
    "buildingname,buildingaddress,buildingtype,greenmarkstatus,greenmarkrating,"
    "greenmarkyearaward,buildingsize,grossfloorarea,2017energyuseintensity,"
    "2018energyusintensity,voluntarydisclosure"
)

needs_bca_listing = pytest.mark.skipif(
    not BCA_CSV.is_file(),
    reason=f"needs the public BCA listing at {BCA_CSV}, which lives beside development "
    "checkouts only (never in a clone)",
)


def bca_shaped_csv(folder: Path) -> Path:
    """A two-row CSV with the BCA listing's header, written for the test (no real data)."""
    path = folder / "bca-shaped.csv"
    path.write_text(
        BCA_HEADER + "\n"
        'EXAMPLE TOWER,"1 EXAMPLE ROAD",Office,No,NA,NA,Large,"20,000",210,200,Y\n'
        'EXAMPLE MALL,"2 EXAMPLE ROAD",Retail,No,NA,NA,Large,"35,500",380,360,N\n',
        encoding="utf-8",
    )
    return path


def greenmark(
    *args: str | Path, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``greenmark`` through its real entry point (``python -m greenmark``)."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


def _default_stop_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def popen_greenmark(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    """Start ``greenmark`` with the stop signals (Ctrl-C, SIGTERM, SIGHUP) at their
    defaults, whatever the runner had (a background shell may ignore some)."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.Popen(
        [sys.executable, "-m", "greenmark", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_stop_signals,
    )


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def run():
    return greenmark
