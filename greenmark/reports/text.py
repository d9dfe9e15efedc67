"""Numbers and text as documents show them: number formatting, units, Markdown and HTML escaping."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

_MD_SPECIAL = "\\`*_[]|~"


_MD_LEADING = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)](?:\s|$)))")


def fmt_number(value: Any, digits: int = 1, unit: str = "") -> str:
    """A number for people: thousands separators, at most ``digits`` decimals, trailing
    zeros dropped (``12.50`` -> ``12.5``); ``None``/NaN -> an en dash."""
    if value is None or isinstance(value, bool):
        return "–" if value is None else ("yes" if value else "no")
    if isinstance(value, str):
        return value
    number = float(value)
    if math.isnan(number):
        return "–"
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return f"{text} {unit}".rstrip() if unit else text


def fmt_percent(value: Any, digits: int = 0) -> str:
    """``87`` -> ``87 %``; ``None`` -> an en dash."""
    if value is None:
        return "–"
    return f"{fmt_number(value, digits)} %"


def fmt_value(value: Any, digits: int = 2) -> str:
    """Any input value: booleans as yes/no, numbers via :func:`fmt_number`, text as is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt_number(value, digits)
    if value is None:
        return "–"
    return str(value)


def _md_chars(text: str) -> str:
    out = []
    for char in text:
        if char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "&":
            out.append("&amp;")
        elif char in _MD_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _md_leading(escaped: str) -> str:
    leading = _MD_LEADING.match(escaped)
    if not leading:
        return escaped
    cut = leading.end(2) if leading[2].isdigit() else leading.end(1)
    return escaped[:cut] + "\\" + escaped[cut:]


def md_escape(value: Any) -> str:
    """Escape text for Markdown, one line: inline HTML (``<``, ``>``, ``&`` as entities),
    emphasis, links, code and table pipes; a leading ``#``, ``-``, ``+`` or ``1.`` too."""
    return _md_leading(_md_chars(" ".join(str(value).split())))


def md_code(value: Any) -> str:
    """Text as an inline Markdown code span (backticks inside are handled; ``|`` is
    escaped so that the span can sit in a table cell)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_with_code(value: Any) -> str:
    """Like :func:`md_escape`, but text between backticks (formulas in reasons) becomes
    inline code instead of escaped backticks."""
    text = " ".join(str(value).split())
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced backticks: escape everything
        return md_escape(text)
    out = "".join(
        (md_code(part) if part.strip() else "") if i % 2 else _md_chars(part)
        for i, part in enumerate(parts)
    )
    return _md_leading(out) if not text.startswith("`") else out


def html_with_code(value: Any) -> Markup:
    """HTML-escaped text in which backtick-quoted formulas become ``<code>`` elements."""
    text = str(value)
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return escape(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


def pretty_unit(unit: str | None) -> str:
    """A scheme unit for people: ``kWh/m2/yr`` -> ``kWh/m²/yr``; dimensionless -> ``""``."""
    if not unit or unit in ("1", "-", "dimensionless"):
        return ""
    text = unit.replace("m2", "m²").replace("m3", "m³").replace("CO2", "CO₂")
    return text.replace("ft2", "ft²")


def total_text(
    scoring: str,
    points: float,
    maximum: float,
    percent: float,
    headline: Mapping[str, Any] | None = None,
) -> str:
    """``53.7 of 60 points``; ``103.2 points (max 100 + bonus)``; ``87.5 %``; or the
    scheme's headline metric (``BEE 2.1``) when it names one or has no points."""
    if headline is not None:
        value = headline.get("value")
        unit = str(headline.get("unit") or "")
        shown = "n/a" if value is None else fmt_number(value)
        suffix = f" {unit}" if unit not in ("", "1", "-") and value is not None else ""
        return f"{headline.get('label', '')} {shown}{suffix}".strip()
    if scoring == "none":
        return "no points (the scheme ranks by conditions)"
    if scoring == "percent":
        return f"{fmt_number(percent)} %"
    if points > maximum:
        return f"{fmt_number(points)} points (max {fmt_number(maximum)} + bonus)"
    return f"{fmt_number(points)} of {fmt_number(maximum)} points"
