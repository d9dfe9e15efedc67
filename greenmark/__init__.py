"""greenmark: green-building certification scoring with schemes as data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("greenmark")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
