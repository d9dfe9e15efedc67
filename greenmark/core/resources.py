"""Locate the bundled data folders (criteria/, templates/, samples/).

In a source checkout (or an editable install) they sit at the repository's top
level; in a wheel they are shipped inside the package under ``_bundled/``.
Also :func:`make_parent`, which every command writing files uses to create
missing output folders the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from greenmark.core.errors import GreenmarkError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # greenmark/


def _bundled(name: str) -> Path:
    inside = _PACKAGE_DIR / "_bundled" / name
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / name


def criteria_dir() -> Path:
    """Folder holding the bundled schemes and factor tables (``GREENMARK_CRITERIA`` overrides)."""
    override = os.environ.get("GREENMARK_CRITERIA")
    return Path(override) if override else _bundled("criteria")


def shipped_criteria_dir() -> Path:
    """The criteria folder shipped with greenmark, whatever ``GREENMARK_CRITERIA`` says."""
    return _bundled("criteria")


def templates_dir() -> Path:
    """Folder holding the Jinja2 report templates."""
    return _bundled("templates")


def samples_dir() -> Path:
    """Folder holding the sample buildings and portfolios."""
    return _bundled("samples")


def default_sample() -> Path:
    """The bundled sample a bare ``greenmark`` shows (the demo office, scheme ``demo``)."""
    return samples_dir() / "demo-office.toml"


def make_parent(target: Path) -> None:
    """Create the missing folders above the output file ``target`` (a clear error when
    that is impossible: a file in the way, no permission)."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise GreenmarkError(
            f"cannot create the folder {folder}: a file is in the way", file=target
        ) from None
    except OSError as exc:
        raise GreenmarkError(
            f"cannot create the folder {folder}: {exc.strerror or exc}", file=target
        ) from None
