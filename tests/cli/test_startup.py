"""What a command loads at start: ``--version`` needs click alone; scoring a bundled sample
loads neither pint nor ``importlib.metadata``; the pydantic stand-in answers as pydantic
would. Speed itself is measured in ``bench/bench_cli.py``, never here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from tests_paths import SAMPLES

HEAVY = ("numpy", "pydantic", "rich", "pint", "importlib.metadata", "pandas", "jinja2")


def _modules_after(commands: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules loaded after ``commands`` run as the ``greenmark`` command starts."""
    code = (
        textwrap.dedent(
            """
        import io, json, sys, contextlib
        from greenmark.cli import main as entry
        entry._starting()
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
        """
        )
        + textwrap.indent(textwrap.dedent(commands), " " * 8)
        + textwrap.dedent(
            """
            except SystemExit:
                pass
        print(json.dumps(sorted(sys.modules)))
        """
        )
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _loaded(modules: set[str], name: str) -> bool:
    """``name`` or one of its submodules is loaded (the stand-in for pydantic's plugin
    loader is greenmark's own, not pydantic)."""
    return any(
        m == name or (m.startswith(name + ".") and m != "pydantic.plugin._loader") for m in modules
    )


def test_version_loads_click_alone() -> None:
    modules = _modules_after(
        "entry.cli.main(args=['--version'], prog_name='greenmark', standalone_mode=False)"
    )
    assert "click" in modules
    assert [name for name in HEAVY if _loaded(modules, name)] == []


@pytest.mark.parametrize("sample", ["gm2021-office-sle.toml", "demo-office.toml"])
def test_scoring_a_bundled_sample_loads_no_pint_nor_package_metadata(sample: str) -> None:
    modules = _modules_after(
        f"entry.cli.main(args=['score', {str(SAMPLES / sample)!r}], standalone_mode=False)"
    )
    assert _loaded(modules, "numpy") and _loaded(modules, "pydantic")  # it did score
    assert not _loaded(modules, "pint")
    assert not _loaded(modules, "importlib.metadata")


def test_with_pydantic_plugins_on_pydantic_looks_for_them() -> None:
    # the models are built on first use (defer_build): building one looks for plugins
    modules = _modules_after(
        "import greenmark.core.model as model; model.Scheme.model_rebuild(force=True)",
        env={"PYDANTIC_DISABLE_PLUGINS": ""},
    )
    assert _loaded(modules, "importlib.metadata")


def test_the_stand_in_gives_what_pydantic_s_loader_gives() -> None:
    code = textwrap.dedent(
        """
        from greenmark.cli import main as entry
        entry._starting()
        from pydantic.plugin._loader import get_plugins, PYDANTIC_ENTRY_POINT_GROUP
        import greenmark.core.model
        print(list(get_plugins()), PYDANTIC_ENTRY_POINT_GROUP)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "pydantic"]


def test_the_collector_runs_again_once_the_command_is_loaded() -> None:
    modules = _modules_after(
        """
        import gc
        assert not gc.isenabled()
        entry.cli.main(args=['schemes', '--format', 'json'], standalone_mode=False)
        assert gc.isenabled()
        print('checked', file=sys.__stdout__)
        """
    )
    assert "greenmark.cli.score" in modules
