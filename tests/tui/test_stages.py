"""A project driven through pre-assessment, design assessment and verification: evidence
files, a clarification round, sign-off and its lock, a new revision, the stages kept."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.widgets import Input

from greenmark.core.project import load_project
from greenmark.tui.screens.main import TopBar
from greenmark.tui.screens.stage import StageScreen, stage_view
from tui.conftest import run_cli
from tui.helpers import main_screen, run_async, type_into

SIZE = (120, 36)


def _ok(*args: str | Path, cwd: Path, code: int = 0) -> str:
    done = run_cli(*args, cwd=cwd)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stdout + done.stderr


def test_three_stages_from_the_command_line(evidence_folder: Path) -> None:
    folder = evidence_folder
    project = folder / "office.toml"
    _ok("set", project, "stage=pre-assessment", cwd=folder)
    _ok("evidence", "add", project, "EN-1", "evidence/ettv.pdf", cwd=folder)

    # a clarification round: the reviewer asks, the move is blocked and says why
    _ok(
        "stage",
        "review",
        project,
        "EN-2",
        "needs_clarification",
        "--comment",
        "EUI basis?",
        cwd=folder,
    )
    shown = _ok("stage", "show", project, cwd=folder, code=1)
    assert "EN-2 needs clarification: EUI basis?" in shown and "not signed off" in shown
    assert "EN-2 needs clarification" in _ok("stage", "signoff", project, cwd=folder, code=1)
    _ok(
        "stage", "review", project, "EN-2", "accepted", "--comment", "energy model seen", cwd=folder
    )

    # a changed evidence file blocks the sign-off until attached again
    (folder / "evidence" / "ettv.pdf").write_bytes(b"%PDF ettv v2")
    assert "changed since attached" in _ok("stage", "signoff", project, cwd=folder, code=1)
    _ok("evidence", "add", project, "EN-1", "evidence/ettv.pdf", cwd=folder)

    _ok("stage", "signoff", project, "--who", "Reviewer", cwd=folder)
    locked = _ok("set", project, "eui=120", cwd=folder, code=2)
    assert "signed off by Reviewer" in locked and "new revision" in locked
    _ok("evidence", "add", project, "EN-3", "schedule.xlsx", cwd=folder, code=2)

    assert "kept in office.pre-assessment.toml" in _ok("stage", "advance", project, cwd=folder)
    kept = tomllib.loads((folder / "office.pre-assessment.toml").read_text(encoding="utf-8"))
    assert kept["project"]["stage"] == "pre-assessment"
    assert kept["responses"]["EN-2"]["review_state"] == "accepted"

    now = load_project(project).project
    assert now.project.stage == "design" and now.project.revision == 1
    assert now.responses["EN-2"].review_state == "open"  # each stage has its own review
    assert now.signoffs[0].kept == "office.pre-assessment.toml"
    assert len(now.signoffs[0].kept_sha256) == 64

    _ok("set", project, "eui=120", cwd=folder)  # the new stage is open for edits
    _ok("stage", "signoff", project, cwd=folder)
    _ok("stage", "advance", project, "--to", "as-built", "--note", "TOP", cwd=folder)
    _ok("stage", "signoff", project, cwd=folder)
    assert "last stage" in _ok("stage", "show", project, cwd=folder)
    _ok("stage", "revise", project, "--note", "chiller replaced", cwd=folder)
    _ok("set", project, "chiller_eff=0.6", cwd=folder)

    final = load_project(project).project
    assert final.project.stage == "as-built" and final.project.revision == 2
    fields = [h.field for h in final.history]
    assert fields.count("project.stage") == 3  # set once, advanced twice
    assert "project.revision" in fields and fields.count("signoffs") == 3
    assert (folder / "office.design.toml").exists()
    assert "design" in _ok(
        "report", project, "--kind", "assessment", "--format", "md", "-o", "-", cwd=folder
    )


def _stage_text(pilot) -> str:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    assert isinstance(screen, StageScreen)
    view = stage_view(screen.session)
    return "\n".join(line.plain for line in view.renderables)  # type: ignore[union-attr]


@run_async
async def test_sign_off_locks_and_a_revision_unlocks_in_the_ui(
    evidence_folder: Path, make_app
) -> None:
    project = evidence_folder / "office.toml"
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert "Nothing blocks the sign-off" in _stage_text(pilot)
        await pilot.press("m")  # not signed off yet: refused, says why
        await pilot.pause()
        assert app.session.project.project.stage == "design"
        await pilot.press("o")
        await pilot.pause()
        assert "Signed off by" in _stage_text(pilot)
        await pilot.press("escape")
        await pilot.pause()

        await type_into(pilot, "#input-ettv Input", "35", submit=True)
        assert app.session.project.inputs["ettv"].value == 41.5  # type: ignore[union-attr]
        assert any("values are locked" in n.message for n in app._notifications)
        assert "🔒 signed off" in screen.query_one(TopBar).text

        await pilot.press("escape", "t")
        await pilot.pause()
        await pilot.press("v")  # a revision needs a reason
        await pilot.pause()
        assert app.session.project.project.revision == 1
        note = pilot.app.screen.query_one("#stage-note", Input)
        assert app.focused is note
        await pilot.press(*"ETTV re-run", "enter")
        await pilot.press("v")
        await pilot.pause()
        assert app.session.project.project.revision == 2
        await pilot.press("escape")
        await pilot.pause()
        await type_into(pilot, "#input-ettv Input", "35", submit=True)
        assert app.session.project.inputs["ettv"] == 35

        await pilot.press("escape", "t", "o", "m")  # sign off revision 2, move on
        await pilot.pause()
        assert app.session.project.project.stage == "as-built"
        assert "last stage" not in _stage_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
    saved = load_project(project).project
    assert saved.project.stage == "as-built" and saved.project.revision == 1
    assert [s.revision for s in saved.signoffs] == [1, 2]
    kept = load_project(evidence_folder / "office.design.toml").project
    assert kept.project.stage == "design" and kept.inputs["ettv"] == 35
    revision = next(h for h in saved.history if h.field == "project.revision")
    assert revision.note == "ETTV re-run"


def test_rejected_blocks_and_is_flagged_in_the_tree(evidence_folder: Path) -> None:
    from greenmark.core import stages
    from greenmark.core.project import Response
    from greenmark.core.scoring import scheme_for, score_project
    from greenmark.tui.widgets.tree import needs_attention

    loaded = load_project(evidence_folder / "office.toml")
    loaded.project.responses["EN-4"] = Response(review_state="rejected")
    result = score_project(loaded, scheme_for(loaded)).result
    found = stages.blockers(loaded.project, result, loaded.path)
    assert found == ["EN-4 was rejected by the reviewer (revise it, or rule it N/A)"]
    assert needs_attention("awarded", "rejected")
