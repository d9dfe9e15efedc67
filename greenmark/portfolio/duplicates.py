"""Ids scored before in the run: found from 64-bit hashes of the ids, in bounded memory.

A results chunk's ids are hashed (:func:`id_hashes`, in a pool worker or in this
process) and looked up among the hashes of every id seen so far; the later rows of
an id get "duplicate id ...: also at row N" added to their flags. Hashes seen so far
are kept in sorted runs of growing size (merged two by two when the newer is as
large as the older), so taking in N ids costs O(N log N) whatever the chunking, and
memory is 20 bytes per distinct id (hash, row of its first occurrence, input).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

#: Hashed in every process that hashes ids: equal values mean equal hashes of every text
#: (a forked pool worker shares this process's hash key; a spawned one does not).
PROBE = "greenmark duplicate ids"


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The hash of each id (this process's ``hash`` of the text; no nulls expected)."""
    texts = ids.to_pylist()
    return np.fromiter((hash(i) for i in texts), dtype=np.int64, count=len(texts))


@dataclass
class Found:
    """Rows of one chunk repeating an id seen before: positions in the chunk, and where
    each id was first seen (row, index of the input in :attr:`DuplicateIds.sources`)."""

    positions: np.ndarray
    first_row: np.ndarray
    first_origin: np.ndarray


@dataclass
class _Run:
    hashes: np.ndarray  # sorted, distinct
    first: np.ndarray  # row of each hash's first occurrence
    origin: np.ndarray  # index in ``sources``


class DuplicateIds:
    """Finds ids scored before in the run and flags the later rows (see the module)."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        self.sources: list[str] = []
        self.count = 0
        self.examples: list[str] = []

    @property
    def distinct(self) -> int:
        """Distinct ids seen so far."""
        return sum(len(run.hashes) for run in self._runs)

    def flag(self, source: str, results: pa.Table) -> pa.Table:
        """``results`` with "duplicate id" added to the flags of ids seen before."""
        rows = np.asarray(results.column("row").to_numpy(zero_copy_only=False), dtype=np.int64)
        found = self.find(source, rows, id_hashes(results.column("id")))
        return self.mark(source, results, found) if found is not None else results

    def find(self, source: str, rows: np.ndarray, hashes: np.ndarray) -> Found | None:
        """Take in a chunk's ids (by hash, with their rows); the rows repeating one seen
        before (in this chunk or an earlier one), or None when there are none."""
        if source not in self.sources:
            self.sources.append(source)
        here = self.sources.index(source)
        count = len(hashes)
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        starts = np.ones(count, dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        leader = order[np.maximum.accumulate(np.where(starts, np.arange(count), 0))]
        first_row = np.full(count, -1, dtype=np.int64)
        first_origin = np.full(count, here, dtype=np.int32)
        first_row[order[~starts]] = rows[leader[~starts]]
        distinct = order[starts]  # ascending hashes, first row of each in this chunk
        seen = np.zeros(len(distinct), dtype=bool)
        keys = hashes[distinct]
        for run in self._runs:
            position = np.searchsorted(run.hashes, keys)
            inside = position < len(run.hashes)
            hit = np.zeros(len(keys), dtype=bool)
            hit[inside] = run.hashes[position[inside]] == keys[inside]
            if hit.any():
                seen |= hit
                where = position[hit]
                first_row[distinct[hit]] = run.first[where]
                first_origin[distinct[hit]] = run.origin[where]
        if seen.any():  # the chunk's later rows of such an id point to the first one too
            group = np.cumsum(starts) - 1  # index in ``distinct`` of each ordered row
            from_before = seen[group] & ~starts
            first_row[order[from_before]] = first_row[distinct[group[from_before]]]
            first_origin[order[from_before]] = first_origin[distinct[group[from_before]]]
        new = distinct[~seen]
        if len(new):
            self._push(_Run(hashes[new], rows[new], np.full(len(new), here, dtype=np.int32)))
        positions = np.flatnonzero(first_row >= 0)
        if not len(positions):
            return None
        return Found(positions, first_row[positions], first_origin[positions])

    def _push(self, run: _Run) -> None:
        self._runs.append(run)
        while len(self._runs) > 1 and len(self._runs[-2].hashes) <= 2 * len(self._runs[-1].hashes):
            newer = self._runs.pop()
            older = self._runs.pop()
            hashes = np.concatenate([older.hashes, newer.hashes])
            order = np.argsort(hashes, kind="stable")  # two sorted runs: merged in one pass
            self._runs.append(
                _Run(
                    hashes[order],
                    np.concatenate([older.first, newer.first])[order],
                    np.concatenate([older.origin, newer.origin])[order],
                )
            )

    def mark(self, source: str, results: pa.Table, found: Found) -> pa.Table:
        """``results`` with "duplicate id" added to the flags of the rows ``found``."""
        self.count += len(found.positions)
        index = pa.array(found.positions, pa.int64())
        ids = results.column("id").take(index).to_pylist()
        rows = results.column("row").take(index).to_pylist()
        flags = results.column("flags").to_pylist()
        here = self.sources.index(source)
        for at, given, row, first, origin in zip(
            found.positions.tolist(),
            ids,
            rows,
            found.first_row.tolist(),
            found.first_origin.tolist(),
            strict=True,
        ):
            where = f"row {first:,}"
            if origin != here:
                where += f" of {self.sources[origin]}"
            message = f"duplicate id {given!r}: also at {where}"
            flags[at] = f"{flags[at]} | {message}" if flags[at] else message
            if len(self.examples) < 5:
                self.examples.append(f"{source} row {row:,}: {message}")
        position_of = results.schema.get_field_index("flags")
        return results.set_column(position_of, "flags", pa.array(flags, pa.string()))
