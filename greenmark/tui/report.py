"""Write the certificate (or assessment report) from the TUI, next to the project file."""

from __future__ import annotations

from pathlib import Path

from ..tomlfile import write_atomic


def write_report(path: Path, kind: str = "certificate", scheme: str | None = None) -> Path:
    """Write the HTML ``kind`` (``certificate`` or ``assessment``) for the saved project
    file ``path``, next to it; returns the file written."""
    from .. import report  # imported on use: matplotlib and WeasyPrint load slowly

    target = path.with_name(f"{path.stem}-{kind}.html")
    prepared = report.prepare(path, scheme=scheme)
    write_atomic(target, report.render(prepared, kind, "html"))
    return target
