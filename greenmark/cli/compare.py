"""``greenmark compare PROJECT [--schemes a,b,c]``: one building under several schemes."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from greenmark.cli.common import format_option, handles_errors, out_console
from greenmark.core.compare import compare as compare_schemes
from greenmark.core.compare import default_references
from greenmark.core.project import load_project


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--schemes",
    "schemes",
    metavar="A,B,…",
    help="Schemes to compare (ids or files); default: the project's own and every "
    "current bundled scheme.",
)
@format_option
@handles_errors
def compare(project: Path, schemes: str | None, output_format: str) -> None:
    """PROJECT under several schemes side by side: rating, headline figure, the next
    level and what it needs, and the inputs each scheme reads that the project lacks."""
    loaded = load_project(project)
    if schemes:
        references = [s.strip() for s in schemes.split(",") if s.strip()]
    else:
        references = default_references(loaded)
    outcomes = compare_schemes(loaded, references)
    if output_format == "json":
        click.echo(json.dumps([o.to_dict() for o in outcomes], indent=2, ensure_ascii=False))
        return
    table = Table(
        title=f"{loaded.project.project.name} under {len(outcomes)} schemes",
        title_justify="left",
        expand=True,
    )
    table.add_column("Scheme", style="bold", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Headline", no_wrap=True)
    table.add_column("Next level", ratio=1, overflow="fold")
    table.add_column("Still needs", ratio=1, overflow="fold")
    for o in outcomes:
        if o.error is not None:
            table.add_row(o.scheme, Text("–", style="red"), "", Text(o.error, style="red"), "")
            continue
        rating = Text(o.tier_title or "none", style="green" if o.tier else "yellow")
        nxt = f"{o.next_tier}: {o.next_needs}" if o.next_tier else "top level reached"
        needs = ", ".join(o.missing[:6]) + (
            f" and {len(o.missing) - 6} more" if len(o.missing) > 6 else ""
        )
        table.add_row(f"{o.scheme} {o.version}", rating, o.headline, nxt, needs or "–")
    out_console().print(table)
