"""``greenmark register``: the register of issued documents (loaded by name from
:mod:`greenmark.cli.main`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from greenmark.cli.common import (
    err_console,
    format_option,
    handles_errors,
    out_console,
    parse_day,
)
from greenmark.cli.keys import load_signing_key, passphrase_options
from greenmark.core.errors import GreenmarkError
from greenmark.core.resources import make_parent

F = TypeVar("F", bound=Callable[..., Any])


def register_option(command: F) -> F:
    """``--register PATH`` (default: the user's data folder)."""
    return click.option(
        "--register",
        "register_path",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH",
        help="The register file (SQLite). Default: $XDG_DATA_HOME/greenmark/register.sqlite "
        "(~/.local/share/greenmark/register.sqlite).",
    )(command)


def today_option(command: F) -> F:
    """A hidden ``--today YYYY-MM-DD`` (tests and reproducible runs)."""
    return click.option("--today", callback=parse_day, hidden=True)(command)


def register_file(path: Path | None) -> Path:
    """The register to use: ``path`` or the default one."""
    from greenmark.reports.register import default_path

    return path if path is not None else default_path()


def _today(value: date | None) -> date:
    from greenmark.reports.prepared import issue_date

    return value or issue_date()


@click.group()
def register() -> None:
    """The register of signed certificates: list, show, revoke, export (signed)."""


@register.command("list")
@register_option
@format_option
@today_option
@handles_errors
def list_(register_path: Path | None, output_format: str, today: date | None) -> None:
    """List every recorded certificate with its status (valid, expired or revoked)."""
    from greenmark.reports.register import entries

    found = entries(register_file(register_path))
    day = _today(today)
    if output_format == "json":
        rows = [{**asdict(e), "status": e.status(day)} for e in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name in ("number", "building", "tier", "issued", "valid until", "status"):
        table.add_column(name, no_wrap=name != "building", overflow="fold")
    for entry in found:
        table.add_row(
            entry.number,
            escape(entry.building),
            escape(entry.tier_title),
            entry.issued,
            entry.valid_until,
            entry.status(day),
        )
    out_console().print(table)
    err_console().print(f"{len(found)} document{'s' if len(found) != 1 else ''} recorded")


@register.command()
@click.argument("number")
@register_option
@today_option
@handles_errors
def show(number: str, register_path: Path | None, today: date | None) -> None:
    """Show everything the register holds about certificate NUMBER."""
    from greenmark.reports.register import find

    entry = find(register_file(register_path), number)
    rows = {
        "number": entry.number,
        "status": entry.status(_today(today)),
        "building": entry.building,
        "scheme": f"{entry.scheme_id} {entry.scheme_version}",
        "tier": entry.tier_title,
        "badges": ", ".join(entry.badges) or "none",
        "stage": entry.stage,
        "issued": entry.issued,
        "valid until": entry.valid_until,
        "issuer": f"{entry.issuer} (key {entry.key_id})",
        "digest": entry.digest,
        "recorded": entry.recorded_at,
    }
    if entry.revoked_on:
        rows["revoked"] = f"{entry.revoked_on}: {entry.revoked_reason}"
    for label, value in rows.items():
        click.echo(f"{label + ':':<13} {value}")


@register.command()
@click.argument("number")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is revoked (exported).")
@register_option
@today_option
@handles_errors
def revoke(number: str, reason: str, register_path: Path | None, today: date | None) -> None:
    """Revoke certificate NUMBER (it stays in the register, marked revoked)."""
    from greenmark.reports.register import revoke as run

    entry = run(register_file(register_path), number, reason, _today(today))
    click.echo(f"revoked {entry.number} on {entry.revoked_on}: {entry.revoked_reason}")


@register.command()
@click.option("-o", "--output", metavar="FILE", default="-", help="Where to write; '-': stdout.")
@click.option(
    "--sign",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="KEYFILE",
    help="The issuer's private key that signs the export.",
)
@passphrase_options
@register_option
@today_option
@handles_errors
def export(
    output: str,
    key_file: Path,
    passphrase_file: Path | None,
    ask_passphrase: bool,
    register_path: Path | None,
    today: date | None,
) -> None:
    """Write the register as a signed JSON file, for `greenmark verify --register FILE`."""
    from greenmark.reports.register import export as run
    from greenmark.reports.register import write_export

    key = load_signing_key(key_file, passphrase_file, ask_passphrase)
    document = run(register_file(register_path), key, _today(today))
    count = len(document["payload"]["documents"])
    if output == "-":
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
        return
    target = Path(output)
    if target.is_dir():
        raise GreenmarkError("cannot write: is a folder", file=target)
    make_parent(target)
    try:
        write_export(target, document)
    except OSError as exc:
        raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=target) from None
    err_console().print(
        f"wrote the register ({count} document{'s' if count != 1 else ''}), signed with key "
        f"{key.key_id}, to {escape(str(target))}"
    )
