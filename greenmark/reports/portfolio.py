"""The portfolio report: the batch summary rendered to HTML with its charts."""

from __future__ import annotations

from typing import Any

from greenmark.portfolio.summary import PERCENTILES


def _charts(summary: dict[str, Any]) -> dict[str, Any]:
    """Inline SVG charts for the report (tier mix; area-weighted intensity by type)."""
    from markupsafe import Markup

    from greenmark.reports.charts import GREEN, GREY, bar_chart

    tiers = summary["tiers"]
    charts: dict[str, Any] = {
        "tiers": Markup(
            bar_chart(
                [t["title"] for t in tiers],
                [t["buildings"] for t in tiers],
                [f"{t['buildings']:,}  ({t['share']:.1f} %)" for t in tiers],
                xlabel="buildings",
                prefix="portfolio-tiers",
                colours=[GREY] + [GREEN] * (len(tiers) - 1),
                first_on_top=False,  # no tier at the bottom, the top tier at the top
            )
        )
    }
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


def render_html(summary: dict[str, Any], *, charts: bool = True) -> str:
    """The portfolio report (``templates/portfolio.html.j2``) as an HTML string."""
    from greenmark.reports.templates import environment

    template = environment().get_template("portfolio.html.j2")
    return template.render(
        summary=summary,
        charts=_charts(summary) if charts else {},
        percentiles=[f"p{q}" for q in PERCENTILES],
    )
