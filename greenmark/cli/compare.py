"""``greenmark compare PROJECT [--schemes a,b,c]``: one building under several schemes."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from greenmark.cli.common import format_option, handles_errors, out_console
from greenmark.core.compare import SchemeOutcome, default_references
from greenmark.core.compare import compare as compare_schemes
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
    console = out_console()
    title = f"{loaded.project.project.name} under {len(outcomes)} schemes"
    if console.width < WIDE:
        _stacked(console, title, outcomes)
        return
    table = Table(title=title, title_justify="left", expand=True)
    table.add_column("Scheme", style="bold", no_wrap=True)
    table.add_column("Rating", no_wrap=True)
    table.add_column("Headline", no_wrap=True)
    table.add_column("Next level", ratio=1, overflow="fold")
    table.add_column("Still needs", ratio=1, overflow="fold")
    for o in outcomes:
        if o.error is not None:
            table.add_row(o.scheme, Text("not scored (below)", style="red"), "", "", "")
            continue
        table.add_row(f"{o.scheme} {o.version}", _rating(o), o.headline, _next(o), _needs(o) or "–")
    console.print(table)
    for o in outcomes:
        if o.error is not None:
            console.print(Text.assemble((o.scheme, "bold"), ": ", (o.error, "red")))
    _footnote(console, outcomes)


#: Narrower consoles get one block per scheme instead of a table.
WIDE = 110


def _rating(o: SchemeOutcome) -> Text:
    """The rating, marked provisional when the scheme holds unverified values."""
    rating = Text(o.tier_title or "none", style="green" if o.tier else "yellow")
    if o.provisional:
        rating.append(" (provisional)", style="dim")
    return rating


def _next(o: SchemeOutcome) -> str:
    return f"{o.next_tier}: {o.next_needs}" if o.next_tier else "top level reached"


def _needs(o: SchemeOutcome, shown: int = 6) -> str:
    more = len(o.missing) - shown
    return ", ".join(o.missing[:shown]) + (f" and {more} more" if more > 0 else "")


def _stacked(console: Console, title: str, outcomes: list[SchemeOutcome]) -> None:
    """One block per scheme: name and rating, then the next level and what it needs."""
    console.print(Text(title, style="italic"))
    for o in outcomes:
        head = Text.assemble((f"{o.scheme} {o.version}".strip(), "bold"), "  ")
        if o.error is not None:
            console.print(head + Text("not scored", style="red"))
            console.print(Text(f"  {o.error}", style="red"))
            continue
        console.print(head + _rating(o) + Text(f" · {o.headline}" if o.headline else ""))
        console.print(Text(f"  next: {_next(o)}"))
        if o.missing:
            console.print(Text(f"  still needs: {_needs(o)}", style="dim"))
    _footnote(console, outcomes)


def _footnote(console: Console, outcomes: list[SchemeOutcome]) -> None:
    if any(o.provisional and o.error is None for o in outcomes):
        console.print(
            Text(
                "Indicative: a provisional rating rests on values not read in the scheme "
                "owner's own text (`greenmark schemes` counts them); no body assessed these.",
                style="dim",
            )
        )
