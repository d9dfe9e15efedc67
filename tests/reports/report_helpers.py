"""Helpers for the report tests: sample projects, a cache of rendered reports, parsers."""

from __future__ import annotations

import io
import re
import shutil
import tomllib
from html.parser import HTMLParser
from pathlib import Path

from tests_paths import sample_updater

from greenmark.reports.prepared import Prepared, prepare
from greenmark.reports.render import render

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "samples"
CRITERIA = ROOT / "criteria"
DEMO = SAMPLES / "demo-office.toml"
ISSUED = "2026-11-25"


PROJECTS: list[Path] = sample_updater().sample_projects(SAMPLES)


def _first_of_each_scheme(projects: list[Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    for path in projects:
        seen.setdefault(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["scheme"], path)
    return sorted({DEMO, *seen.values()})


#: one sample per scheme (and the demo): PDFs take seconds each
PDF_PROJECTS: list[Path] = _first_of_each_scheme(PROJECTS)

_prepared: dict[Path, Prepared] = {}
_rendered: dict[tuple[Path, str, str], bytes] = {}


def prepared_for(project: Path) -> Prepared:
    """The scored project (cached for the session), issued on a fixed date."""
    if project not in _prepared:
        _prepared[project] = prepare(project, issued=ISSUED)
    return _prepared[project]


def rendered(project: Path, kind: str, fmt: str) -> bytes:
    """A rendered report (cached for the session: PDFs take a while)."""
    key = (project, kind, fmt)
    if key not in _rendered:
        _rendered[key] = render(prepared_for(project), kind, fmt)
    return _rendered[key]


class StrictHTML(HTMLParser):
    """Parses HTML and fails on unbalanced or mismatched tags (void elements excepted)."""

    VOID = frozenset(
        ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"]
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("script", "style"):
            self._skip += 1
        if tag not in self.VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            self.errors.append(f"end tag for void element </{tag}> at {self.getpos()}")
            return
        if not self.stack:
            self.errors.append(f"stray </{tag}> at {self.getpos()}")
            return
        open_tag, where = self.stack.pop()
        if open_tag != tag:
            self.errors.append(f"<{open_tag}> opened at {where} closed by </{tag}>")
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse_html(text: str) -> StrictHTML:
    """Parse ``text`` strictly; assert that every tag is balanced."""
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, f"unclosed: {parser.stack[:5]}"
    return parser


def pdf_text(data: bytes) -> tuple[int, str]:
    """(page count, text with whitespace collapsed) of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def normal(text: str) -> str:
    return " ".join(text.split())


def copy_project(tmp_path: Path, source: Path = DEMO, **changes: str) -> Path:
    """Copy a sample project (and, if it names a scheme by path, nothing else) into tmp.

    ``changes``: regex -> replacement applied to the file's text.
    """
    text = source.read_text(encoding="utf-8")
    for pattern, replacement in changes.items():
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
        assert count == 1, pattern
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    return target


def copy_scheme(tmp_path: Path, scheme_id: str = "demo", version: str | None = None) -> Path:
    """Copy a bundled scheme into tmp (optionally with another version)."""
    target = tmp_path / f"{scheme_id}-copy.toml"
    shutil.copyfile(CRITERIA / f"{scheme_id}.toml", target)
    if version is not None:
        set_scheme_version(target, version)
    return target


def set_scheme_version(path: Path, version: str) -> None:
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r'^version = ".*"$', f'version = "{version}"', text, count=1, flags=re.M)
    assert count == 1
    path.write_text(text, encoding="utf-8")
