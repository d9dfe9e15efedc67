"""Write the certificate (or assessment report) from the TUI, next to the project file."""

from __future__ import annotations

from pathlib import Path

from greenmark.core.tomlfile import write_atomic


def write_report(path: Path, kind: str = "certificate", scheme: str | None = None) -> Path:
    """Write the HTML ``kind`` (``certificate`` or ``assessment``) for the saved project
    file ``path``, next to it; returns the file written."""
    # imported on use: matplotlib and WeasyPrint load slowly
    from greenmark.reports.prepared import prepare
    from greenmark.reports.render import render

    target = path.with_name(f"{path.stem}-{kind}.html")
    write_atomic(target, render(prepare(path, scheme=scheme), kind, "html"))
    return target
