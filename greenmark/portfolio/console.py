"""The portfolio summary on the console: the scheme's tier mix, area-weighted
intensities by building type, percentiles, best and worst performers (rich tables; the
summary itself is :mod:`greenmark.portfolio.summary`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenmark.portfolio.summary import PERCENTILES

if TYPE_CHECKING:
    from rich.table import Table


def render_table(console: Any, summary: dict[str, Any]) -> None:
    """The summary as rich tables (tier mix, intensities by type, percentiles, leaders).

    Text from the data (names, ids, types) is escaped: it is never read as rich markup.
    """
    from rich.markup import escape
    from rich.table import Table

    scheme = summary["scheme"]
    counts = summary["counts"]
    compared = summary.get("compared")  # several schemes: this is the first one's summary
    scored = compared[0]["scored"] if compared else counts.get("scored", 0)
    name = escape(f"{scheme['id']} {scheme['version']}")
    console.print(
        f"[bold]Portfolio[/] — {name}: {scored:,} buildings scored"
        + (f" (the first of {len(compared)} schemes compared)" if compared else "")
    )
    console.print(tier_mix("Tier mix" + (f" — {name}" if compared else ""), summary))
    for metric in summary["metrics"]:
        table = Table(
            title=escape(f"{metric['label']} ({metric['unit']}), area-weighted"),
            title_justify="left",
        )
        table.add_column("building type")
        table.add_column("buildings", justify="right")
        table.add_column("weighted", justify="right")
        table.add_column("GFA m²", justify="right")
        table.add_column("area-weighted", justify="right")
        for row in metric["by_building_type"]:
            table.add_row(
                escape(row["building_type"]),
                f"{row['buildings']:,}",
                f"{row['buildings_weighted']:,}",
                _num(row["gfa_m2"], 0),
                _num(row["area_weighted"]),
            )
        table.add_row(
            "[bold]all[/]",
            f"{sum(r['buildings'] for r in metric['by_building_type']):,}",
            f"{metric['buildings_weighted']:,}",
            _num(metric["gfa_m2"], 0),
            f"[bold]{_num(metric['area_weighted'])}[/]",
        )
        console.print(table)
    spread = Table(title="Percentiles", title_justify="left")
    spread.add_column("")
    for q in PERCENTILES:
        spread.add_column(f"p{q}", justify="right")
    spread.add_row("total points", *(_num(v) for v in summary["points"]["percentiles"].values()))
    for metric in summary["metrics"]:
        spread.add_row(metric["name"], *(_num(v) for v in metric["percentiles"].values()))
    console.print(spread)
    awards = summary.get("awards")
    if awards:
        _render_awards(console, awards)
    for key, title in (("best", "Best performers"), ("worst", "Worst performers")):
        rows = summary["performers"].get(key, [])[:5]
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for column in ("row", "id", "name", "building_type", "total_points", "tier"):
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in rows:
            table.add_row(
                str(row["row"]),
                escape(str(row["id"])),
                escape(row.get("name") or ""),
                escape(row.get("building_type") or ""),
                _num(row["total_points"], 2),
                row.get("tier") or "–",
            )
        console.print(table)


def _render_awards(console: Any, awards: dict[str, Any]) -> None:
    """Recorded against computed tiers: a confusion table (recorded in rows)."""
    from rich.markup import escape
    from rich.table import Table

    recorded = list(dict.fromkeys(c["recorded"] for c in awards["confusion"]))
    computed = list(dict.fromkeys(c["computed"] for c in awards["confusion"]))
    counts = {(c["recorded"], c["computed"]): c["buildings"] for c in awards["confusion"]}
    table = Table(
        title=f"Recorded award vs computed tier ({awards['agree']:,} of "
        f"{awards['buildings']:,} agree)",
        title_justify="left",
    )
    table.add_column("recorded \\ computed")
    for name in computed:
        table.add_column(escape(name), justify="right")
    for name in recorded:
        table.add_row(escape(name), *(f"{counts.get((name, c), 0):,}" for c in computed))
    console.print(table)


def tier_mix(title: str, summary: dict[str, Any]) -> Table:
    """A summary's buildings per tier (count and share), then per badge, as a table."""
    from rich.markup import escape
    from rich.table import Table

    tiers = Table(title=title, title_justify="left")
    tiers.add_column("tier")
    tiers.add_column("buildings", justify="right")
    tiers.add_column("share", justify="right")
    for tier in summary["tiers"]:
        tiers.add_row(escape(tier["title"]), f"{tier['buildings']:,}", f"{tier['share']:.1f} %")
    for badge in summary["badges"]:
        tiers.add_row(f"badge: {escape(badge['title'])}", f"{badge['buildings']:,}", "")
    return tiers


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{float(value):,.{digits}f}"
    return text
