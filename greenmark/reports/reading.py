"""Reading a certificate file back: the embedded data block, the visible fields and the
text of an HTML, Markdown or PDF certificate (see :mod:`greenmark.reports.certificate`)."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.reports.certificate import (
    _NO_BLOCK,
    FIELDS,
    FORMATS,
    MD_INFO,
    NO_BLOCK,
    NO_PDF_ATTACHMENT,
    PDF_ATTACHMENT,
    SCRIPT_ID,
)


@dataclass
class CertificateFile:
    """What a certificate file says: its embedded block, its visible fields and text."""

    path: Path
    kind: str  # html | md | pdf
    embedded: dict[str, Any] | None
    shown: dict[str, str]  # field -> visible text (html/md); empty for pdf
    text: str  # html/md: the file's text; pdf: the text extracted from every page
    keywords: str = ""
    problem: str | None = None  # why the embedded block could not be read
    pages: list[str] = dataclasses.field(default_factory=list)  # pdf: the text of each page
    raw: bytes = b""  # pdf: the file's bytes (for its PDF signature)


class _CertificateHTML(HTMLParser):
    """Collects the ``data-gm`` fields and the JSON block of an HTML certificate."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "param",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, list[str]] = {}
        self.blocks: list[str] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, field)
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("id") == SCRIPT_ID:
            self._script = []
            return
        if tag in self.VOID:
            return
        field = attributes.get("data-gm")
        self._open.append((tag, field))
        if field is not None:
            self.fields.setdefault(field, []).append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._script is not None and tag == "script":
            self.blocks.append("".join(self._script))
            self._script = None
            return
        if tag in self.VOID:
            return
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
            return
        for _, field in self._open:
            if field is not None:
                self.fields[field][-1] += data


def normal_text(text: str) -> str:
    return " ".join(text.split())


_MD_UNESCAPE = re.compile(r"\\(.)")


_MD_ROW = re.compile(r"^\|\s*(?P<label>[^|]+?)\s*\|\s*(?P<value>.*?)\s*\|\s*$")


def md_unescape(text: str) -> str:
    """Undo :func:`greenmark.reports.text.md_escape` (backslash escapes and entities)."""
    text = _MD_UNESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _md_value(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith("**") and cell.endswith("**") and len(cell) >= 4:
        cell = cell[2:-2]
    if cell.startswith("`") and cell.endswith("`"):
        return cell.strip("`").strip()
    # a cell may hold the escaped pipe "\|": split only on unescaped pipes above
    return md_unescape(cell)


def _parse_block(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"its data block is not valid JSON ({exc.msg})"
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        return None, f"its data block is not a {' or '.join(FORMATS)} block"
    payload = data.get("payload")
    if not isinstance(payload, dict) or not isinstance(data.get("digest"), str):
        return None, "its data block lacks the payload or the digest"
    if payload.get("format", data["format"]) != data["format"]:
        return None, "its data block and its payload name different formats"
    return data, None


class NotACertificate(GreenmarkError):
    """A file that cannot be read as a greenmark certificate at all (exit code 2)."""

    def __init__(self, file: Path, why: str) -> None:
        super().__init__(f"not a greenmark certificate: {why}", file=file)


def read_certificate(path: str | Path) -> CertificateFile:
    """Read an HTML, Markdown or PDF certificate (kind by content, not by name).

    Raises :class:`NotACertificate` for a file that is no certificate at all: a folder,
    an empty file, binary data, a PDF that cannot be read, a file without the data block.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise GreenmarkError("file not found", file=file) from None
    except IsADirectoryError:
        raise NotACertificate(file, "it is a folder") from None
    except OSError as exc:
        raise GreenmarkError(f"cannot read: {exc.strerror}", file=file) from None
    read = _read(file, raw)
    if read.embedded is None and read.problem in _NO_BLOCK:
        raise NotACertificate(file, read.problem)
    return read


def read_certificate_bytes(path: str | Path, raw: bytes) -> CertificateFile:
    """Read a certificate from its bytes (``path`` names it in messages)."""
    return _read(Path(path), raw)


def _read(file: Path, raw: bytes) -> CertificateFile:
    if not raw.strip():
        raise NotACertificate(file, "the file is empty")
    if raw.startswith(b"%PDF"):
        return _read_pdf(file, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotACertificate(file, "neither a PDF nor UTF-8 text") from None
    head = text.lstrip()[:200].lower()
    if head.startswith("<!doctype html") or head.startswith("<html"):
        return _read_html(file, text)
    return _read_md(file, text)


def _read_html(file: Path, text: str) -> CertificateFile:
    parser = _CertificateHTML()
    parser.feed(text)
    parser.close()
    shown: dict[str, str] = {}
    for field, occurrences in parser.fields.items():
        values = {normal_text(v) for v in occurrences}
        # a field shown twice with different text keeps the odd one out for the message
        shown[field] = values.pop() if len(values) == 1 else " | ".join(sorted(values))
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_BLOCK
    if len(parser.blocks) > 1:
        problem = "it has more than one certificate data block"
    elif parser.blocks:
        embedded, problem = _parse_block(parser.blocks[0])
    return CertificateFile(file, "html", embedded, shown, text, problem=problem)


def _read_md(file: Path, text: str) -> CertificateFile:
    lines = text.splitlines()
    shown: dict[str, str] = {}
    labels = {label: field for field, label in FIELDS.items()}
    block: list[str] | None = None
    blocks: list[str] = []
    for line in lines:
        stripped = line.strip()
        if block is not None:
            if stripped.startswith("```"):
                blocks.append("\n".join(block))
                block = None
            else:
                block.append(line)
            continue
        if stripped.startswith("```") and stripped[3:].strip() == MD_INFO:
            block = []
            continue
        row = _MD_ROW.match(_protect_pipes(stripped))
        if row:
            label = md_unescape(row["label"].strip("*").strip())
            field = labels.get(label)
            if field is not None:
                value = normal_text(_md_value(row["value"].replace("\x00", "\\|")))
                shown[field] = value if field not in shown else f"{shown[field]} | {value}"
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_BLOCK
    if len(blocks) > 1:
        problem = "it has more than one certificate data block"
    elif blocks:
        embedded, problem = _parse_block(blocks[0])
    return CertificateFile(file, "md", embedded, shown, text, problem=problem)


def _protect_pipes(line: str) -> str:
    return line.replace("\\|", "\x00")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's log lines (e.g. "EOF marker not found") and warnings off the terminal
    while the block runs: a damaged file gets one clear message instead."""
    logger = logging.getLogger("pypdf")
    handler = logging.NullHandler()
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


def _read_pdf(file: Path, raw: bytes) -> CertificateFile:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a dev dependency
        raise GreenmarkError(
            "verifying a PDF certificate needs pypdf (pip install pypdf); "
            "HTML and Markdown certificates need nothing more",
            file=file,
        ) from None
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(raw))
            pages = [page.extract_text() or "" for page in reader.pages]
            text = "\n".join(pages)
            attachments: dict[str, list[bytes]] = dict(reader.attachments)
            metadata = reader.metadata
            keywords = str(metadata.get("/Keywords", "") or "") if metadata is not None else ""
        except Exception as exc:  # pypdf raises many kinds on damaged files
            why = str(exc) or type(exc).__name__
            raise NotACertificate(file, f"the PDF is damaged or truncated ({why})") from None
    embedded: dict[str, Any] | None = None
    problem: str | None = NO_PDF_ATTACHMENT
    found = attachments.get(PDF_ATTACHMENT)
    if found:
        try:
            embedded, problem = _parse_block(found[0].decode("utf-8"))
        except UnicodeDecodeError:
            problem = f"its {PDF_ATTACHMENT} is not UTF-8"
    return CertificateFile(
        file, "pdf", embedded, {}, text, keywords=keywords, problem=problem, pages=pages, raw=raw
    )
