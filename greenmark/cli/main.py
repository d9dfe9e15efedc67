"""The ``greenmark`` command group and entry point, with ``score`` and ``schemes``.

Every other command lives in its own module, imported by name when it runs.

Data goes to stdout, diagnostics to stderr; bad input gives a clear message and
exit code 2, never a traceback (exit codes live in :mod:`greenmark.core.errors`).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import click

from greenmark.cli.common import (
    err_console,
    format_option,
    handles_errors,
    out_console,
    report_problems,
    scheme_option,
)
from greenmark.cli.render import render_result, render_schemes
from greenmark.core.errors import ExitCode, GreenmarkError
from greenmark.core.project import load_project
from greenmark.core.scheme import bundled_schemes
from greenmark.core.scoring import scheme_for, score_project
from greenmark.core.version import __version__

#: Commands that live in their own modules, imported only when used (fast start-up).
#: A command whose module is not present is simply not offered.
LAZY_COMMANDS: dict[str, str] = {
    "report": "greenmark.cli.report:report",
    "verify": "greenmark.cli.report:verify",
    "validate": "greenmark.cli.validate:validate",
    "batch": "greenmark.cli.batch:batch",
    "check": "greenmark.cli.design:check",
    "whatif": "greenmark.cli.design:whatif",
    "assess": "greenmark.cli.assess:assess",
    "new": "greenmark.cli.assess:new",
    "serve": "greenmark.cli.assess:serve",
}


class LazyGroup(click.Group):
    """A click group that imports the modules of :data:`LAZY_COMMANDS` on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        lazy = [name for name in LAZY_COMMANDS if self._load(name) is not None]
        return sorted({*super().list_commands(ctx), *lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None  # that part of greenmark is not installed
            raise
        command = getattr(module, attribute, None)
        return command if isinstance(command, click.Command) else None


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="greenmark")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Score buildings against green-building certification schemes (Green Mark style).

    Run without a command in a terminal to open the assessor's UI on a sample building.
    """
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            try:
                from greenmark.cli.assess import open_default
            except ModuleNotFoundError:  # pragma: no cover - installed without the TUI
                click.echo(ctx.get_help())
                return
            open_default()
        else:
            _score_default_sample()


def _score_default_sample() -> None:
    """Outside a terminal, a bare ``greenmark`` scores the bundled sample and says what else."""
    from greenmark.core.resources import default_sample

    path = default_sample()
    loaded = load_project(path)
    render_result(out_console(), score_project(loaded, scheme_for(loaded)).result)
    err_console().print(
        f"Scored the bundled sample {path.name}. In a terminal, `greenmark` opens the "
        "assessor's UI on a copy of it; `greenmark --help` lists every command.",
        soft_wrap=True,
    )


@cli.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@scheme_option
@format_option
@handles_errors
def score(project: Path, scheme_ref: str | None, output_format: str) -> None:
    """Score one PROJECT file: points, sections, tier, badges and what blocks the next tier."""
    loaded = load_project(project)
    scheme = scheme_for(loaded, scheme_ref)
    version = loaded.project.project.scheme_version
    if version and version != scheme.version:
        err_console().print(
            f"[yellow]warning:[/] {loaded.display}: assessed against {scheme.id} {version}, "
            f"scoring with {scheme.version}"
        )
    scored = score_project(loaded, scheme)
    if output_format == "json":
        click.echo(json.dumps(scored.result.to_dict(), indent=2, ensure_ascii=False))
    else:
        render_result(out_console(), scored.result)


@cli.command()
@format_option
@handles_errors
def schemes(output_format: str) -> None:
    """List the bundled schemes with their id, version and title."""
    entries = bundled_schemes()
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {"id": e.id, "version": e.version, "title": e.title, "path": str(e.path)}
                    for e in entries
                ],
                indent=2,
            )
        )
    else:
        render_schemes(out_console(), entries)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="greenmark", standalone_mode=False)
    except click.exceptions.Abort:
        err_console().print("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except KeyboardInterrupt:
        err_console().print("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitCode.INVALID))
    except GreenmarkError as exc:  # pragma: no cover - commands handle their own
        report_problems(exc.problems)
        sys.exit(int(exc.exit_code))
    except BrokenPipeError:  # e.g. `greenmark score x --format json | head`
        sys.exit(int(ExitCode.OK))
    sys.exit(int(ExitCode.OK))


if __name__ == "__main__":  # pragma: no cover
    main()
