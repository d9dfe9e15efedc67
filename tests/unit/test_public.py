"""The public surface: ``greenmark.__all__`` is honest and ``import greenmark`` is light."""

from __future__ import annotations

import subprocess
import sys

import greenmark


def test_every_public_name_resolves() -> None:
    for name in greenmark.__all__:
        assert getattr(greenmark, name) is not None, name
    assert sorted(dir(greenmark)) == sorted(greenmark.__all__)


def test_public_surface_scores_a_sample(tmp_path) -> None:
    from tests_paths import SAMPLES

    loaded = greenmark.load_project(SAMPLES / "demo-office.toml")
    result = greenmark.score_project(loaded, greenmark.scheme_for(loaded)).result
    assert (result.tier, round(result.total_points, 1)) == ("goldplus", 53.7)


def test_import_greenmark_loads_no_heavy_library() -> None:
    code = (
        "import sys, greenmark; greenmark.__version__;"
        "heavy = [m for m in ('numpy', 'pint', 'pydantic', 'click', 'textual', 'rich')"
        " if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
