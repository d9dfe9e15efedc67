"""What a scheme reads that a project does not state as its own inputs: the project's
stage (for a scheme with a ``stage`` choice input), and, for a project scored against
another scheme than its own, the input names that map between the two (a scheme's
``[crosswalk.<other id>]`` table, then the shared vocabulary's terms both schemes name)
and the inputs left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from greenmark.core.errors import GreenmarkError
from greenmark.core.model import Scheme
from greenmark.core.scheme import load_scheme, resolve_scheme, scheme_id_of
from greenmark.core.vocabulary import blocked_names, carried_inputs


@dataclass
class Carry:
    """How a project's inputs read in a scheme: ``walk`` renames them, ``blocked`` ones
    mean something else there, ``units`` are those they were entered in where the scheme's
    differ; ``foreign``: the project was assessed against another scheme."""

    walk: dict[str, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    units: dict[str, str] = field(default_factory=dict)
    foreign: bool = False

    def target(self, name: str) -> str | None:
        """The scheme's input that the project's input ``name`` feeds (None: none)."""
        return None if name in self.blocked else self.walk.get(name, name)


def carry_for(reference: str, folder: Path, scheme: Scheme) -> Carry:
    """How the inputs of a project whose own scheme is ``reference`` (resolved from
    ``folder``) read in ``scheme``: its crosswalk for the project's scheme first, then the
    shared terms the two schemes name alike."""
    own_id = scheme_id_of(reference, folder)
    if own_id is None or own_id == scheme.id:
        return Carry()
    try:
        own = load_scheme(resolve_scheme(reference, folder))
    except GreenmarkError:
        own = None  # the project's own scheme is not at hand: by crosswalk and name only
    walk = carried_inputs(own, scheme) | dict(scheme.crosswalk.get(own_id, {}))
    units = {}
    if own is not None:
        for name, target in walk.items():
            mine, theirs = own.inputs.get(name), scheme.inputs.get(target)
            if mine is not None and theirs is not None and mine.unit != theirs.unit:
                units[name] = mine.unit
    return Carry(walk, blocked_names(own, scheme) - set(walk), units, foreign=True)


def inputs_left_out(
    reference: str, folder: Path, names: Iterable[str], scheme: Scheme
) -> list[str]:
    """The project's inputs ``names`` that ``scheme`` (another scheme than the project's)
    has no counterpart for: they are left out of its score."""
    carry = carry_for(reference, folder, scheme)
    if not carry.foreign:
        return []
    return [n for n in names if carry.target(n) not in scheme.inputs]


def stage_choice(scheme: Scheme, stage: str) -> str | None:
    """The option of a scheme's ``stage`` choice input that a project's stage
    (``as-built`` -> ``as_built``) names, or None when the scheme has no such input."""
    spec = scheme.inputs.get("stage")
    option = stage.replace("-", "_")
    if spec is None or spec.type != "choice" or option not in (spec.choices or ()):
        return None
    return option
