"""A batch run loads the engine's compiled kernels only when it is long enough to repay
loading them; a shorter one scores with numpy, never imports numba, and writes exactly
what the kernels would have written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from greenmark.core import engine_batch
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.runners import KERNEL_ROWS_PER_WORKER, engine_for, kernels_pay
from greenmark.portfolio.synthetic import Distributions, generate, to_arrow

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30_000  # above the engine's per-call threshold: the kernels' before this choice


def test_kernels_pay_from_a_number_of_buildings_per_worker() -> None:
    assert not kernels_pay(KERNEL_ROWS_PER_WORKER - 1, 1)
    assert kernels_pay(KERNEL_ROWS_PER_WORKER, 1)
    assert not kernels_pay(KERNEL_ROWS_PER_WORKER, 2)  # the load is serial, the work not
    assert kernels_pay(2 * KERNEL_ROWS_PER_WORKER, 2)
    assert kernels_pay(None, 4)  # not known (never for a file read): as before


def test_engine_for_scores_with_numpy_inside_and_restores() -> None:
    assert engine_batch.threshold() == engine_batch.THRESHOLD
    with engine_for(ROWS, 1) as kernels:
        assert kernels is False
        assert engine_batch.numpy_only_now()
        assert engine_batch.threshold() > 10**15
        with engine_for(None, 1) as inner:  # an inner choice does not turn them back on
            assert inner is True and engine_batch.numpy_only_now()
        assert engine_batch.numpy_only_now()
    assert not engine_batch.numpy_only_now()
    assert engine_batch.threshold() == engine_batch.THRESHOLD


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scheme = load_scheme(resolve_scheme("gm-nrb"))
    distributions = Distributions.load(ROOT / "samples" / "portfolio" / "distributions.toml")
    path = tmp_path_factory.mktemp("kernels") / "portfolio.parquet"
    pq.write_table(to_arrow(generate(scheme, ROWS, distributions, seed=7)), path)
    return path


_RUN = """
import sys
from greenmark.cli.main import main
from greenmark.portfolio import runners
if sys.argv[1] == "kernels":
    runners.KERNEL_ROWS_PER_WORKER = 0
try:
    main(sys.argv[2:])
except SystemExit as exc:
    assert not exc.code, exc.code
print("numba" in sys.modules)
"""


def _batch(how: str, source: Path, out: Path) -> bool:
    """Run ``greenmark batch`` in a fresh process; whether it imported numba."""
    args = ["batch", str(source), "--scheme", "gm-nrb", "--workers", "1", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", _RUN, how, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] == "True"


def test_a_short_run_scores_with_numpy_exactly_as_the_kernels_do(
    portfolio: Path, tmp_path: Path
) -> None:
    assert _batch("as-is", portfolio, tmp_path / "numpy.parquet") is False
    assert _batch("kernels", portfolio, tmp_path / "kernels.parquet") is True
    with_numpy = pq.read_table(tmp_path / "numpy.parquet")
    assert with_numpy.num_rows == ROWS
    assert with_numpy.equals(pq.read_table(tmp_path / "kernels.parquet"))
