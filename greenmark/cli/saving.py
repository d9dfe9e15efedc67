"""Saving a project from a command: a file that cannot be written is a clear error."""

from __future__ import annotations

from pathlib import Path

from greenmark.core.errors import GreenmarkError
from greenmark.core.project import Project, ProjectSource, save_project


def save(project: Project, path: Path, source: ProjectSource | None) -> ProjectSource:
    """:func:`save_project`, with ``OSError`` turned into a :class:`GreenmarkError`."""
    try:
        return save_project(project, path, source)
    except OSError as exc:
        raise GreenmarkError(
            f"cannot write it: {exc.strerror or exc}; nothing was changed", file=str(path)
        ) from None
