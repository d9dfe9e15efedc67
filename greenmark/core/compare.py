"""One building under several schemes: its rating, headline figure and next level under
each, and what each scheme still needs that the project does not give; and what moving
the project over to another scheme keeps, renames and leaves out (:func:`plan_switch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenmark.core.crosswalk import carry_for, inputs_left_out
from greenmark.core.engine import GateStatus, Scores, Status
from greenmark.core.errors import GreenmarkError, Problem
from greenmark.core.explain import fmt
from greenmark.core.model import Scheme
from greenmark.core.project import LoadedProject, Project, Quantity, Response
from greenmark.core.scheme import bundled_schemes, load_scheme, resolve_scheme, scheme_id_of
from greenmark.core.scoring import ProjectScore, score_project
from greenmark.core.tomlfile import dotted


@dataclass
class SchemeOutcome:
    """The building under one scheme (or why it could not be scored)."""

    scheme: str
    version: str = ""
    title: str = ""
    tier: str | None = None
    tier_title: str | None = None
    headline: str = ""
    next_tier: str | None = None
    next_needs: str = ""
    missing: list[str] = field(default_factory=list)  # inputs the scheme reads, not given
    left_out: list[str] = field(default_factory=list)  # project inputs it has no use for
    provisional: int = 0  # unverified values of the scheme
    error: str | None = None  # where and why it could not be scored
    reason: str | None = None  # why, without the file and line (for documents)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_references(loaded: LoadedProject, *, own: bool = True) -> list[str]:
    """The project's own scheme (unless ``own`` is False), then every current bundled
    scheme besides it, by id."""
    mine = loaded.project.project.scheme
    mine_id = scheme_id_of(mine, loaded.path.parent) or mine
    others = [e.id for e in bundled_schemes() if e.current and e.id != mine_id]
    return [mine, *others] if own else others


def compare(loaded: LoadedProject, references: list[str]) -> list[SchemeOutcome]:
    """Score ``loaded`` under each scheme of ``references`` (ids or files)."""
    outcomes = []
    for reference in references:
        try:
            scheme = load_scheme(resolve_scheme(reference, loaded.path.parent))
            scored = score_project(loaded, scheme)
        except GreenmarkError as exc:
            problem = exc.problems[0]
            outcomes.append(SchemeOutcome(reference, error=str(problem), reason=problem.message))
            continue
        outcomes.append(_outcome(loaded, scored))
    return outcomes


def _outcome(loaded: LoadedProject, scored: ProjectScore) -> SchemeOutcome:
    scheme, result, scores = scored.scheme, scored.result, scored.scores
    nxt = result.next_tier
    needs = ""
    if nxt is not None:
        if result.scoring != "none" and nxt.points_needed > 0:
            short = round(nxt.points_needed, 2)
            unit = "%" if result.scoring == "percent" else " point" if short == 1 else " points"
            needs = f"{fmt(short)}{unit} short"
        if nxt.blocking:
            blocking = f"{len(nxt.blocking)} requirement{'s' if len(nxt.blocking) > 1 else ''}"
            needs = f"{needs} and {blocking}" if needs else blocking
    missing = _missing(scheme, scores)
    info = loaded.project.project
    left_out = inputs_left_out(
        info.scheme, loaded.path.parent, [str(n) for n in loaded.project.inputs], scheme
    )
    unverified = scheme.value_counts()[1]  # as `greenmark schemes` counts them
    return SchemeOutcome(
        scheme=scheme.id,
        version=scheme.version,
        title=scheme.scheme.title,
        tier=result.tier,
        tier_title=result.tier_title,
        headline=result.headline_text(),
        next_tier=nxt.title if nxt else None,
        next_needs=needs,
        missing=missing,
        left_out=left_out,
        provisional=unverified,
    )


def _missing(scheme: Scheme, scores: Scores) -> list[str]:
    """Inputs the scheme reads for this building and the project does not give: those of
    criteria and gates that apply to it (one not applicable by building type, stage or
    another input reads nothing more), its badges and its levels' conditions."""
    compiled = scores.compiled
    read: set[str] = set()
    for c in compiled.criteria:
        read |= c.applies_inputs
        if scores.status[0, c.index] != Status.NOT_APPLICABLE:
            read |= c.rule_inputs
    for g in compiled.gates:
        read |= g.applies_inputs
        if scores.gate_status[0, g.index] != GateStatus.NOT_APPLICABLE:
            read |= g.inputs
    for condition in [*compiled.badges, *compiled.tier_conditions]:
        if condition is not None:
            read |= condition.inputs | condition.applies_inputs
    return sorted(n for n in read if n in scheme.inputs and np.isnan(scores.env[n][0]))


@dataclass
class SwitchPlan:
    """A project moved over to another scheme (on a copy): what carries over and what not.

    ``project`` is the moved copy, its history recording the switch and every value
    renamed, taken or set aside; ``scored`` is that copy scored under ``scheme``.
    """

    reference: str  # as the project file will name the scheme
    scheme: Scheme
    project: Project
    scored: ProjectScore
    renamed: dict[str, str] = field(default_factory=dict)  # project input -> scheme's name
    left_out: list[str] = field(default_factory=list)  # no counterpart, or does not fit
    kept_for: str | None = None  # the old scheme's id: left_out kept under inputs_for.<id>
    taken: list[str] = field(default_factory=list)  # from [inputs_for.<new id>] into inputs
    responses_kept: list[str] = field(default_factory=list)  # criterion ids
    responses_dropped: list[str] = field(default_factory=list)  # no such criterion


def plan_switch(loaded: LoadedProject, reference: str, who: str = "") -> SwitchPlan:
    """``loaded`` moved over to the scheme ``reference`` (an id or a file), on a copy.

    Inputs keep their value under the name the scheme gives them (its crosswalk or the
    shared term both schemes name, else the same name; a plain number entered in another
    unit keeps that unit); the values given for the scheme alone (``[inputs_for.<id>]``)
    become its inputs. Inputs it has no counterpart for, or whose value does not fit it,
    are left out of its score and kept for the old scheme alone under
    ``[inputs_for.<old id>]``; the responses to criteria it does not have are dropped.
    ``[project] scheme`` names the new scheme, at its current version. Nothing is written;
    the copy's history records the switch and each value moved.

    Raises :class:`GreenmarkError` when the scheme cannot be found, is the project's own,
    or cannot take the building (its building type, say).
    """
    folder = loaded.path.parent
    scheme = load_scheme(resolve_scheme(reference, folder))
    project = loaded.project
    info = project.project
    own = scheme_id_of(info.scheme, folder)
    if own == scheme.id:
        raise GreenmarkError(f"the project is already assessed against {scheme.id}")
    carry = carry_for(info.scheme, folder, scheme)
    given = dict(project.inputs_for.get(scheme.id, {}))  # they won for this scheme: now own
    building_type = given.pop("building_type", None)
    inputs: dict[str, Any] = {}
    renamed: dict[str, str] = {}
    left_out: list[str] = []
    # a name the scheme knows as it is wins over another one mapped onto it
    ordered = sorted(project.inputs, key=lambda n: carry.target(n) != n)
    for name in ordered:
        target = carry.target(name)
        if target is None or target not in scheme.inputs or target in inputs or target in given:
            left_out.append(name)
            continue
        value = project.inputs[name]
        unit = carry.units.get(name)  # a plain number in the unit it was entered in
        if unit is not None and isinstance(value, int | float) and not isinstance(value, bool):
            value = Quantity(value=float(value), unit=unit)
        inputs[target] = value
        if target != name:
            renamed[name] = target
    inputs.update(given)
    others = {k: dict(v) for k, v in project.inputs_for.items() if k != scheme.id}
    if building_type is not None:  # how it files the building stays its own
        others[scheme.id] = {"building_type": building_type}
    criteria = {c.id for c in scheme.criteria}
    kept = [cid for cid in project.responses if cid in criteria]
    dropped = [cid for cid in project.responses if cid not in criteria]
    moved = project.model_copy(
        update={
            "project": info.model_copy(update={"scheme": reference, "scheme_version": None}),
            "inputs": inputs,
            "inputs_for": others,
            "responses": {cid: project.responses[cid] for cid in kept},
            "history": list(project.history),
        }
    )
    taken = list(given)
    scored = _score_dropping_misfits(loaded, moved, scheme, renamed, left_out, taken)
    left_out.sort(key=list(project.inputs).index)
    if own is not None and left_out:
        mine = others.setdefault(own, {})
        for name in left_out:
            mine.setdefault(name, project.inputs[name])
    plan = SwitchPlan(
        reference, scheme, moved, scored, renamed, left_out, own, taken, kept, dropped
    )
    _record(plan, project, info.scheme, who)
    return plan


def _score_dropping_misfits(
    loaded: LoadedProject,
    moved: Project,
    scheme: Scheme,
    renamed: dict[str, str],
    left_out: list[str],
    taken: list[str],
) -> ProjectScore:
    """Score ``moved`` under ``scheme`` (now its own), leaving out the inputs whose value
    it refuses; any other problem (the building type, a table row) is raised."""
    back = {new: old for old, new in renamed.items()}
    while True:  # a value refused once is left out; the next round scores the rest
        try:
            return score_project(LoadedProject(moved, loaded.path, loaded.lines), scheme)
        except GreenmarkError as exc:
            misfits = {name for name in moved.inputs if _about(exc.problems, name)}
            others = [p for p in exc.problems if not any(_about([p], n) for n in misfits)]
            if others or not misfits:
                raise GreenmarkError(problems=others or exc.problems) from None
            for name in misfits:
                del moved.inputs[name]
                if name in taken:  # given for this scheme and refused by it: dropped
                    taken.remove(name)
                    continue
                old = back.pop(name, name)
                renamed.pop(old, None)
                left_out.append(old)


def _about(problems: list[Problem], name: str) -> bool:
    where = dotted(("inputs", name))
    return any(p.location == where or (p.location or "").startswith(f"{where}.") for p in problems)


def _record(plan: SwitchPlan, project: Project, old_reference: str, who: str) -> None:
    moved, note = plan.project, f"moved to {plan.reference}"
    moved.record("project.scheme", old_reference, plan.reference, who)
    for old, new in plan.renamed.items():
        value = _history(project.inputs[old])
        moved.record(dotted(("inputs", old)), value, None, who, f"{note}: now inputs.{new}")
        moved.record(dotted(("inputs", new)), None, value, who, f"{note}: was inputs.{old}")
    given = project.inputs_for.get(plan.scheme.id, {})
    for name in plan.taken:
        value = _history(given[name])
        where = f"inputs_for.{plan.scheme.id}.{name}"
        moved.record(dotted(("inputs", name)), None, value, who, f"{note}: was {where}")
    aside = f"kept as inputs_for.{plan.kept_for}" if plan.kept_for else "left out"
    for name in plan.left_out:
        value = _history(project.inputs[name])
        moved.record(dotted(("inputs", name)), value, None, who, f"{note}: {aside}")
    for cid in plan.responses_dropped:
        text = _response_text(project.responses[cid])
        moved.record(dotted(("responses", cid)), text, None, who, f"{note}: no such criterion")


def _history(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | Quantity):
        return value
    return str(value)


def _response_text(response: Response) -> str:
    """A response in one line, for the history."""
    parts = []
    if response.not_applicable:
        parts.append("not applicable")
    if response.answer:
        parts.append(f"answer: {response.answer}")
    if response.notes:
        parts.append(f"notes: {response.notes}")
    if response.review_state != "open":
        parts.append(f"review: {response.review_state.replace('_', ' ')}")
    files = len(response.evidence) + len(response.files)
    if files:
        parts.append(f"{files} evidence item{'s' if files != 1 else ''}")
    return "; ".join(parts) or "response"
