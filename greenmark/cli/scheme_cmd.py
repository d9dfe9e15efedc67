"""``greenmark scheme``: tools for scheme authors: ``test`` (run a scheme's fixtures),
``diff`` (what changed between two schemes) and ``fmt`` (canonical order)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from greenmark.cli.common import (
    err_console,
    format_option,
    handles_errors,
    out_console,
    report_problems,
)
from greenmark.core.errors import ExitCode, GreenmarkError, Problem
from greenmark.core.model import Scheme
from greenmark.core.scheme import load_scheme, resolve_scheme

if TYPE_CHECKING:
    from greenmark.core.schemetest import SchemeTestReport


def _load(reference: str) -> tuple[Scheme, Path]:
    """A scheme by bundled id or path, and its file."""
    path = resolve_scheme(reference)
    return load_scheme(path), path


@click.group()
def scheme() -> None:
    """Tools for scheme authors: run a scheme's fixtures, compare two schemes, format a
    scheme file in canonical order."""


# ---------------------------------------------------------------------- test


@scheme.command("test")
@click.argument("reference", metavar="SCHEME")
@click.option(
    "--fixtures",
    "folder",
    type=click.Path(path_type=Path),
    help="Folder of fixtures (default: tests/<scheme id>/ beside the scheme file).",
)
@format_option
@handles_errors
def run_tests(reference: str, folder: Path | None, output_format: str) -> None:
    """Score the fixtures of SCHEME (a bundled id or a file) and compare each with its
    expectations: CASE.toml projects with CASE.expect.toml beside them, in
    tests/<scheme id>/ beside the scheme file. Exit 1 on any mismatch, 2 when a fixture
    cannot be run."""
    from greenmark.core.schemetest import run_fixtures

    loaded, path = _load(reference)
    report = run_fixtures(loaded, path, folder)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _render_test(report)
    if report.count("error"):
        sys.exit(int(ExitCode.INVALID))
    if report.count("fail"):
        sys.exit(int(ExitCode.NOT_SCORED))


def _render_test(report: SchemeTestReport) -> None:
    from greenmark.core.schemetest import shown_path

    console = out_console()
    scheme = report.scheme
    table = Table(
        title=f"{scheme.id} {scheme.version}: fixtures in {shown_path(report.folder)}",
        title_justify="left",
        expand=True,
    )
    table.add_column("Fixture", style="bold", overflow="fold")
    table.add_column("", no_wrap=True)
    table.add_column("Tier", no_wrap=True)
    table.add_column("Result", justify="right", no_wrap=True)
    table.add_column("Badges", ratio=1, overflow="fold", min_width=8)
    marks = {
        "pass": ("✔ pass", "green"),
        "fail": ("✘ FAIL", "red"),
        "error": ("! error", "red"),
        "skip": ("– skip", "dim"),
    }
    for f in report.fixtures:
        mark, style = marks[f.outcome]
        points = f.result_text
        tier = f.tier or ("none" if f.outcome in ("pass", "fail") else "")
        badges = f.note if f.outcome == "skip" else ", ".join(f.badges)
        table.add_row(f.name, Text(mark, style=style), tier, points, badges)
    console.print(table)
    failed = [(f, m) for f in report.fixtures for m in f.mismatches]
    if failed:
        mismatches = Table(title="Mismatches", title_justify="left", expand=True)
        mismatches.add_column("Fixture", style="bold", overflow="fold")
        mismatches.add_column("Check", overflow="fold")
        mismatches.add_column("Expected", overflow="fold")
        mismatches.add_column("Got", overflow="fold")
        previous = None
        for f, m in failed:
            name = "" if f is previous else f.name
            mismatches.add_row(name, m.check, m.expected, Text(m.got, style="red"))
            previous = f
        console.print(mismatches)
    for f in report.fixtures:
        if f.outcome == "error":
            report_problems(f.problems)
    summary = f"{report.count('pass')} passed, {report.count('fail')} failed"
    if report.count("skip"):
        summary += f", {report.count('skip')} skipped (pinned to another version)"
    if report.count("error"):
        summary += f", {report.count('error')} could not be run"
    style = "red" if report.count("fail") or report.count("error") else "green"
    console.print(Text(summary, style=style))


# ---------------------------------------------------------------------- diff


@scheme.command("diff")
@click.argument("a_ref", metavar="A")
@click.argument("b_ref", metavar="B")
@click.option(
    "--texts", is_flag=True, help="Compare explanatory texts too (guidance, sources, help...)."
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when the schemes differ.")
@format_option
@handles_errors
def diff(a_ref: str, b_ref: str, texts: bool, exit_code: bool, output_format: str) -> None:
    """What changed from scheme A to scheme B (bundled ids or files): criteria, constants,
    inputs, sections, gates, tiers and badges added, removed or changed."""
    from greenmark.core.schemediff import diff_schemes, value_text

    a, _ = _load(a_ref)
    b, _ = _load(b_ref)
    found = diff_schemes(a, b, texts=texts)
    if output_format == "json":
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
    else:
        console = out_console()
        heading = f"{a.id} {a.version} → {b.id} {b.version}"
        if not found.differences:
            console.print(f"{heading}: no differences")
        else:
            table = Table(title=heading, title_justify="left", expand=True)
            table.add_column("Part", no_wrap=True)
            table.add_column("Id", style="bold", overflow="fold")
            table.add_column("Change", ratio=1, overflow="fold")
            for d in found.differences:
                if d.change == "added":
                    change = Text(f"+ added: {value_text(d.new)}", style="green")
                elif d.change == "removed":
                    change = Text(f"- removed: {value_text(d.old)}", style="red")
                else:
                    change = Text.assemble(
                        (f"{d.field}: ", "bold"),
                        (value_text(d.old), "red"),
                        " → ",
                        (value_text(d.new), "green"),
                    )
                table.add_row(d.kind, d.id, change)
            console.print(table)
            parts = [
                f"{kind}: " + ", ".join(f"{n} {change}" for change, n in changes.items())
                for kind, changes in found.counts().items()
            ]
            console.print("; ".join(parts))
    if exit_code and found.differences:
        sys.exit(int(ExitCode.NOT_SCORED))


# ---------------------------------------------------------------------- fmt


@scheme.command("fmt")
@click.argument("references", metavar="SCHEME...", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@handles_errors
def fmt_command(references: tuple[str, ...], check: bool) -> None:
    """Write each SCHEME file (a bundled id or a file) in canonical order: [scheme],
    constants, inputs, derived, sections, groups, criteria, metrics, gates, tiers, badges,
    keys in the format's order. Comments travel with what they introduce; what the
    scheme means never changes."""
    from greenmark.core.schemefmt import format_file

    problems: list[Problem] = []
    would_change = []
    console = err_console()
    for reference in references:
        try:
            done = format_file(resolve_scheme(reference), check=check)
        except GreenmarkError as exc:
            problems += exc.problems
            continue
        if done.changed:
            would_change.append(done.path)
            console.print(f"{'would reformat' if check else 'reformatted'} {done.path}")
        else:
            console.print(f"already formatted: {done.path}", style="dim")
    if problems:
        report_problems(problems)
        sys.exit(int(ExitCode.INVALID))
    if check and would_change:
        sys.exit(int(ExitCode.NOT_SCORED))
