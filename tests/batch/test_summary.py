"""The portfolio summary: area-weighted means, percentiles, leaders, the HTML report."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from batch.helpers import plan_from, score_text
from greenmark.portfolio.summary import PortfolioSummary, Sample
from greenmark.reports.portfolio import render_html

MAPPING = """\
[columns]
id = "ID"
name = "Name"
building_type = "Type"
gfa = "GFA"
[inputs]
eui = "EUI"
"""


def summarise(tmp_path, columns, chunks=1):
    plan = plan_from(tmp_path, MAPPING)
    result = score_text(plan, columns).results
    summary = PortfolioSummary(plan)
    step = -(-result.num_rows // chunks)
    for start in range(0, result.num_rows, step):
        summary.add(result.slice(start, step))
    counts = {"read": result.num_rows, "scored": result.num_rows, "skipped": 0}
    return summary.to_dict(counts, ["test.csv"])


ROWS = {
    "ID": ["a", "b", "c", "d", "e"],
    "Name": ["A", "B", "<b>C</b>", "D", "E"],
    "Type": ["office", "office", "retail", "office", "hotel"],
    "GFA": ["1,000", "3,000", "500", "NA", "2,000"],
    "EUI": ["100", "300", "400", "50", "NA"],
}


def test_building_types_of_a_dictionary_column_count_each_text_once(tmp_path):
    """A results chunk's building types may hold a text twice or one no row uses (a type
    column straight from a file, an option no row has): each type is counted once, and a
    type without buildings is not listed."""
    plan = plan_from(tmp_path, MAPPING)
    result = score_text(plan, ROWS).results
    entries = pa.array(["office", "unused", "retail", "office", "hotel"])
    indices = pa.array([0, 3, 2, 0, 4], pa.int32())  # rows: office x3, retail, hotel
    odd = pa.DictionaryArray.from_arrays(indices, entries)
    position = result.schema.get_field_index("building_type")
    changed = result.set_column(position, result.schema.field(position), odd)
    summaries = []
    for table in (result, changed):
        summary = PortfolioSummary(plan)
        summary.add(table)
        counts = {"read": 5, "scored": 5, "skipped": 0}
        summaries.append(summary.to_dict(counts, ["test.csv"]))
    plain, odd_types = summaries
    assert odd_types["building_types"] == plain["building_types"]
    assert [t["building_type"] for t in plain["building_types"]] == ["office", "hotel", "retail"]
    assert odd_types["metrics"] == plain["metrics"]


@pytest.mark.parametrize("chunks", [1, 2, 5])
def test_area_weighted_by_type_by_hand(tmp_path, chunks):
    data = summarise(tmp_path, ROWS, chunks)
    (eui,) = data["metrics"]
    by_type = {t["building_type"]: t for t in eui["by_building_type"]}
    office = by_type["office"]
    assert office["area_weighted"] == pytest.approx((100 * 1000 + 300 * 3000) / 4000)  # 250
    assert (office["buildings"], office["buildings_with_value"], office["buildings_weighted"]) == (
        3,
        3,
        2,
    )
    assert by_type["retail"]["area_weighted"] == 400
    assert by_type["hotel"]["area_weighted"] is None  # no EUI: not weighted
    assert eui["area_weighted"] == pytest.approx((100_000 + 900_000 + 200_000) / 4500)
    assert eui["gfa_m2"] == 4500
    assert eui["percentiles"]["p50"] == 200  # of 50, 100, 300, 400 (exact)
    assert data["tiers"][0]["buildings"] == 5  # only EB-1-1 assessed: no tier
    assert [r["id"] for r in data["performers"]["lowest_eui"]] == ["d", "a", "b", "c"]
    assert [r["id"] for r in data["performers"]["highest_eui"]] == ["c", "b", "a", "d"]


def test_leaders_tie_break_by_input_order_whatever_the_chunks(tmp_path):
    rows = {
        "ID": [f"r{i}" for i in range(60)],
        "Name": ["x"] * 60,
        "Type": ["office"] * 60,
        "GFA": ["1,000"] * 60,
        "EUI": ["100" if i % 3 else "500" for i in range(60)],
    }
    one, many = summarise(tmp_path, rows, 1), summarise(tmp_path, rows, 7)
    assert one["performers"] == many["performers"] == summarise(tmp_path, rows, 60)["performers"]
    assert [r["id"] for r in one["performers"]["best"]][:3] == ["r1", "r2", "r4"]
    assert [r["id"] for r in one["performers"]["worst"]][:3] == ["r0", "r3", "r6"]


@pytest.mark.parametrize("chunks", [1, 3, 40])
def test_lowest_and_highest_eui_leave_out_buildings_without_one(tmp_path, chunks):
    """Many rows per chunk (past the leaders' partition) or many chunks (past the leaders
    held before they are sorted in), a third without an EUI, and ties: the leaders are
    the first by EUI, ties in input order, as a plain sort says."""
    eui = [None if i % 3 == 0 else str(100 + (i * 37) % 23) for i in range(240)]
    rows = {
        "ID": [f"r{i}" for i in range(240)],
        "Name": ["x"] * 240,
        "Type": ["office"] * 240,
        "GFA": ["1,000"] * 240,
        "EUI": [value or "NA" for value in eui],
    }
    data = summarise(tmp_path, rows, chunks)
    valued = [(float(v), i) for i, v in enumerate(eui) if v is not None]
    size = len(data["performers"]["lowest_eui"])
    lowest = [f"r{i}" for _, i in sorted(valued)[:size]]
    highest = [f"r{i}" for _, i in sorted(valued, key=lambda p: (-p[0], p[1]))[:size]]
    assert size == 10
    assert [r["id"] for r in data["performers"]["lowest_eui"]] == lowest
    assert [r["id"] for r in data["performers"]["highest_eui"]] == highest


def test_sample_is_exact_up_to_its_cap_then_thinned_and_bounded():
    values = np.random.default_rng(1).normal(100, 15, 50_000)
    exact = Sample(cap=100_000)
    thinned = Sample(cap=5_000)
    for start in range(0, 50_000, 3_000):
        chunk = values[start : start + 3_000]
        sequence = np.arange(start, start + len(chunk))
        exact.add(chunk, sequence)
        thinned.add(chunk, sequence)
    assert exact.exact and exact.percentiles()["p50"] == pytest.approx(np.percentile(values, 50))
    assert not thinned.exact and thinned.size <= 5_000
    assert thinned.percentiles()["p90"] == pytest.approx(np.percentile(values, 90), rel=0.01)
    again = Sample(cap=5_000)
    again.add(values, np.arange(50_000))  # one chunk: the same sample
    assert again.percentiles() == thinned.percentiles()


def test_html_report_escapes_names_and_embeds_charts(tmp_path):
    data = summarise(tmp_path, ROWS)
    html = render_html(data)
    assert "&lt;b&gt;C&lt;/b&gt;" in html and "<b>C</b>" not in html
    assert html.count("<svg") == 2  # tier mix, EUI by type
    assert "Area-weighted" in html


def test_rich_table_prints_names_verbatim(tmp_path):
    import io

    from rich.console import Console

    from greenmark.portfolio.console import render_table

    rows = {**ROWS, "Name": ["[bold]A[/", "B", "C", "D", "E"], "ID": ["[x]", "b", "c", "d", "e"]}
    buffer = io.StringIO()
    render_table(Console(file=buffer, width=120), summarise(tmp_path, rows))
    text = buffer.getvalue()
    assert "[bold]A[/" in text and "[x]" in text and "Tier mix" in text
