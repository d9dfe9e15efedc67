"""Moving the open project to another scheme (:func:`greenmark.core.compare.plan_switch`).

Like a stage step, a switch is not undoable (the responses dropped belong to the other
scheme's criteria): it clears the undo history, and the screen saves at once through the
session's save path. Inputs the new scheme has no use for are kept for the old one alone
(``[inputs_for.<old id>]``), and the history records the new scheme and every value
moved, so nothing goes without a trace.
"""

from __future__ import annotations

from rich.text import Text

from greenmark.core.compare import SwitchPlan, plan_switch
from greenmark.core.errors import GreenmarkError
from greenmark.core.project import LoadedProject
from greenmark.tui.session import Session
from greenmark.tui.values import Refused

#: Names listed in the confirmation before "and N more".
SHOWN = 6


def plan_for(session: Session, reference: str) -> SwitchPlan:
    """The session's project (as it is now, saved or not) moved to ``reference``, on a
    copy; raises :class:`Refused` when it cannot move (locked, unknown, already there)."""
    session.refuse_if_locked()
    loaded = LoadedProject(session.project, session.path, session.loaded.lines)
    try:
        return plan_switch(loaded, reference, session.who)
    except GreenmarkError as exc:
        raise Refused("; ".join(p.message for p in exc.problems)) from None


def apply_switch(session: Session, plan: SwitchPlan) -> None:
    """Make the moved project current under its new scheme (not undoable; unsaved)."""
    session.refuse_if_locked()
    if plan.project.history[: len(session.project.history)] != session.project.history:
        raise Refused("the project changed since the switch was planned: try again")
    session.loaded.project = plan.project
    session.scheme = plan.scheme
    session.scored = plan.scored
    session.scheme_override = None
    session._calc_cache.clear()  # the calculated inputs depend on the scheme
    session.undo_stack.clear()
    session.redo_stack.clear()
    session.unsaved = True


def names(items: list[str], shown: int = SHOWN) -> str:
    """``a, b, c and 4 more``."""
    text = ", ".join(items[:shown])
    return f"{text} and {len(items) - shown} more" if len(items) > shown else text


def confirm_text(session: Session, plan: SwitchPlan, provisional: int = 0) -> Text:
    """The question before a switch: what changes in the file, what is left out, and the
    result under the new scheme (indicative; provisional with ``provisional`` unverified
    values in the scheme)."""
    info = session.project.project
    scheme = plan.scheme
    result = plan.scored.result
    text = Text.assemble(
        "Switch ",
        (info.name, "bold"),
        f" from {info.scheme} to ",
        (f"{scheme.id} {scheme.version}", "bold"),
        "?\n",
        (scheme.scheme.title, "dim"),
        "\n\n",
        ("[project] scheme", "bold"),
        f' becomes "{plan.reference}" and the file is saved at once; not undoable '
        "with ctrl+z, but the history records every value moved.",
    )
    if plan.renamed:
        pairs = [f"{old} → {new}" for old, new in plan.renamed.items()]
        text.append(f"\nRenamed ({len(pairs)}): ", "bold")
        text.append(names(pairs))
    if plan.taken:
        text.append(f"\nFrom [inputs_for.{scheme.id}] ({len(plan.taken)}): ", "bold")
        text.append(names(plan.taken))
    if plan.left_out:
        text.append(f"\nInputs left out ({len(plan.left_out)}): ", "bold yellow")
        text.append(names(plan.left_out))
        if plan.kept_for:
            text.append(f" (kept for {plan.kept_for} alone under [inputs_for.{plan.kept_for}])")
    else:
        text.append("\nNo input is left out.", "green")
    dropped, total = plan.responses_dropped, len(plan.responses_dropped + plan.responses_kept)
    if dropped:
        text.append(f"\nResponses dropped ({len(dropped)} of {total}): ", "bold yellow")
        text.append(f"{names(dropped)} (answers, notes, reviews, evidence)")
    elif total:
        text.append(f"\nEvery response carries over ({total}).", "green")
    text.append("\nUnder ")
    text.append(scheme.id, "bold")
    text.append(f": {result.tier_title or 'no rating reached'}, {result.headline_text()}; ")
    count = f"{provisional} value{'s' if provisional != 1 else ''}"
    text.append(
        f"indicative, provisional ({count} unverified)" if provisional else "indicative",
        "yellow" if provisional else "",
    )
    return text
