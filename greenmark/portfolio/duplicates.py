"""Ids scored before in the run: found from 64-bit hashes of the ids, in bounded memory.

A results chunk's ids are hashed (:func:`id_hashes`, in a pool worker or in this
process) and looked up among the hashes of every id seen so far; the later rows of
an id get "duplicate id ...: also at row N" added to their flags. Hashes seen so far
are kept in sorted runs (eight runs of one size merged into one of the next), so
taking in N ids costs O(N log N) whatever the chunking, and memory is 16 bytes per
distinct id (hash; row of its first occurrence and input) and a filter of 16 to 64 bits
per id (:class:`_Bitmap`) that spares most ids the look in the runs.

The hash is a fixed function of the id's UTF-8 bytes (:func:`hash_text`: the length,
then each 8-byte word, folded with MurmurHash3's 64-bit finaliser), the same in every
process and run, and computed for a whole column at once with numpy: ids as a matrix
of words, one column of words at a time. Two different ids share a hash with a
probability of about 2**-64 per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MASK = (1 << 64) - 1
_M1, _M2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53  # MurmurHash3 fmix64
_SEED = 0x9E3779B97F4A7C15
WIDE = 64
"""Ids of up to this many bytes are hashed as a matrix of words; longer ones one by one."""


def _mix_one(k: int) -> int:
    k ^= k >> 33
    k = (k * _M1) & _MASK
    k ^= k >> 33
    k = (k * _M2) & _MASK
    return k ^ (k >> 33)


def hash_text(data: bytes) -> int:
    """The hash of the bytes ``data`` as :func:`id_hashes` gives it (signed 64-bit): the
    reference, used for ids longer than :data:`WIDE` bytes."""
    h = _mix_one(len(data) ^ _SEED)
    padded = data + bytes(-len(data) % 8)
    for at in range(0, len(padded), 8):
        h = _mix_one(h ^ _mix_one(int.from_bytes(padded[at : at + 8], "little")))
    return h - (1 << 64) if h >> 63 else h


def _mix(k: np.ndarray) -> np.ndarray:
    """:func:`_mix_one` on a column of uint64 (wrapping products), in place."""
    k ^= k >> np.uint64(33)
    k *= np.uint64(_M1)
    k ^= k >> np.uint64(33)
    k *= np.uint64(_M2)
    k ^= k >> np.uint64(33)
    return k


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The hash of each id's text (:func:`hash_text`), as int64; a null id hashes as ""."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks else pa.array([], pa.string())
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        ids = ids.cast(pa.string())
    if ids.null_count:
        ids = ids.fill_null("")
    lengths = np.asarray(pc.binary_length(ids), dtype=np.int64)
    hashes = _mix(lengths.astype(np.uint64) ^ np.uint64(_SEED))
    short = lengths <= WIDE
    some = short if not short.all() else None
    width = 8 * -(-int(lengths[short].max(initial=0)) // 8)
    if width:
        words = _words(ids if some is None else ids.filter(pa.array(some)), width)
        index = slice(None) if some is None else some
        mixed = hashes[index]
        word_count = (lengths[index] + 7) // 8
        for j in range(width // 8):
            np.copyto(mixed, _mix(mixed ^ _mix(words[:, j].copy())), where=word_count > j)
        hashes[index] = mixed
    for row in np.flatnonzero(~short).tolist():
        hashes[row] = np.int64(hash_text(ids[row].as_py().encode())).view(np.uint64)
    return hashes.view(np.int64)


def _words(ids: pa.Array, width: int) -> np.ndarray:
    """Ids of at most ``width`` bytes (a multiple of 8) as rows of little-endian 64-bit
    words, zero-padded: padded by Arrow to one length, so that its data buffer is the
    matrix itself."""
    padded = pc.ascii_rpad(ids, width=width, padding="\0")
    offsets = np.frombuffer(
        padded.buffers()[1],
        dtype=np.int64 if pa.types.is_large_string(padded.type) else np.int32,
        count=len(padded) + 1,
        offset=padded.offset * (8 if pa.types.is_large_string(padded.type) else 4),
    )
    if len(padded) and not (np.diff(offsets) == width).all():  # pragma: no cover - Arrow pads bytes
        rows = [(t or "").encode() for t in ids.to_pylist()]
        return np.frombuffer(b"".join(r.ljust(width, b"\0") for r in rows), "<u8").reshape(
            len(rows), width // 8
        )
    data = np.frombuffer(padded.buffers()[2] or b"", dtype=np.uint8)
    start = int(offsets[0]) if len(padded) else 0
    matrix = data[start : start + len(padded) * width]
    return matrix.view("<u8").reshape(len(padded), width // 8)


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
    seen_at: np.ndarray  # first occurrence: index in ``sources`` << ROW_BITS | row


ROW_BITS = 48  # rows below 2**48; the input's index above
_ROWS = np.int64((1 << ROW_BITS) - 1)
FILTER_BITS = 1 << 23
"""Bits of the filter to begin with (a megabyte); it grows fourfold whenever it holds
fewer than :data:`FILTER_BITS_PER_ID` bits per distinct id."""
FILTER_BITS_PER_ID = 16  # about 6 % of new ids then need a look in the runs
MERGE = 8
"""Runs merged at once: a chunk's run joins seven others of its size, eight such runs
make one of the next level, and so on. Each hash is then moved about log8(ids / chunk
rows) times (a third of pairwise merging), and there are at most seven runs per level
to look in (for the few ids the filter lets through)."""


class _Bitmap:
    """One bit per value of a hash's top bits: clear means no id with such a hash was
    seen (a one-sided filter before the sorted runs)."""

    def __init__(self, size: int) -> None:
        self.size = size  # a power of two
        self._shift = np.uint64(64 - (size.bit_length() - 1))
        self._words = np.zeros(size // 64, dtype=np.uint64)

    def _places(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = hashes.view(np.uint64) >> self._shift
        return index >> np.uint64(6), np.uint64(1) << (index & np.uint64(63))

    def holds(self, hashes: np.ndarray) -> np.ndarray:
        word, bit = self._places(hashes)
        return (self._words[word] & bit) != 0

    def add(self, hashes: np.ndarray) -> None:
        """Set the bits of ``hashes``, which are sorted (a run's, or a chunk's new ones):
        the bits of each word are gathered first, each word is then written once."""
        if not len(hashes):
            return
        word, bit = self._places(hashes)
        starts = np.flatnonzero(np.diff(word, prepend=~word[:1]))  # a new word begins
        self._words[word[starts]] |= np.bitwise_or.reduceat(bit, starts)


def _merged(runs: list[_Run]) -> _Run:
    """Sorted runs of distinct hashes (none in two runs) as one: a stable sort of their
    concatenation only merges the runs (Timsort finds them). ``runs`` is emptied on the
    way, so that each run's arrays go as soon as they are copied (at most four arrays of
    the merged size are alive at once)."""
    hashes = np.concatenate([run.hashes for run in runs])
    seen_at = [run.seen_at for run in runs]
    runs.clear()
    order = np.argsort(hashes, kind="stable")
    hashes = hashes[order]
    merged_at = np.concatenate(seen_at)
    seen_at.clear()
    return _Run(hashes, merged_at[order])


class DuplicateIds:
    """Finds ids scored before in the run and flags the later rows (see the module)."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        self._levels: list[int] = []  # of each run: merged that many times over
        self._seen = _Bitmap(FILTER_BITS)
        self._distinct = 0
        self.sources: list[str] = []
        self.count = 0
        self.examples: list[str] = []

    @property
    def distinct(self) -> int:
        """Distinct ids seen so far."""
        return self._distinct

    def flag(self, source: str, results: pa.Table) -> pa.Table:
        """``results`` with "duplicate id" added to the flags of ids seen before."""
        rows = np.asarray(results.column("row").to_numpy(zero_copy_only=False), dtype=np.int64)
        found = self.find(source, rows, id_hashes(results.column("id")))
        return self.mark(source, results, found) if found is not None else results

    def find(
        self, source: str, rows: np.ndarray, hashes: np.ndarray, order: np.ndarray | None = None
    ) -> Found | None:
        """Take in a chunk's ids (by hash, with their rows); the rows repeating one seen
        before (in this chunk or an earlier one), or None when there are none. ``order``:
        ``hashes``' stable argsort when already worked out (by the pool worker)."""
        if source not in self.sources:
            self.sources.append(source)
        here = self.sources.index(source)
        count = len(hashes)
        if order is None:
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
        maybe = np.flatnonzero(self._seen.holds(hashes[distinct]))  # the filter's hits only
        keys = hashes[distinct[maybe]]
        for run in self._runs if len(maybe) else ():
            position = np.searchsorted(run.hashes, keys)
            inside = position < len(run.hashes)
            hit = np.zeros(len(keys), dtype=bool)
            hit[inside] = run.hashes[position[inside]] == keys[inside]
            if hit.any():
                seen[maybe[hit]] = True
                where = position[hit]
                seen_at = run.seen_at[where]
                first_row[distinct[maybe[hit]]] = seen_at & _ROWS
                first_origin[distinct[maybe[hit]]] = seen_at >> ROW_BITS
        if seen.any():  # the chunk's later rows of such an id point to the first one too
            group = np.cumsum(starts) - 1  # index in ``distinct`` of each ordered row
            from_before = seen[group] & ~starts
            first_row[order[from_before]] = first_row[distinct[group[from_before]]]
            first_origin[order[from_before]] = first_origin[distinct[group[from_before]]]
        new = distinct[~seen]
        if len(new):
            self._distinct += len(new)
            if self._distinct * FILTER_BITS_PER_ID > self._seen.size:
                self._seen = _Bitmap(self._seen.size * 4)  # fewer false hits: refilled
                for run in self._runs:
                    self._seen.add(run.hashes)
            self._seen.add(hashes[new])
            self._push(_Run(hashes[new], rows[new] | np.int64(here) << ROW_BITS))
        positions = np.flatnonzero(first_row >= 0)
        if not len(positions):
            return None
        return Found(positions, first_row[positions], first_origin[positions])

    def _push(self, run: _Run) -> None:
        """Add a run; :data:`MERGE` runs of one level become one run of the next."""
        self._runs.append(run)
        self._levels.append(0)
        while len(self._levels) >= MERGE and len(set(self._levels[-MERGE:])) == 1:
            level = self._levels[-1] + 1
            runs = self._runs[-MERGE:]
            del self._runs[-MERGE:], self._levels[-MERGE:]
            self._runs.append(_merged(runs))
            self._levels.append(level)

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
