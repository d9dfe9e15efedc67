"""The summary of a run under several schemes: each scheme's own portfolio summary over
the rows it scored (as a run of that scheme alone gives it), and the cross-tab of the
first scheme's tier against each other scheme's tier.

Cross-tab categories, in order: ``none`` (scored, no tier), the scheme's tiers from the
lowest up, and ``skipped`` (the row was written for another scheme but skipped under
this one; shown only when some row was). The counts add up to the rows written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from greenmark.portfolio.console import tier_mix
from greenmark.portfolio.multi import MultiPlan
from greenmark.portfolio.summary import NO_TIER, PortfolioSummary

SKIPPED = "skipped"
TITLES = {NO_TIER: "No tier", SKIPPED: "Skipped"}


class MultiSummary:
    """Accumulates a run under several schemes (call :meth:`add` per results chunk)."""

    def __init__(self, plan: MultiPlan, cap: int = 500_000) -> None:
        self.plan = plan
        self.summaries = [PortfolioSummary(p, cap) for p in plan.plans]
        self.scored = [0] * len(plan.plans)
        self.categories = [[NO_TIER, *(t.id for t in p.scheme.tiers), SKIPPED] for p in plan.plans]
        first = len(self.categories[0])
        self.cross = [np.zeros((first, len(c)), dtype=np.int64) for c in self.categories[1:]]

    def add(self, results: pa.Table) -> None:
        """Take in one chunk of the results table."""
        if not results.num_rows:
            return
        codes: list[np.ndarray] = []
        masks = self.plan.scored_masks(results)
        for index, mask in enumerate(masks):
            self.scored[index] += int(mask.sum())
            self.summaries[index].add(self._view(results, index, mask))
            prefix = self.plan.prefixes[index]
            codes.append(_codes(results.column(f"{prefix}tier"), mask, self.categories[index]))
        rows = len(self.categories[0])
        for other, table in enumerate(self.cross, start=1):
            columns = table.shape[1]
            found = np.bincount(codes[0] * columns + codes[other], minlength=rows * columns)
            table += found.reshape(rows, columns)

    def _view(self, results: pa.Table, index: int, mask: np.ndarray) -> pa.Table:
        """The rows scheme ``index`` scored, under its single-scheme column names."""
        names = self.plan.plans[index].results_schema().names
        shared = set(self.plan.shared)
        prefix = self.plan.prefixes[index]
        picked = [n if n in shared else prefix + n for n in names]
        extra = ["source"] if "source" in results.column_names else []
        view = results.select(extra + picked).rename_columns(extra + names)
        return view if mask.all() else view.filter(pa.array(mask))

    def to_dict(self, counts: dict[str, int], inputs: Sequence[str]) -> dict[str, Any]:
        """The first scheme's summary (as a single-scheme run writes it, over the rows it
        scored) with ``compared``, ``other_schemes`` and ``cross_tabs`` added."""
        data = self.summaries[0].to_dict(counts, inputs)
        rows = counts.get("read", 0) - counts.get("out_of_scope", 0)
        compared: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for index, plan in enumerate(self.plan.plans):
            prefix, scored = self.plan.prefixes[index], self.scored[index]
            own = {"scored": scored, "skipped": rows - scored}
            compared.append({**_scheme(plan.scheme), "prefix": prefix, **own})
            if index:
                found = self.summaries[index].to_dict(own, inputs)
                found.pop("inputs")
                others.append({"prefix": prefix, **found})
        data["compared"] = compared
        data["other_schemes"] = others
        data["cross_tabs"] = [self._cross_tab(k) for k in range(1, len(self.plan.plans))]
        return data

    def _cross_tab(self, other: int) -> dict[str, Any]:
        table = self.cross[other - 1]
        rows, columns = self.categories[0], self.categories[other]
        keep_rows = [i for i, c in enumerate(rows) if c != SKIPPED or table[i].any()]
        keep_columns = [j for j, c in enumerate(columns) if c != SKIPPED or table[:, j].any()]
        first, second = self.plan.plans[0].scheme, self.plan.plans[other].scheme
        return {
            "rows": _scheme(first),
            "columns": _scheme(second),
            "row_tiers": [_tier(first, rows[i]) for i in keep_rows],
            "column_tiers": [_tier(second, columns[j]) for j in keep_columns],
            "counts": [[int(table[i, j]) for j in keep_columns] for i in keep_rows],
            "buildings": int(table.sum()),
        }


def _scheme(scheme: Any) -> dict[str, str]:
    return {"id": scheme.id, "version": scheme.version, "title": scheme.scheme.title}


def _tier(scheme: Any, tier_id: str) -> dict[str, str]:
    titles = {t.id: t.title for t in scheme.tiers}
    return {"id": tier_id, "title": titles.get(tier_id) or TITLES[tier_id]}


def _codes(column: pa.ChunkedArray, scored: np.ndarray, categories: list[str]) -> np.ndarray:
    """Each row's category index: its tier (``none`` without one), ``skipped`` where not
    ``scored``."""
    index = {c: i for i, c in enumerate(categories)}
    encoded = pc.fill_null(column, NO_TIER).combine_chunks().dictionary_encode()
    lookup = np.asarray([index[v] for v in encoded.dictionary.to_pylist()], dtype=np.int64)
    codes = lookup[encoded.indices.to_numpy(zero_copy_only=False)] if len(lookup) else lookup
    return np.where(scored, codes, index[SKIPPED]) if len(codes) else codes


def render_comparison(console: Any, summary: dict[str, Any]) -> None:
    """The other schemes' tier mixes and the cross-tabs as rich tables (after the first
    scheme's summary, :func:`greenmark.portfolio.console.render_table`; the rows each
    scheme scored and skipped are on the command's last lines)."""
    from rich.markup import escape
    from rich.table import Table

    for other in summary["other_schemes"]:
        scheme = other["scheme"]
        title = escape(f"Tier mix — {scheme['id']} {scheme['version']}")
        console.print(tier_mix(title, other))
    for cross in summary["cross_tabs"]:
        first, second = cross["rows"]["id"], cross["columns"]["id"]
        table = Table(
            title=escape(f"{first} tier (rows) by {second} tier (columns), buildings"),
            title_justify="left",
        )
        table.add_column(escape(f"{first} \\ {second}"))
        for tier in cross["column_tiers"]:
            table.add_column(escape(tier["title"]), justify="right")
        table.add_column("all", justify="right", style="bold")
        for tier, counts in zip(cross["row_tiers"], cross["counts"], strict=True):
            table.add_row(escape(tier["title"]), *(_count(c) for c in counts), f"{sum(counts):,}")
        totals = [sum(column) for column in zip(*cross["counts"], strict=True)]
        table.add_row("[bold]all[/]", *(f"{t:,}" for t in totals), f"{cross['buildings']:,}")
        console.print(table)


def _count(value: int) -> str:
    return f"{value:,}" if value else "·"
