"""Scored chunks finished in pool workers: numbered, hashed and encoded for the output there.

A pool worker that scores a chunk also does what used to wait for the parent
(:func:`finish_chunk`): it numbers the rows, fills missing ids, adds the ``source``
column, hashes the ids for the duplicate check and encodes the rows as the output
file wants them (a Parquet file of its own, CSV or JSON text; see
:class:`greenmark.portfolio.io.PartEncoder`), spooling each piece as a file. The
parent then takes the chunks in input order (:func:`take_finished`): it copies the
encoded rows into the output, looks the hashes up among the ids seen before and
writes the problems; only a chunk repeating an id seen before is decoded and
encoded again here, with its flags completed. A single scheme's summary is worked
out chunk by chunk in the workers too (:meth:`PortfolioSummary.partial`) and merged
here in input order; the results table itself travels only for a summary of several
schemes.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from greenmark.portfolio.chunk import ChunkResult, Plan
from greenmark.portfolio.duplicates import id_hashes
from greenmark.portfolio.io import PartEncoder
from greenmark.portfolio.multi import AnyPlan, MultiPlan
from greenmark.portfolio.stitch import read_part
from greenmark.portfolio.summary import PortfolioSummary, SummaryPart

if TYPE_CHECKING:
    from greenmark.portfolio.runners import BatchJob
    from greenmark.portfolio.source import Chunk, Source


def number_rows(results: pa.Table, first: int, source: str | None) -> pa.Table:
    """Local results made the run's: rows numbered from ``first`` (the 1-based row of the
    chunk's first row), missing ids given the row number, and a ``source`` column first
    when ``source`` is given (several inputs)."""
    rows = pc.add(results.column("row"), first)
    results = results.set_column(0, "row", rows)
    position = results.schema.get_field_index("id")
    ids = pc.coalesce(results.column("id"), pc.cast(rows, pa.string()))
    results = results.set_column(position, "id", ids)
    if source is not None:
        results = results.add_column(0, "source", pa.repeat(pa.scalar(source), results.num_rows))
    return results


@dataclass(frozen=True)
class PartOptions:
    """What a pool worker does with each scored chunk besides scoring it (picklable)."""

    folder: str  # the spool folder
    source: str
    with_source: bool  # several inputs: a ``source`` column
    ids: bool  # hash the ids for the duplicate check
    results: bool  # spool the numbered results table (a summary of several schemes reads it)
    summary: bool  # work out the chunk's part of the summary here
    encoder: PartEncoder | None  # encode the rows for the output (None: none written)


@dataclass
class FinishedChunk:
    """A chunk scored and finished in a worker: counts, and the spooled files' paths."""

    read: int
    rows: int  # results rows
    errors: str  # Arrow IPC, local row numbers (the parent knows the chunk's lines)
    out_of_scope: dict[str, int]
    skipped_by: dict[str, int]
    results: str | None = None  # Arrow IPC of the numbered results
    encoded: str | None = None  # the rows encoded for the output
    keys: str | None = None  # Arrow IPC: row and id hash of each results row
    scored_by: list[int] | None = None  # several schemes: rows each scored
    every: int = 0  # several schemes: rows every scheme scored
    summary: SummaryPart | None = None  # the chunk's part of the summary

    @property
    def excluded(self) -> int:
        return sum(self.out_of_scope.values())


_names = itertools.count()


def _spooled(folder: str, prefix: str) -> str:
    return os.path.join(folder, f"{prefix}{os.getpid()}-{next(_names)}")


def write_ipc(path: str, data: pa.Table | pa.RecordBatch) -> None:
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write(data)


def take(path: str) -> pa.Table:
    """Read (memory-map) a spooled table and delete its file (the mapping stays valid)."""
    table = pa.ipc.open_stream(pa.memory_map(path)).read_all()
    os.unlink(path)
    return table


def finish_chunk(
    plan: AnyPlan, options: PartOptions, offset: int, result: ChunkResult
) -> FinishedChunk:
    """Number, hash, encode and spool one scored chunk (``offset``: rows of the input
    before it)."""
    results = number_rows(
        result.results, offset + 1, options.source if options.with_source else None
    )
    done = FinishedChunk(
        result.read,
        results.num_rows,
        _spooled(options.folder, "e") + ".arrow",
        result.out_of_scope,
        result.skipped_by,
    )
    write_ipc(done.errors, result.errors)
    if isinstance(plan, MultiPlan) and results.num_rows:
        masks = plan.scored_masks(results)
        done.every = int(np.logical_and.reduce(masks).sum())
        done.scored_by = [int(mask.sum()) for mask in masks]
    if not results.num_rows:
        return done
    if options.results:
        done.results = _spooled(options.folder, "r") + ".arrow"
        write_ipc(done.results, results)
    if options.ids:
        done.keys = _spooled(options.folder, "k") + ".arrow"
        hashes = id_hashes(results.column("id"))
        order = np.argsort(hashes, kind="stable")  # sorted here, not in the parent
        keys = pa.table({"row": results.column("row"), "hash": hashes, "order": order})
        write_ipc(done.keys, keys)
    if options.summary and isinstance(plan, Plan):
        done.summary = _summary(plan).partial(results)
    if options.encoder is not None:
        done.encoded = _spooled(options.folder, "o") + ".part"
        with open(done.encoded, "wb") as stream:
            stream.write(options.encoder.encode(results))
    return done


_summaries: dict[str, PortfolioSummary] = {}


def _summary(plan: Plan) -> PortfolioSummary:
    """A summary of ``plan`` to work chunks' parts out with (one per process and scheme)."""
    found = _summaries.get(plan.key)
    if found is None:
        found = _summaries[plan.key] = PortfolioSummary(plan)
    return found


def discard(done: FinishedChunk) -> None:
    """Remove a finished chunk's spooled files (a chunk taken back no more)."""
    for path in (done.errors, done.results, done.encoded, done.keys):
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def take_finished(job: BatchJob, source: Source, chunk: Chunk, done: FinishedChunk) -> None:
    """Take a chunk finished in a worker into ``job``'s outputs and counts (as
    :meth:`BatchJob.add` does for a chunk scored here)."""
    try:
        _take_finished(job, source, chunk, done)
    finally:
        discard(done)


def _take_finished(job: BatchJob, source: Source, chunk: Chunk, done: FinishedChunk) -> None:
    if chunk.malformed:
        job.malformed_lines(source, chunk.malformed)
    errors = job.numbered_errors(source, chunk, take(done.errors))
    results = take(done.results) if done.results is not None else None
    rewritten = False
    if done.rows and job.ids is not None:
        assert done.keys is not None  # the worker hashed the ids
        keys = take(done.keys)
        rows = keys.column("row").to_numpy()
        hashes = keys.column("hash").to_numpy()
        found = job.ids.find(source.name, rows, hashes, keys.column("order").to_numpy())
        if found is not None:
            if results is None:
                assert done.encoded is not None
                results = _decoded(job, read_part(done.encoded))
            results = job.ids.mark(source.name, results, found)
            rewritten = True
            if job.results is not None:
                job.results.write(results)
    if done.encoded is not None and job.results is not None and not rewritten:
        job.results.write_encoded_file(done.encoded, done.rows)
    scored = done.rows
    if done.scored_by is not None:
        job.partly += done.rows - done.every
        job.scored_by = job.scored_by or [0] * len(done.scored_by)
        for index, count in enumerate(done.scored_by):
            job.scored_by[index] += count
        scored = done.every
    job.count(done.read, scored, done.excluded, done.out_of_scope, done.skipped_by)
    job.problems_found(errors)
    if isinstance(job.summary, PortfolioSummary) and done.summary is not None:
        job.summary.merge(done.summary)
    elif job.summary is not None and results is not None:
        job.summary.add(results)
    if job.progress is not None:
        job.progress(source, chunk)


def _decoded(job: BatchJob, data: memoryview) -> pa.Table:
    """Rows encoded as a Parquet part, read back as they were (the Arrow schema is stored
    with them); only Parquet parts are read back."""
    return pq.read_table(pa.BufferReader(pa.py_buffer(data)), schema=job.results_schema())
