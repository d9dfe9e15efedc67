"""Cache-sized blocks for the large-input paths: bit-pattern range tests and per-group sums.

Large 1-D inputs are processed :data:`BLOCK` items at a time: each input is read from
memory once, checked and used while the block is in the CPU cache, and the temporaries
are reused from block to block. The tests here only *accept* blocks; when one fails, the
calculator falls back to its exact, item-by-item checks, which name the offending items.

Range tests read float64 values as their IEEE-754 bit patterns (unsigned 64-bit
integers). For values with the sign bit clear the patterns order like the values, and
every negative value (including -0.0), NaN and +inf has a pattern above that of any
finite value >= 0. One ``max`` over the patterns therefore tests a range ``[0, high]``,
finiteness and NaN together: ``max(bits) <= bits(1.0)`` holds iff every value lies in
``[0, 1]``, and ``max(bits) < bits(inf)`` iff every value is finite and >= 0. The only
false alarm is -0.0, which the exact checks then accept.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import FloatArray, IntArray

__all__ = [
    "BLOCK",
    "INF_BITS",
    "ONE_BITS",
    "BitsArray",
    "RunSums",
    "float_bits",
    "int_bits",
]

BLOCK = 1 << 16
"""Items per block (512 KiB per float64 block: a few blocks stay in the L2/L3 cache)."""

BitsArray = npt.NDArray[np.uint64]

ONE_BITS = np.uint64(0x3FF0_0000_0000_0000)
"""Bit pattern of 1.0: ``max(bits) <= ONE_BITS`` iff all values are in [0, 1]."""

INF_BITS = np.uint64(0x7FF0_0000_0000_0000)
"""Bit pattern of +inf: ``max(bits) < INF_BITS`` iff all values are finite and >= 0."""


def float_bits(values: FloatArray) -> BitsArray:
    """The bit patterns of float64 ``values`` as uint64 (a view, no copy)."""
    return values.view(np.uint64)


def int_bits(codes: IntArray) -> BitsArray:
    """64-bit integer ``codes`` as uint64 (a view): negative codes become huge, so
    ``max(bits) < n`` holds iff every code is in ``0..n-1``."""
    return codes.view(np.uint64)


class RunSums:
    """Per-group sums of one or more weight arrays, accumulated block by block.

    In each block, runs of equal consecutive group indices are summed with
    ``np.add.reduceat`` (items listed group by group give one run per group and block;
    a run continuing from the previous block is merged into it); :meth:`result` then
    adds the run totals up per group, over the runs, which are far fewer than the
    items. Any order of the group index gives the right sums; items listed group by
    group are just faster. Group indices are not checked here: callers check
    :meth:`lowest` and :meth:`highest`.
    """

    def __init__(self, weights: int, block: int = BLOCK) -> None:
        self._flags = np.empty(block, dtype=bool)
        self._starts: list[IntArray] = []
        self._ids: list[IntArray] = []
        self._sums: list[list[FloatArray]] = [[] for _ in range(weights)]
        self._last = -1  # group of the last item added (-1: none yet)
        self._done: tuple[IntArray, bool] | None = None

    def add(self, offset: int, group: IntArray | None, *weights: FloatArray) -> None:
        """Add one block: items ``offset, offset + 1, ...`` of group ``group`` (None: 0)."""
        size = weights[0].size
        if size == 0:
            return
        if group is None:
            starts = np.zeros(1, dtype=np.intp)
            ids = starts
        else:
            flags = self._flags[:size]
            flags[0] = True
            np.not_equal(group[1:], group[:-1], out=flags[1:])
            starts = flags.nonzero()[0]
            ids = group[starts]
            if ids.dtype != np.intp:
                ids = ids.astype(np.intp)
        reduceat = np.add.reduceat
        block_sums = [reduceat(weight, starts) for weight in weights]
        if int(ids[0]) == self._last:  # the previous block's last run goes on
            for sums, new in zip(self._sums, block_sums, strict=True):
                sums[-1][-1] += new[0]
            ids, starts = ids[1:], starts[1:]
            block_sums = [new[1:] for new in block_sums]
        self._done = None
        if ids.size == 0:
            return
        self._last = int(ids[-1])
        self._starts.append(starts + offset)
        self._ids.append(ids)
        for sums, new in zip(self._sums, block_sums, strict=True):
            sums.append(new)

    def _runs(self) -> tuple[IntArray, bool]:
        """The group of every run in item order, and whether they strictly increase."""
        if self._done is None:
            ids = _int_concat(self._ids)
            self._done = ids, bool(np.all(ids[1:] > ids[:-1]))
        return self._done

    def lowest(self) -> int:
        """Smallest group index seen (0 if none)."""
        ids, increasing = self._runs()
        if ids.size == 0:
            return 0
        return int(ids[0]) if increasing else int(ids.min())

    def highest(self) -> int:
        """Largest group index seen (-1 if none)."""
        ids, increasing = self._runs()
        if ids.size == 0:
            return -1
        return int(ids[-1]) if increasing else int(ids.max())

    def sorted_starts(self) -> IntArray | None:
        """First item of each group when the items are listed group by group, else None."""
        return _int_concat(self._starts) if self._runs()[1] else None

    def run_sums(self, which: int) -> FloatArray:
        """Sum of weight array ``which`` over every run, in item order."""
        parts = self._sums[which]
        if len(parts) != 1:
            parts[:] = [np.concatenate(parts) if parts else np.zeros(0)]  # join once
        return parts[0]

    def result(self, which: int, n: int) -> FloatArray:
        """Sum of weight array ``which`` per group, shape ``(n,)``; indices must be 0..n-1."""
        ids, increasing = self._runs()
        sums = self.run_sums(which)
        if not increasing:
            return np.bincount(ids, weights=sums, minlength=n).astype(np.float64, copy=False)
        out = np.zeros(n)
        out[ids] = sums
        return out


def _int_concat(parts: list[IntArray]) -> IntArray:
    if not parts:
        return np.zeros(0, dtype=np.intp)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
