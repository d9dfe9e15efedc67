"""A project scored once for every report of it: the result, the certificate issued from
it, and how its values read in documents."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from greenmark.reports.provisional import provisional_values
from greenmark.reports.text import fmt_number

KINDS = ("certificate", "assessment")
FORMATS = ("html", "pdf", "md")


def issue_date() -> date:
    """Today (UTC), or the day of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return datetime.now(UTC).date()


@dataclass
class Prepared:
    """A scored project with everything a report needs (computed once, rendered many times)."""

    scored: Any  # greenmark.core.scoring.ProjectScore
    values: dict[str, Any]  # resolved inputs, scheme units
    certificate: Any  # greenmark.reports.certificate.Certificate
    _provisional: list[dict[str, Any]] | None = None
    #: rows of "Under other rating systems" (:mod:`greenmark.reports.comparison`); None: no section
    comparison: list[dict[str, Any]] | None = None

    def provisional(self) -> list[dict[str, Any]]:
        """:func:`provisional_values`, computed once (they do not depend on the date)."""
        if self._provisional is None:
            self._provisional = provisional_values(self)
        return self._provisional


def prepare(
    project: str | Path, *, scheme: str | None = None, issued: date | str | None = None
) -> Prepared:
    """Load, validate and score a project file and issue its certificate data."""
    from greenmark.core.project import load_project
    from greenmark.core.projectinputs import resolve_inputs
    from greenmark.core.scoring import scheme_for, score_project
    from greenmark.reports.certificate import issue

    loaded = load_project(project)
    chosen = scheme_for(loaded, scheme)
    values = resolve_inputs(loaded, chosen)
    scored = score_project(loaded, chosen)
    return Prepared(scored, values, issue(scored, values, issued or issue_date()))


def value_text(value: Any, spec: Any = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not given"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("_", " ") if spec is not None and spec.type == "choice" else value
    return fmt_number(float(value), 3)
