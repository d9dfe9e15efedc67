"""Run the chunk scorer over whole inputs: in this process, in a process pool, or on Dask.

Every engine feeds :class:`BatchJob` with ``(source, chunk, ChunkResult)`` in input
order; the job numbers the rows (1-based data rows), writes results and problems
incrementally and updates the summary, so the output is the same whichever
engine ran and however the input was split.

Stopping: :func:`stop_signals` turns SIGINT (Ctrl-C), SIGTERM and SIGHUP into
:class:`Stopped`, so the runner cleans up the same way for each (temporary
outputs removed, pool shut down, spool folder removed); the command then exits
with 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
Pool workers leave those signals to the parent and die with it if it is killed
outright (``kill -9``); a spool folder left by such a run is removed by the next.

Kept as one idea past 600 lines: the local, pool and Dask runners share the
ordered hand-back of chunks, the spool files and the signal handling.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.abc
import itertools
import multiprocessing
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.core.errors import GreenmarkError
from greenmark.portfolio.chunk import ERRORS_SCHEMA, ChunkResult
from greenmark.portfolio.duplicates import DuplicateIds
from greenmark.portfolio.io import (
    Chunk,
    ParquetSource,
    RowGroups,
    Source,
    TableWriter,
    owned,
)
from greenmark.portfolio.multi import (
    AnyPlan,
    MultiPlan,
    errors_schema,
    plans_of,
    score_batch,
    score_project_files,
)
from greenmark.portfolio.parts import (
    FinishedChunk,
    PartOptions,
    finish_chunk,
    number_rows,
    take,
    take_finished,
    write_ipc,
)
from greenmark.portfolio.summary import PortfolioSummary

Progress = Callable[[Source, Chunk], None]


class Summarizer(Protocol):
    """What :class:`BatchJob` needs from a summary (see :mod:`greenmark.portfolio.summary`)."""

    def add(self, results: pa.Table) -> None: ...


@dataclass
class BatchJob:
    """Collects chunk results in input order: numbers rows, writes, summarises, counts."""

    plan: AnyPlan
    results: TableWriter | None = None
    errors: TableWriter | None = None
    summary: Summarizer | None = None
    with_source: bool = False  # several inputs: results get a ``source`` column
    progress: Progress | None = None
    keep_problems: int = 20  # problems kept in memory to show when there is no errors file
    read: int = 0
    scored: int = 0
    skipped: int = 0
    excluded: int = 0  # rows the mapping's filters left out (out of scope, not errors)
    problems: int = 0
    malformed: int = 0  # CSV lines not read (wrong number of fields)
    first_problems: list[dict[str, Any]] = field(default_factory=list)
    out_of_scope: Counter[str] = field(default_factory=Counter)  # rows by filter reason
    skipped_by: Counter[str] = field(default_factory=Counter)  # rows by first problem
    ids: DuplicateIds | None = None  # set when an id column is mapped
    partly: int = 0  # several schemes: rows written, skipped under some of them
    scored_by: list[int] = field(default_factory=list)  # several schemes: rows each scored

    def results_schema(self) -> pa.Schema:
        schema = self.plan.results_schema()
        return schema.insert(0, pa.field("source", pa.string())) if self.with_source else schema

    def add(self, source: Source, chunk: Chunk, result: ChunkResult) -> None:
        """Take one scored chunk (local rows) into the outputs."""
        if chunk.malformed:
            self.malformed_lines(source, chunk.malformed)
        results = number_rows(
            result.results, chunk.offset + 1, source.name if self.with_source else None
        )
        if self.ids is not None and results.num_rows:
            results = self.ids.flag(source.name, results)
        errors = self.numbered_errors(source, chunk, result.errors)
        scored = result.scored
        if isinstance(self.plan, MultiPlan) and results.num_rows:
            masks = self.plan.scored_masks(results)
            every = int(np.logical_and.reduce(masks).sum())
            self.partly += scored - every
            self.scored_by = self.scored_by or [0] * len(masks)
            for index, mask in enumerate(masks):
                self.scored_by[index] += int(mask.sum())
            scored = every
        self.count(result.read, scored, result.excluded, result.out_of_scope, result.skipped_by)
        if self.results is not None:
            self.results.write(results)
        self.problems_found(errors)
        if self.summary is not None:
            self.summary.add(results)
        if self.progress is not None:
            self.progress(source, chunk)

    def numbered_errors(self, source: Source, chunk: Chunk, errors: pa.Table) -> pa.Table:
        """A chunk's problems (local rows) with the run's row numbers, lines and source."""
        if not errors.num_rows:
            return errors
        if chunk.lines is not None:
            local = errors.column("row").to_numpy(zero_copy_only=False)
            lines = pa.array(chunk.lines[local], pa.int64())
            errors = errors.set_column(2, "line", pc.coalesce(errors.column("line"), lines))
        errors = errors.set_column(1, "row", pc.add(errors.column("row"), chunk.offset + 1))
        names = pc.if_else(
            pc.equal(errors.column("source"), ""), source.name, errors.column("source")
        )
        return errors.set_column(0, "source", names)

    def count(
        self,
        read: int,
        scored: int,
        excluded: int,
        out_of_scope: dict[str, int],
        skipped_by: dict[str, int],
    ) -> None:
        """Add a chunk's rows: read, scored (under every scheme), out of scope, skipped."""
        self.read += read
        self.scored += scored
        self.excluded += excluded
        self.skipped += read - scored - excluded
        self.out_of_scope.update(out_of_scope)
        self.skipped_by.update(skipped_by)

    def problems_found(self, errors: pa.Table) -> None:
        """Write a chunk's problems (numbered) and keep the first ones to show."""
        self.problems += errors.num_rows
        if self.errors is not None:
            self.errors.write(errors)
        room = self.keep_problems - len(self.first_problems)
        if room > 0 and errors.num_rows:
            self.first_problems.extend(errors.slice(0, room).to_pylist())

    def malformed_lines(self, source: Source, found: list[tuple[int | None, str]]) -> None:
        """CSV lines the reader could not split into the header's fields: read, skipped."""
        reasons = [reason for _, reason in found]
        errors = pa.table(
            {
                "source": [source.name] * len(reasons),
                "row": pa.nulls(len(reasons), pa.int64()),
                "line": pa.array([line for line, _ in found], pa.int64()),
                "id": pa.nulls(len(reasons), pa.string()),
                "column": [""] * len(reasons),
                "value": pa.nulls(len(reasons), pa.string()),
                "reason": [f"line not read: {r}" for r in reasons],
            },
            schema=ERRORS_SCHEMA,
        )
        if isinstance(self.plan, MultiPlan):  # not a scheme's problem: no scheme named
            errors = errors.append_column("scheme", pa.nulls(len(reasons), pa.string()))
        self.malformed += len(reasons)
        by = {"line not read (wrong number of fields)": len(reasons)}
        result = ChunkResult(len(reasons), self.plan.empty_results(), errors, skipped_by=by)
        self.add(source, Chunk(0, 0), result)


# ----------------------------------------------------------------------------- signals

#: Signals that stop a run the way Ctrl-C does (those this platform has).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal (a KeyboardInterrupt, so cleanup treats it as one)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for Ctrl-C), as shells report it."""
        return 128 + self.signum


@dataclass
class StopSignals:
    """What :func:`stop_signals` received: the first signal, and whether it still stops the run."""

    signum: int | None = None
    finishing: bool = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """Raise :class:`Stopped` on the first signal (later ones: cleanup is under way);
        once the run is finishing, only record it."""
        if self.signum is not None:
            return
        self.signum = signum
        if not self.finishing:
            raise Stopped(signum)

    def finish(self) -> None:
        """From here on the run moves its finished files into place and reports: a signal
        no longer stops it (every output in place, or none) and is reported at the end."""
        if self.signum is not None:
            raise Stopped(self.signum)
        self.finishing = True

    def stopped(self) -> Stopped | None:
        """The stop to report, if a signal came."""
        return Stopped(self.signum) if self.signum is not None else None


@contextmanager
def stop_signals(received: StopSignals | None = None) -> Iterator[StopSignals]:
    """Handle :data:`STOP_SIGNALS` with :meth:`StopSignals.handle` while the block runs
    (main thread only; a signal ignored at start, as under ``nohup``, stays ignored)."""
    received = received if received is not None else StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, received.handle)
        yield received
    finally:
        for stopped, handler in previous.items():
            signal.signal(stopped, handler)


# ----------------------------------------------------------------------------- local

_blas_limited = False


def single_threaded_blas() -> None:
    """Run OpenBLAS on one thread in this process (Linux; silently nothing elsewhere).

    The engine's matrix products are tall and thin ([N, criteria] @ [criteria,
    sections]); OpenBLAS threads buy nothing there and, with one process per core
    already busy, their spin-waiting made scoring 2-4x slower in measurements.
    Batch parallelism comes from processes instead.
    """
    global _blas_limited
    if _blas_limited:
        return
    _blas_limited = True
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libraries = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return
    names = (
        "openblas_set_num_threads",
        "scipy_openblas_set_num_threads64_",
        "openblas_set_num_threads64_",
        "scipy_openblas_set_num_threads",
    )
    for library in libraries:
        try:
            handle = ctypes.CDLL(library)
        except OSError:
            continue
        for name in names:
            setter = getattr(handle, name, None)
            if setter is not None:
                setter(1)
                break


_worker_plan: AnyPlan | None = None


def _init_worker(plan: AnyPlan, parent: int, numpy_only: bool = False) -> None:
    """Pool worker start: Ctrl-C and hang-ups are the parent's to handle, SIGTERM ends the
    worker at once (the parent removes its files); die with the parent; compile once;
    score with numpy alone when the parent does (see :func:`engine_for`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)
    single_threaded_blas()
    arrow_without_pandas()
    global _worker_plan
    _worker_plan = plan
    if numpy_only:
        from greenmark.core import engine_batch

        engine_batch.set_numpy_only(True)  # for the worker's life
    for each in plans_of(plan):
        each.compiled  # noqa: B018 - compile now, not in the first chunk


class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("pool workers leave pandas out")
        return None


def arrow_without_pandas() -> None:
    """Let pyarrow find pandas missing in this process: it imports pandas, when installed, at
    its first conversion (about 0.2 s per process), and the local runners never need it
    (Dask does: not for a process that runs it)."""
    if "pandas" in sys.modules:
        return
    blocker = _NoPandas()
    sys.meta_path.insert(0, blocker)
    try:
        pa.array([0.0])  # pyarrow asks for pandas once and remembers the answer
    finally:
        sys.meta_path.remove(blocker)


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """End this process when ``parent`` dies, even by ``kill -9`` (no orphan workers):
    the kernel's parent-death signal on Linux, else a thread watching the parent."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _ready() -> int:
    return os.getpid()


def _score(plan: AnyPlan, source: str, chunk: Chunk) -> ChunkResult:
    if chunk.paths is not None:
        return score_project_files(plan, chunk.paths)
    if chunk.batch is None:  # only malformed lines
        return ChunkResult(0, plan.empty_results(), errors_schema(plan).empty_table())
    return score_batch(plan, chunk.batch, source)


class Spool:
    """A private folder through which chunks travel to and from the pool as Arrow IPC files.

    Writing a chunk to a file in memory (``/dev/shm`` when it has room) and
    memory-mapping it on the other side costs a fraction of pickling it through a
    pipe (about 20 ms against 130 ms for 65,536 rows of gm-nrb). Each file is
    deleted as soon as it is read; :meth:`close` removes whatever is left.
    """

    def __init__(self) -> None:
        self.folder = Path(
            tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=spool_base())
        )
        self._names = itertools.count()

    def put(self, data: pa.Table | pa.RecordBatch) -> str:
        path = str(self.folder / f"{next(self._names)}.arrow")
        write_ipc(path, data)
        return path

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


SPOOL_PREFIX = "greenmark-batch-"
_SPOOL_NAME = re.compile(rf"{SPOOL_PREFIX}(\d+)-[a-z0-9_]{{8}}")


def spool_base() -> str:
    """Where spool folders go: ``/dev/shm`` when it has room, else the temporary folder."""
    return "/dev/shm" if _room("/dev/shm") > 2 << 30 else tempfile.gettempdir()


def remove_stale_spools(before: float, base: str | None = None) -> list[Path]:
    """Remove spool folders left by killed runs: named ``greenmark-batch-PID-<random>`` in
    ``base`` (default :func:`spool_base`), owned by this user, PID no longer running,
    unchanged since ``before`` (a :func:`time.time`)."""
    base = base if base is not None else spool_base()
    removed: list[Path] = []
    try:
        names = os.listdir(base)
    except OSError:
        return removed
    for name in names:
        match = _SPOOL_NAME.fullmatch(name)
        if match is None or _running(int(match[1])):
            continue
        path = Path(base, name)
        try:
            info = path.lstat()
        except OSError:
            continue
        if owned(info) and stat.S_ISDIR(info.st_mode) and info.st_mtime < before:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _room(folder: str) -> int:
    try:
        stats = os.statvfs(folder)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


def _score_in_worker(
    options: PartOptions,
    offset: int,
    batch_path: str | None,
    paths: list[str] | None,
) -> FinishedChunk:
    """Pool task: score one spooled chunk (or project files) and finish it here."""
    assert _worker_plan is not None
    if paths is not None:
        result = score_project_files(_worker_plan, paths)
    else:
        assert batch_path is not None
        result = score_batch(_worker_plan, take(batch_path), options.source)
    return finish_chunk(_worker_plan, options, offset, result)


def _score_row_group(
    options: PartOptions, groups: RowGroups, task: GroupTask, offset: int, chunk_rows: int
) -> list[tuple[int, FinishedChunk]]:
    """Pool task: read rows ``start`` to ``stop`` of one row group of a Parquet file here
    (``offset``: rows of the file before them), score and finish them chunk by chunk:
    (rows, finished chunk) per chunk, in order."""
    assert _worker_plan is not None
    index, start, stop = task
    done = []
    at = 0  # row of the group at the batch's start
    for batch in groups.read(index, chunk_rows):
        end = at + batch.num_rows
        if end > start:
            batch = batch.slice(max(start - at, 0), min(end, stop) - max(start, at))
            result = score_batch(_worker_plan, batch, options.source)
            done.append((batch.num_rows, finish_chunk(_worker_plan, options, offset, result)))
            offset += batch.num_rows
        at = end
        if at >= stop:
            break
    return done


#: One pool task over a Parquet file: rows ``start`` to ``stop`` of row group ``index``.
GroupTask = tuple[int, int, int]


def group_tasks(sizes: list[int], workers: int, chunk_rows: int) -> list[GroupTask]:
    """The pool's tasks over row groups of ``sizes``: one per row group, except that the
    last groups, those that would leave workers idle at the end (5 groups on 2 workers),
    are shared out, each in one part per worker (a part after the first reads the rows
    before it too, but scores only its own)."""
    whole = len(sizes) - len(sizes) % workers if len(sizes) >= workers else 0
    tasks = [(index, 0, size) for index, size in enumerate(sizes[:whole])]
    for index, size in enumerate(sizes[whole:], start=whole):
        parts = workers if size > chunk_rows else 1
        bounds = [size * k // parts for k in range(parts + 1)]
        tasks += [(index, a, b) for a, b in itertools.pairwise(bounds) if b > a]
    return tasks


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Pool:
    """Worker processes and the spool they exchange chunks through."""

    executor: ProcessPoolExecutor
    spool: Spool
    workers: int


@contextmanager
def process_pool(plan: AnyPlan, workers: int, *, chunk_rows: int = 0) -> Iterator[Pool | None]:
    """A pool of ``workers`` processes (None for one worker: score in this process).

    The workers are started before any input is read (fork is cheap and sees no
    reader threads); on leaving, queued chunks are cancelled, running ones finish,
    then the spool folder is removed. Chunks of ``chunk_rows`` large enough for the
    engine's compiled kernels: the kernels are loaded here first, once, and the forked
    workers share them (instead of each loading them, about 0.4 s of CPU apiece).
    """
    reuse_freed_memory()
    if workers <= 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    context = multiprocessing.get_context("fork" if fork else None)
    if fork:
        _engine_kernels(chunk_rows)
    spool = Spool()
    from greenmark.core import engine_batch

    numpy_only = engine_batch.numpy_only_now()
    executor = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(plan, os.getpid(), numpy_only),
    )
    try:
        executor.submit(_ready).result()
        yield Pool(executor, spool, workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        spool.close()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def reuse_freed_memory() -> None:
    """Have the C allocator (glibc) keep the memory of freed arrays for the next chunk's
    (up to 256 MB free at the top of the heap; arrays up to 32 MB from the heap, not
    from fresh mappings), instead of handing it back and faulting it in again, zeroed,
    chunk after chunk: a quarter fewer page faults in a batch run. The peak stays that
    of one chunk per process. Nothing is done where the allocator is not glibc's."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_TRIM_THRESHOLD, 256 << 20)
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)


#: Buildings per worker from which a run scores with the engine's compiled kernels.
#: Loading them (numba and the cached kernels) takes about 0.4 s of one core before the
#: first chunk; they then save about 0.7 µs per building on gm-nrb, the largest bundled
#: scheme, over the numpy path. Below this the numpy path finishes first: 150,000
#: buildings on one worker in 0.88 s instead of 1.12 s (measured end to end, Parquet in
#: and out); at 1,000,000 on one worker the two are level.
KERNEL_ROWS_PER_WORKER = 600_000


def kernels_pay(rows: int | None, workers: int) -> bool:
    """Whether a run over ``rows`` buildings (None: not known) on ``workers`` processes
    is long enough to repay loading the compiled kernels."""
    return rows is None or rows >= KERNEL_ROWS_PER_WORKER * max(1, workers)


@contextmanager
def engine_for(rows: int | None, workers: int) -> Iterator[bool]:
    """Score with the compiled kernels only when :func:`kernels_pay` (else with numpy,
    never loading numba); yields which. Enter it before :func:`process_pool`: forked
    workers inherit the choice, spawned ones are told."""
    from greenmark.core import engine_batch

    worth = kernels_pay(rows, workers)
    with engine_batch.numpy_only(not worth):
        yield worth


def _engine_kernels(chunk_rows: int) -> None:
    """Load the engine's compiled kernels in this process when chunks of ``chunk_rows``
    rows are scored with them (nothing when the engine has no such kernels)."""
    from greenmark.core import engine_batch

    kernels = getattr(engine_batch, "kernels", None)
    threshold = getattr(engine_batch, "threshold", None)
    if callable(kernels) and callable(threshold) and chunk_rows >= threshold():
        with collector_paused():
            kernels()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while loading (numba builds many objects and none are
    garbage); what was built is then left out of later collections (``gc.freeze``), which
    the forked workers inherit."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def part_options(job: BatchJob, source: Source, pool: Pool) -> PartOptions:
    """What the pool's workers do with ``source``'s chunks for ``job`` beyond scoring."""
    encoder = job.results.encoder if job.results is not None else None
    ids = job.ids is not None
    reread = encoder is not None and encoder.kind == "parquet"  # a part can be read back
    partial = isinstance(job.summary, PortfolioSummary)  # worked out in the workers
    return PartOptions(
        folder=str(pool.spool.folder),
        source=source.name,
        with_source=job.with_source,
        ids=ids,
        results=(job.summary is not None and not partial) or (ids and not reread),
        summary=job.summary is not None and partial,
        encoder=encoder,
    )


def run_local(job: BatchJob, source: Source, *, chunk_rows: int, pool: Pool | None = None) -> None:
    """Score one source chunk by chunk, in order, in this process or through ``pool``
    (whose workers finish each chunk: see :mod:`greenmark.portfolio.parts`).

    At most two chunks per worker are in flight, so memory stays bounded.
    """
    plan = job.plan
    chunks = source.chunks(plan.columns, chunk_rows)
    if pool is None:
        for chunk in chunks:
            job.add(source, chunk, _score(plan, source.name, chunk))
        return
    options = part_options(job, source, pool)
    groups = None
    if isinstance(source, ParquetSource):
        groups = source.row_groups(plan.columns, chunk_rows)
    if groups is not None:
        _run_row_groups(job, source, groups, chunk_rows, pool, options)
        return
    pending: deque[tuple[Chunk, Future[FinishedChunk]]] = deque()

    def finish() -> None:
        done, future = pending.popleft()
        take_finished(job, source, done, future.result())

    try:
        for chunk in chunks:
            if chunk.batch is None and chunk.paths is None:
                while pending:
                    finish()
                job.add(source, chunk, _score(plan, source.name, chunk))
                continue
            batch_path = pool.spool.put(chunk.batch) if chunk.batch is not None else None
            future = pool.executor.submit(
                _score_in_worker, options, chunk.offset, batch_path, chunk.paths
            )
            done = Chunk(chunk.offset, chunk.rows, progress=chunk.progress, lines=chunk.lines)
            done.malformed = chunk.malformed
            pending.append((done, future))
            while len(pending) >= 2 * pool.workers or (pending and pending[0][1].done()):
                finish()
        while pending:
            finish()
    finally:
        _drop(future for _, future in pending)


def _drop(futures: Iterator[Future[Any]]) -> None:
    """Cancel chunks not taken back (their files go with the spool folder)."""
    for future in futures:
        future.cancel()


def _run_row_groups(
    job: BatchJob,
    source: Source,
    groups: RowGroups,
    chunk_rows: int,
    pool: Pool,
    options: PartOptions,
) -> None:
    """Score a Parquet file whose workers read their own row groups (the parent neither
    decodes nor spools the input); results are taken back in input order."""
    pending: deque[tuple[int, Future[list[tuple[int, FinishedChunk]]]]] = deque()

    def finish() -> None:
        start, future = pending.popleft()
        for rows, done in future.result():
            chunk = Chunk(start, rows, progress=start + rows)
            take_finished(job, source, chunk, done)
            start += rows

    try:
        starts = list(itertools.accumulate(groups.sizes, initial=0))
        for task in group_tasks(groups.sizes, pool.workers, chunk_rows):
            offset = starts[task[0]] + task[1]
            future = pool.executor.submit(
                _score_row_group, options, groups, task, offset, chunk_rows
            )
            pending.append((offset, future))
            while len(pending) >= 2 * pool.workers or (pending and pending[0][1].done()):
                finish()
        while pending:
            finish()
    finally:
        _drop(future for _, future in pending)


# ----------------------------------------------------------------------------- dask


def _score_partition(frame: Any, plan: AnyPlan, source: str) -> Any:
    """``map_partitions`` body: a pandas partition through :func:`score_batch`.

    Returns a one-row frame holding the :class:`ChunkResult` (Arrow tables pass
    through Dask unchanged, so the results are exactly the local engine's).
    """
    import pandas as pd

    single_threaded_blas()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    result = score_batch(plan, table, source)
    return pd.DataFrame({"result": pd.Series([result], dtype=object)})


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers``.

    One worker runs in this process (threads); more run as processes.
    """
    try:
        from distributed import Client, LocalCluster
    except ModuleNotFoundError:
        raise GreenmarkError("--engine dask needs Dask: pip install 'greenmark[dask]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:  # unreachable, malformed address
            raise GreenmarkError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=workers > 1,
        dashboard_address=None,
    )
    with cluster, Client(cluster) as client:
        yield client


def dask_frame(source: Source, columns: list[str], chunk_rows: int) -> Any:
    """The source as a Dask DataFrame of the mapped columns (CSV read as text)."""
    import dask.dataframe as dd

    if source.kind == "csv":
        sample_rows = max(1, chunk_rows)
        block = max(1 << 16, min(1 << 27, _bytes_per_row(source) * sample_rows))
        encoding = getattr(source, "encoding", "utf-8")
        return dd.read_csv(
            str(source.path),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            usecols=columns,
            blocksize=block,
            sep=getattr(source, "delimiter", ","),
            encoding="utf-8-sig" if encoding == "utf-8" else encoding,
        )
    if source.kind == "parquet":
        return dd.read_parquet(str(source.path), columns=columns)
    raise GreenmarkError(
        "--engine dask reads CSV and Parquet files; score folders of project files and "
        "spreadsheets with --engine local",
        file=source.path,
    )


def _bytes_per_row(source: Source) -> int:
    with source.path.open("rb") as stream:
        sample = stream.read(1 << 20)
    return max(16, len(sample) // max(1, sample.count(b"\n")))


def run_dask(
    job: BatchJob, source: Source, client: Any, *, chunk_rows: int, window: int = 4
) -> None:
    """Score one source through Dask: ``map_partitions`` over the same chunk scorer.

    Partitions are computed on the cluster a few at a time and taken back in order,
    so the driver's memory stays bounded and the output matches the local engine.
    """
    import pandas as pd
    from pandas.errors import ParserError

    try:
        frame = dask_frame(source, job.plan.columns, chunk_rows)
    except ParserError as exc:
        raise GreenmarkError(f"malformed CSV ({exc})", file=source.path) from None
    meta = pd.DataFrame({"result": pd.Series([], dtype=object)})
    scored = frame.map_partitions(_score_partition, job.plan, source.name, meta=meta)
    parts = scored.to_delayed()
    pending: deque[Any] = deque()
    offset = 0
    try:
        for part in parts:
            pending.append(client.compute(part))
            while len(pending) >= window:
                offset = _take(job, source, pending.popleft(), offset)
        while pending:
            offset = _take(job, source, pending.popleft(), offset)
    finally:
        for future in pending:
            future.cancel()


def _take(job: BatchJob, source: Source, future: Any, offset: int) -> int:
    from pandas.errors import ParserError

    try:
        frame = future.result()
    except ParserError as exc:
        raise GreenmarkError(
            f"malformed CSV ({exc}); --engine local lists such lines and scores the rest",
            file=source.path,
        ) from None
    result: ChunkResult = frame["result"].iloc[0]
    chunk = Chunk(offset, result.read, progress=offset + result.read)
    job.add(source, chunk, result)
    return offset + result.read
