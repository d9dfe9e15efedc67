"""Small helpers for tests: load schemes from TOML text and score plain dicts."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from greenmark.core.engine import Scores, compile_scheme, encode_inputs, score
from greenmark.core.model import Scheme
from greenmark.core.scheme import parse_scheme


def scheme_from_text(text: str) -> Scheme:
    return parse_scheme(tomllib.loads(text), text, "<test>")


def score_rows(
    scheme: Scheme,
    rows: Sequence[Mapping[str, Any]],
    na: Mapping[str, Sequence[bool]] | None = None,
) -> Scores:
    compiled = compile_scheme(scheme)
    marks = {k: np.asarray(v) for k, v in (na or {}).items()}
    return score(compiled, encode_inputs(compiled, rows), size=len(rows), not_applicable=marks)
