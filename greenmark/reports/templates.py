"""The shared Jinja2 environment: autoescaped HTML, StrictUndefined, the report filters.

Templates live in ``templates/`` (see :func:`greenmark.core.resources.templates_dir`)
and receive plain data only (dicts, lists, strings, numbers). A missing field raises
instead of printing a blank.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from greenmark.core.resources import templates_dir
from greenmark.reports.text import (
    fmt_number,
    fmt_percent,
    fmt_value,
    html_with_code,
    md_code,
    md_escape,
    md_with_code,
)


def _autoescape(name: str | None) -> bool:
    """Autoescape HTML templates (``*.html``, ``*.html.j2``, ``*.htm.j2``, ``*.xml.j2``)."""
    if name is None:
        return True
    base = name[:-3] if name.endswith(".j2") else name
    return base.endswith((".html", ".htm", ".xml", ".svg"))


def _make_environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=400,
    )
    env.filters["number"] = fmt_number
    env.filters["percent"] = fmt_percent
    env.filters["value"] = fmt_value
    env.filters["md"] = md_escape
    env.filters["mdcode"] = md_code
    env.filters["mdreason"] = md_with_code
    env.filters["codespans"] = html_with_code
    return env


@lru_cache(maxsize=8)
def _cached_environment(folder: str) -> jinja2.Environment:
    return _make_environment(folder)


def environment(folder: str | Path | None = None) -> jinja2.Environment:
    """The shared Jinja2 environment (one per template folder, cached).

    ``FileSystemLoader(templates_dir())`` unless ``folder`` is given; autoescape on for
    HTML templates (``.html``/``.html.j2``), off for Markdown; ``StrictUndefined``.
    Filters: ``number(digits=1, unit="")``, ``percent``, ``value`` (any input value),
    ``md`` (escape for Markdown), ``mdcode`` (inline code span), ``mdreason`` (escape,
    with backtick-quoted formulas as code spans) and ``codespans`` (the same for HTML).
    Templates are compiled once and kept (``auto_reload`` is off).
    """
    return _cached_environment(str(Path(folder) if folder is not None else templates_dir()))


def template_name(kind: str, fmt: str) -> str:
    """``certificate.html.j2``, ``assessment.md.j2``… (PDF uses the HTML template)."""
    return f"{kind}.{'md' if fmt == 'md' else 'html'}.j2"
