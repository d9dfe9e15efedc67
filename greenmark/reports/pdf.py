"""HTML to PDF with WeasyPrint: bundled files only, reproducible bytes, atomic writes.

One font configuration serves every document of the process (:func:`_fonts`): Pango
keeps what it has found about the fonts the reports use (which font answers a family
list, its metrics, its glyph shapes) in it, which WeasyPrint would otherwise work out
again for every document; a later report renders faster and to the same bytes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from greenmark.core.resources import templates_dir
from greenmark.core.tomlfile import write_atomic


class RefusedURL(ValueError):
    """A URL the PDF renderer may not fetch (WeasyPrint logs it and skips the resource)."""


def fetch_allowed(url: str, root: Path | None = None) -> bool:
    """True for inline ``data:`` URLs and local ``file:`` URLs inside ``root`` (default:
    the bundled templates folder, see :func:`greenmark.core.resources.templates_dir`)."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    folder = (root or templates_dir()).resolve()
    try:
        path = Path(url2pathname(parts.path)).resolve()
    except (OSError, ValueError):
        return False
    return path == folder or path.is_relative_to(folder)


def check_url(url: str, root: Path | None = None) -> None:
    """Raise :class:`RefusedURL` unless :func:`fetch_allowed` allows ``url``."""
    if not fetch_allowed(url, root):
        shown = url if len(url) <= 100 else url[:99] + "…"
        raise RefusedURL(f"not fetched: {shown} (only bundled templates and data: URLs)")


def url_fetcher(root: Path | None = None) -> Any:
    """A WeasyPrint URL fetcher that fetches only what :func:`fetch_allowed` allows: the
    HTML of a report can then never make the renderer read a local file or the network."""
    from weasyprint import urls

    base = getattr(urls, "URLFetcher", None)
    if base is None:  # WeasyPrint before 67: fetchers are functions
        default = urls.default_url_fetcher

        def fetch(url: str) -> Any:
            check_url(url, root)
            return default(url)

        return fetch

    class BundledOnly(base):  # type: ignore[misc, valid-type]
        """WeasyPrint's fetcher, for allowed URLs only."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            check_url(url, root)
            return super().fetch(url, headers)

    return BundledOnly(allowed_protocols=("file", "data"), allow_redirects=False)


@contextmanager
def source_date_epoch(when: datetime) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to ``when`` while the block runs (the previous value, or
    none, afterwards). fontTools stamps embedded font subsets with it instead of now."""
    stamp = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


#: One document at a time: the shared font configuration is not for two threads at once,
#: and ``SOURCE_DATE_EPOCH`` is one per process.
_RENDERING = threading.Lock()


@lru_cache(maxsize=1)
def _shared_fonts() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _fonts(html: str) -> Any:
    """The shared font configuration, or a fresh one for a document that declares fonts of
    its own (``@font-face``), which must not be seen by the documents after it."""
    if "@font-face" in html:
        from weasyprint.text.fonts import FontConfiguration

        return FontConfiguration()
    return _shared_fonts()


def render_html_to_pdf(
    html: str,
    path: str | Path | None = None,
    *,
    base_url: str | None = None,
    attachments: Mapping[str, str | bytes] | None = None,
    when: datetime | None = None,
) -> bytes:
    """Render an HTML string to PDF with WeasyPrint; write it atomically to ``path`` if given.

    ``base_url`` (default: the templates folder) resolves relative links such as CSS;
    only files in the bundled templates folder and ``data:`` URLs are fetched
    (:func:`url_fetcher`), whatever the HTML links to.
    ``attachments``: files to embed, name -> content; ``when``: their creation time and
    the fonts' time stamp (default 2000-01-01 UTC): the same input gives the same bytes.
    Returns the PDF bytes. Page size, margins and page numbers come from the HTML's
    print CSS (``@page``).
    """
    import weasyprint  # imported lazily: slow to import and only needed for PDF

    stamp = when or datetime(2000, 1, 1, tzinfo=UTC)
    files = [
        weasyprint.Attachment(
            string=content.decode("utf-8") if isinstance(content, bytes) else content,
            name=name,
            description=name,
            created=stamp,
            modified=stamp,
        )
        for name, content in (attachments or {}).items()
    ]
    document = weasyprint.HTML(
        string=html, base_url=base_url or str(templates_dir()), url_fetcher=url_fetcher()
    )
    with _RENDERING, source_date_epoch(stamp):
        data: bytes = document.write_pdf(attachments=files or None, font_config=_fonts(html))
    if path is not None:
        write_atomic(path, data)
    return data
