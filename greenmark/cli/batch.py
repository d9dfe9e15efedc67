"""``greenmark batch``: score a portfolio (CSV, Parquet or a folder of project files).

Results go to ``--out`` (CSV, Parquet, JSON by extension; CSV on stdout without
``--out``); every row that cannot be scored goes to ``--errors`` with its row,
column and reason. Counts, progress and the summary table go to stderr. Exit
code 0 when every row was scored (rows the mapping's filters leave out are out of
scope, not errors), 1 when some were skipped, 2 for bad usage or input (mapping,
scheme, unreadable file, or no column feeding any scheme input without
``--allow-empty``). Ctrl-C, SIGTERM and SIGHUP stop the run
the same way: no output left behind, exit code 128 + the signal number (130 for
Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), as shells report a process killed by it.
With ``--schemes`` each row is scored under every scheme in one pass
(:mod:`greenmark.portfolio.multi`). Missing output folders are created. Temporary
files of an earlier run that was killed outright (``.NAME.<random>.tmp`` next to an
output) are removed.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from greenmark.cli.batch_plan import build_plan, load_schemes
from greenmark.cli.common import err_console, handles_errors
from greenmark.core.errors import ExitCode, GreenmarkError
from greenmark.core.tomlfile import write_atomic
from greenmark.portfolio.inputs import open_source
from greenmark.portfolio.io import (
    OUTPUT_KINDS,
    Chunk,
    Source,
    TableWriter,
    make_parent,
    remove_stale_temps,
)
from greenmark.portfolio.mapping import load_mapping
from greenmark.portfolio.multi import MultiPlan, errors_schema
from greenmark.portfolio.runners import (
    BatchJob,
    DuplicateIds,
    Stopped,
    StopSignals,
    arrow_without_pandas,
    dask_client,
    default_workers,
    engine_for,
    process_pool,
    remove_stale_spools,
    run_dask,
    run_local,
    single_threaded_blas,
    stop_signals,
)
from greenmark.portfolio.source import ReadOptions

if TYPE_CHECKING:
    from greenmark.portfolio.crosstab import MultiSummary
    from greenmark.portfolio.summary import PortfolioSummary

DEFAULT_CHUNK_ROWS = 65_536
SHOWN_PROBLEMS = 20


class RowsColumn(ProgressColumn):
    """Rows done and rows per second."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.elapsed or 0.0
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else "– rows/s"
        return Text(f"{rows:,} rows  {rate}", style="progress.data.speed")


class ProgressBar:
    """A rich progress bar per input on stderr (nothing when disabled)."""

    def __init__(self, enabled: bool) -> None:
        self.progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                RowsColumn(),
                TimeRemainingColumn(),
                console=err_console(),
                transient=False,
            )
            if enabled
            else None
        )
        self.tasks: dict[str, TaskID] = {}
        self.rows: dict[str, int] = {}

    def __enter__(self) -> ProgressBar:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def add(self, source: Source, total: int | None) -> None:
        if self.progress is not None:
            name = escape(Path(source.name).name)  # a file name is not rich markup
            self.tasks[source.name] = self.progress.add_task(name, total=total, rows=0)
        self.rows[source.name] = 0

    def update(self, source: Source, chunk: Chunk) -> None:
        self.rows[source.name] = self.rows.get(source.name, 0) + chunk.rows
        if self.progress is not None:
            task = self.tasks[source.name]
            self.progress.update(task, completed=chunk.progress, rows=self.rows[source.name])

    def finish(self, source: Source) -> None:
        if self.progress is not None:
            task = self.tasks[source.name]
            total = self.progress.tasks[task].total
            if total is None:
                self.progress.update(task, total=1, completed=1)
            else:
                self.progress.update(task, completed=total)


def _check_outputs(inputs: list[Path], outputs: dict[str, Path | None]) -> None:
    resolved = {p.resolve() for p in inputs}
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        if path.resolve() in resolved:
            raise GreenmarkError(f"{option} would overwrite an input file", file=path)
        if path.resolve() in seen:
            raise GreenmarkError(
                f"{option} and {seen[path.resolve()]} name the same file", file=path
            )
        seen[path.resolve()] = option
        if path.is_dir():
            raise GreenmarkError(f"{option} is a folder, expected a file name", file=path)
    out = outputs.get("--out")
    if out is not None and out.suffix.lower() not in OUTPUT_KINDS:
        raise GreenmarkError(
            f"unknown output type {out.suffix!r} (use .csv, .parquet, .json or .jsonl)", file=out
        )
    errors = outputs.get("--errors")
    if errors is not None and errors.suffix.lower() not in OUTPUT_KINDS:
        raise GreenmarkError("errors file: use .csv, .parquet, .json or .jsonl", file=errors)


def _problem_line(problem: dict[str, Any]) -> str:
    where = problem["source"]
    if problem.get("line"):
        where += f":{problem['line']}"
        if problem.get("row") is not None:
            where += f" (row {problem['row']})"
    else:
        where += f" row {problem['row']}"
    column = f" {problem['column']}" if problem.get("column") else ""
    value = f" (value {problem['value']!r})" if problem.get("value") is not None else ""
    return f"{where}{column}: {problem['reason']}{value}"


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scheme", "scheme_ref", metavar="ID|PATH", help="Scheme to score against.")
@click.option(
    "--schemes",
    "schemes_ref",
    metavar="A,B,…",
    help="Score every row under several schemes (ids or paths) in one pass: the first's "
    "columns keep their names, the others' get their id as prefix (edge.tier).",
)
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Mapping file (TOML): columns -> inputs, units, aliases, missing markers.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Results file: .csv, .parquet, .json or .jsonl (default: CSV on stdout).",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(path_type=Path),
    help="Write every row that could not be scored (row, column, reason) here.",
)
@click.option(
    "--summary", "summary_path", type=click.Path(path_type=Path), help="Summary JSON file."
)
@click.option(
    "--report", "report_path", type=click.Path(path_type=Path), help="Portfolio HTML report."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes (local) or Dask workers for a local cluster [default: all cores].",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this machine; dask: a Dask cluster (--scheduler, or a local one).",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=DEFAULT_CHUNK_ROWS,
    show_default=True,
    help="Rows per chunk (memory per worker grows with it).",
)
@click.option(
    "--delimiter",
    metavar="CHAR",
    help="CSV field delimiter, e.g. ';' or tab (default: sniffed from the header line).",
)
@click.option("--encoding", metavar="NAME", help="CSV text encoding, e.g. cp1252 [default: utf-8].")
@click.option("--sheet", metavar="NAME", help="Spreadsheet sheet to read [default: the first].")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Score even when no scheme input has a column (otherwise an error).",
)
@click.option(
    "--detail",
    type=click.Choice(["sections", "criteria"]),
    default="sections",
    show_default=True,
    help="criteria: also points and status per criterion (pts_ID, st_ID) and gate results.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, notes or summary table.")
@handles_errors
def batch(inputs: tuple[Path, ...], **options: Any) -> None:
    """Score a portfolio: INPUT is a CSV, .xlsx or Parquet file (one building per row) or a
    folder of project files.

    Rows with a bad value (not a number, out of range, unknown option or building type,
    implausible per the mapping) are skipped and listed with their reason and line; exit
    code 1 when any row was skipped. Rows the mapping's filters leave out are out of
    scope: counted by reason, not errors. Start a mapping with `greenmark mapping init`.

    With --schemes a row is skipped only under the schemes that refuse one of its values,
    and scored under the others (`skipped_under` and the errors file's `scheme` say which).
    """
    started = time.time()
    received = StopSignals()
    try:
        with stop_signals(received):
            _run(received, started, inputs, **options)
    except BaseException as exc:
        stopped = exc if isinstance(exc, Stopped) else received.stopped()
        if stopped is None:
            raise
        name = "" if stopped.signum == signal.SIGINT else f" by {stopped}"
        err_console().print(f"interrupted{name}")
        sys.exit(stopped.exit_code)
    late = received.stopped()
    if late is not None:  # came while the finished files were moved into place
        name = "" if late.signum == signal.SIGINT else f" by {late}"
        err_console().print(f"interrupted{name} after every output was written (kept, complete)")
        sys.exit(late.exit_code)


def _run(
    received: StopSignals,
    started: float,
    inputs: tuple[Path, ...],
    *,
    scheme_ref: str | None,
    schemes_ref: str | None,
    mapping_path: Path | None,
    out: Path | None,
    errors_path: Path | None,
    summary_path: Path | None,
    report_path: Path | None,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    chunk_rows: int,
    delimiter: str | None,
    encoding: str | None,
    sheet: str | None,
    allow_empty: bool,
    detail: str,
    quiet: bool,
) -> None:
    """The body of :func:`batch`; a signal in ``received`` stops it (see the module)."""
    from greenmark.portfolio.console import render_table
    from greenmark.portfolio.crosstab import MultiSummary, render_comparison
    from greenmark.portfolio.summary import PortfolioSummary
    from greenmark.reports.portfolio import render_html

    console = err_console()
    single_threaded_blas()
    if engine == "local":
        arrow_without_pandas()  # about 0.2 s of start-up the local runners do not need
    if scheduler and engine != "dask":
        raise GreenmarkError("--scheduler needs --engine dask")
    _check_outputs(
        list(inputs),
        {"--out": out, "--errors": errors_path, "--summary": summary_path, "--report": report_path},
    )
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    read_options = ReadOptions(delimiter, encoding, sheet)
    sources = [open_source(path, read_options) for path in inputs]
    if engine == "dask":
        for source in sources:
            if source.kind not in ("csv", "parquet"):
                raise GreenmarkError(
                    "--engine dask reads CSV and Parquet files; use --engine local for folders "
                    "and spreadsheets",
                    file=source.path,
                )
    mapping = load_mapping(mapping_path) if mapping_path is not None else None
    schemes = load_schemes(scheme_ref, schemes_ref, mapping)
    plan, notes = build_plan(schemes, mapping, sources, detail=detail, allow_empty=allow_empty)
    if workers is None:
        workers = default_workers()
    if engine == "local" and all(_small(s, chunk_rows) for s in sources):
        workers = 1  # one chunk: a pool would only add start-up time
    if not quiet:
        for note in notes:
            console.print(Text.assemble(("note: ", "dim"), note))

    wanted = summary_path is not None or report_path is not None or not quiet
    summary: PortfolioSummary | MultiSummary | None = None
    if wanted:
        summary = MultiSummary(plan) if isinstance(plan, MultiPlan) else PortfolioSummary(plan)
    show_progress = not quiet and sys.stderr.isatty()
    for path in (out, errors_path, summary_path, report_path):
        if path is not None:
            remove_stale_temps(path, before=started)
    if engine == "local":
        remove_stale_spools(before=started)
    with ExitStack() as stack:
        job = BatchJob(plan, summary=summary, with_source=len(sources) > 1)
        if any(f.role == "id" for f in plan.fields):
            job.ids = DuplicateIds()
        writers: list[TableWriter] = []
        try:
            pooled = engine == "local" and workers > 1  # workers encode the results
            job.results = TableWriter(out, job.results_schema(), stitched=pooled)
            writers.append(job.results)
            if errors_path is not None:
                job.errors = TableWriter(errors_path, errors_schema(plan))
                writers.append(job.errors)
            client = (
                stack.enter_context(dask_client(scheduler, workers)) if engine == "dask" else None
            )
            if engine == "local":
                stack.enter_context(engine_for(_rows(sources), workers))
            pool = (
                stack.enter_context(process_pool(plan, workers, chunk_rows=chunk_rows))
                if engine == "local"
                else None
            )
            bar = stack.enter_context(ProgressBar(show_progress))
            job.progress = bar.update
            for source in sources:
                if engine == "dask":
                    total = source.total if source.kind == "parquet" else None
                    bar.add(source, total)
                    run_dask(job, source, client, chunk_rows=chunk_rows)
                else:
                    bar.add(source, source.total)
                    run_local(job, source, chunk_rows=chunk_rows, pool=pool)
                bar.finish(source)
            stack.close()  # progress bar, pool and cluster down before the files are final
            data = _summary_data(job, summary, sources) if summary is not None else None
            received.finish()  # every output in place, or none
            if data is not None and summary_path is not None:
                _write(summary_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            if data is not None and report_path is not None:
                _write(report_path, render_html(data))
            for writer in writers:
                writer.commit()
        except BaseException:
            for writer in writers:
                writer.discard()
            raise

    if data is not None and not quiet and (job.scored or job.partly):
        render_table(console, data)
        if "cross_tabs" in data:
            render_comparison(console, data)
    if job.skipped:
        if errors_path is None:
            for problem in job.first_problems[:SHOWN_PROBLEMS]:
                named = (problem.get("scheme") or "").replace(";", ", ")
                under = f" under {named}" if named else ""
                line = _problem_line(problem)
                console.print(Text.assemble((f"skipped{under}: ", "yellow"), line))
            if job.problems > SHOWN_PROBLEMS:
                console.print(
                    f"… and {job.problems - SHOWN_PROBLEMS:,} more problems "
                    "(--errors FILE lists them all)"
                )
        else:
            console.print(Text(f"{job.problems:,} problems written to {errors_path}"))
    if job.malformed:
        console.print(
            f"[yellow]warning:[/] {job.malformed:,} CSV lines had the wrong number of fields and "
            "were not read (listed with their line); row numbers count the lines that were"
        )
    if job.ids is not None and job.ids.count:
        console.print(
            f"[yellow]warning:[/] {job.ids.count:,} rows repeat an id scored before "
            "(scored, and flagged in the flags column):"
        )
        for example in job.ids.examples:
            console.print(Text(f"  {example}"))
    if not quiet:
        for title, reasons in (("skipped", job.skipped_by), ("out of scope", job.out_of_scope)):
            for entry in _by_reason(reasons)[:SHOWN_PROBLEMS]:
                line = f"  {entry['rows']:>9,}  {title}: {entry['reason']}"
                console.print(Text(line, style="dim"))
    if isinstance(plan, MultiPlan):
        _per_scheme(console, plan, job)
    every, some = (
        (" under every scheme", " under one or more") if isinstance(plan, MultiPlan) else ("", "")
    )
    console.print(
        Text(
            f"read {job.read:,} rows: {job.scored:,} scored{every}, {job.skipped:,} skipped"
            + (some if job.skipped else "")
            + (f" ({job.partly:,} of them written for the others)" if job.partly else "")
            + (f", {job.excluded:,} out of scope" if job.excluded else "")
            + (f" -> {out}" if out is not None else "")
        )
    )
    if job.skipped:
        sys.exit(int(ExitCode.NOT_SCORED))


def _per_scheme(console: Console, plan: MultiPlan, job: BatchJob) -> None:
    """One line per scheme: rows scored and skipped under it."""
    rows = job.read - job.excluded
    scored = job.scored_by or [0] * len(plan.plans)
    for scheme_id, prefix, count in zip(plan.ids, plan.prefixes, scored, strict=True):
        columns = f"columns {prefix}…" if prefix else "columns without prefix"
        console.print(
            Text(f"  {scheme_id}: {count:,} scored, {rows - count:,} skipped ({columns})")
        )


def _by_reason(counts: dict[str, int]) -> list[dict[str, Any]]:
    """``[{reason, rows}]``, most rows first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"reason": reason, "rows": rows} for reason, rows in ordered]


def _summary_data(
    job: BatchJob, summary: PortfolioSummary | MultiSummary, sources: list[Source]
) -> dict[str, Any]:
    """The portfolio summary (counts, breakdowns and distributions) as written to JSON."""
    counts = {
        "read": job.read,
        "scored": job.scored,
        "skipped": job.skipped,
        "out_of_scope": job.excluded,
    }
    if job.ids is not None:
        counts["duplicate_ids"] = job.ids.count
    if isinstance(job.plan, MultiPlan):
        counts["partly_scored"] = job.partly
    data = summary.to_dict(counts, [s.name for s in sources])
    data["skipped_by_reason"] = _by_reason(job.skipped_by)
    data["out_of_scope_by_reason"] = _by_reason(job.out_of_scope)
    return data


def _write(path: Path, text: str) -> None:
    """Write a text output atomically, creating missing folders."""
    make_parent(path)
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise GreenmarkError(f"cannot write: {exc.strerror or exc}", file=path) from None


def _rows(sources: list[Source]) -> int | None:
    """How many buildings the inputs hold (None when one of them does not say)."""
    counts = [source.rows for source in sources]
    return None if None in counts else sum(c for c in counts if c is not None)


def _small(source: Source, chunk_rows: int) -> bool:
    """True when the whole source fits in one chunk."""
    total = source.total
    if total is None:
        return False
    if source.kind == "csv":
        return total < 4 << 20
    return total <= chunk_rows
