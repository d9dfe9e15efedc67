"""Drive ``greenmark assess`` in a real terminal (tmux): type into it, read the screen.

Run: ``python tests/tui/tmux_smoke.py [--keep DIR]`` (prints every captured screen).
Also run by ``test_tmux.py`` (skipped where tmux is missing).

Steps: open a copy of the demo sample; open the path to target and back; move down the
tree; edit EN-1's ETTV to 35 and see the tier become Platinum; type an out-of-range value
and see it refused; quit with ctrl+q; check the file holds the new value and the change
history.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "demo-office.toml"


class Tmux:
    """One detached tmux session running a command, at a fixed size."""

    def __init__(self, name: str, command: str, width: int = 100, height: int = 32) -> None:
        self.name = name
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command],
            check=True,
        )

    def keys(self, *keys: str, literal: bool = False) -> None:
        args = ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys]
        subprocess.run(args, check=True)

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} did not appear; the screen was:\n{screen}")

    def wait_gone(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            time.sleep(0.2)

    def kill(self) -> None:
        if self.alive():
            subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def run(folder: Path, show: bool = True) -> list[tuple[str, str]]:
    """Run the smoke test in ``folder``; returns the (step, screen) captures."""
    project = folder / "demo-office.toml"
    shutil.copyfile(SAMPLE, project)
    command = (
        f"cd {shlex.quote(str(folder))} && TERM=xterm-256color COLORFGBG='15;0' "
        f"{shlex.quote(sys.executable)} -m greenmark assess demo-office.toml --assessor smoke"
        " ; sleep 0.5"
    )
    tmux = Tmux(f"greenmark-smoke-{os.getpid()}", command)
    captures: list[tuple[str, str]] = []

    def capture(step: str, screen: str) -> None:
        captures.append((step, screen))
        if show:
            print(f"===== {step} =====\n{screen}")

    try:
        capture("opened", tmux.wait_for("Harbourfront Office Tower"))
        screen = tmux.wait_for("GoldPLUS")
        assert "EN-1" in screen and "53.7 / 60 pts" in screen, screen
        tmux.keys("p")  # path to target: the plan for Platinum and its effect
        tmux.wait_for("GoldPLUS → Platinum")  # the effect of the highlighted plan
        screen = tmux.wait_for("Cheapest plan")  # the table's columns widen once laid out
        capture("p: path to target", screen)
        tmux.keys("Escape")
        tmux.wait_for("Energy efficiency")
        tmux.keys("j")
        capture("j: next criterion", tmux.wait_for("EN-2  Energy savings"))
        tmux.keys("k", "e")  # back to EN-1, edit its first input (ETTV)
        tmux.wait_for("EN-1  Envelope thermal")
        tmux.keys("C-a", "C-k")  # home, delete to the end: the field is empty
        tmux.wait_for("not given")
        tmux.keys("35", literal=True)
        capture("typed 35 (preview)", tmux.wait_for("preview"))
        tmux.keys("Enter")
        screen = tmux.wait_for("Energy efficiency  38.5/40")  # headings change when stored
        assert "Platinum" in screen and "55.5 / 60 pts" in screen, screen
        capture("stored 35: Platinum", screen)
        tmux.keys("C-a", "C-k")
        tmux.wait_for("not given")
        tmux.keys("999", literal=True)
        capture("typed 999", tmux.wait_for("above the maximum"))
        tmux.keys("Escape")
        capture("refused", tmux.wait_for("Refused"))
        tmux.keys("C-q")
        tmux.wait_gone()
    finally:
        tmux.kill()
    saved = tomllib.loads(project.read_text())
    assert saved["inputs"]["ettv"] == 35, saved["inputs"]
    entry = saved["history"][-1]
    assert entry["field"] == "inputs.ettv" and entry["who"] == "smoke", entry
    return captures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Run in this folder and keep the files.")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.keep)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(Path(folder))
    print("tmux smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
