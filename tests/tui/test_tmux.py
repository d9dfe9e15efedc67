"""The real terminal path: ``greenmark assess`` inside tmux (skipped without tmux)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.tmux_smoke import run

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_assess_in_a_real_terminal(tmp_path: Path) -> None:
    captures = dict(run(tmp_path, show=False))
    assert "Top tier reached" in captures["stored 35: Platinum"]
    assert "above the maximum" in captures["typed 999"]
