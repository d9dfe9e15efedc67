"""The session behind the UI: validated edits, undo/redo, history, atomic saves, disk changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greenmark.core.project import load_project
from greenmark.tui.session import ExternalChange, Session, Target
from greenmark.tui.values import Refused


def test_commit_rescored_recorded_and_undoable(demo_file: Path) -> None:
    session = Session.open(demo_file, "alice")
    before = session.scored.result
    assert before.tier == "goldplus"
    step = session.commit(Target("inputs", "ettv"), 35.0)
    assert step is not None
    assert session.scored.result.tier == "platinum"
    entry = session.project.history[-1]
    assert (entry.field, entry.who, entry.new) == ("inputs.ettv", "alice", 35.0)
    assert session.unsaved
    session.undo()
    assert session.scored.result.tier == "goldplus"
    assert session.project.history[-1].field == "inputs.ettv"  # the undo is recorded too
    session.redo()
    assert session.project.inputs["ettv"] == 35.0


def test_unchanged_value_is_not_a_change(demo_file: Path) -> None:
    session = Session.open(demo_file)
    assert session.commit(Target("inputs", "eui"), 128) is None
    assert not session.project.history


def test_clearing_a_value_makes_it_not_assessed(demo_file: Path) -> None:
    session = Session.open(demo_file)
    session.commit(Target("inputs", "chiller_eff"), None)
    statuses = {c.id: c.status for c in session.scored.result.criteria}
    assert statuses["EN-3"] == "not_assessed"


def test_invalid_table_row_is_refused_and_nothing_changes(nrb_file: Path) -> None:
    session = Session.open(nrb_file)
    with pytest.raises(Refused, match="exceeds the gross wall area"):
        session.commit(Target("facades", "window_area", 0), 5000.0)
    assert session.project.facades[0].window_area == 720
    assert not session.undo_stack and not session.project.history


def test_rows_add_duplicate_delete(nrb_file: Path) -> None:
    session = Session.open(nrb_file)
    count = len(session.project.facades)
    session.duplicate_row("facades", 0)
    assert len(session.project.facades) == count + 1
    assert session.project.facades[1].name == "North (copy)"
    session.delete_row("facades", 1)
    assert len(session.project.facades) == count
    session.add_row("boq")
    assert session.project.boq[-1].material == "concrete"
    session.undo()
    session.undo()
    assert len(session.project.facades) == count + 1


def test_responses_and_review(demo_file: Path) -> None:
    session = Session.open(demo_file)
    session.commit(Target("responses", "review_state", "EN-2"), "needs_clarification")
    session.commit(Target("responses", "review_comment", "EN-2"), "Which baseline?")
    session.commit(Target("responses", "evidence", "EN-2"), ["Energy model report"])
    response = session.project.responses["EN-2"]
    assert response.review_state == "needs_clarification"
    assert session.project.history[-1].new == "Energy model report"
    session.save()
    reopened = load_project(demo_file).project.responses["EN-2"]
    assert reopened == response


def test_save_is_atomic_and_round_trips(nrb_file: Path) -> None:
    session = Session.open(nrb_file, "bob")
    session.commit(Target("facades", "sc2", 2), 0.5)
    session.commit(Target("project", "gross_floor_area"), 30000.0)
    session.save()
    assert not session.unsaved
    assert not [p for p in nrb_file.parent.iterdir() if p.name.endswith(".tmp")]
    again = Session.open(nrb_file)
    assert again.project.model_dump(exclude={"history"}) == session.project.model_dump(
        exclude={"history"}
    )
    assert [h.field for h in again.project.history] == [
        "facades[2].sc2",
        "project.gross_floor_area",
    ]


def test_disk_change_is_detected_before_saving(demo_file: Path) -> None:
    session = Session.open(demo_file)
    assert not session.disk_changed()
    os.utime(demo_file, None)  # touched, same content: not a change
    assert not session.disk_changed()
    demo_file.write_text(demo_file.read_text().replace("eui = 128", "eui = 120"))
    assert session.disk_changed()
    session.commit(Target("inputs", "renewable_share"), 4.0)
    with pytest.raises(ExternalChange):
        session.save()
    session.reload()
    assert session.project.inputs["eui"] == 120
    assert (
        "renewable_share" in session.project.inputs
        and session.project.inputs["renewable_share"] == 3
    )
    assert not session.undo_stack


def test_a_same_size_edit_within_the_same_clock_tick_is_detected(demo_file: Path) -> None:
    """File times tick coarsely: an edit of the same size can keep the file's timestamp."""
    session = Session.open(demo_file)
    before = demo_file.stat()
    demo_file.write_text(demo_file.read_text().replace("eui = 128", "eui = 110"))
    os.utime(demo_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # same time, same size
    assert demo_file.stat().st_size == before.st_size
    assert session.disk_changed()


def test_save_as_switches_to_the_copy(demo_file: Path) -> None:
    session = Session.open(demo_file)
    session.commit(Target("inputs", "eui"), 120.0)
    copy = demo_file.with_name("copy.toml")
    session.save_as(copy)
    assert session.path == copy and not session.unsaved
    assert load_project(copy).project.inputs["eui"] == 120.0


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in Path(__file__).parents[2].joinpath("samples").glob("*.toml"))
)
def test_live_scoring_matches_the_scorer(sample: str, tmp_path: Path) -> None:
    """The session's cached scoring gives exactly what score_project gives, after edits too."""
    from greenmark.core.project import LoadedProject
    from greenmark.core.scoring import score_project
    from tui.conftest import SAMPLES, copy_project

    session = Session.open(copy_project(SAMPLES / sample, tmp_path))

    def reference() -> dict[str, object]:
        loaded = LoadedProject(session.project, session.path, session.loaded.lines)
        return score_project(loaded, session.scheme).result.to_dict()

    assert session.score(session.project).result.to_dict() == reference()
    if session.project.facades:
        facade = session.project.facades[0]
        session.commit(Target("facades", "window_area", 0), facade.window_area / 2)
        assert session.scored.result.to_dict() == reference()
    if session.project.boq:
        session.commit(Target("boq", "quantity", 0), session.project.boq[0].quantity * 2)
        assert session.scored.result.to_dict() == reference()
    session.commit(Target("project", "gross_floor_area"), 12345.0)
    assert session.scored.result.to_dict() == reference()
    session.undo()
    assert session.scored.result.to_dict() == reference()
