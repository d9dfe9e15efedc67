"""The stage screen: where the project stands, what blocks moving on, and the sign-off."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from greenmark.core import stages
from greenmark.tui.session import Session
from greenmark.tui.values import Refused

if TYPE_CHECKING:
    from greenmark.tui.screens.main import MainScreen


def stage_view(session: Session) -> Group:
    """The stage, its revision and sign-off, earlier stages, and what blocks moving on."""
    project = session.project
    info = project.project
    signoff = stages.signed_off(project)
    lines: list[Text] = [
        Text.assemble(
            ("Stage ", "bold"),
            (stages.label(info.stage), "bold green"),
            f"  ·  revision {info.revision}",
        )
    ]
    if signoff:
        lines.append(
            Text(
                f"🔒 Signed off by {signoff.who} on {signoff.at:%Y-%m-%d %H:%M} UTC: values locked"
                + (f" — {signoff.note}" if signoff.note else ""),
                "yellow",
            )
        )
    else:
        lines.append(Text("Not signed off: values can be edited", "dim"))
    earlier = [s for s in project.signoffs if s is not signoff]
    if earlier:
        lines.append(Text("\nSigned off before", "bold"))
        for item in earlier:
            kept = f", kept in {item.kept}" if item.kept else ""
            lines.append(
                Text(
                    f"  {stages.label(item.stage)} revision {item.revision}: {item.who}, "
                    f"{item.at:%Y-%m-%d}{kept}"
                )
            )
    found = stages.blockers(project, session.scored.result, session.path)
    nexts = stages.next_stages(info.stage)
    lines.append(Text(""))
    if found:
        lines.append(Text(f"Blocking sign-off and the move on ({len(found)})", "bold red"))
        lines.extend(Text(f"  ✘ {line}", "red") for line in found)
    elif not signoff:
        lines.append(Text("Nothing blocks the sign-off (o).", "green"))
    elif nexts:
        lines.append(Text("Signed off and nothing blocks: ready to move on (m).", "green"))
    else:
        lines.append(Text("This is the last stage.", "dim"))
    lines.append(Text(""))
    keys = ["o sign off" if not signoff else "v new revision (says why: type it below first)"]
    if nexts:
        keys.append(f"m move to {stages.label(nexts[0])}")
    if len(nexts) > 1:
        keys.append(f"M move to {stages.label(nexts[1])}")
    lines.append(Text("Keys: " + " · ".join(keys) + " · esc back", "dim"))
    return Group(*lines)


class StageScreen(Screen[None]):
    """Sign off the stage, start a new revision, or move on to the next stage."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("o", "sign_off", "Sign off"),
        Binding("v", "revise", "New revision"),
        Binding("m", "advance(0)", "Next stage"),
        Binding("M", "advance(1)", "Other verification", show=False),
    ]

    DEFAULT_CSS = """
    StageScreen #stage-body { padding: 1 2; height: 1fr; }
    StageScreen #stage-note { margin: 0 2; width: 1fr; }
    """

    def __init__(self, session: Session, host: MainScreen) -> None:
        super().__init__()
        self.session = session
        self.host = host

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="stage-body"):
            yield Static(stage_view(self.session), id="stage-view")
        yield Input(placeholder="note: why (recorded in the history)", id="stage-note")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#stage-body").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#stage-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters typed in the note field are text, not keys."""
        return action == "app.pop_screen" or not isinstance(self.focused, Input)

    @property
    def note(self) -> str:
        return self.query_one("#stage-note", Input).value.strip()

    def _done(self, message: str) -> None:
        self.query_one("#stage-note", Input).value = ""
        self.query_one("#stage-view", Static).update(stage_view(self.session))
        self.host.stage_changed()
        self.notify(message)

    def action_sign_off(self) -> None:
        from greenmark.tui.stages import sign_off

        try:
            sign_off(self.session, self.note)
        except Refused as exc:
            self.notify(str(exc), title="Not signed off", severity="error")
            return
        self._done(f"Signed off {stages.label(self.session.project.project.stage)}: values locked")

    def action_revise(self) -> None:
        from greenmark.tui.stages import revise

        try:
            number = revise(self.session, self.note)
        except Refused as exc:
            self.notify(str(exc), title="No new revision", severity="error")
            if "say why" in str(exc):
                self.query_one("#stage-note", Input).focus()
            return
        self._done(f"Revision {number} started: values can be edited")

    def action_advance(self, which: int) -> None:
        from greenmark.tui.stages import advance

        nexts = stages.next_stages(self.session.project.project.stage)
        if which >= len(nexts):
            self.notify("This is the last stage.", severity="warning")
            return
        try:
            kept = advance(self.session, nexts[which], self.note)
        except Refused as exc:
            self.notify(str(exc), title="Not moved on", severity="error")
            return
        self._done(f"Kept the stage left in {kept.name}; now at {stages.label(nexts[which])}")
