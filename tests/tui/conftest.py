"""Fixtures for the TUI tests: private copies of sample projects and an app factory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from greenmark.tui.app import GreenmarkApp
from greenmark.tui.session import Session

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLES = ROOT / "samples"
DATA = HERE / "data"

DEMO = SAMPLES / "demo-office.toml"
NRB = DATA / "nrb-tower.toml"  # gm-nrb with facades, BoQ and fittings


def copy_project(source: Path, folder: Path, name: str | None = None) -> Path:
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    """A private copy of the bundled demo sample (scheme demo)."""
    return copy_project(DEMO, tmp_path)


@pytest.fixture
def nrb_file(tmp_path: Path) -> Path:
    """A private copy of the gm-nrb fixture with facades, BoQ and fittings."""
    return copy_project(NRB, tmp_path)


@pytest.fixture
def mall_file(tmp_path: Path) -> Path:
    """A Gold gm-nrb mall whose cheapest path to Platinum is a better chiller plant."""
    return copy_project(SAMPLES / "nrb-shopping-mall.toml", tmp_path, "mall.toml")


@pytest.fixture
def make_app() -> Callable[..., GreenmarkApp]:
    """Build the app on a project file, deterministic for tests (no blinking, fixed theme)."""

    def build(path: Path, who: str = "tester", theme: str = "textual-dark") -> GreenmarkApp:
        return GreenmarkApp(Session.open(path, who), theme=theme, blink=False)

    return build


DOCUMENTS = ["ETTV calculation report", "Facade schedule"]


@pytest.fixture
def evidence_folder(tmp_path: Path) -> Path:
    """A project folder: the demo sample (``office.toml``) on a scheme copy whose EN-1
    lists required documents, and two evidence files."""
    scheme = (ROOT / "criteria" / "demo.toml").read_text(encoding="utf-8")
    listed = ", ".join(f'"{d}"' for d in DOCUMENTS)
    scheme = scheme.replace('id = "EN-1"\n', f'id = "EN-1"\ndocuments = [{listed}]\n', 1)
    (tmp_path / "scheme.toml").write_text(scheme, encoding="utf-8")
    text = DEMO.read_text(encoding="utf-8").replace('scheme = "demo"', 'scheme = "scheme.toml"')
    (tmp_path / "office.toml").write_text(text, encoding="utf-8")
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "ettv.pdf").write_bytes(b"%PDF ettv v1")
    (tmp_path / "schedule.xlsx").write_bytes(b"facades")
    return tmp_path


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``greenmark ARGS`` in a child process, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
