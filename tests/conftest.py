"""Shared fixtures: paths to the repository's data and a helper to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria"
SAMPLES = ROOT / "samples"

# Checked schemes are cached between runs; the tests keep theirs out of the user's cache
# folder (one folder per test process, inherited by the CLI subprocesses they start).
os.environ.setdefault("GREENMARK_CACHE_DIR", tempfile.mkdtemp(prefix="greenmark-test-cache-"))


def run_cli(*args: str, cwd: Path | None = None, columns: int = 80) -> subprocess.CompletedProcess:
    """Run ``greenmark`` through its real entry point in a subprocess."""
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli
