"""``greenmark score`` and ``greenmark schemes``, and the bundled sample a bare
``greenmark`` scores outside a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import click

from greenmark.cli.common import (
    err_console,
    format_option,
    handles_errors,
    out_console,
    scheme_option,
)
from greenmark.cli.render import render_result, render_schemes
from greenmark.core.project import load_project
from greenmark.core.scheme import bundled_schemes
from greenmark.core.scoring import scheme_for, score_project


def score_default_sample() -> None:
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


@click.command()
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


@click.command()
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
