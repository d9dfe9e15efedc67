"""Report charts rendered by matplotlib to inline SVG, reproducibly.

Every function returns an ``<svg>`` element as a string (no XML prolog), ready to be
placed in an HTML report. Rendering is deterministic: a fixed ``svg.hashsalt``, no
date in the metadata, element ids prefixed per chart (so several charts can share
one HTML document), and text kept as SVG ``<text>`` in DejaVu Sans. Text that comes
from a project (facade or material names) is escaped by matplotlib and never parsed
as mathtext.

Being deterministic, a chart is drawn once per process for given data (and matplotlib
settings): :func:`_remembered` keeps the last few, so a report rendered again (another
format, a re-issue, a preview) does not draw its charts again.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

GREEN_DARK = "#1d5c3f"
GREEN = "#2f8a5b"
GREEN_LIGHT = "#9ccfb0"
GREY = "#dfe6e2"
GREY_TEXT = "#5b6b63"
INK = "#1f2a24"
RED = "#c0392b"
AMBER = "#d68a1a"

_RC: Any = {  # rcParams (typed Any: matplotlib types keys as literals)
    "svg.hashsalt": "greenmark",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.parse_math": False,
    "text.color": INK,
    "axes.edgecolor": "#9aa8a0",
    "axes.labelcolor": INK,
    "axes.linewidth": 0.8,
    "xtick.color": GREY_TEXT,
    "ytick.color": INK,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "path.simplify": False,
}

_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')
_SIZE = re.compile(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


_REMEMBERED = 32  # charts kept (about 10 KB each)
_remembered_charts: OrderedDict[str, str] = OrderedDict()
_remembered_lock = threading.Lock()
_Chart = TypeVar("_Chart", bound=Callable[..., str])


def _remembered(chart: _Chart) -> _Chart:
    """``chart`` drawn once for the same arguments and matplotlib settings: the key is the
    ``repr`` of both (plain data: numbers, text, :class:`Bar`), the value the SVG text."""

    @functools.wraps(chart)
    def remembered(*args: Any, **kwargs: Any) -> str:
        import matplotlib

        settings = sorted(dict.items(matplotlib.rcParams))  # as set, not as read
        key = repr((chart.__name__, args, sorted(kwargs.items()), settings))
        with _remembered_lock:
            found = _remembered_charts.get(key)
            if found is not None:
                _remembered_charts.move_to_end(key)
                return found
        drawn = chart(*args, **kwargs)
        with _remembered_lock:
            _remembered_charts[key] = drawn
            while len(_remembered_charts) > _REMEMBERED:
                _remembered_charts.popitem(last=False)
        return drawn

    return remembered  # type: ignore[return-value]


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart (value in the chart's unit)."""

    label: str
    value: float


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=72)


def _svg(figure: Any, prefix: str) -> str:
    """The figure as an ``<svg>`` string with ids prefixed by ``prefix``."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text)
    text = _ID.sub(lambda m: f'id="{prefix}-{m[1]}"', text)
    text = _REF.sub(lambda m: f"{m[1]}{prefix}-{m[2]}", text)
    # responsive: the viewBox keeps the aspect ratio, CSS sets the width
    text = _SIZE.sub(r'<svg\1 class="gm-chart" role="img"', text, count=1)
    return text.strip()


def _height(rows: int, per_row: float = 0.34, extra: float = 0.9) -> float:
    return max(1.6, extra + per_row * rows)


def _style_axes(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.grid(axis="x", color="#e9eeeb", linewidth=0.8)
    ax.set_axisbelow(True)


def _short(text: str, limit: int = 34) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(text: str, width: int, lines: int = 2) -> str:
    """``text`` on at most ``lines`` lines of about ``width`` characters."""
    import textwrap

    wrapped = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], _short(" ".join(wrapped[lines - 1 :]), width)]
    return "\n".join(wrapped)


def _num(value: float) -> str:
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


@_remembered
def sections_chart(
    sections: Sequence[dict[str, Any]], *, percent: bool = False, width_in: float = 7.2
) -> str:
    """Points by section against the section's maximum (horizontal bars).

    ``sections``: dicts with ``title``, ``points``, ``max_points`` and ``bonus_points``
    (points; percent-scored schemes pass ``percent=True`` and ``percent`` values 0..100).
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        rows = list(sections)
        fig = _figure(width_in, _height(len(rows)))
        ax = fig.add_subplot()
        labels = [_short(s["title"], 40) for s in rows]
        y = list(range(len(rows)))[::-1]
        if percent:
            maxima = [100.0] * len(rows)
            core = [float(s.get("percent") or 0.0) for s in rows]
            bonus = [0.0] * len(rows)
        else:
            maxima = [float(s["max_points"]) for s in rows]
            bonus = [float(s.get("bonus_points") or 0.0) for s in rows]
            core = [max(0.0, float(s["points"]) - b) for s, b in zip(rows, bonus, strict=True)]
        ax.barh(y, maxima, color=GREY, height=0.62, label="maximum")
        ax.barh(y, core, color=GREEN, height=0.62, label="points")
        if any(bonus):
            ax.barh(y, bonus, left=core, color=GREEN_LIGHT, height=0.62, label="bonus")
        top = max([*maxima, *(c + b for c, b in zip(core, bonus, strict=True)), 1.0])
        for yi, c, b, m in zip(y, core, bonus, maxima, strict=True):
            text = f"{_num(c)} %" if percent else f"{_num(c + b)} / {_num(m)}"
            ax.text(top * 1.02, yi, text, va="center", ha="left", fontsize=8.5, color=INK)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, top * 1.22)
        ax.set_xlabel("% of the applicable maximum" if percent else "points")
        _style_axes(ax)
        if any(bonus):
            ax.legend(
                loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7.5, frameon=False, ncols=3
            )
        fig.tight_layout(pad=0.4)
        return _svg(fig, "sections")


@_remembered
def envelope_chart(
    facades: Sequence[Bar],
    limit: float | None,
    *,
    quantity: str = "ETTV",
    average: float | None = None,
    width_in: float = 7.2,
) -> str:
    """ETTV (or RETV) per facade, W/m2, against the limit (dashed line) and the
    wall-area weighted building value (dotted line)."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        rows = list(facades)
        fig = _figure(width_in, 3.1)
        ax = fig.add_subplot()
        x = list(range(len(rows)))
        colours = [RED if limit is not None and f.value > limit else GREEN for f in rows]
        ax.bar(x, [f.value for f in rows], color=colours, width=0.6)
        for xi, f in zip(x, rows, strict=True):
            ax.text(xi, f.value, _num(f.value), ha="center", va="bottom", fontsize=8)
        top = max([f.value for f in rows] + [limit or 0.0, average or 0.0, 1.0])
        if limit is not None:
            ax.axhline(
                limit, color=RED, linestyle="--", linewidth=1.2, label=f"limit {_num(limit)} W/m²"
            )
        if average is not None:
            ax.axhline(
                average,
                color=GREEN_DARK,
                linestyle=":",
                linewidth=1.2,
                label=f"building {_num(average)} W/m² (area-weighted)",
            )
        if limit is not None or average is not None:
            ax.legend(
                loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=7.5, frameon=False, ncols=2
            )
        ax.set_xticks(x, [_wrap(f.label, 14) for f in rows])
        ax.set_ylim(0, top * 1.18)
        ax.set_xlim(-0.6, len(rows) - 0.4)
        ax.set_ylabel(f"{quantity}, W/m²")
        _style_axes(ax)
        ax.grid(axis="x", visible=False)
        ax.grid(axis="y", color="#e9eeeb", linewidth=0.8)
        fig.tight_layout(pad=0.4)
        return _svg(fig, "envelope")


@_remembered
def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    notes: Sequence[str],
    *,
    xlabel: str,
    prefix: str,
    colours: Sequence[str] | str = GREEN_DARK,
    first_on_top: bool = True,
    headroom: float = 1.3,
    width_in: float = 7.2,
) -> str:
    """Horizontal bars, each labelled on the left and annotated with its note, as inline SVG.

    ``prefix`` keeps the SVG's ids unique in a page; ``headroom`` leaves room for the
    notes (x axis up to ``headroom`` times the largest value).
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(width_in, _height(len(values)))
        ax = fig.add_subplot()
        y = list(range(len(values)))
        if first_on_top:
            y.reverse()
        ax.barh(y, list(values), color=colours, height=0.62)
        top = max([*values, 1e-9])
        for yi, value, note in zip(y, values, notes, strict=True):
            ax.text(value + top * 0.01, yi, note, va="center", ha="left", fontsize=8)
        ax.set_yticks(y, list(labels))
        ax.set_xlim(0, top * headroom)
        ax.set_xlabel(xlabel)
        _style_axes(ax)
        fig.tight_layout(pad=0.4)
        return _svg(fig, prefix)


@_remembered
def carbon_chart(materials: Sequence[Bar], *, width_in: float = 7.2) -> str:
    """Embodied carbon by material, tCO2e, largest first, with each material's share."""
    rows = sorted(materials, key=lambda b: -b.value)
    total = sum(b.value for b in rows) or 1.0
    return bar_chart(
        [_short(b.label, 40) for b in rows],
        [b.value for b in rows],
        [f"{_num(b.value)} t  ({b.value / total:.0%})" for b in rows],
        xlabel="embodied carbon, tCO₂e (A1–A3)",
        prefix="carbon",
        width_in=width_in,
    )


@_remembered
def eui_chart(
    eui: float, thresholds: Sequence[Bar], *, unit: str = "kWh/m²/yr", width_in: float = 7.2
) -> str:
    """The building's energy use intensity against the scheme's EUI thresholds
    (lower is better); all values in ``unit``."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        rows = [Bar("This building", eui), *thresholds]
        rows.sort(key=lambda b: -b.value)
        fig = _figure(width_in, _height(len(rows)))
        ax = fig.add_subplot()
        y = list(range(len(rows)))[::-1]
        colours = [GREEN if b.label == "This building" else GREY for b in rows]
        edges = [GREEN_DARK if b.label == "This building" else "#b9c6bf" for b in rows]
        ax.barh(y, [b.value for b in rows], color=colours, edgecolor=edges, height=0.62)
        top = max([b.value for b in rows] + [1.0])
        for yi, b in zip(y, rows, strict=True):
            weight = "bold" if b.label == "This building" else "normal"
            ax.text(
                b.value + top * 0.01,
                yi,
                _num(b.value),
                va="center",
                ha="left",
                fontsize=8,
                fontweight=weight,
            )
        ax.axvline(eui, color=GREEN_DARK, linestyle=":", linewidth=1.0)
        ax.set_yticks(y, [_short(b.label, 48) for b in rows])
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel(f"energy use intensity, {unit} (lower is better)")
        _style_axes(ax)
        fig.tight_layout(pad=0.4)
        return _svg(fig, "eui")


@_remembered
def sensitivity_chart(rows: Sequence[tuple[str, float, float]], *, width_in: float = 7.2) -> str:
    """The inputs that move the total most: for each ``(label, gain, loss)`` the most the
    total rises (green, right) and falls (red, left) by changing that input alone within
    its range, in points (or % for percent-scored schemes); ``loss`` is <= 0."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(width_in, _height(len(rows)))
        ax = fig.add_subplot()
        y = list(range(len(rows)))[::-1]
        gains = [max(0.0, gain) for _, gain, _ in rows]
        losses = [min(0.0, loss) for _, _, loss in rows]
        ax.barh(y, gains, color=GREEN, height=0.62, label="most it can gain")
        ax.barh(y, losses, color=RED, height=0.62, alpha=0.75, label="most it can lose")
        reach = max([*gains, *(-v for v in losses), 1.0])
        for yi, gain, loss in zip(y, gains, losses, strict=True):
            if gain:
                ax.text(gain + reach * 0.02, yi, f"+{_num(gain)}", va="center", fontsize=8)
            if loss:
                ax.text(
                    loss - reach * 0.02, yi, f"−{_num(-loss)}", va="center", ha="right", fontsize=8
                )
        ax.axvline(0, color="#9aa8a0", linewidth=0.8)
        ax.set_yticks(y, [_short(label, 40) for label, _, _ in rows])
        ax.set_xlim(-reach * 1.3, reach * 1.3)
        ax.set_xlabel("change of the total, points")
        _style_axes(ax)
        ax.legend(
            loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7.5, frameon=False, ncols=2
        )
        fig.tight_layout(pad=0.4)
        return _svg(fig, "sensitivity")
