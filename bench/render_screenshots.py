"""Render certificates and assessment reports to PNG, to look at them.

    python bench/render_screenshots.py [PROJECT...] [--out out/screenshots] [--pages 3]
                                       [--docs docs/images/certificate.png]

For each project (default: every sample project) this writes, into the output folder:

- ``<stem>-certificate.html`` / ``.pdf`` / ``.md`` and ``<stem>-assessment.*``;
- ``<stem>-certificate-html.png``: headless Chromium screenshot of the HTML certificate;
- ``<stem>-certificate-pdf.png``: the PDF certificate through ``pdftoppm``;
- ``<stem>-assessment-html.png``: the top of the HTML report (Chromium);
- ``<stem>-assessment-pdf-<n>.png``: the first ``--pages`` pages of the PDF report.

``--docs FILE`` also writes a small PNG of the first project's PDF certificate (for the
README). Needs ``chromium`` and ``pdftoppm`` (Debian: ``apt-get install chromium
poppler-utils``); a missing tool is reported and its pictures are skipped. The date of
issue is fixed (``--date``), so the pictures are reproducible.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from greenmark.reports.prepared import prepare  # noqa: E402
from greenmark.reports.render import render  # noqa: E402


def sample_projects() -> list[Path]:
    """Every ``samples/*.toml`` file with a ``[project]`` table."""
    found = []
    for path in sorted((ROOT / "samples").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("project"), dict):
            found.append(path)
    return found


def chromium() -> str | None:
    """The headless browser binary, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(browser: str, html: Path, png: Path, size: tuple[int, int]) -> None:
    """Headless Chromium screenshot of a local HTML file (``size`` in CSS pixels)."""
    with tempfile.TemporaryDirectory(prefix="gm-chromium-") as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={png}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def pdf_pages(pdf: Path, stem: Path, first: int, last: int, dpi: int) -> list[Path]:
    """Pages ``first``..``last`` of a PDF as PNG files ``<stem>-<n>.png`` (pdftoppm)."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(stem.parent.glob(f"{stem.name}-*.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="*", type=Path, help="project files (default: samples)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "screenshots")
    parser.add_argument("--pages", type=int, default=3, help="assessment pages to render")
    parser.add_argument("--dpi", type=int, default=80, help="PDF raster resolution")
    parser.add_argument("--date", default="2026-11-25", help="date of issue shown")
    parser.add_argument("--docs", type=Path, help="also write a small certificate PNG here")
    args = parser.parse_args(argv)

    projects = args.projects or sample_projects()
    args.out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    has_pdftoppm = shutil.which("pdftoppm") is not None
    if browser is None:
        print("chromium not found: HTML screenshots skipped", file=sys.stderr)
    if not has_pdftoppm:
        print("pdftoppm not found: PDF pictures skipped", file=sys.stderr)

    written: list[Path] = []
    for project in projects:
        prepared = prepare(project, issued=args.date)
        stem = project.stem
        for kind in ("certificate", "assessment"):
            for fmt in ("html", "pdf", "md"):
                target = args.out / f"{stem}-{kind}.{fmt}"
                target.write_bytes(render(prepared, kind, fmt))
        if browser:
            png = args.out / f"{stem}-certificate-html.png"
            screenshot(browser, args.out / f"{stem}-certificate.html", png, (1200, 880))
            written.append(png)
            png = args.out / f"{stem}-assessment-html.png"
            screenshot(browser, args.out / f"{stem}-assessment.html", png, (1000, 1500))
            written.append(png)
        if has_pdftoppm:
            for old in args.out.glob(f"{stem}-*-pdf*.png"):
                old.unlink()
            cert = pdf_pages(
                args.out / f"{stem}-certificate.pdf",
                args.out / f"{stem}-certificate-pdf",
                1,
                1,
                args.dpi,
            )
            for page in cert:
                final = args.out / f"{stem}-certificate-pdf.png"
                page.replace(final)
                written.append(final)
            written += pdf_pages(
                args.out / f"{stem}-assessment.pdf",
                args.out / f"{stem}-assessment-pdf",
                1,
                args.pages,
                args.dpi,
            )
    if args.docs and has_pdftoppm and projects:
        args.docs.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            pages = pdf_pages(
                args.out / f"{projects[0].stem}-certificate.pdf", Path(folder) / "cert", 1, 1, 90
            )
            shutil.copyfile(pages[0], args.docs)
        written.append(args.docs)
    for path in written:
        size = path.stat().st_size // 1024
        print(f"{path}  ({size} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
