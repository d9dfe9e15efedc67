"""Evidence files: attached in the UI and with ``greenmark evidence``, kept in the project
file losslessly, flagged when changed or gone; the scheme's documents as a checklist."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest
from textual.widgets import SelectionList

from greenmark.core import evidence as ev
from greenmark.core.project import load_project
from greenmark.tui.widgets.evidence import EvidencePanel, FileList
from tui.conftest import run_cli as _cli
from tui.helpers import main_screen, run_async, type_into

SIZE = (120, 36)


def _added_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_attach_check_and_flag(evidence_folder: Path) -> None:
    folder = evidence_folder
    project = folder / "office.toml"
    loaded = load_project(project)
    entry, old = ev.attach(loaded.project, project, "EN-1", "evidence/ettv.pdf", "ann")
    assert old is None and entry.size == len(b"%PDF ettv v1") and len(entry.sha256) == 64
    assert [c.state for c in ev.check(loaded.project, project)] == ["ok"]
    (folder / "evidence" / "ettv.pdf").write_bytes(b"%PDF ettv v2")
    (changed,) = ev.check(loaded.project, project)
    assert changed.state == "changed" and "changed since attached" in changed.text()
    (folder / "evidence" / "ettv.pdf").unlink()
    assert [c.state for c in ev.check(loaded.project, project)] == ["missing"]
    with pytest.raises(ev.EvidenceError, match="not in the project file's folder"):
        ev.attach(loaded.project, project, "EN-1", "../elsewhere.pdf")
    with pytest.raises(ev.EvidenceError, match="no such file"):
        ev.attach(loaded.project, project, "EN-1", "nothing.pdf")


def test_cli_add_list_check_tick_lossless(evidence_folder: Path) -> None:
    folder = evidence_folder
    project = folder / "office.toml"
    before = project.read_text(encoding="utf-8")
    done = _cli(
        "evidence", "add", project, "en-1", "evidence/ettv.pdf", "--note", "rev C", cwd=folder
    )
    assert done.returncode == 0, done.stderr
    assert "EN-1: attached evidence/ettv.pdf" in done.stdout
    after = project.read_text(encoding="utf-8")
    changed = _added_lines(before, after)
    assert all(line.startswith("+") for line in changed)  # nothing of the file was rewritten
    assert '+path = "evidence/ettv.pdf"' in changed
    files = load_project(project).project.responses["EN-1"].files
    assert [f.path for f in files] == ["evidence/ettv.pdf"]
    assert load_project(project).project.history[-1].note == "rev C"
    assert load_project(project).project.responses["EN-1"].evidence  # free text kept

    assert _cli("evidence", "check", project, cwd=folder).returncode == 0
    ticked = _cli("evidence", "tick", project, "EN-1", "facade schedule", cwd=folder)
    assert ticked.returncode == 0, ticked.stderr
    assert load_project(project).project.responses["EN-1"].documents_received == ["Facade schedule"]
    listing = _cli("evidence", "list", project, "EN-1", cwd=folder)
    assert "ETTV calculation report" in listing.stdout and "received" in listing.stdout

    (folder / "evidence" / "ettv.pdf").write_bytes(b"%PDF ettv v2, edited")
    flagged = _cli("evidence", "check", project, cwd=folder)
    assert flagged.returncode == 1 and "changed since attached" in flagged.stderr

    for bad, message in [
        (("add", project, "EN-99", "schedule.xlsx"), "no criterion 'EN-99'"),
        (("add", project, "EN-1", "/etc/hostname"), "not in the project file's folder"),
        (("tick", project, "EN-1", "Nope"), "requires no document 'Nope'"),
        (("remove", project, "EN-1", "schedule.xlsx"), "is not attached to EN-1"),
    ]:
        refused = _cli("evidence", *bad, cwd=folder)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr


@run_async
async def test_tui_attach_flag_tick_and_detach(evidence_folder: Path, make_app) -> None:
    folder = evidence_folder
    project = folder / "office.toml"
    before = project.read_text(encoding="utf-8")
    app = make_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = main_screen(pilot)
        panel = screen.query_one(EvidencePanel)
        assert panel.criterion == "EN-1"
        await type_into(pilot, "#evidence-attach Input", "evidence/ettv.pdf", submit=True)
        files = screen.query_one(FileList)
        assert files.option_count == 1 and files.display
        assert "✔ evidence/ettv.pdf" in str(files.get_option_at_index(0).prompt)
        assert screen.query_one("#evidence-attach Input").value == ""  # ready for the next

        await type_into(pilot, "#evidence-attach Input", "../outside.pdf", submit=True)
        assert "not in the project file's folder" in str(
            screen.query_one("#evidence-attach .editor--message").render()
        )

        documents = screen.query_one("#documents", SelectionList)
        assert documents.display and documents.option_count == 2
        documents.focus()
        await pilot.pause()
        while documents.highlighted != 1:
            await pilot.press("down")
        await pilot.press("space")  # tick the second: Facade schedule
        await pilot.pause()
        response = app.session.project.responses["EN-1"]
        assert response.documents_received == ["Facade schedule"]

        (folder / "evidence" / "ettv.pdf").write_bytes(b"changed after attaching")
        await pilot.press("escape", "j", "k")  # away and back: the file is checked again
        await pilot.pause()
        prompt = str(files.get_option_at_index(0).prompt)
        assert "✘ changed" in prompt and "changed since attached" in prompt

        files.focus()
        await pilot.press("u")  # accept the file as it is now
        await pilot.pause()
        assert "✔" in str(files.get_option_at_index(0).prompt)
        await pilot.press("delete")
        await pilot.pause()
        assert not app.session.project.responses["EN-1"].files
        await pilot.press("ctrl+z")  # undo the detach
        await pilot.pause()
        assert app.session.project.responses["EN-1"].files
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = load_project(project).project
    assert [f.path for f in saved.responses["EN-1"].files] == ["evidence/ettv.pdf"]
    fields = [h.field for h in saved.history]
    assert fields.count("responses.EN-1.files") >= 3
    assert "responses.EN-1.documents_received" in fields
    after = project.read_text(encoding="utf-8")
    removed = [line for line in _added_lines(before, after) if line.startswith("-")]
    assert removed == []  # comments and values as they were: only additions
    assert re.search(r"sha256 = \"[0-9a-f]{64}\"", after)


def test_free_text_evidence_still_works(evidence_folder: Path) -> None:
    folder = evidence_folder
    project = folder / "office.toml"
    shutil.copyfile(project, folder / "copy.toml")
    loaded = load_project(folder / "copy.toml")
    assert loaded.project.responses["EN-1"].evidence == [
        "A-201 facade schedule rev C",
        "ETTV calculation report 2026-10",
    ]
    assert loaded.project.responses["EN-1"].files == []
