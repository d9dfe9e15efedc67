"""``greenmark mapping``: start a mapping from a file (``init``) and see what each row of a
file would get under a mapping, without scoring (``check``)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from greenmark.cli.common import err_console, handles_errors, out_console
from greenmark.core.errors import ExitCode, GreenmarkError
from greenmark.core.scheme import bundled_schemes, load_scheme, resolve_scheme
from greenmark.core.tomlfile import write_atomic
from greenmark.portfolio.inputs import open_source
from greenmark.portfolio.source import ReadOptions, Source


def _read_options(function: Any) -> Any:
    for option in reversed(
        [
            click.option("--delimiter", metavar="CHAR", help="CSV delimiter [default: sniffed]."),
            click.option("--encoding", metavar="NAME", help="CSV encoding [default: utf-8]."),
            click.option("--sheet", metavar="NAME", help="Spreadsheet sheet [default: first]."),
        ]
    ):
        function = option(function)
    return function


def _source(path: Path, delimiter: str | None, encoding: str | None, sheet: str | None) -> Source:
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    source = open_source(path, ReadOptions(delimiter, encoding, sheet))
    if source.kind == "projects":
        raise GreenmarkError("expected a .csv, .xlsx or .parquet file, not a folder", file=path)
    return source


@click.group()
def mapping() -> None:
    """Mapping files: which column of a CSV, spreadsheet or Parquet file feeds which input."""


@mapping.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--scheme", "scheme_ref", metavar="ID|PATH", help="Scheme [default: the best match].")
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the mapping here."
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@_read_options
@handles_errors
def init(
    input_path: Path,
    scheme_ref: str | None,
    out: Path | None,
    force: bool,
    delimiter: str | None,
    encoding: str | None,
    sheet: str | None,
) -> None:
    """Propose a mapping for INPUT: profile its columns, match them to the scheme's inputs by
    name and unit, propose building-type aliases, and write a commented mapping to finish."""
    from greenmark.portfolio.propose import match, profile, write_mapping

    if out is not None and out.exists() and not force:
        raise GreenmarkError("exists; pass --force to overwrite it", file=out)
    source = _source(input_path, delimiter, encoding, sheet)
    profiles = profile(source)
    if scheme_ref is not None:
        scheme = load_scheme(resolve_scheme(scheme_ref))
        matches = match(scheme, profiles)
    else:
        found = []
        for entry in bundled_schemes():
            candidate = load_scheme(entry.path)
            candidate_matches = match(candidate, profiles)
            found.append((sum(m.score for m in candidate_matches), entry.id, candidate))
        if not found:
            raise GreenmarkError("no bundled scheme found; give --scheme")
        best = max(found, key=lambda item: (item[0], item[1] == "gm-eb"))
        scheme = best[2]
        matches = match(scheme, profiles)
    text = write_mapping(scheme, source, profiles, matches)
    console = err_console()
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
    console.print(
        Text(
            f"{len(profiles)} columns profiled; {len(matches)} matched to {scheme.id}: "
            + ", ".join(f"{m.target} <- {m.column!r}" for m in matches)
            + (f"; written to {out}" if out is not None else "")
        )
    )


@mapping.command()
@click.argument("mapping_path", metavar="MAPPING", type=click.Path(path_type=Path))
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--scheme", "scheme_ref", metavar="ID|PATH", help="Scheme [default: the mapping's].")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=65_536, show_default=True)
@_read_options
@handles_errors
def check(
    mapping_path: Path,
    input_path: Path,
    scheme_ref: str | None,
    chunk_rows: int,
    delimiter: str | None,
    encoding: str | None,
    sheet: str | None,
) -> None:
    """Show what each row of INPUT would get under MAPPING (counts per outcome), without
    scoring. Exit code 1 when some rows would be skipped."""
    from greenmark.portfolio.chunk import Plan, check_chunk
    from greenmark.portfolio.mapping import bind, load_mapping

    loaded = load_mapping(mapping_path)
    reference = scheme_ref or loaded.model.mapping.scheme
    if reference is None:
        raise GreenmarkError("give --scheme ID|PATH (or name the scheme in the mapping file)")
    scheme = load_scheme(resolve_scheme(reference))
    binding = bind(loaded, scheme)
    source = _source(input_path, delimiter, encoding, sheet)
    binding.check_columns(source.columns, source.name)
    source.check_types(binding.used())
    plan = Plan.from_binding(scheme, binding)
    read = ready = malformed = 0
    excluded: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for chunk in source.chunks(plan.columns, chunk_rows):
        malformed += len(chunk.malformed)
        if chunk.batch is None:
            continue
        result = check_chunk(plan, chunk.batch)
        read += result.read
        ready += result.ready
        excluded.update(result.out_of_scope)
        skipped.update(result.skipped_by)
        given.update(result.given)
    if malformed:
        skipped["line not read (wrong number of fields)"] += malformed
    out = out_console()
    table = Table(
        title=f"{escape(source.name)} under {escape(str(mapping_path))}", title_justify="left"
    )
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    table.add_row("would be scored", f"{ready:,}")
    for reason, rows in skipped.most_common():
        table.add_row(f"skipped: {escape(reason)}", f"{rows:,}")
    for reason, rows in excluded.most_common():
        table.add_row(f"out of scope: {escape(reason)}", f"{rows:,}")
    out.print(table)
    inputs = Table(title="Inputs given (of the rows that would be scored)", title_justify="left")
    inputs.add_column("input")
    inputs.add_column("rows", justify="right")
    for field in plan.fields:
        if field.role == "input":
            inputs.add_row(escape(f"{field.target} <- {field.label}"), f"{given[field.target]:,}")
    out.print(inputs)
    out.print(
        Text(
            f"read {read:,} rows: {ready:,} would be scored, "
            f"{sum(skipped.values()):,} skipped, {sum(excluded.values()):,} out of scope"
        )
    )
    if skipped:
        sys.exit(int(ExitCode.NOT_SCORED))
