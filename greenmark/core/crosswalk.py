"""What a scheme reads that a project does not state as its own inputs: the project's
stage (for a scheme with a ``stage`` choice input), and, for a project scored against
another scheme than its own, the input names that map between the two (a scheme's
``[crosswalk.<other id>]`` table) and the inputs left out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from greenmark.core.model import Scheme
from greenmark.core.scheme import scheme_id_of


def crosswalk_for(reference: str, folder: Path, scheme: Scheme) -> tuple[dict[str, str], bool]:
    """How a project's input names read in ``scheme``, and whether the project (whose own
    scheme is ``reference``, resolved from ``folder``) was assessed against another one."""
    own = scheme_id_of(reference, folder)
    if own is None or own == scheme.id:
        return {}, False
    return dict(scheme.crosswalk.get(own, {})), True


def inputs_left_out(
    reference: str, folder: Path, names: Iterable[str], scheme: Scheme
) -> list[str]:
    """The project's inputs ``names`` that ``scheme`` (another scheme than the project's)
    has no counterpart for: they are left out of its score."""
    walk, foreign = crosswalk_for(reference, folder, scheme)
    if not foreign:
        return []
    return [n for n in names if walk.get(n, n) not in scheme.inputs]


def stage_choice(scheme: Scheme, stage: str) -> str | None:
    """The option of a scheme's ``stage`` choice input that a project's stage
    (``as-built`` -> ``as_built``) names, or None when the scheme has no such input."""
    spec = scheme.inputs.get("stage")
    option = stage.replace("-", "_")
    if spec is None or spec.type != "choice" or option not in (spec.choices or ()):
        return None
    return option
