"""What a project file records beside its values: evidence files attached to a criterion,
the sign-off of each stage, and proposed scenarios.

An attached file is named by its path relative to the project file's folder, with the
SHA-256 and size it had when attached, so a later change (or its loss) shows::

    [[responses."EN-1".files]]
    path = "evidence/ettv-calculation.pdf"
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    size = 48213
    attached = 2026-12-06T09:30:00Z
    who = "assessor"

    [[signoffs]]
    stage = "design"
    revision = 1
    who = "reviewer"
    at = 2026-12-06T16:00:00Z

    [scenarios."chiller-0.55"]
    measures = ["chiller-0.55"]
    created = 2026-12-06T15:00:00Z
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from greenmark.core.tomlfile import LongText, ShortText


class _Record(BaseModel):
    """Strict, like the rest of a project file: unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        strict=True,
        allow_inf_nan=False,
        defer_build=True,  # validators built on first use, not at import
    )


class EvidenceFile(_Record):
    """A file attached as evidence: where it is and what it held when attached."""

    path: LongText = Field(min_length=1)  # relative to the project file's folder, with "/"
    sha256: str
    size: int = Field(ge=0)  # bytes
    attached: datetime
    who: ShortText = ""

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError("must be a SHA-256: 64 hexadecimal digits (0-9, a-f)")
        return value

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        if value.startswith(("/", "~", "\\")) or ":" in value[:3] or "\\" in value:
            raise ValueError(f"must be a path relative to the project file, with '/': {value!r}")
        if ".." in value.split("/"):
            raise ValueError(f"must be inside the project file's folder: {value!r}")
        return value


class SignOff(_Record):
    """A stage signed off: who, when, which revision; the stage's values are then locked.

    ``kept``: for a stage left behind, the file that keeps it as it was (next to the
    project file) and that file's SHA-256.
    """

    stage: ShortText = Field(min_length=1)
    revision: int = Field(default=1, ge=1)
    who: ShortText = Field(min_length=1)
    at: datetime
    note: LongText = ""
    kept: LongText = ""
    kept_sha256: str = ""


class Scenario(_Record):
    """A proposal: measures applied on paper, scored beside the assessed values but not
    part of them until the assessor accepts it."""

    measures: list[ShortText] = Field(min_length=1)  # ids of the measures catalogue
    who: ShortText = ""
    created: datetime
    note: LongText = ""
