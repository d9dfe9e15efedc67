"""Paths of the repository's data folders, for tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria"
SAMPLES = ROOT / "samples"
SHARED_DATA = ROOT.parent / "shared" / "data"
