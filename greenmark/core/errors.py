"""One exception base for everything a user can get wrong, and the exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes of the ``greenmark`` command."""

    OK = 0
    NOT_SCORED = 1  # a file (or a row) could not be scored
    INVALID = 2  # usage error or invalid input
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is and what was expected."""

    message: str
    file: str | None = None
    location: str | None = None  # dotted field path, e.g. ``criteria[3].points.at``
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        parts = [p for p in (where, self.location) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class GreenmarkError(Exception):
    """Base of every error caused by bad input; carries one or more :class:`Problem`."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        line: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        if problems is None:
            problems = [
                Problem(
                    message or "error",
                    str(file) if file is not None else None,
                    location,
                    line,
                )
            ]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SchemeError(GreenmarkError):
    """A scheme file is malformed or inconsistent."""


class ProjectError(GreenmarkError):
    """A project file is malformed or does not fit its scheme."""


class FormulaError(GreenmarkError):
    """A formula in a data file is refused by the safe compiler."""


class UnitError(GreenmarkError):
    """A unit is unknown or not convertible to the unit the scheme expects."""
