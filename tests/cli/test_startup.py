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


def test_help_lists_the_commands_without_loading_them() -> None:
    modules = _modules_after("entry.cli.main(args=['--help'], standalone_mode=False)")
    for name in (*HEAVY, "pyarrow"):
        assert not _loaded(modules, name), name
    assert not any(m.startswith("greenmark.cli.") and m != "greenmark.cli.main" for m in modules)


def test_the_help_summaries_are_the_commands_own() -> None:
    import click

    from greenmark.cli.main import COMMAND_SUMMARIES, LAZY_COMMANDS, cli

    assert set(COMMAND_SUMMARIES) == set(LAZY_COMMANDS)
    context = click.Context(cli)
    for name in LAZY_COMMANDS:
        real = cli.get_command(context, name)
        assert real is not None
        stand_in = click.Command(name, help=COMMAND_SUMMARIES[name])
        for limit in (20, 45, 64, 120, 1000):  # what a terminal of any width shows
            assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), name
    # the listing is click's own, with every command loaded
    ours, theirs = click.HelpFormatter(width=100), click.HelpFormatter(width=100)
    cli.format_commands(context, ours)
    click.Group.format_commands(cli, context, theirs)
    assert ours.getvalue() == theirs.getvalue()
    assert "assess" in ours.getvalue() and "whatif" in ours.getvalue()
