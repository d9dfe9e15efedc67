"""Sensitivity: which inputs move a project's total most, by finite differences.

For every design input the project gives (and the scheme reads; reference inputs, the
baselines a design is measured against, are left out), the total is scored at the
project's value moved up and down: a small step ``h`` (1 % of the input's range, 1 for
integers) for the local rate, and a geometric grid out to the input's min / max for the
smallest change that gains the next point and the most that input alone can add.
Booleans are flipped and choices tried option by option. Every variant of every input
is one row of a single batched engine call; a second batched call refines each
next-point threshold inside its grid bracket (64 points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from greenmark.core.engine import CompiledScheme, encode_inputs, score
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject
from greenmark.core.projectinputs import not_applicable_marks, resolve_inputs
from greenmark.core.scoring import compiled as compiled_scheme
from greenmark.design.whatif import reference_inputs, used_inputs

GRID = 48  # geometric and as many linear grid points per direction
STEP = 0.01  # the local step as a share of the input's range
REFINE = 64  # points inside the bracket of a next-point threshold


@dataclass
class InputSensitivity:
    """How one input moves the total (points, or % for percent schemes).

    ``slope``: d(total)/d(input) by central difference over ``step`` (one-sided at a
    bound; points per unit of the input; None for booleans and choices).
    ``next_change``: the smallest signed change of the input (in its unit) that adds at
    least one point, None if none does within its range; ``next_value`` the value
    reached. ``max_gain`` / ``max_loss``: the most the total rises / falls by changing
    this input alone within its range, at ``best_value`` / ``worst_value``.
    """

    input: str
    label: str
    unit: str
    kind: str  # number | integer | boolean | choice
    current: Any
    slope: float | None
    step: float | None
    next_change: float | None
    next_value: Any
    max_gain: float
    best_value: Any
    max_loss: float
    worst_value: Any

    def to_dict(self) -> dict[str, Any]:
        def r(value: Any) -> Any:
            if isinstance(value, float):
                rounded = round(value, 6)
                return int(rounded) if rounded.is_integer() else rounded
            return value

        return {k: r(v) for k, v in self.__dict__.items()}


def _decode(kind: str, options: Sequence[str], value: float) -> Any:
    if math.isnan(value):
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "choice":
        return options[int(value)]
    if kind == "integer":
        return round(value)
    return float(value)


def _nearest(values: np.ndarray, gains: np.ndarray, x: float, target: float) -> int:
    """Index of the value closest to ``x`` among those whose gain equals ``target``."""
    hits = np.flatnonzero(np.abs(gains - target) <= 1e-9)
    return int(hits[np.argmin(np.abs(values[hits] - x))])


def _offsets(x: float, lo: float, hi: float, integer: bool) -> np.ndarray:
    """Signed changes to try: a geometric grid towards each bound (all steps for integers)."""
    found: list[float] = []
    for bound, sign in ((hi, 1.0), (lo, -1.0)):
        room = abs(bound - x)
        if not room > 0:
            continue
        if integer:
            count = math.floor(room + 1e-9)
            if count <= 2 * GRID:
                found += [sign * k for k in range(1, count + 1)]
                continue
            steps = np.unique(np.round(np.geomspace(1, room, 2 * GRID)))
        else:  # fine near the value, even across the range
            steps = np.concatenate(
                [np.geomspace(room * 1e-4, room, GRID), np.linspace(0, room, GRID + 1)[1:]]
            )
        found += (sign * steps).tolist()
    return np.asarray(found, dtype=np.float64)


def _gains(
    compiled: CompiledScheme,
    base: Mapping[str, float],
    variants: Sequence[tuple[str, np.ndarray]],
    marks: Mapping[str, bool],
    percent: bool,
) -> list[np.ndarray]:
    """Change of the total for each variant value of each input, in one engine call."""
    n = 1 + sum(len(values) for _, values in variants)
    columns = {name: np.full(n, value) for name, value in base.items()}
    slices = []
    start = 1
    for name, values in variants:
        columns[name][start : start + len(values)] = values
        slices.append(slice(start, start + len(values)))
        start += len(values)
    flags = {cid: np.full(n, flag) for cid, flag in marks.items()}
    scores = score(compiled, columns, size=n, not_applicable=flags)
    total = scores.total_percent if percent else scores.total_points
    return [total[where] - total[0] for where in slices]


def sensitivity(
    compiled: CompiledScheme,
    values: Mapping[str, Any],
    *,
    not_applicable: Mapping[str, bool] | None = None,
    names: Sequence[str] | None = None,
) -> list[InputSensitivity]:
    """Rank the inputs of one design (plain values in scheme units) by how they move the total.

    ``names`` limits the inputs examined (default: every input the design gives and the
    scheme reads). Reference inputs (baselines, ``role = "reference"``) are never
    examined: they are not levers. Ranked by ``max_gain``, then by the relative size of
    ``next_change``.
    """
    scheme = compiled.scheme
    base = {k: float(v[0]) for k, v in encode_inputs(compiled, [values]).items()}
    used = used_inputs(compiled) - reference_inputs(scheme)
    chosen = [
        n
        for n in (names if names is not None else scheme.inputs)
        if n in scheme.inputs and n in used and not math.isnan(base.get(n, math.nan))
    ]
    plans: list[tuple[str, np.ndarray, float | None, float]] = []  # name, values, step, span
    for name in chosen:
        spec = scheme.inputs[name]
        x = base[name]
        if spec.type == "boolean":
            plans.append((name, np.array([1.0 - x]), None, 1.0))
            continue
        if spec.type == "choice":
            codes = np.arange(len(spec.choices or []), dtype=np.float64)
            plans.append((name, codes[codes != x], None, 1.0))
            continue
        width = max(abs(x), 1.0)
        lo = spec.min if spec.min is not None else x - width
        hi = spec.max if spec.max is not None else x + width
        span = max(hi - lo, 1e-12)
        integer = spec.type == "integer"
        step = 1.0 if integer else STEP * span
        local = [min(x + step, hi), max(x - step, lo)]  # one-sided at a bound
        grid = x + _offsets(x, lo, hi, integer)
        plans.append((name, np.concatenate([local, grid]), step, span))
    marks = dict(not_applicable or {})
    percent = scheme.scheme.scoring == "percent"
    gains = _gains(compiled, base, [(p[0], p[1]) for p in plans], marks, percent)
    # Refine each number's next-point threshold inside its grid bracket (second call).
    brackets: dict[str, tuple[np.ndarray, float]] = {}
    for (name, variants, h, _), gain in zip(plans, gains, strict=True):
        if scheme.inputs[name].type != "number" or h is None:
            continue
        x = base[name]
        offsets, reached = variants[2:] - x, gain[2:] >= 1.0 - 1e-9
        if not reached.any():
            continue
        k = np.flatnonzero(reached)[np.argmin(np.abs(offsets[reached]))]
        same_side = (np.sign(offsets) == np.sign(offsets[k])) & (np.abs(offsets) < abs(offsets[k]))
        inner = (
            float(offsets[same_side][np.argmax(np.abs(offsets[same_side]))])
            if same_side.any()
            else 0.0
        )
        brackets[name] = (x + np.linspace(inner, offsets[k], REFINE + 2)[1:-1], float(offsets[k]))
    refined = (
        dict(
            zip(
                brackets,
                _gains(compiled, base, [(n, v) for n, (v, _) in brackets.items()], marks, percent),
                strict=True,
            )
        )
        if brackets
        else {}
    )
    found = []
    for (name, variants, h, _), gain in zip(plans, gains, strict=True):
        spec = scheme.inputs[name]
        options = list(spec.choices or [])
        x = base[name]
        slope = None
        tried, tried_gain = variants, gain
        if h is not None:
            width = float(variants[0] - variants[1])
            slope = float((gain[0] - gain[1]) / width) if width > 0 else None
            tried, tried_gain = variants[2:], gain[2:]
        next_change = next_value = None
        reach = np.flatnonzero(tried_gain >= 1.0 - 1e-9)
        if reach.size and spec.type in ("number", "integer"):
            k = reach[np.argmin(np.abs(tried[reach] - x))]
            next_change = float(tried[k] - x)
            if name in refined:
                fine = brackets[name][0]
                hits = np.flatnonzero(refined[name] >= 1.0 - 1e-9)
                if hits.size:
                    next_change = float(fine[hits[np.argmin(np.abs(fine[hits] - x))]] - x)
            next_value = _decode(spec.type, options, x + next_change)
        elif reach.size:
            k = reach[np.argmax(tried_gain[reach])]
            next_value = _decode(spec.type, options, float(tried[k]))
        best = _nearest(tried, tried_gain, x, float(tried_gain.max())) if tried_gain.size else 0
        worst = _nearest(tried, tried_gain, x, float(tried_gain.min())) if tried_gain.size else 0
        max_gain = max(float(tried_gain[best]), 0.0) if tried_gain.size else 0.0
        max_loss = min(float(tried_gain[worst]), 0.0) if tried_gain.size else 0.0
        found.append(
            InputSensitivity(
                input=name,
                label=spec.label,
                unit=spec.unit,
                kind=spec.type,
                current=_decode(spec.type, options, x),
                slope=slope,
                step=h,
                next_change=next_change,
                next_value=next_value,
                max_gain=max_gain,
                best_value=_decode(spec.type, options, float(tried[best]))
                if max_gain > 0
                else None,
                max_loss=max_loss,
                worst_value=_decode(spec.type, options, float(tried[worst]))
                if max_loss < 0
                else None,
            )
        )
    spans = {p[0]: p[3] for p in plans}
    found.sort(
        key=lambda s: (
            -round(s.max_gain, 9),
            abs(s.next_change) / spans[s.input] if s.next_change is not None else math.inf,
            s.input,
        )
    )
    return found


def project_sensitivity(
    loaded: LoadedProject, scheme: Scheme, names: Sequence[str] | None = None
) -> list[InputSensitivity]:
    """:func:`sensitivity` for a project file under ``scheme`` (assessor's N/A marks applied)."""
    values = resolve_inputs(loaded, scheme)
    return sensitivity(
        compiled_scheme(scheme),
        values,
        not_applicable=not_applicable_marks(loaded.project),
        names=names,
    )
