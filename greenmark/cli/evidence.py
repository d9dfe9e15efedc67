"""``greenmark evidence``: attach files to a criterion, list them, check them, tick documents.

Paths are relative to the current folder (or absolute) when given, and stored relative
to the project file; every change is recorded in the project's history and saved
atomically and losslessly. ``check`` exits 1 when an attached file changed or vanished.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from greenmark.cli.common import handles_errors, out_console, report_problems
from greenmark.cli.saving import save
from greenmark.core import evidence as ev
from greenmark.core.edits import default_who
from greenmark.core.errors import ExitCode, GreenmarkError, Problem
from greenmark.core.project import LoadedProject, load_project
from greenmark.core.scoring import scheme_for

_PROJECT = click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
_WHO = click.option("--assessor", "who", metavar="NAME", help="Who (default: $USER).")
_NOTE = click.option("--note", default="", help="Why: recorded in the history.")


@click.group("evidence")
def evidence() -> None:
    """Evidence files attached to a project's criteria (path, SHA-256, size, date)."""


def _refuse(exc: ev.EvidenceError, loaded: LoadedProject) -> GreenmarkError:
    return GreenmarkError(problems=[Problem(str(exc), loaded.display)])


def _save(loaded: LoadedProject) -> None:
    from greenmark.core.stages import refuse_if_locked

    refuse_if_locked(loaded.project, loaded.display)
    save(loaded.project, loaded.path, loaded.source)


@evidence.command("add")
@_PROJECT
@click.argument("criterion")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_WHO
@_NOTE
@handles_errors
def add(project: Path, criterion: str, files: tuple[Path, ...], who: str | None, note: str) -> None:
    """Attach FILES to CRITERION of PROJECT (again: record a file's new hash)."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    person = who or default_who()
    console = out_console()
    lines: list[str] = []
    try:
        cid = ev.check_criterion(scheme, criterion)
        for file in files:
            entry, old = ev.attach(loaded.project, loaded.path, cid, file, person, Path.cwd())
            before = ev.describe(old) if old else None
            loaded.project.record(
                f"responses.{cid}.files", before, ev.describe(entry), person, note
            )
            verb = "re-attached" if old else "attached"
            lines.append(f"{cid}: {verb} {ev.describe(entry)}")
    except ev.EvidenceError as exc:
        raise _refuse(exc, loaded) from None
    _save(loaded)
    for line in lines:
        console.print(Text(line), soft_wrap=True)


@evidence.command("remove")
@_PROJECT
@click.argument("criterion")
@click.argument("paths", nargs=-1, required=True)
@_WHO
@_NOTE
@handles_errors
def remove(
    project: Path, criterion: str, paths: tuple[str, ...], who: str | None, note: str
) -> None:
    """Detach the files at PATHS (as listed) from CRITERION; the files stay on disk."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    person = who or default_who()
    try:
        cid = ev.check_criterion(scheme, criterion)
        removed = [ev.detach(loaded.project, cid, path) for path in paths]
    except ev.EvidenceError as exc:
        raise _refuse(exc, loaded) from None
    for entry in removed:
        loaded.project.record(f"responses.{cid}.files", ev.describe(entry), None, person, note)
    _save(loaded)
    for entry in removed:
        out_console().print(Text(f"{cid}: detached {entry.path}"), soft_wrap=True)


@evidence.command("tick")
@_PROJECT
@click.argument("criterion")
@click.argument("document")
@click.option("--untick", is_flag=True, help="Mark the document as not received.")
@_WHO
@_NOTE
@handles_errors
def tick(
    project: Path, criterion: str, document: str, untick: bool, who: str | None, note: str
) -> None:
    """Tick DOCUMENT (one the scheme requires for CRITERION) as received."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    try:
        cid = ev.check_criterion(scheme, criterion)
        changed = ev.tick(loaded.project, scheme, cid, document, on=not untick)
    except ev.EvidenceError as exc:
        raise _refuse(exc, loaded) from None
    if not changed:
        out_console().print("Nothing changed: already so.")
        return
    old, new = (None, document) if not untick else (document, None)
    loaded.project.record(
        f"responses.{cid}.documents_received", old, new, who or default_who(), note
    )
    _save(loaded)
    out_console().print(Text(f"{cid}: {'unticked' if untick else 'ticked'} {document}"))


@evidence.command("list")
@_PROJECT
@click.argument("criterion", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON for programs.")
@handles_errors
def list_files(project: Path, criterion: str | None, as_json: bool) -> None:
    """List attached files (checked against their hashes) and required documents, one a
    line, of CRITERION or every criterion."""
    loaded = load_project(project)
    scheme = scheme_for(loaded)
    try:
        cid = ev.check_criterion(scheme, criterion) if criterion else None
    except ev.EvidenceError as exc:
        raise _refuse(exc, loaded) from None
    rows: list[dict[str, Any]] = []
    for found in ev.check(loaded.project, loaded.path, cid):
        entry = found.entry
        rows.append(
            {
                "criterion": found.criterion,
                "kind": "file",
                "path": entry.path,
                "state": found.state,
                "size": entry.size,
                "sha256": entry.sha256,
                "attached": entry.attached.isoformat(),
                "who": entry.who,
            }
        )
    for spec in scheme.criteria:
        if cid is not None and spec.id != cid:
            continue
        response = loaded.project.responses.get(spec.id)
        ticked = response.documents_received if response else []
        for document in spec.documents:
            state = "received" if document in ticked else "required"
            rows.append(
                {"criterion": spec.id, "kind": "document", "name": document, "state": state}
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No evidence files attached and no documents required.")
    marks = {"ok": "✔ unchanged", "changed": "✘ changed", "missing": "✘ missing"}
    for row in rows:
        if row["kind"] == "file":
            click.echo(
                f"{row['criterion']}  {marks[row['state']]}  {row['path']}  {row['size']:,} bytes"
                f"  sha256 {row['sha256']}  attached {row['attached'][:10]}"
                + (f" by {row['who']}" if row["who"] else "")
            )
        else:
            mark = "☑ received" if row["state"] == "received" else "☐ required"
            click.echo(f"{row['criterion']}  {mark}  {row['name']}")


@evidence.command("check")
@_PROJECT
@handles_errors
def check(project: Path) -> None:
    """Hash every attached file again: exit 1 when one changed or vanished since attached."""
    loaded = load_project(project)
    checks = ev.check(loaded.project, loaded.path)
    bad = [c for c in checks if c.state != "ok"]
    for found in checks:
        if found.state == "ok":
            out_console().print(Text(f"ok: {found.criterion} {found.entry.path}"), soft_wrap=True)
    if not bad:
        out_console().print(f"{len(checks)} evidence file(s), none changed or missing.")
        return
    report_problems(
        [Problem(f"{c.criterion} {c.entry.path}: {c.text()}", loaded.display) for c in bad]
    )
    sys.exit(int(ExitCode.NOT_SCORED))
