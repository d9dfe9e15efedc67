"""``greenmark report`` and ``greenmark verify`` (loaded by name from :mod:`greenmark.cli.main`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from greenmark.cli.common import handles_errors, report_problems, scheme_option
from greenmark.core.errors import ExitCode, GreenmarkError, Problem
from greenmark.core.resources import make_parent
from greenmark.core.tomlfile import write_atomic


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["certificate", "assessment"]),
    default="certificate",
    show_default=True,
    help="A one-page certificate or the full assessment report.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["html", "pdf", "md"]),
    default="html",
    show_default=True,
    help="HTML (self-contained), PDF (WeasyPrint) or Markdown.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Where to write (missing folders are created); '-' for stdout. "
    "Default: <project>-<kind>.<format> here.",
)
@scheme_option
@click.option(
    "--date",
    "issued",
    metavar="YYYY-MM-DD",
    callback=_parse_date,
    help="Date of issue (default: today, or SOURCE_DATE_EPOCH).",
)
@handles_errors
def report(
    project: Path,
    kind: str,
    output_format: str,
    output: str | None,
    scheme_ref: str | None,
    issued: date | None,
) -> None:
    """Write a certificate or an assessment report for PROJECT (HTML, PDF or Markdown).

    Certificates carry a SHA-256 digest of the project's inputs, the scheme and the
    result; check one later with `greenmark verify CERTIFICATE PROJECT`.
    """
    from greenmark.reports.prepared import prepare
    from greenmark.reports.render import default_output, render

    target = Path(output) if output and output != "-" else None
    if output is None:
        target = default_output(project, kind, output_format)
    if target is not None and target.is_dir():
        raise GreenmarkError("cannot write: is a folder", file=target)
    prepared = prepare(project, scheme=scheme_ref, issued=issued)
    pinned = prepared.scored.loaded.project.project.scheme_version
    scheme = prepared.scored.scheme
    if pinned and pinned != scheme.version:
        err_console().print(
            f"[yellow]warning:[/] {escape(prepared.scored.loaded.display)}: assessed against "
            f"{escape(scheme.id)} {escape(pinned)}, reporting with {escape(scheme.version)}"
        )
    data = render(prepared, kind, output_format)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    make_parent(target)
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=target) from None
    what = "certificate" if kind == "certificate" else "assessment report"
    extra = f" {prepared.certificate.number}" if kind == "certificate" else ""
    err_console().print(f"wrote {what}{extra} to {escape(str(target))}")


@click.command()
@click.argument("certificate", type=click.Path(path_type=Path))
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@scheme_option
@handles_errors
def verify(certificate: Path, project: Path, scheme_ref: str | None) -> None:
    """Check that CERTIFICATE (HTML, PDF or Markdown) matches PROJECT and its scheme.

    Recomputes the digest and the score. Exit 0 on a match; exit 1 naming what
    differs (an input, a table row, the scheme version, the result, or the
    certificate's own text or data).
    """
    from greenmark.reports.verify import verify as run

    outcome = run(certificate, project, scheme_ref)
    if outcome.ok:
        click.echo(f"OK: certificate {outcome.number} matches {project} (digest {outcome.digest})")
        return
    report_problems([Problem(d.message, str(certificate), None, None) for d in outcome.differences])
    err_console().print(
        f"certificate does NOT match {escape(str(project))}: "
        f"{len(outcome.differences)} difference{'s' if len(outcome.differences) != 1 else ''}"
    )
    sys.exit(int(ExitCode.NOT_SCORED))
