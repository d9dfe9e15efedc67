"""The calculators' error type, and the input checks and grouping every calculator shares.

:class:`CalcError` derives from :class:`greenmark.core.errors.GreenmarkError`, so the command
line reports it like any other input error (file, line, field path, message).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from greenmark.core.errors import GreenmarkError, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

_MAX_LISTED = 5  # offending items named in one message


class CalcError(GreenmarkError, ValueError):
    """Bad input to a calculator, or a malformed factor table.

    ``location`` is the dotted field path (``materials.concrete.density.value``),
    ``line`` the line in ``file`` where that field is defined (when known),
    ``items`` the 1-based positions of the offending inputs (e.g. BoQ lines), and
    ``suggestions`` close matches for an unknown name.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        line: int | None = None,
        problems: list[Problem] | None = None,
        items: Sequence[int] = (),
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__(message, file=file, location=location, line=line, problems=problems)
        self.items = tuple(items)
        self.suggestions = tuple(suggestions)


def close_matches(name: str, known: Iterable[str], cutoff: float = 0.6) -> list[str]:
    """Up to three of ``known`` that look like ``name`` (``difflib``, imported here: only
    an error has a hint to give, so scoring never loads it)."""
    import difflib

    return difflib.get_close_matches(name, list(known), n=3, cutoff=cutoff)


def did_you_mean(name: str, known: Sequence[str], cutoff: float = 0.6) -> tuple[str, list[str]]:
    """``("; did you mean 'a', 'b'?", ["a", "b"])`` for the close matches of ``name``.

    Without a close match the text lists ``known`` instead.
    """
    hint = close_matches(name, known, cutoff)
    if hint:
        return "; did you mean " + ", ".join(repr(h) for h in hint) + "?", hint
    return f"; known: {', '.join(known)}", []


def as_float(value: Any, name: str) -> FloatArray:
    """``value`` as a float64 array; ``CalcError`` if it is not numeric."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CalcError(f"{name}: expected numbers, got {_preview(value)}") from None
    return array


def positions(mask: npt.ArrayLike) -> list[int]:
    """1-based positions of the true entries of a (flattened) boolean mask."""
    return [int(i) + 1 for i in np.flatnonzero(np.ravel(mask))]


def describe_positions(where: Sequence[int], noun: str = "item") -> str:
    """``"item 3"`` / ``"items 3, 7 and 2 more"`` for messages."""
    shown = ", ".join(str(i) for i in where[:_MAX_LISTED])
    more = f" and {len(where) - _MAX_LISTED} more" if len(where) > _MAX_LISTED else ""
    plural = "s" if len(where) > 1 else ""
    return f"{noun}{plural} {shown}{more}"


def check(
    bad: npt.ArrayLike,
    name: str,
    expected: str,
    values: npt.ArrayLike | None = None,
    noun: str = "item",
) -> None:
    """Raise ``CalcError`` naming ``name``, the offending 1-based positions and ``expected``."""
    mask = np.asarray(bad, dtype=bool)
    if not mask.any():
        return
    if mask.ndim == 0:
        got = "" if values is None else f", got {np.asarray(values).item()!r}"
        raise CalcError(f"{name}: expected {expected}{got}")
    where = positions(mask)
    got = ""
    if values is not None:
        flat = np.ravel(np.broadcast_to(np.asarray(values), mask.shape))
        got = f" (first: {flat[where[0] - 1].item()!r})"
    raise CalcError(
        f"{name}: expected {expected} at {describe_positions(where, noun)}{got}", items=where
    )


def check_finite(array: FloatArray, name: str) -> None:
    """No NaN or infinity allowed."""
    check(~np.isfinite(array), name, "finite numbers", array)


def check_nonnegative(array: FloatArray, name: str) -> None:
    """Finite and >= 0."""
    check_finite(array, name)
    check(array < 0, name, "a value >= 0", array)


def check_positive(array: FloatArray, name: str) -> None:
    """Finite and > 0."""
    check_finite(array, name)
    check(array <= 0, name, "a value > 0", array)


def check_fraction(array: FloatArray, name: str) -> None:
    """Finite and within 0..1."""
    check_finite(array, name)
    check((array < 0) | (array > 1), name, "a fraction between 0 and 1", array)


def result(array: npt.NDArray[Any]) -> Any:
    """A 0-d array as a numpy scalar (``np.float64`` is a ``float``), else the array."""
    return array[()] if array.ndim == 0 else array


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, eq=False)
class Groups:
    """0-based group (building) index per item, validated, with fast per-group sums.

    When the index is sorted (items listed building by building) sums use
    ``np.add.reduceat`` over the runs, several times faster than ``np.bincount``.
    """

    index: IntArray
    n: int
    starts: IntArray | None  # start of each run when sorted, else None

    @classmethod
    def of(
        cls, index: npt.ArrayLike | None, size: int, n: int | None = None, noun: str = "item"
    ) -> Groups:
        """Validate ``index`` (one int >= 0 per item, or None for a single group)."""
        if index is None:
            flat = np.zeros(size, dtype=np.intp)
        else:
            raw = np.asarray(index)
            if raw.dtype.kind not in "iu":
                whole = raw.dtype.kind == "f" and np.all(np.mod(raw, 1) == 0)
                if raw.size and not whole:
                    raise CalcError(f"building: expected integer building indices, got {raw.dtype}")
                raw = raw.astype(np.intp)
            try:
                flat = np.ravel(np.broadcast_to(raw, (size,)))
            except ValueError:
                raise CalcError(
                    f"building: expected {size} building indices (one per {noun}), got {raw.size}"
                ) from None
            flat = flat.astype(np.intp, copy=False)
        starts: IntArray | None = None
        if size == 0:
            low, high = 0, -1
        else:
            runs = np.flatnonzero(flat[1:] != flat[:-1])
            runs += 1
            firsts = flat[runs]
            # sorted iff each run's value exceeds the previous run's (checks runs, not items)
            if firsts.size == 0 or (firsts[0] > flat[0] and bool(np.all(firsts[1:] > firsts[:-1]))):
                low, high = int(flat[0]), int(flat[-1])
                starts = np.concatenate(([0], runs)).astype(np.intp, copy=False)
            else:
                low, high = int(flat.min()), int(flat.max())
        if low < 0:
            check(flat < 0, "building", "a building index >= 0", flat, noun=noun)
        needed = max(high + 1, 1 if index is None else 0)
        if n is None:
            n = needed
        elif n < needed:
            raise CalcError(f"n_buildings: expected at least {needed} (largest index + 1), got {n}")
        return cls(flat, int(n), starts)

    def sum(self, weights: FloatArray) -> FloatArray:
        """Sum of ``weights`` (one per item) per group, shape ``(n,)``."""
        if self.starts is None:
            return np.bincount(self.index, weights=weights, minlength=self.n).astype(
                np.float64, copy=False
            )
        out = np.zeros(self.n)
        if self.starts.size:
            out[self.index[self.starts]] = np.add.reduceat(weights, self.starts)
        return out

    def count(self) -> FloatArray:
        """Number of items per group."""
        return np.bincount(self.index, minlength=self.n).astype(np.float64)
