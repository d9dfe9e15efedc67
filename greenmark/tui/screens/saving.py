"""Saving, the file-changed-on-disk prompt and writing the report, for the main screen."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from greenmark.core.errors import GreenmarkError
from greenmark.tui.screens.dialogs import ConflictScreen
from greenmark.tui.session import ExternalChange, Session


class SavingScreen(Screen[None]):
    """Autosave, explicit save, the disk-change prompt and the report (base of MainScreen)."""

    session: Session
    conflict_open = False
    conflict_deferred = False

    # Hooks the main screen provides (it knows the editors, the top bar and the panes).

    def flush_edits(self) -> None:
        """Commit whatever is typed."""

    def _update_topbar(self) -> None:
        """Show the saved state and file name."""

    async def refresh_all(self) -> None:
        """Redraw every pane from the session."""

    def autosave(self) -> None:
        """Save after a change (atomic); prompts when the file changed behind the app."""
        session = self.session
        if not session.unsaved or self.conflict_open or self.conflict_deferred:
            self._update_topbar()
            return
        try:
            session.save()
        except ExternalChange:
            self.prompt_conflict()
        except OSError as exc:
            self.notify(f"Autosave failed: {exc}", title="Not saved", severity="error")
        self._update_topbar()

    def action_save(self) -> None:
        self.flush_edits()
        if self.conflict_deferred or self.session.disk_changed():
            self.conflict_deferred = False
            self.prompt_conflict()
            return
        try:
            self.session.save()
        except OSError as exc:
            self.notify(f"Cannot save: {exc}", title="Not saved", severity="error")
            return
        self._update_topbar()
        self.notify(f"Saved {self.session.path.name}")

    def check_disk(self) -> None:
        """Prompt when the file changed on disk (checked at start and every two seconds)."""
        if self.conflict_open or self.conflict_deferred or not self.is_current:
            return
        if self.session.disk_changed():
            self.prompt_conflict()

    def prompt_conflict(self) -> None:
        if self.conflict_open:
            return
        self.conflict_open = True
        session = self.session
        missing = not session.path.exists()
        self.app.push_screen(
            ConflictScreen(session.path.name, session.unsaved, missing), self._resolve_conflict
        )

    def _resolve_conflict(self, choice: str | None) -> None:
        self.conflict_open = False
        session = self.session
        if choice == "reload":
            try:
                session.reload()
            except GreenmarkError as exc:
                self.conflict_deferred = True
                problem = exc.problems[0]
                self.notify(
                    f"Cannot reload: {problem}",
                    title="File on disk is invalid",
                    severity="error",
                    timeout=10,
                )
                self._update_topbar()
                return
            self.call_later(self.refresh_all)
            self.notify(f"Reloaded {session.path.name} from disk.")
        elif choice == "overwrite":
            session.save(force=True)
            self.notify(f"Saved your version over {session.path.name}.")
        elif choice == "copy":
            path = _copy_path(session.path, session.who)
            session.save_as(path)
            self.notify(f"Saved your version as {path.name}; editing that file now.")
        else:
            self.conflict_deferred = True
            self.notify("Autosave paused until you decide (ctrl+s).", severity="warning")
        self._update_topbar()

    def action_report(self) -> None:
        self.flush_edits()
        if self.session.unsaved:
            self.autosave()
            if self.session.unsaved:
                self.notify("Save first (ctrl+s): the report is written from the saved file.")
                return
        self.notify("Writing the certificate…")
        self.run_worker(self._write_report, thread=True, exclusive=True, group="report")

    def _write_report(self) -> None:
        from greenmark.tui.report import write_report

        session = self.session
        try:
            path = write_report(session.path, "certificate", session.scheme_override)
        except GreenmarkError as exc:
            self.app.call_from_thread(
                self.notify, str(exc.problems[0]), title="Report failed", severity="error"
            )
            return
        except Exception as exc:  # a rendering failure must never take the UI down
            self.app.call_from_thread(
                self.notify,
                f"{type(exc).__name__}: {exc}",
                title="Report failed",
                severity="error",
            )
            return
        self.app.call_from_thread(self.notify, f"Wrote {path.name}", title="Report", timeout=8)


def _copy_path(path: Path, who: str) -> Path:
    stem = f"{path.stem}-{''.join(c for c in who if c.isalnum()) or 'mine'}"
    candidate = path.with_name(f"{stem}.toml")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{stem}-{number}.toml")
        number += 1
    return candidate
