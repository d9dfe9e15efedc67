"""``greenmark score`` and ``greenmark schemes``, and the bundled sample a bare
``greenmark`` scores outside a terminal; the warning every command that scores a project
gives when its scheme is superseded (``score``, ``check``, ``report``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from greenmark.cli.common import (
    err_console,
    format_option,
    handles_errors,
    out_console,
    scheme_option,
)
from greenmark.cli.render import (
    SchemeFacts,
    long_date,
    render_result,
    render_schemes,
    scheme_status,
)
from greenmark.core.crosswalk import inputs_left_out
from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject, load_project
from greenmark.core.scheme import bundled_schemes, load_scheme, scheme_id_of
from greenmark.core.scoring import scheme_for, score_project


def warn_if_other_scheme(loaded: LoadedProject, scheme: Scheme) -> None:
    """Say when the scheme used is not the one (or the version) the project was assessed
    against, naming both, and which of the project's inputs the other scheme leaves out."""
    info = loaded.project.project
    own = scheme_id_of(info.scheme, loaded.path.parent) or info.scheme
    version = info.scheme_version
    if own == scheme.id and (not version or version == scheme.version):
        return
    was = f"{own} {version}".strip() if version else own
    text = f"assessed against {was}, scoring with {scheme.id} {scheme.version}"
    names = [str(n) for n in loaded.project.inputs]
    left_out = inputs_left_out(info.scheme, loaded.path.parent, names, scheme)
    if left_out:
        shown = ", ".join(left_out[:8]) + (
            f" and {len(left_out) - 8} more" if len(left_out) > 8 else ""
        )
        text += (
            f"; {len(left_out)} of the project's inputs have no counterpart in {scheme.id} and "
            f"are left out ({shown}); what {scheme.id} needs and the project lacks shows as "
            "not assessed"
        )
    err_console().print(f"[yellow]warning:[/] {escape(loaded.display)}: {escape(text)}")


def superseded_text(scheme: Scheme) -> str | None:
    """``superseded by X from 1 November 2021`` for a legacy scheme, None for a current one."""
    info = scheme.scheme
    if not info.superseded_by:
        return None
    text = f"superseded by {info.superseded_by}"
    if info.superseded_from is not None:
        text += f" from {long_date(info.superseded_from)}"
    return text


def project_started(loaded: LoadedProject) -> date | None:
    """The first date the project's history records (its own record of when it began)."""
    days = [entry.at.date() for entry in loaded.project.history]
    return min(days) if days else None


def superseded_warning(loaded: LoadedProject, scheme: Scheme) -> str | None:
    """The warning for a project scored against a superseded scheme (None if current):
    the scheme, its successor and the date; a project recorded before that date is told
    the older scheme may still apply to it."""
    said = superseded_text(scheme)
    if said is None:
        return None
    info = scheme.scheme
    successor = info.superseded_by
    text = f"{scheme.id} ({info.title}) is a legacy scheme, {said}; "
    cutoff = info.superseded_from
    started = project_started(loaded)
    if cutoff is not None and started is not None and started < cutoff:
        text += (
            f"this project's record starts on {long_date(started)}, before that date, "
            f"so {scheme.id} may still apply to it"
        )
    else:
        text += f"new projects are assessed under {successor}"
    return text


def warn_if_superseded(loaded: LoadedProject, scheme: Scheme) -> None:
    """Print :func:`superseded_warning` to stderr when the scheme is superseded."""
    text = superseded_warning(loaded, scheme)
    if text is not None:
        err_console().print(Text.assemble(("warning: ", "yellow"), f"{loaded.display}: {text}"))


def score_default_sample() -> None:
    """Outside a terminal, a bare ``greenmark`` scores the bundled sample and says what else."""
    from greenmark.core.resources import default_sample

    path = default_sample()
    loaded = load_project(path, remember=True)
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
    loaded = load_project(project, remember=True)
    scheme = scheme_for(loaded, scheme_ref)
    warn_if_other_scheme(loaded, scheme)
    warn_if_superseded(loaded, scheme)
    scored = score_project(loaded, scheme)
    if output_format == "json":
        click.echo(json.dumps(scored.result.to_dict(), indent=2, ensure_ascii=False))
    else:
        render_result(out_console(), scored.result)


@click.command()
@format_option
@handles_errors
def schemes(output_format: str) -> None:
    """List the bundled schemes and their versions: in effect from, which version is
    current, and what superseded a legacy scheme (from when)."""
    entries = bundled_schemes()
    facts = [_facts(e.path) for e in entries]
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "version": e.version,
                        "title": e.title,
                        "owner": fact.owner,
                        "path": str(e.path),
                        "effective_from": _iso(e.effective_from),
                        "current": e.current,
                        "superseded_by": e.superseded_by,
                        "superseded_from": _iso(e.superseded_from),
                        "status": scheme_status(e),
                        "values_verified": fact.verified,
                        "values_unverified": fact.unverified,
                        "error": fact.error,
                    }
                    for e, fact in zip(entries, facts, strict=True)
                ],
                indent=2,
            )
        )
    else:
        render_schemes(out_console(), entries, facts)


def _facts(path: Path) -> SchemeFacts:
    """Owner and value counts of one scheme file (or why it does not load)."""
    try:
        scheme = load_scheme(path)
    except GreenmarkError as exc:
        return SchemeFacts(error=str(exc.problems[0]))
    verified, unverified = scheme.value_counts()
    return SchemeFacts(scheme.scheme.owner, verified, unverified)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
