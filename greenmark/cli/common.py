"""What every command shares: consoles, error reporting with exit codes, common options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from greenmark.core.errors import GreenmarkError, Problem

F = TypeVar("F", bound=Callable[..., Any])


def out_console() -> Console:
    """Standard output: no highlighting and no ``:emoji:`` codes (a name such as
    "Tower :fire:" prints as written)."""
    return Console(highlight=False, emoji=False)


def err_console() -> Console:
    """Standard error, as :func:`out_console`, lines not wrapped."""
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def report_problems(problems: list[Problem]) -> None:
    """Print each problem on its own line to stderr."""
    console = err_console()
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


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` option value as a date (a click callback)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None
