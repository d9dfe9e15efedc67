"""Score one project file end to end: resolve its scheme, validate, score, explain.

The CLI, the TUI and the reports all come through here, and every path ends in
the one vectorised :func:`greenmark.core.engine.score` (a building is a batch of one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from greenmark.core.engine import CompiledScheme, Scores, compile_scheme, encode_inputs, score
from greenmark.core.errors import Problem, SchemeError
from greenmark.core.explain import BuildingResult, Explainer
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject, gross_floor_area
from greenmark.core.projectinputs import not_applicable_marks, resolve_inputs
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.core.tomlfile import dotted

_compiled: dict[int, CompiledScheme] = {}


def compiled(scheme: Scheme) -> CompiledScheme:
    """The compiled form of a scheme, compiled once per scheme object."""
    key = id(scheme)
    found = _compiled.get(key)
    if found is None or found.scheme is not scheme:
        found = compile_scheme(scheme)
        _compiled[key] = found
    return found


def scheme_for(loaded: LoadedProject, override: str | None = None) -> Scheme:
    """The scheme a project is assessed against (``override``: an id or a path)."""
    if override:
        return load_scheme(resolve_scheme(override))
    reference = loaded.project.project.scheme
    try:
        path = resolve_scheme(
            reference,
            relative_to=loaded.path.parent,
            version=loaded.project.project.scheme_version or None,
        )
    except SchemeError as exc:
        location = ("project", "scheme")
        raise SchemeError(
            problems=[
                Problem(p.message, loaded.display, dotted(location), loaded.lines.line_of(location))
                for p in exc.problems
            ]
        ) from None
    return load_scheme(path)


@dataclass
class ProjectScore:
    """A scored project: the raw batch-of-one scores and the explained result."""

    loaded: LoadedProject
    scheme: Scheme
    scores: Scores
    result: BuildingResult


def project_summary(loaded: LoadedProject) -> dict[str, object]:
    """The ``project`` block of the JSON result."""
    info = loaded.project.project
    return {
        "name": info.name,
        "file": str(loaded.path),
        "building_type": info.building_type,
        "address": info.address,
        "gross_floor_area": gross_floor_area(info),
        "stage": info.stage,
        "revision": info.revision,
    }


def score_project(loaded: LoadedProject, scheme: Scheme) -> ProjectScore:
    """Validate the project's inputs against ``scheme`` and score it."""
    values = resolve_inputs(loaded, scheme)
    engine_scheme = compiled(scheme)
    arrays = encode_inputs(engine_scheme, [values])
    marks = {cid: np.asarray([flag]) for cid, flag in not_applicable_marks(loaded.project).items()}
    scores = score(engine_scheme, arrays, size=1, not_applicable=marks)
    result = Explainer(scores).building(0, project_summary(loaded))
    return ProjectScore(loaded, scheme, scores, result)
