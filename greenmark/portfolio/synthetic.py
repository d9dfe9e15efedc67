"""Seeded synthetic portfolios: one building per row, every input of a scheme as a column.

Distributions come from a TOML file (``samples/portfolio/distributions.toml``):
building-type shares and EUI/GFA quartiles (summary statistics of the BCA
listing), per-input shapes, and a missing-value rate. The same seed and chunk
size give the same portfolio, row for row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from greenmark.core.model import Scheme
from greenmark.core.tomlfile import read_toml

Z_QUARTILE = 0.6744897501960817  # standard normal quantile of 0.75


@dataclass(frozen=True)
class Distributions:
    """Parsed distributions file."""

    types: dict[str, dict[str, Any]]
    inputs: dict[str, dict[str, Any]]
    tick_weights: list[float]
    boolean_p: float
    missing_rate: float
    design_eui_factor: float

    @classmethod
    def load(cls, path: str | Path) -> Distributions:
        data, _ = read_toml(path)
        meta = data.get("meta", {})
        return cls(
            types=data["building_types"],
            inputs=data.get("inputs", {}),
            tick_weights=list(data.get("ticks", {}).get("default", [0.25] * 4)),
            boolean_p=float(data.get("booleans", {}).get("default_p", 0.5)),
            missing_rate=float(meta.get("missing_rate", 0.0)),
            design_eui_factor=float(meta.get("design_eui_factor", 1.0)),
        )


def _lognormal(rng: np.random.Generator, quartiles: list[float], size: int) -> np.ndarray:
    """Draws from the log-normal with the given first quartile, median and third quartile."""
    q1, median, q3 = quartiles
    sigma = math.log(q3 / q1) / (2 * Z_QUARTILE)
    return median * np.exp(sigma * rng.standard_normal(size))


def generate(
    scheme: Scheme, size: int, distributions: Distributions, seed: int = 0, start: int = 0
) -> dict[str, np.ndarray]:
    """``size`` buildings as columns: ``id``, ``name``, ``building_type``, ``gfa`` and every input.

    Numbers are float64 in the scheme's units (NaN = missing); booleans and choices
    are object arrays of ``True``/``False``/option names/``None``. ``start`` offsets the
    ids and the random stream so chunks of one portfolio can be made independently.
    """
    rng = np.random.default_rng([seed, start])
    allowed = scheme.scheme.building_types or list(distributions.types)
    types = [t for t in allowed if distributions.types.get(t, {}).get("share", 0) > 0]
    if not types:  # e.g. a residential scheme: use every allowed type that has statistics
        types = [t for t in allowed if t in distributions.types]
    shares = np.array([max(distributions.types[t].get("share", 0.0), 1e-9) for t in types])
    type_index = rng.choice(len(types), size=size, p=shares / shares.sum())
    columns: dict[str, np.ndarray] = {
        "id": np.array([f"B{start + i + 1:07d}" for i in range(size)], dtype=object),
        "name": np.array([f"Building {start + i + 1}" for i in range(size)], dtype=object),
        "building_type": np.array(types, dtype=object)[type_index],
    }
    gfa = np.empty(size)
    eui = np.empty(size)
    for t, name in enumerate(types):
        rows = type_index == t
        stats = distributions.types[name]
        gfa[rows] = _lognormal(rng, stats["gfa_quartiles"], int(rows.sum()))
        eui[rows] = _lognormal(rng, stats["eui_quartiles"], int(rows.sum()))
    columns["gfa"] = np.round(np.clip(gfa, 500, 500_000))
    design = any(name == "eui_reference" for name in scheme.inputs)
    if design:
        eui = eui * distributions.design_eui_factor

    for name, spec in scheme.inputs.items():
        shape = distributions.inputs.get(name, {})
        if name == "eui":
            values: np.ndarray = np.round(eui, 1)
        elif name == "eui_reference":
            low, mode, high = distributions.inputs.get("savings_ratio", {}).get(
                "triangular", [1.1, 1.6, 2.8]
            )
            values = np.round(eui * rng.triangular(low, mode, high, size), 1)
        elif spec.type == "boolean":
            p = float(shape.get("p", distributions.boolean_p))
            values = (rng.random(size) < p).astype(object)
        elif spec.type == "choice":
            options = spec.choices or []
            weights = np.asarray(shape.get("weights", [1.0] * len(options)), dtype=float)
            values = np.array(options, dtype=object)[
                rng.choice(len(options), size=size, p=weights / weights.sum())
            ]
        elif spec.unit == "tick" or name.endswith("_ticks"):
            weights = np.asarray(distributions.tick_weights, dtype=float)
            values = rng.choice(len(weights), size=size, p=weights / weights.sum()).astype(float)
        else:
            values = _number(rng, spec.min, spec.max, shape, size)
            if spec.type == "integer":
                values = np.round(values)
        if spec.min is not None and values.dtype != object:
            values = np.maximum(values, spec.min)
        if spec.max is not None and values.dtype != object:
            values = np.minimum(values, spec.max)
        missing = rng.random(size) < distributions.missing_rate
        if values.dtype == object:
            values = values.copy()
            values[missing] = None
        else:
            values = np.where(missing, np.nan, values)
        columns[name] = values
    return columns


def _number(
    rng: np.random.Generator,
    low: float | None,
    high: float | None,
    shape: dict[str, Any],
    size: int,
) -> np.ndarray:
    if "triangular" in shape:
        a, mode, b = shape["triangular"]
        return np.round(rng.triangular(a, mode, b, size), 3)
    if "range" in shape:
        a, b = shape["range"]
        return np.round(rng.uniform(a, b, size), 3)
    a = 0.0 if low is None else low
    b = a + 100.0 if high is None else high
    return np.round(rng.uniform(a, b, size), 3)


def chunks(
    scheme: Scheme, size: int, distributions: Distributions, seed: int = 0, chunk: int = 100_000
) -> Iterator[dict[str, np.ndarray]]:
    """The same portfolio as :func:`generate`, in chunks of at most ``chunk`` rows."""
    for start in range(0, size, chunk):
        yield generate(scheme, min(chunk, size - start), distributions, seed=seed, start=start)


def to_arrow(columns: dict[str, np.ndarray]) -> Any:
    """A pyarrow Table (booleans and option names as strings columns of their own type)."""
    import pyarrow as pa

    arrays = {}
    for name, values in columns.items():
        if values.dtype == object:
            sample = next((v for v in values if v is not None), None)
            if isinstance(sample, bool | np.bool_):
                arrays[name] = pa.array([None if v is None else bool(v) for v in values])
            else:
                arrays[name] = pa.array(values.tolist(), type=pa.string())
        else:
            arrays[name] = pa.array(values, from_pandas=True)
    return pa.table(arrays)
