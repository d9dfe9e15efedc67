"""``greenmark assess``, ``greenmark new`` and ``greenmark serve`` (registered lazily by
:mod:`greenmark.cli.main`), and :func:`open_default` for a bare ``greenmark``."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import click

from greenmark.cli.common import handles_errors, scheme_option
from greenmark.core.errors import ExitCode, GreenmarkError
from greenmark.core.resources import default_sample

THEME_HELP = "auto (follows the terminal), light, dark, ansi, or a Textual theme name."
SAMPLE_COPY = "greenmark-sample.toml"


def _run(path: Path, who: str | None, scheme: str | None, theme: str | None) -> None:
    from greenmark.tui.app import GreenmarkApp
    from greenmark.tui.session import Session, default_who

    if not path.exists():
        raise GreenmarkError(
            "file not found (create a project with `greenmark new FILE`)", file=str(path)
        )
    session = Session.open(path, who or default_who(), scheme)
    GreenmarkApp(session, theme=theme).run()


@click.command()
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--assessor",
    "who",
    metavar="NAME",
    help="Name recorded in the change history (default: $USER).",
)
@scheme_option
@click.option("--theme", metavar="NAME", help=THEME_HELP)
@handles_errors
def assess(project: Path, who: str | None, scheme_ref: str | None, theme: str | None) -> None:
    """Open PROJECT in the assessor's terminal UI: criteria, values, evidence, live score.

    Every change is validated, saved at once (atomically) and recorded in the file's
    history; press ? inside for every key.
    """
    _run(project, who, scheme_ref, theme)


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scheme", "scheme_ref", metavar="ID", help="Scheme id (see `greenmark schemes`).")
@click.option("--building-type", metavar="TYPE", help="One of the scheme's building types.")
@click.option("--name", metavar="TEXT", help="Project name.")
@click.option("--address", metavar="TEXT", default="", help="Site address.")
@click.option(
    "--gfa", metavar="AREA", help="Gross floor area in m2, or with a unit ('263716 ft2')."
)
@click.option(
    "--stage",
    type=click.Choice(["pre-assessment", "design", "as-built", "existing"]),
    default="design",
    show_default=True,
)
@click.option("--assessor", "who", metavar="NAME", help="Assessor (default: $USER).")
@click.option("-f", "--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option("--theme", metavar="NAME", help=THEME_HELP)
@handles_errors
def new(
    file: Path | None,
    scheme_ref: str | None,
    building_type: str | None,
    name: str | None,
    address: str,
    gfa: str | None,
    stage: str,
    who: str | None,
    force: bool,
    theme: str | None,
) -> None:
    """Start a new project: a wizard asks for scheme, building type, name, address, GFA
    and stage, writes FILE (atomically) and opens it.

    With --scheme and --name (and --building-type where the scheme has types) the file is
    written without the wizard. An existing file is never overwritten without -f or a
    confirmation.
    """
    from greenmark.tui.create import NewProject, build_project, target_path, write_project
    from greenmark.tui.session import default_who
    from greenmark.tui.values import Refused
    from greenmark.tui.widgets.project_pane import parse_gfa

    assessor = who or default_who()
    try:
        area = parse_gfa(gfa or "")
    except Refused as exc:
        raise click.BadParameter(str(exc), param_hint="--gfa") from None
    answers = NewProject(
        scheme=scheme_ref or "",
        building_type=building_type,
        name=name or "",
        address=address,
        gross_floor_area=area,
        stage=stage,
        assessor=assessor,
        file=str(file) if file else "",
    )
    if not (scheme_ref and name):
        from greenmark.tui.app import GreenmarkApp

        GreenmarkApp(None, new=answers, theme=theme, who=assessor).run()
        return
    try:
        project = build_project(answers, assessor)
    except Refused as exc:
        raise GreenmarkError(str(exc)) from None
    path = target_path(answers)
    overwrite = force
    if path.exists() and not force:
        if not sys.stdin.isatty():
            raise GreenmarkError("already exists; use -f to overwrite it", file=str(path))
        overwrite = click.confirm(f"{path} exists. Overwrite it?", default=False)
        if not overwrite:
            click.echo("Nothing written.", err=True)
            sys.exit(int(ExitCode.INVALID))
    write_project(project, path, overwrite=overwrite)
    click.echo(f"wrote {path}")


def sample_copy(folder: Path | None = None) -> Path:
    """A writable copy of the bundled sample: ``./greenmark-sample.toml`` when the folder is
    writable and has no such file yet, else in a new temporary folder."""
    source = default_sample()
    here = folder or Path.cwd()
    target = here / SAMPLE_COPY
    if not os.access(here, os.W_OK) or target.exists():
        target = Path(tempfile.mkdtemp(prefix="greenmark-")) / SAMPLE_COPY
    shutil.copyfile(source, target)
    return target


def open_default() -> None:
    """Open the TUI on a copy of the bundled sample (what a bare ``greenmark`` does)."""
    path = sample_copy()
    try:
        _run(path, None, None, None)
    except GreenmarkError as exc:  # pragma: no cover - the bundled sample is valid
        from greenmark.cli.common import report_problems

        report_problems(exc.problems)
        sys.exit(int(exc.exit_code))
    click.echo(f"Your sample assessment is in {path}", err=True)


@click.command()
@click.argument("project", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="localhost", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--public-url", metavar="URL", help="URL to print and use in links (proxies).")
@click.option("--assessor", "who", metavar="NAME", help="Name recorded in the change history.")
@click.option("--theme", metavar="NAME", help=THEME_HELP)
@handles_errors
def serve(
    project: Path | None,
    host: str,
    port: int,
    public_url: str | None,
    who: str | None,
    theme: str | None,
) -> None:
    """Run the assessor UI in a web browser (textual-serve) on PROJECT, or on a copy of
    the bundled sample. Each browser tab runs its own `greenmark assess`."""
    from textual_serve.server import Server

    from greenmark.tui.session import Session

    path = project if project is not None else sample_copy()
    if not path.exists():
        raise GreenmarkError("file not found", file=str(path))
    session = Session.open(path, who or "")  # fail here, with the problems, not in the browser
    # -P: the folder it is started from is not put on sys.path, so a stray click.py
    # or numpy.py there cannot shadow a library
    command = [sys.executable, "-P", "-m", "greenmark", "assess", str(path.resolve())]
    if who:
        command += ["--assessor", who]
    if theme:
        command += ["--theme", theme]
    server = Server(
        shlex.join(command),
        host=host,
        port=port,
        title=f"greenmark — {session.project.project.name}",
        public_url=public_url,
    )
    click.echo(f"Serving {path} at {server.public_url}  (Ctrl+C stops)")
    server.serve()
