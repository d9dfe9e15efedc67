"""The portfolio report: the batch summary rendered to HTML with its charts (and, for a
run under several schemes, each other scheme's tier mix and the cross-tabs)."""

from __future__ import annotations

from typing import Any

from greenmark.portfolio.summary import PERCENTILES


def _charts(summary: dict[str, Any]) -> dict[str, Any]:
    """Inline SVG charts for the report (tier mix; area-weighted intensity by type)."""
    from markupsafe import Markup

    from greenmark.reports.charts import GREEN, GREY, bar_chart

    def tier_chart(tiers: list[dict[str, Any]], prefix: str) -> Markup:
        return Markup(
            bar_chart(
                [t["title"] for t in tiers],
                [t["buildings"] for t in tiers],
                [f"{t['buildings']:,}  ({t['share']:.1f} %)" for t in tiers],
                xlabel="buildings",
                prefix=prefix,
                colours=[GREY] + [GREEN] * (len(tiers) - 1),
                first_on_top=False,  # no tier at the bottom, the top tier at the top
            )
        )

    charts: dict[str, Any] = {"tiers": tier_chart(summary["tiers"], "portfolio-tiers")}
    for index, other in enumerate(summary.get("other_schemes", []), start=1):
        charts[f"tiers-{index}"] = tier_chart(other["tiers"], f"portfolio-tiers-{index}")
    for metric in summary["metrics"]:
        rows = [r for r in metric["by_building_type"] if r["area_weighted"] is not None]
        if rows:
            charts[metric["name"]] = Markup(
                bar_chart(
                    [r["building_type"] for r in rows],
                    [r["area_weighted"] for r in rows],
                    [f"{r['area_weighted']:,.1f}" for r in rows],
                    xlabel=f"area-weighted {metric['name']}, {metric['unit']}",
                    prefix=f"portfolio-{metric['name']}",
                    headroom=1.2,
                )
            )
    return charts


def _cross_tabs(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each cross-tab with its row and column totals and a shade per cell (0 to 1, by
    its share of the largest cell) for the report."""
    found = []
    for cross in summary.get("cross_tabs", []):
        counts: list[list[int]] = cross["counts"]
        largest = max((c for row in counts for c in row), default=0) or 1
        found.append(
            {
                **cross,
                "row_totals": [sum(row) for row in counts],
                "column_totals": [sum(column) for column in zip(*counts, strict=True)],
                "shades": [[round(c / largest, 2) for c in row] for row in counts],
            }
        )
    return found


def render_html(summary: dict[str, Any], *, charts: bool = True) -> str:
    """The portfolio report (``templates/portfolio.html.j2``) as an HTML string."""
    from greenmark.reports.templates import environment

    template = environment().get_template("portfolio.html.j2")
    return template.render(
        summary=summary,
        charts=_charts(summary) if charts else {},
        percentiles=[f"p{q}" for q in PERCENTILES],
        cross_tabs=_cross_tabs(summary),
    )
