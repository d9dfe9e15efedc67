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


def toml_values(specials: Sequence[str], keys: Sequence[str]) -> Any:
    """A hypothesis strategy of TOML value texts: numbers (huge, inf, nan), booleans,
    strings, the file kind's own ``specials``, and arrays and inline tables (with ``keys``)
    of them, for fuzzing one value of a file."""
    import json
    import math

    from hypothesis import strategies as st

    def number(x: float) -> str:
        if math.isnan(x):
            return "nan"
        return ("inf" if x > 0 else "-inf") if math.isinf(x) else repr(x)

    scalars = st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(number),
        st.booleans().map(lambda b: "true" if b else "false"),
        st.text(max_size=20).map(json.dumps),
        st.sampled_from(list(specials)),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.dictionaries(st.sampled_from(list(keys)), inner, max_size=3).map(
                lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"
            ),
        ),
        max_leaves=6,
    )


def with_value(text: str, line: int, value: str) -> str:
    """``text`` with the value on ``line`` (0-based, a ``key = value`` line) replaced."""
    lines = text.splitlines()
    key = lines[line].split(" = ", 1)[0]
    lines[line] = f"{key} = {value}"
    return "\n".join(lines) + "\n"
