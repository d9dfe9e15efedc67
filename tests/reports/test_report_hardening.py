"""Reports and certificates against hostile or unlucky input: what the PDF renderer may
fetch, reproducible PDFs, files that are no certificate, missing output folders."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from report_helpers import DEMO, ROOT

from greenmark.core.resources import templates_dir
from greenmark.reports.pdf import (
    RefusedURL,
    check_url,
    render_html_to_pdf,
    source_date_epoch,
    url_fetcher,
)
from greenmark.reports.reading import NotACertificate, read_certificate

CSS = templates_dir() / "certificate.css"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``greenmark`` through its real entry point in a subprocess."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "greenmark", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


SVG = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server: its address and the paths requested from it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


# ----------------------------------------------------------------------------- URL fetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "file://otherhost" + str(CSS),
        (templates_dir() / ".." / "pyproject.toml").as_uri(),
        CSS.as_uri().replace("certificate.css", "%2E%2E/pyproject.toml"),
        "about:blank",
        "javascript:alert(1)",
    ],
)
def test_urls_outside_the_bundled_templates_are_refused(url):
    with pytest.raises(RefusedURL):
        check_url(url)
    with pytest.raises(RefusedURL):
        url_fetcher()(url)


def test_bundled_css_and_data_urls_are_fetched():
    response = url_fetcher()(CSS.as_uri())
    try:
        assert response.read() == CSS.read_bytes()
    finally:
        response.close()
    check_url(SVG)  # no exception


def test_the_pdf_renderer_fetches_nothing_but_bundled_files(monkeypatch, server):
    from weasyprint import urls

    if not hasattr(urls, "URLFetcher"):
        pytest.skip("WeasyPrint before 67 has no URLFetcher class")
    address, hits = server
    fetched: list[str] = []
    original = urls.URLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(urls.URLFetcher, "fetch", spy)
    html = f"""<!doctype html><html><head>
    <link rel="stylesheet" href="certificate.css">
    <link rel="stylesheet" href="{address}/sheet.css">
    <style>body {{ background: url("file:///etc/hostname") }}</style>
    </head><body><p>Hello</p>
    <img src="file:///etc/passwd"><img src="{address}/pixel.png">
    <img src="../pyproject.toml"><img src="{SVG}">
    </body></html>"""
    pdf = render_html_to_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert hits == []  # no request reached the network
    assert CSS.as_uri() in fetched and SVG in fetched
    assert not [u for u in fetched if "passwd" in u or "hostname" in u or "pyproject" in u]
    assert not [u for u in fetched if u.startswith("http")]


# ----------------------------------------------------------------------------- reproducible PDF


def test_source_date_epoch_is_set_while_rendering_and_restored(monkeypatch):
    when = datetime(2026, 11, 25, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "123")
    with source_date_epoch(when):
        assert os.environ["SOURCE_DATE_EPOCH"] == str(int(when.timestamp()))
    assert os.environ["SOURCE_DATE_EPOCH"] == "123"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    with pytest.raises(RuntimeError), source_date_epoch(when):
        raise RuntimeError
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_the_same_html_gives_the_same_pdf_seconds_apart():
    html = '<!doctype html><html><head><link rel="stylesheet" href="certificate.css"></head>'
    html += "<body><h1>Gold Plus</h1><p>Reproducible 123 · m²</p></body></html>"
    first = render_html_to_pdf(html)
    time.sleep(1.1 - time.time() % 1)  # the next second: a clock in the output would show
    assert render_html_to_pdf(html) == first


# ----------------------------------------------------------------------------- not a certificate


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    stream = io.BytesIO()
    writer.write(stream)
    return stream.getvalue()


NOT_CERTIFICATES = {
    "garbage.bin": (bytes(range(256)) * 4, "neither a PDF nor UTF-8 text"),
    "truncated.pdf": (blank_pdf()[:300], "the PDF is damaged or truncated"),
    "header-only.pdf": (b"%PDF-1.7\n", "the PDF is damaged or truncated"),
    "blank.pdf": (blank_pdf(), "it has no embedded greenmark-certificate.json"),
    "empty.html": (b"", "the file is empty"),
    "blank.md": (b"  \n\n", "the file is empty"),
    "plain.html": (
        b"<!doctype html><html><body><p data-gm='name'>X</p></body></html>",
        "it has no greenmark certificate data block",
    ),
    "notes.md": (b"# Notes\n", "it has no greenmark certificate data block"),
    "folder.html": (None, "it is a folder"),
}


@pytest.mark.parametrize("name", list(NOT_CERTIFICATES))
def test_verify_on_a_file_that_is_no_certificate_exits_2_with_one_line(tmp_path, name):
    content, why = NOT_CERTIFICATES[name]
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    done = run_cli("verify", name, str(DEMO), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    # one line, ours: no traceback, no pypdf log line such as "EOF marker not found"
    assert done.stderr.splitlines() == [f"error: {name}: not a greenmark certificate: {why}"] or (
        len(done.stderr.splitlines()) == 1
        and done.stderr.startswith(f"error: {name}: not a greenmark certificate: {why} (")
    ), done.stderr


def test_reading_a_damaged_pdf_logs_and_warns_nothing(tmp_path, caplog, recwarn):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(blank_pdf()[:300])
    with caplog.at_level(logging.DEBUG), pytest.raises(NotACertificate):
        read_certificate(path)
    assert [r.getMessage() for r in caplog.records] == []
    assert [str(w.message) for w in recwarn] == []
    assert logging.getLogger("pypdf").propagate  # restored afterwards


# ----------------------------------------------------------------------------- output folders


def test_report_into_a_missing_folder_creates_it(tmp_path):
    target = tmp_path / "out" / "2026" / "certificate.md"
    done = run_cli("report", str(DEMO), "--format", "md", "-o", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "```json greenmark-certificate" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["certificate.md"]


def test_report_under_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    target = blocker / "certificate.md"
    done = run_cli("report", str(DEMO), "--format", "md", "-o", str(target), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{target}: cannot create the folder {blocker}: a file is in the way" in done.stderr
    assert not Path(blocker).is_dir()
