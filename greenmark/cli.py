"""The ``greenmark`` command line: score, validate, schemes.

Data goes to stdout, diagnostics to stderr; bad input gives a clear message and
exit code 2, never a traceback (exit codes live in :mod:`greenmark.errors`).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import tomllib
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from . import __version__
from .errors import ExitCode, GreenmarkError, Problem
from .project import load_project, resolve_inputs
from .render import render_result, render_schemes
from .scheme import bundled_schemes, load_scheme, unverified_constants
from .scoring import scheme_for, score_project
from .tomlfile import read_bytes, read_toml

F = TypeVar("F", bound=Callable[..., Any])


def _stdout() -> Console:
    return Console(highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def report_problems(problems: list[Problem]) -> None:
    """Print each problem on its own line to stderr."""
    console = _stderr()
    for problem in problems:
        console.print(Text.assemble(("error: ", "bold red"), str(problem)), emoji=False)


def handles_errors(command: F) -> F:
    """Turn :class:`GreenmarkError` into a message on stderr and its exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GreenmarkError as exc:
            report_problems(exc.problems)
            sys.exit(int(exc.exit_code))

    return wrapper  # type: ignore[return-value]


#: Commands that live in their own modules, imported only when used (fast start-up).
#: A command whose module is not present is simply not offered.
LAZY_COMMANDS: dict[str, str] = {
    "report": "greenmark.report_cli:report",
    "verify": "greenmark.report_cli:verify",
    "batch": "greenmark.batch_cli:batch",
    "check": "greenmark.designer_cli:check",
    "whatif": "greenmark.designer_cli:whatif",
    "assess": "greenmark.tui.cli:assess",
    "new": "greenmark.tui.cli:new",
    "serve": "greenmark.tui.cli:serve",
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


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format: a table to read, or JSON for programs.",
)
"""``--format table|json`` (the ``output_format`` argument), shared by the commands."""

scheme_option = click.option(
    "--scheme",
    "scheme_ref",
    metavar="ID|PATH",
    help="Use this scheme (a bundled id or a file) instead of the one the project names.",
)
"""``--scheme ID|PATH`` (the ``scheme_ref`` argument), shared by the commands."""


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
                from .tui.cli import open_default
            except ModuleNotFoundError:  # pragma: no cover - installed without the TUI
                click.echo(ctx.get_help())
                return
            open_default()
        else:
            _score_default_sample()


def _score_default_sample() -> None:
    """Outside a terminal, a bare ``greenmark`` scores the bundled sample and says what else."""
    from .resources import default_sample

    path = default_sample()
    loaded = load_project(path)
    render_result(_stdout(), score_project(loaded, scheme_for(loaded)).result)
    _stderr().print(
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
        _stderr().print(
            f"[yellow]warning:[/] {loaded.display}: assessed against {scheme.id} {version}, "
            f"scoring with {scheme.version}"
        )
    scored = score_project(loaded, scheme)
    if output_format == "json":
        click.echo(json.dumps(scored.result.to_dict(), indent=2, ensure_ascii=False))
    else:
        render_result(_stdout(), scored.result)


_TABLE_HEADER = re.compile(r"^\s*\[\s*(scheme|project)\s*\]", re.MULTILINE)


def _kind_of(path: Path) -> str:
    """``scheme`` or ``project`` by the file's top-level table.

    ``broken`` when the file cannot be parsed (its loader will say why), ``unknown``
    when it parses but is neither (e.g. a factor table).
    """
    try:
        raw = read_bytes(path)  # a FIFO, a device or an oversized file is refused here
    except GreenmarkError:
        return "broken"
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        header = _TABLE_HEADER.search(raw.decode("utf-8", errors="replace"))
        return header[1] if header else "broken"
    if isinstance(data.get("scheme"), dict):
        return "scheme"
    if isinstance(data.get("project"), dict):
        return "project"
    from .measures import is_catalogue

    if is_catalogue(data):
        return "measures"
    if _factor_table(path) is not None:
        return "factors"
    return "unknown"


def _factor_table(path: Path) -> tuple[str, type] | None:
    """The factor-table model for a file named like one of ``criteria/factors/``."""
    from .calc.tables import TABLES

    for file, model in TABLES.values():
        if path.name == file:
            return file, model
    return None


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            # a folder: its schemes, projects and unreadable files (not factor tables)
            files.extend(p for p in sorted(path.rglob("*.toml")) if _kind_of(p) != "unknown")
        else:
            files.append(path)
    return files


Unverified = list[tuple[str, str]]  # (where, source) of values marked verified = false


def _check_scheme(path: Path) -> tuple[str, Unverified]:
    scheme = load_scheme(path)
    what = (
        f"scheme {scheme.id} {scheme.version}: {len(scheme.criteria)} criteria, "
        f"{len(scheme.tiers)} tiers"
    )
    return what, unverified_constants(scheme)


def _check_project(path: Path) -> tuple[str, Unverified]:
    loaded = load_project(path)
    scheme = scheme_for(loaded)
    resolve_inputs(loaded, scheme)
    return f"project for {scheme.id} {scheme.version}", []


def _check_factors(path: Path) -> tuple[str, Unverified]:
    from .calc.tables import load_table, unverified

    found = _factor_table(path)
    assert found is not None  # _kind_of said "factors"
    table: Any = load_table(found[1], found[0], path.parent)
    return "factor table", [(where, record.source) for where, record in unverified(table)]


def _check_measures(path: Path) -> tuple[str, Unverified]:
    from .measures import load_catalogue, unverified_values

    catalogue = load_catalogue(path)
    return f"measures catalogue: {len(catalogue.measures)} measures", unverified_values(catalogue)


_CHECKERS: dict[str, Callable[[Path], tuple[str, Unverified]]] = {
    "scheme": _check_scheme,
    "project": _check_project,
    "factors": _check_factors,
    "measures": _check_measures,
}
"""What ``validate`` does per kind of file: a description and its unverified values."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-v", "--verbose", is_flag=True, help="List every unverified value, not just the count."
)
@handles_errors
def validate(paths: tuple[Path, ...], verbose: bool) -> None:
    """Check scheme, project and factor-table files (or folders); list every problem.

    Exit code 2 if any file has a problem. Values marked ``verified = false`` are
    counted (listed with --verbose).
    """
    out = _stdout()
    failed = 0
    files = _expand(paths)
    for path in files:
        kind = _kind_of(path) if path.exists() else "unknown"
        try:
            if not path.exists():
                raise GreenmarkError("file not found", file=path)
            checker = _CHECKERS.get(kind)
            if checker is not None:
                what, unverified = checker(path)
                count = len(unverified)
                note = f", {count} unverified value{'s' if count > 1 else ''}" if count else ""
                out.print(f"[green]ok[/]  {escape(str(path))}  {what}{note}", soft_wrap=True)
                for where, source in unverified if verbose else ():
                    text = f"      unverified: {where}" + (f" ({source})" if source else "")
                    out.print(Text(text, style="yellow"), soft_wrap=True)
            elif kind == "broken":
                read_toml(path)  # raises the precise reason (encoding, TOML syntax, ...)
                raise GreenmarkError("cannot be read", file=path)  # pragma: no cover
            else:
                raise GreenmarkError(
                    "neither a scheme (no [scheme] table) nor a project (no [project] table)",
                    file=path,
                )
        except GreenmarkError as exc:
            failed += 1
            report_problems(exc.problems)
    if failed:
        _stderr().print(f"{failed} of {len(files)} files have problems")
        sys.exit(int(ExitCode.INVALID))
    out.print(f"{len(files)} files valid")


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
        render_schemes(_stdout(), entries)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="greenmark", standalone_mode=False)
    except click.exceptions.Abort:
        _stderr().print("interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except KeyboardInterrupt:
        _stderr().print("interrupted")
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
