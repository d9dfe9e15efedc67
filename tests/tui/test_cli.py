"""The command line around the TUI: assess, new (wizard and batch), serve, bare greenmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from greenmark.cli.assess import sample_copy
from greenmark.cli.main import cli as greenmark_cli
from greenmark.core.project import load_project
from greenmark.tui.create import NewProject
from greenmark.tui.screens.dialogs import ConfirmScreen
from greenmark.tui.screens.main import MainScreen
from tui.helpers import run_async


def test_new_writes_a_project_without_the_wizard(tmp_path: Path, cli) -> None:
    target = tmp_path / "tower.toml"
    done = cli(
        "new",
        str(target),
        "--scheme",
        "gm-nrb",
        "--building-type",
        "office",
        "--name",
        "Tower",
        "--gfa",
        "263716 ft2",
        "--assessor",
        "ann",
    )
    assert done.returncode == 0, done.stderr
    project = load_project(target).project
    assert project.project.scheme == "gm-nrb" and project.project.building_type == "office"
    assert project.project.gross_floor_area.unit == "ft2"  # type: ignore[union-attr]
    assert project.history[0].who == "ann"
    again = cli("validate", str(target))
    assert again.returncode == 0, again.stderr


def test_new_refuses_to_overwrite(tmp_path: Path, cli) -> None:
    target = tmp_path / "tower.toml"
    target.write_text("keep me")
    args = ("new", str(target), "--scheme", "demo", "--building-type", "office", "--name", "X")
    done = cli(*args)
    assert done.returncode == 2 and "already exists" in done.stderr
    assert target.read_text() == "keep me"
    forced = cli(*args, "-f")
    assert forced.returncode == 0 and load_project(target).project.project.name == "X"


def test_new_checks_what_it_is_given(tmp_path: Path, cli) -> None:
    done = cli(
        "new",
        str(tmp_path / "x.toml"),
        "--scheme",
        "demo",
        "--name",
        "X",
        "--building-type",
        "castle",
    )
    assert done.returncode == 2 and "building type" in done.stderr
    bad_gfa = cli("new", str(tmp_path / "x.toml"), "--scheme", "demo", "--name", "X", "--gfa", "-5")
    assert bad_gfa.returncode == 2
    assert not (tmp_path / "x.toml").exists()


def test_assess_reports_problems_instead_of_opening(tmp_path: Path, cli) -> None:
    missing = cli("assess", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "greenmark new" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text('[project]\nname = "B"\nscheme = "demo"\n\n[inputs]\nettv = 900\n')
    done = cli("assess", str(broken))
    assert done.returncode == 2 and "above the maximum" in done.stderr
    assert "Traceback" not in done.stderr


def test_commands_have_help(cli) -> None:
    for command in ("assess", "new", "serve"):
        done = cli(command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout


def test_serve_runs_the_assess_command_in_textual_serve(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual_serve import server

    seen: dict[str, Any] = {}

    def fake_serve(self: server.Server, debug: bool = False) -> None:
        seen.update(command=self.command, host=self.host, port=self.port, url=self.public_url)

    monkeypatch.setattr(server.Server, "serve", fake_serve)
    result = CliRunner().invoke(
        greenmark_cli, ["serve", str(demo_file), "--port", "8765", "--assessor", "ann"]
    )
    assert result.exit_code == 0, result.output
    assert seen["port"] == 8765 and seen["url"] == "http://localhost:8765"
    assert "-P -m greenmark assess" in seen["command"] and str(demo_file) in seen["command"]
    assert "--assessor ann" in seen["command"]
    assert "http://localhost:8765" in result.output


def test_sample_copy_goes_to_the_folder_then_to_a_temp_folder(tmp_path: Path) -> None:
    first = sample_copy(tmp_path)
    assert first == tmp_path / "greenmark-sample.toml" and first.exists()
    first.write_text(first.read_text() + "\n# mine\n")
    second = sample_copy(tmp_path)
    assert second != first and second.exists()
    assert "# mine" in first.read_text()  # never overwritten
    assert load_project(second).project.project.scheme == "demo"


@run_async
async def test_wizard_writes_and_opens_the_project(tmp_path: Path) -> None:
    from textual.widgets import Input

    from greenmark.tui.app import GreenmarkApp

    target = tmp_path / "new-office.toml"
    app = GreenmarkApp(
        None,
        new=NewProject(scheme="demo", file=str(target)),
        who="ann",
        theme="textual-dark",
        blink=False,
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")  # no name yet: refused, nothing written
        await pilot.pause()
        assert not target.exists()
        app.screen.query_one("#wizard-name", Input).value = "New Office"
        app.screen.query_one("#wizard-gfa", Input).value = "12000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.session is not None and app.session.path == target
    project = load_project(target).project
    assert project.project.name == "New Office" and project.project.gross_floor_area == 12000


@run_async
async def test_wizard_asks_before_overwriting(tmp_path: Path) -> None:
    from textual.widgets import Input

    from greenmark.tui.app import GreenmarkApp

    target = tmp_path / "exists.toml"
    target.write_text("keep me")
    app = GreenmarkApp(
        None,
        new=NewProject(scheme="demo", name="N", file=str(target)),
        theme="textual-dark",
        blink=False,
    )
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        app.screen.query_one("#wizard-name", Input).value = "N"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "keep me"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert load_project(target).project.project.name == "N"
