"""Paths of the repository's data folders, and the sample list, for tests."""

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria"
SAMPLES = ROOT / "samples"


@cache
def sample_updater() -> Any:
    """``samples/update_expected.py`` as a module: the one definition of which files are
    sample projects (``sample_projects``) and where their golden results live."""
    spec = importlib.util.spec_from_file_location("update_expected", SAMPLES / "update_expected.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
