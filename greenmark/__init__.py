"""greenmark: green-building certification scoring with schemes as data.

The public surface for library use; the command line and the terminal UI are clients
of it. Names load on first use, so ``import greenmark`` stays fast::

    import greenmark
    loaded = greenmark.load_project("samples/demo-office.toml")
    result = greenmark.score_project(loaded, greenmark.scheme_for(loaded)).result
    print(result.tier_title, result.total_points)

The wings (``greenmark.core``, ``.calc``, ``.portfolio``, ``.design``, ``.reports``,
``.cli``, ``.tui``) hold everything else; each ``__init__`` says what it owns.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from greenmark.core.version import __version__

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "GreenmarkError": "greenmark.core.errors",
    "load_scheme": "greenmark.core.scheme",
    "bundled_schemes": "greenmark.core.scheme",
    "load_project": "greenmark.core.project",
    "scheme_for": "greenmark.core.scoring",
    "score_project": "greenmark.core.scoring",
    "compile_scheme": "greenmark.core.engine",
    "score": "greenmark.core.engine",
    "verify": "greenmark.reports.verify",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'greenmark' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
