"""Portfolio summary: tier and badge counts, area-weighted intensities by type, percentiles,
best and worst performers; as a dict (JSON) and a rich table (the HTML report that
shows it is :mod:`greenmark.reports.portfolio`).

The summary is accumulated chunk by chunk from the results tables, in bounded
memory: sums for the area-weighted means, a fixed number of leaders, and for
the percentiles every value up to ``cap`` (500,000) values per quantity (exact), beyond
that a deterministic hash-thinned sample (marked ``"exact": false``).

Area-weighted means are Σ(value × GFA) / Σ GFA over the scored buildings that
have both the value and a GFA; plain averages are not reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.portfolio.chunk import Plan

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


LEADERS = 10


NO_TIER = "none"


UNKNOWN_TYPE = "(unknown)"


def _hash01(keys: np.ndarray) -> np.ndarray:
    """A fixed, evenly spread number in [0, 1) per integer key (Fibonacci hashing)."""
    with np.errstate(over="ignore"):
        mixed = keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class Sample:
    """Values for percentiles: all of them up to ``cap``, then a hash-thinned subset.

    Thinning keeps the values whose key (a hash of the row's position in the run) is
    below a threshold, halved (1/2, 1/4, ...) while the kept set exceeds ``cap``: memory
    stays bounded and the sample does not depend on how the input was chunked.
    """

    def __init__(self, cap: int = 500_000) -> None:
        self.cap = cap
        self.threshold = 1.0
        self.values: list[np.ndarray] = []
        self.sequence: list[np.ndarray] = []
        self.size = 0

    def add(self, values: np.ndarray, sequence: np.ndarray) -> None:
        given = np.isfinite(values)
        values, sequence = values[given], sequence[given]
        if self.threshold < 1.0:
            chosen = _hash01(sequence) < self.threshold
            values, sequence = values[chosen], sequence[chosen]
        self.values.append(values)
        self.sequence.append(sequence)
        self.size += len(values)
        if self.size > self.cap:
            all_values = np.concatenate(self.values)
            all_sequence = np.concatenate(self.sequence)
            keys = _hash01(all_sequence)
            while self.size > self.cap:  # halve: the result does not depend on the chunking
                self.threshold /= 2
                self.size = int((keys < self.threshold).sum())
            keep = keys < self.threshold
            self.values, self.sequence = [all_values[keep]], [all_sequence[keep]]

    @property
    def exact(self) -> bool:
        return self.threshold >= 1.0

    def percentiles(self) -> dict[str, float | None]:
        if not self.size:
            return {f"p{q}": None for q in PERCENTILES}
        values = np.concatenate(self.values)
        found = np.percentile(values, PERCENTILES)
        return {f"p{q}": round(float(v), 4) for q, v in zip(PERCENTILES, found, strict=True)}


_MERGE_EVERY = 32  # chunks' leaders held before they are sorted in


class Leaders:
    """The first ``size`` rows by a sort key, kept across chunks (ties: input order)."""

    def __init__(self, key: Any, size: int = LEADERS) -> None:
        self.key = key  # table -> list of numpy arrays for np.lexsort (last = primary)
        self.size = size
        self._table: pa.Table | None = None
        self._waiting: list[pa.Table] = []  # chunks' first rows, in input order

    def _first(self, keys: list[np.ndarray]) -> np.ndarray:
        """Positions of the first ``size`` rows by ``keys`` (a partition first, then a sort
        of the candidates: every row tied with the ``size``-th on the primary key)."""
        primary = keys[-1]
        if len(primary) <= 4 * self.size:
            return np.lexsort(keys)[: self.size]
        kth = np.partition(primary, self.size - 1)[self.size - 1]
        candidates = np.flatnonzero(primary <= kth)
        return candidates[np.lexsort([k[candidates] for k in keys])[: self.size]]

    def add(self, table: pa.Table) -> None:
        self.merge(self.first(table))

    def first(self, table: pa.Table, among: np.ndarray | None = None) -> pa.Table | None:
        """The first ``size`` rows of ``table`` alone, or of its rows at the (increasing)
        positions ``among``; None for no rows. Only the rows kept are copied."""
        if not table.num_rows:
            return None
        keys = self.key(table)
        if among is not None:
            if not len(among):
                return None
            keys = [key[among] for key in keys]
        order = self._first(keys)
        if among is not None:
            order = among[order]
        return table.take(pa.array(order, pa.int64()))

    def merge(self, best: pa.Table | None) -> None:
        """Take in the first rows of a later table (from :meth:`first`); they are sorted
        in with the others a few dozen chunks at a time, not one by one."""
        if best is None:
            return
        self._waiting.append(best)
        if len(self._waiting) >= _MERGE_EVERY:
            self._settle()

    @property
    def table(self) -> pa.Table | None:
        """The first ``size`` rows so far."""
        self._settle()
        return self._table

    def _settle(self) -> None:
        if not self._waiting:
            return
        parts = [self._table, *self._waiting] if self._table is not None else self._waiting
        combined = pa.concat_tables(parts)
        self._waiting = []
        order = np.lexsort(self.key(combined))[: self.size]
        self._table = combined.take(pa.array(order, pa.int64()))

    def rows(self, columns: Sequence[str]) -> list[dict[str, Any]]:
        if self.table is None:
            return []
        present = [c for c in columns if c in self.table.column_names]
        return [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
            for r in self.table.select(present).to_pylist()
        ]


def _floats(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(), dtype=np.float64)


def _given(values: np.ndarray, sequence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The finite values and their rows (what a :class:`Sample` keeps of them)."""
    given = np.isfinite(values)
    return values[given], sequence[given]


@dataclass
class SummaryPart:
    """What one chunk of results adds to a :class:`PortfolioSummary` (picklable; rows
    numbered from 0 within the chunk): counts, per-type sums, the values for percentiles
    and the chunk's leaders."""

    rows: int
    tiers: list[tuple[str | None, int]]
    badges: list[tuple[str | None, int]]
    types: list[str]  # the building types in the chunk, each once
    buildings: np.ndarray  # per type
    sums: dict[str, np.ndarray] = field(default_factory=dict)  # metric: per type Σvg, Σg, n, n
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    points: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0, dtype=np.int64))
    awards: Counter[tuple[str, str]] | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    schemes: list[tuple[str | None, int]] = field(default_factory=list)
    criteria: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    leaders: dict[str, pa.Table | None] = field(default_factory=dict)


def _awards(results: pa.Table) -> tuple[Counter[tuple[str, str]], list[dict[str, Any]]]:
    """Recorded against computed tiers (rows with a recorded award only), and the first
    rows where they disagree."""
    awards: Counter[tuple[str, str]] = Counter()
    disagreements: list[dict[str, Any]] = []
    recorded = results.column("recorded_award").to_pylist()
    tiers = results.column("recorded_tier").to_pylist()
    computed = results.column("tier").to_pylist()
    for index, (text, tier, found) in enumerate(zip(recorded, tiers, computed, strict=True)):
        if text is None:
            continue
        key = (tier or NO_TIER, found or NO_TIER)
        awards[key] += 1
        if key[0] != key[1] and len(disagreements) < LEADERS * 2:
            row = results.slice(index, 1).to_pylist()[0]
            disagreements.append(
                {
                    k: row.get(k)
                    for k in ("row", "source", "id", "name", "recorded_award", "tier")
                    if k in row
                }
            )
    return awards, disagreements


class PortfolioSummary:
    """Accumulates the results of a batch run (call :meth:`add` per results chunk)."""

    def __init__(self, plan: Plan, cap: int = 500_000, criteria_cap: int = 50_000) -> None:
        self.plan = plan
        scheme = plan.scheme
        self.metrics = plan.metrics
        self.tiers: Counter[str] = Counter()
        self.badges: Counter[str] = Counter()
        self.types: list[str] = []
        self.type_index: dict[str, int] = {}
        self.buildings = np.zeros(0, dtype=np.int64)
        self.sums = {m: np.zeros((0, 4)) for m in self.metrics}  # Σvg, Σg, n weighted, n valued
        self.points = Sample(cap)
        self.samples = {m: Sample(cap) for m in self.metrics}
        self.sequence = 0
        eui = "eui" if "eui" in self.metrics else None

        def tiebreak(table: pa.Table, worst: bool) -> list[np.ndarray]:
            points = _floats(table, "total_points")
            seq = _floats(table, "_seq")
            if eui is None:
                return [seq, points if worst else -points]
            values = _floats(table, eui)
            values = np.where(np.isnan(values), -np.inf if worst else np.inf, values)
            return [seq, -values if worst else values, points if worst else -points]

        def by_metric(table: pa.Table, highest: bool) -> list[np.ndarray]:
            assert eui is not None
            values = _floats(table, eui)
            return [_floats(table, "_seq"), -values if highest else values]

        self.best = Leaders(lambda t: tiebreak(t, worst=False))
        self.worst = Leaders(lambda t: tiebreak(t, worst=True))
        self.lowest = Leaders(lambda t: by_metric(t, highest=False)) if eui else None
        self.highest = Leaders(lambda t: by_metric(t, highest=True)) if eui else None
        self.schemes: Counter[str] = Counter()  # per-row schemes: buildings scored by each
        self.awards: Counter[tuple[str, str]] = Counter()  # (recorded, computed) tier ids
        self.disagreements: list[dict[str, Any]] = []
        self.criteria = (
            {c.id: Sample(criteria_cap) for c in scheme.criteria}
            if plan.detail == "criteria"
            else {}
        )
        self.tier_titles = {t.id: t.title for t in scheme.tiers}
        self.badge_titles = {b.id: b.title for b in scheme.badges}

    def add(self, results: pa.Table) -> None:
        """Take in one chunk of the results table."""
        if results.num_rows:
            self.merge(self.partial(results))

    def partial(self, results: pa.Table) -> SummaryPart:
        """What one chunk of results adds to the summary, from that chunk alone (so a pool
        worker can work it out; rows are numbered from 0 within the chunk): taken in, in
        input order, by :meth:`merge`."""
        n = results.num_rows
        sequence = np.arange(n, dtype=np.int64)
        codes, types = _categories(results.column("building_type"), UNKNOWN_TYPE)
        part = SummaryPart(
            rows=n,
            tiers=_value_counts(results.column("tier")),
            badges=_value_counts(results.column("badges")),
            types=types,
            buildings=np.bincount(codes, minlength=len(types)),
        )
        gfa = _floats(results, "gfa")
        for m in self.metrics:
            values = _floats(results, m)
            valued = np.isfinite(values)
            weighted = valued & np.isfinite(gfa) & (gfa > 0)
            w = codes[weighted]
            sums = np.zeros((len(types), 4))
            sums[:, 0] = np.bincount(
                w, weights=values[weighted] * gfa[weighted], minlength=len(types)
            )
            sums[:, 1] = np.bincount(w, weights=gfa[weighted], minlength=len(types))
            sums[:, 2] = np.bincount(w, minlength=len(types))
            sums[:, 3] = np.bincount(codes[valued], minlength=len(types))
            part.sums[m] = sums
            part.samples[m] = _given(values, sequence)
        part.points = _given(_floats(results, "total_points"), sequence)
        if "recorded_tier" in results.column_names:
            part.awards, part.disagreements = _awards(results)
        if self.plan.routes and "scheme" in results.column_names:
            part.schemes = _value_counts(results.column("scheme"))
        for criterion in self.criteria:
            points = _floats(results, f"pts_{criterion}")
            status = pc.cast(results.column(f"st_{criterion}"), pa.string()).to_numpy(
                zero_copy_only=False
            )
            assessed = (status != "not_assessed") & (status != "not_applicable")
            part.criteria[criterion] = _given(np.where(assessed, points, np.nan), sequence)
        with_seq = results.append_column("_seq", pa.array(sequence))
        part.leaders["best"] = self.best.first(with_seq)
        part.leaders["worst"] = self.worst.first(with_seq)
        if self.lowest is not None and self.highest is not None:
            valued = np.flatnonzero(np.isfinite(_floats(results, "eui")))
            part.leaders["lowest"] = self.lowest.first(with_seq, valued)
            part.leaders["highest"] = self.highest.first(with_seq, valued)
        return part

    def merge(self, part: SummaryPart) -> None:
        """Take in a chunk's :meth:`partial` (chunks in input order)."""
        if not part.rows:
            return
        offset = self.sequence
        self.sequence += part.rows
        for value, count in part.tiers:
            self.tiers[value or NO_TIER] += count
        for value, count in part.badges:
            for badge in (value or "").split(";"):
                if badge:
                    self.badges[badge] += count
        mapping = self._type_indices(part.types)
        types = len(self.types)
        buildings = np.zeros(types, dtype=np.int64)
        buildings[mapping] = part.buildings
        self.buildings += buildings
        for m in self.metrics:
            sums = np.zeros((types, 4))
            sums[mapping] = part.sums[m]
            self.sums[m] += sums
            values, sequence = part.samples[m]
            self.samples[m].add(values, sequence + offset)
        values, sequence = part.points
        self.points.add(values, sequence + offset)
        if part.awards is not None:
            self.awards.update(part.awards)
            room = LEADERS * 2 - len(self.disagreements)
            self.disagreements.extend(part.disagreements[: max(room, 0)])
        for value, count in part.schemes:
            self.schemes[value or ""] += count
        for criterion, sample in self.criteria.items():
            values, sequence = part.criteria[criterion]
            sample.add(values, sequence + offset)
        for name, leaders in self._leaders().items():
            best = part.leaders.get(name)
            if best is not None:
                position = best.schema.get_field_index("_seq")
                best = best.set_column(position, "_seq", pc.add(best.column("_seq"), offset))
            leaders.merge(best)

    def _leaders(self) -> dict[str, Leaders]:
        found = {"best": self.best, "worst": self.worst, "lowest": self.lowest}
        return {k: v for k, v in {**found, "highest": self.highest}.items() if v is not None}

    def _type_indices(self, labels: list[str]) -> np.ndarray:
        """Index of each building type in :attr:`types` (new types appended)."""
        mapping = []
        for label in labels:
            if label not in self.type_index:
                self.type_index[label] = len(self.types)
                self.types.append(label)
            mapping.append(self.type_index[label])
        grow = len(self.types) - len(self.buildings)
        if grow > 0:
            self.buildings = np.concatenate([self.buildings, np.zeros(grow, dtype=np.int64)])
            for m in self.metrics:
                self.sums[m] = np.vstack([self.sums[m], np.zeros((grow, 4))])
        return np.asarray(mapping, dtype=np.int64)

    def _award_table(self) -> dict[str, Any] | None:
        if not self.awards:
            return None
        order = [NO_TIER, *self.tier_titles]
        cells = [
            {"recorded": recorded, "computed": computed, "buildings": count}
            for (recorded, computed), count in sorted(
                self.awards.items(),
                key=lambda item: (order.index(item[0][0]), order.index(item[0][1])),
            )
        ]
        agree = sum(c for (r, f), c in self.awards.items() if r == f)
        total = sum(self.awards.values())
        return {
            "buildings": total,
            "agree": agree,
            "share_agree": _share(agree, total),
            "confusion": cells,
            "disagreements": self.disagreements,
        }

    def to_dict(self, counts: dict[str, int], inputs: Sequence[str]) -> dict[str, Any]:
        """The summary as plain data (the ``--summary`` JSON and the report's context)."""
        scheme = self.plan.scheme
        scored = sum(self.tiers.values())
        tiers = [
            {
                "id": tier_id,
                "title": "No tier" if tier_id is None else self.tier_titles[tier_id],
                "buildings": self.tiers.get(tier_id or NO_TIER, 0),
                "share": _share(self.tiers.get(tier_id or NO_TIER, 0), scored),
            }
            for tier_id in [None, *self.tier_titles]
        ]
        badges = [
            {"id": b, "title": title, "buildings": self.badges.get(b, 0)}
            for b, title in self.badge_titles.items()
        ]
        order = sorted(range(len(self.types)), key=lambda i: (-self.buildings[i], self.types[i]))
        metrics = []
        for m in self.metrics:
            spec = scheme.inputs[m]
            sums = self.sums[m]
            total = sums.sum(axis=0)
            metrics.append(
                {
                    "name": m,
                    "label": spec.label,
                    "unit": spec.unit,
                    "buildings_with_value": int(total[3]),
                    "buildings_weighted": int(total[2]),
                    "gfa_m2": round(float(total[1]), 3),
                    "area_weighted": _ratio(total[0], total[1]),
                    "percentiles": self.samples[m].percentiles(),
                    "exact": self.samples[m].exact,
                    "by_building_type": [
                        {
                            "building_type": self.types[i],
                            "buildings": int(self.buildings[i]),
                            "buildings_with_value": int(sums[i, 3]),
                            "buildings_weighted": int(sums[i, 2]),
                            "gfa_m2": round(float(sums[i, 1]), 3),
                            "area_weighted": _ratio(sums[i, 0], sums[i, 1]),
                        }
                        for i in order
                    ],
                }
            )
        columns = ["row", "source", "id", "name", "building_type", "gfa", "total_points", "tier"]
        columns += self.metrics
        performers: dict[str, list[dict[str, Any]]] = {
            "best": self.best.rows(columns),
            "worst": self.worst.rows(columns),
        }
        if self.lowest is not None and self.highest is not None:
            performers["lowest_eui"] = self.lowest.rows(columns)
            performers["highest_eui"] = self.highest.rows(columns)
        return {
            "scheme": {"id": scheme.id, "version": scheme.version, "title": scheme.scheme.title},
            "inputs": list(inputs),
            "counts": dict(counts),
            "tiers": tiers,
            "badges": badges,
            "building_types": [
                {"building_type": self.types[i], "buildings": int(self.buildings[i])} for i in order
            ],
            "points": {
                "percentiles": self.points.percentiles(),
                "exact": self.points.exact,
            },
            "metrics": metrics,
            "performers": performers,
            **({"awards": awards} if (awards := self._award_table()) is not None else {}),
            **({"schemes": dict(self.schemes.most_common())} if self.schemes else {}),
            **(
                {
                    "criteria": [
                        {
                            "id": cid,
                            "assessed": sample.size if sample.exact else None,
                            "percentiles": sample.percentiles(),
                            "exact": sample.exact,
                        }
                        for cid, sample in self.criteria.items()
                    ]
                }
                if self.criteria
                else {}
            ),
        }


def _categories(column: pa.ChunkedArray, missing: str) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the distinct texts of a text or dictionary column, and those
    texts (``missing`` standing for a null; each text once, none without a row)."""
    if not pa.types.is_dictionary(column.type):
        encoded = pc.fill_null(column, missing).combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, encoded.dictionary.to_pylist()
    texts: dict[str, int] = {}  # a chunk's entries may repeat, or go unused
    parts = []
    for chunk in column.chunks:
        entries = [missing if t is None else t for t in chunk.dictionary.to_pylist()]
        entries.append(missing)  # where the row is null
        lookup = np.asarray([texts.setdefault(t, len(texts)) for t in entries], dtype=np.int64)
        indices = pc.fill_null(chunk.indices, len(entries) - 1).to_numpy(zero_copy_only=False)
        parts.append(lookup[indices])
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    used = np.flatnonzero(np.bincount(codes, minlength=len(texts)))
    renumber = np.zeros(len(texts), dtype=np.int64)
    renumber[used] = np.arange(len(used))
    names = list(texts)
    return renumber[codes], [names[i] for i in used]


def _value_counts(column: pa.ChunkedArray) -> list[tuple[str | None, int]]:
    counted = pc.value_counts(column)
    return list(
        zip(
            counted.field("values").to_pylist(),
            counted.field("counts").to_pylist(),
            strict=True,
        )
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(float(numerator / denominator), 4) if denominator > 0 else None


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0
