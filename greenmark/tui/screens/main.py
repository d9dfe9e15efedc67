"""The main screen: criteria tree, detail pane, tables, project, and the score panel."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from rich.table import Table as RichTable
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane, Tree

from greenmark.core.project import Project
from greenmark.core.scoring import ProjectScore
from greenmark.core.stages import signed_off
from greenmark.tui.marks import criterion_inputs, gate_inputs
from greenmark.tui.screens.others import OtherScreens
from greenmark.tui.session import TABLES, Session, Step, Table, Target
from greenmark.tui.tables import BOQ, FACADES, FITTINGS
from greenmark.tui.values import Refused, show_value
from greenmark.tui.widgets.detail import DetailPane
from greenmark.tui.widgets.evidence import EvidencePanel
from greenmark.tui.widgets.fields import Editor
from greenmark.tui.widgets.keybar import KeyBar
from greenmark.tui.widgets.project_pane import ProjectPane
from greenmark.tui.widgets.score import ScorePanel, ScoreView
from greenmark.tui.widgets.table_panel import TablePanel
from greenmark.tui.widgets.tree import CriteriaTree, NodeRef

TAB_TITLES = {
    "criteria": "1 Criteria",
    "facades": "2 Facades",
    "boq": "3 BoQ",
    "fittings": "4 Fittings",
    "project": "5 Project",
}


class TopBar(Static):
    """Project, scheme, file and whether everything is saved."""

    def show(self, session: Session, attention: bool, paused: bool) -> None:
        info = session.project.project
        left = Text.assemble(
            (" greenmark ", "reverse bold"),
            " ",
            (info.name, "bold"),
            (f"  {session.scheme.id} {session.scheme.version}", "dim"),
            (f"  {info.stage} r{info.revision}", "dim"),
            (" 🔒 signed off" if signed_off(session.project) else "", "yellow"),
            (f"  {session.path.name}", ""),
            no_wrap=True,
            overflow="ellipsis",
        )
        if paused:
            right = Text("⚠ changed on disk: autosave paused (ctrl+s)", "bold red")
        elif session.unsaved:
            right = Text("● unsaved", "bold yellow")
        else:
            right = Text("✔ saved", "green")
        if attention:
            right = Text.assemble(("filter: needs attention  ", "bold magenta"), right)
        text = f"{left.plain}  {right.plain}"
        if text == getattr(self, "text", None):
            return
        self.text = text
        grid = RichTable.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(left, right)
        self.update(grid, layout=False)


class MainScreen(OtherScreens):
    """Where the assessor works."""

    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (declared so by Textual)
        (0, "-narrow"),
        (100, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save now (changes autosave)"),
        Binding(
            "ctrl+z",
            "undo",
            "Undo",
            priority=True,
            tooltip="Undo the last change (or discard what is typed in a field)",
        ),
        Binding("ctrl+y", "redo", "Redo", priority=True, tooltip="Redo the last undone change"),
        Binding("n", "next_unassessed", "Next ?", tooltip="Next criterion not assessed"),
        Binding(
            "N",
            "previous_unassessed",
            "Previous unassessed",
            show=False,
            tooltip="Previous criterion not assessed",
        ),
        Binding(
            "f",
            "toggle_filter",
            "Attention",
            tooltip="Filter: only not assessed, needs clarification, failing gates",
        ),
        Binding("s", "summary", "Summary", tooltip="The whole assessment at a glance"),
        Binding("H", "history", "History", tooltip="Every recorded change: who, when, old, new"),
        Binding("c", "scenarios", "Scenarios", tooltip="Proposals beside the assessed values"),
        Binding("t", "stage", "Stage", tooltip="Sign-off, revision, what blocks the next stage"),
        Binding(
            "o",
            "compare",
            "Other schemes",
            tooltip="The project under other schemes side by side; switch it to one",
        ),
        Binding(
            "p",
            "path",
            "Path to target",
            tooltip="The cheapest measures to reach a tier; apply one to see its effect",
        ),
        Binding(
            "r",
            "report",
            "Report",
            tooltip="Write the certificate (HTML, next to the project file)",
        ),
        Binding("question_mark,f1", "help", "Help", tooltip="This list of keys"),
        Binding(
            "g,colon",
            "app.command_palette",
            "Go to criterion",
            show=False,
            tooltip="Go to a criterion or gate by id or title (command palette)",
        ),
        Binding("e", "edit", "Edit selected criterion", show=False),
        Binding("escape", "back", "Back to the tree / table", show=False),
        Binding("1", "tab('criteria')", "Criteria tab", show=False),
        Binding("2", "tab('facades')", "Facades tab", show=False),
        Binding("3", "tab('boq')", "Bill of quantities tab", show=False),
        Binding("4", "tab('fittings')", "Fittings tab", show=False),
        Binding("5", "tab('project')", "Project tab", show=False),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.previewing = False
        self.conflict_open = False
        self.conflict_deferred = False
        self.current: NodeRef | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with Horizontal(id="body"):
            with TabbedContent(id="tabs", initial="criteria"):
                with TabPane(TAB_TITLES["criteria"], id="criteria"), Horizontal(id="criteria-body"):
                    yield CriteriaTree(id="tree")
                    yield DetailPane(self, id="detail")
                for spec in (FACADES, BOQ, FITTINGS):
                    with TabPane(TAB_TITLES[spec.name], id=spec.name):
                        yield TablePanel(spec, self, id=f"{spec.name}-panel")
                with TabPane(TAB_TITLES["project"], id="project"):
                    yield ProjectPane(self.session, self, id="project-pane")
            yield ScorePanel(
                self._score_view(self.session.project, self.session.scored), id="score"
            )
        yield KeyBar(id="keys")

    @property
    def criteria_tree(self) -> CriteriaTree:
        return self.query_one(CriteriaTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    def panel(self, table: str) -> TablePanel:
        return self.query_one(f"#{table}-panel", TablePanel)

    async def on_mount(self) -> None:
        session = self.session
        tree = self.criteria_tree
        tree.prerequisites_first = session.scheme.scheme.prerequisites_first
        tree.build(session.scored.result, session.project)
        first = next(iter(r for r in tree.nodes_by_ref if r.kind == "criterion"), None)
        self.current = first
        if first is not None:
            tree.select_ref(first)
        await self.detail.show(first, session, self)
        for table in TABLES:
            self.panel(table).load(session)
        self._redraw(session.project, session.scored, previewing=False)
        tree.focus()
        self.call_after_refresh(tree.scroll_home, animate=False)
        self.set_interval(2.0, self.check_disk)
        self.call_after_refresh(self.check_disk)
        release = getattr(self.app, "release_keys", None)  # keys typed during start-up
        if release is not None:
            self.call_after_refresh(release)

    # ------------------------------------------------------------------ drawing

    def _score_view(
        self, project: Project, scored: ProjectScore, previewing: bool = False
    ) -> ScoreView:
        result = scored.result
        states = Counter(r.review_state for r in project.responses.values())
        return ScoreView(
            result,
            needs_clarification=states["needs_clarification"],
            accepted=states["accepted"],
            previewing=previewing,
            counts=Counter(c.status for c in result.criteria),
        )

    def _redraw(
        self, project: Project, scored: ProjectScore, previewing: bool, table: str | None = None
    ) -> None:
        """Redraw everything that depends on the scores (tree, score panel, detail header)."""
        result = scored.result
        self.criteria_tree.relabel(result, project, leaves_only=previewing)
        self.query_one(ScorePanel).show(self._score_view(project, scored, previewing))
        self.detail.refresh_status(result, self.session)
        active = self.tabs.active
        if table in TABLES:
            self.panel(table).show_derived(project, self.session.scheme, preview=previewing)
        elif active in TABLES:
            self.panel(active).show_derived(project, self.session.scheme, preview=previewing)
        self._update_topbar()

    def _update_topbar(self) -> None:
        self.query_one(TopBar).show(
            self.session, self.criteria_tree.attention_only, self.conflict_deferred
        )

    async def refresh_all(self) -> None:
        """Rebuild every view from the session (after undo, redo or reload)."""
        session = self.session
        tree = self.criteria_tree
        tree.build(session.scored.result, session.project)
        if self.current is None or self.current not in tree.nodes_by_ref:
            self.current = next(iter(tree.nodes_by_ref), None)
        if self.current is not None:
            tree.select_ref(self.current)
        await self.detail.show(self.current, session, self)
        for table in TABLES:
            self.panel(table).load(session)
        self.query_one(ProjectPane).reload(session)
        self.previewing = False
        self._redraw(session.project, session.scored, previewing=False)

    # ------------------------------------------------------------------ editing (Controller)

    def preview(self, target: Target, value: Any) -> str | None:
        try:
            candidate = self.session.candidate(target, value)
            scored = self.session.score(candidate)
        except Refused as exc:
            self.cancel_preview()
            return str(exc)
        self.previewing = True
        self._redraw(candidate, scored, previewing=True, table=target.section)
        return None

    def cancel_preview(self) -> None:
        if self.previewing:
            self.previewing = False
            self._redraw(self.session.project, self.session.scored, previewing=False)

    def commit(self, target: Target, value: Any) -> str | None:
        try:
            step = self.session.commit(target, value)
        except Refused as exc:
            return str(exc)
        self.previewing = False
        if step is not None:
            self._changed(step)
        else:
            self._redraw(self.session.project, self.session.scored, previewing=False)
        return None

    def attach_file(self, criterion: str, file: str) -> str | None:
        from greenmark.tui.evidence import attach

        return self._evidence_step(lambda: attach(self.session, criterion, file))

    def detach_file(self, criterion: str, path: str) -> str | None:
        from greenmark.tui.evidence import detach

        return self._evidence_step(lambda: detach(self.session, criterion, path))

    def _evidence_step(self, change: Any) -> str | None:
        try:
            step: Step = change()
        except Refused as exc:
            return str(exc)
        self.query_one(EvidencePanel).show(self.session, str(step.target.key))
        self._changed(step)
        self.notify(f"{step.label[0].upper()}{step.label[1:]} (ctrl+z undoes)")
        return None

    def add_row(self, table: Table, at: int | None) -> None:
        self._row_step(table, lambda: self.session.add_row(table, at=at), "Added")

    def duplicate_row(self, table: Table, index: int) -> None:
        self._row_step(table, lambda: self.session.duplicate_row(table, index), "Duplicated")

    def delete_row(self, table: Table, index: int) -> None:
        self._row_step(table, lambda: self.session.delete_row(table, index), "Deleted")

    def _row_step(self, table: Table, change: Any, verb: str) -> None:
        try:
            step: Step = change()
        except Refused as exc:
            self.notify(str(exc), title="Refused", severity="error")
            return
        self.panel(table).load(self.session, cursor=int(step.target.key or 0))
        self._changed(step)
        noun = {"facades": "facade", "boq": "BoQ line", "fittings": "fitting"}[table]
        self.notify(f"{verb} {noun} row {int(step.target.key or 0) + 1} (ctrl+z undoes)")

    def _changed(self, step: Step) -> None:
        """After a stored change: redraw, refresh the affected table, autosave."""
        session = self.session
        section = step.target.section
        if section in TABLES and step.target.name:
            panel = self.panel(section)
            panel.table.update_cell(str(step.target.key), step.target.name, _cell(step.new))
        self._redraw(session.project, session.scored, previewing=False, table=section)
        self.call_after_refresh(self.autosave)

    def flush_edits(self) -> None:
        """Commit whatever is typed anywhere (before saving, undoing, switching or quitting)."""
        for editor in self.query(Editor):
            editor.flush()

    def _focused_editor(self) -> Editor | None:
        focused = self.focused
        while focused is not None and not isinstance(focused, Editor):
            parent = focused.parent
            focused = parent if isinstance(parent, Widget) else None
        return focused

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Show the keys that work where the focus is."""
        widget = event.widget
        if isinstance(widget, Tree):
            context = "tree"
        elif isinstance(widget, DataTable):
            context = "table"
        elif self._focused_editor() is not None:
            context = "field"
        else:
            context = "other"
        self.query_one(KeyBar).show(context)

    # ------------------------------------------------------------------ tree events

    async def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        event.stop()
        ref = event.node.data
        if ref is None or ref == self.current or event.node is not self.criteria_tree.cursor_node:
            return
        self.detail.flush()
        self.current = ref
        await self.detail.show(ref, self.session, self)

    async def on_tree_node_selected(self, event: Tree.NodeSelected[NodeRef]) -> None:
        event.stop()
        node = event.node
        if node.allow_expand:
            node.toggle()
        else:
            await self.action_edit()

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "criteria":  # tables or project may have changed calculated values
            await self.detail.show(self.current, self.session, self)
        elif pane in TABLES:
            self.panel(pane).load(self.session)
        elif pane == "project":
            self.query_one(ProjectPane).reload(self.session)

    # ------------------------------------------------------------------ navigation

    async def action_edit(self) -> None:
        if self.tabs.active != "criteria":
            return
        node = self.criteria_tree.cursor_node
        if node is not None and node.data is not None and node.data != self.current:
            await self.select(node.data)  # keys typed ahead of the tree's highlight event
        detail = self.detail
        for widget in self.focus_chain:  # displayed and focusable, in order
            if detail in widget.ancestors:
                widget.focus()
                return

    def action_back(self) -> None:
        active = self.tabs.active
        if active == "criteria":
            self.criteria_tree.focus()
        elif active in TABLES:
            self.panel(active).table.focus()

    def action_tab(self, name: str) -> None:
        self.flush_edits()
        self.tabs.active = name
        if name == "criteria":
            self.criteria_tree.focus()
        elif name in TABLES:
            self.panel(name).table.focus()
        else:
            self.query_one(ProjectPane).focus()

    async def select(self, ref: NodeRef | None) -> None:
        """Move the tree cursor to ``ref`` and show it in the detail pane."""
        if ref is not None:
            self.criteria_tree.select_ref(ref)
        if ref != self.current:
            self.detail.flush()
            self.current = ref
            await self.detail.show(ref, self.session, self)

    async def goto(self, kind: str, item_id: str) -> None:
        """Select a criterion or gate in the tree (lifting the filter if it hides it)."""
        self.flush_edits()
        self.tabs.active = "criteria"
        ref = NodeRef(kind, item_id)  # type: ignore[arg-type]
        tree = self.criteria_tree
        if ref not in tree.nodes_by_ref and tree.attention_only:
            tree.attention_only = False
            tree.build(self.session.scored.result, self.session.project)
            self._update_topbar()
        await self.select(ref)
        tree.focus()

    async def _step_unassessed(self, direction: int) -> None:
        criteria = self.session.scored.result.criteria
        ids = [c.id for c in criteria]
        current = self.current.id if self.current and self.current.kind == "criterion" else None
        start = ids.index(current) if current in ids else -1
        for offset in range(1, len(ids) + 1):
            criterion = criteria[(start + direction * offset) % len(ids)]
            if criterion.status == "not_assessed":
                await self.goto("criterion", criterion.id)
                return
        self.notify("Every criterion is assessed.")

    async def action_next_unassessed(self) -> None:
        await self._step_unassessed(1)

    async def action_previous_unassessed(self) -> None:
        await self._step_unassessed(-1)

    async def action_toggle_filter(self) -> None:
        self.flush_edits()
        tree = self.criteria_tree
        tree.attention_only = not tree.attention_only
        tree.build(self.session.scored.result, self.session.project)
        if not tree.nodes_by_ref:
            self.notify("Nothing needs attention: everything is assessed, no gate fails.")
        elif self.current is None or self.current not in tree.nodes_by_ref:
            await self.select(
                next(iter(r for r in tree.nodes_by_ref if r.kind in ("criterion", "gate")))
            )
        else:
            tree.select_ref(self.current)
        self.tabs.active = "criteria"
        tree.focus()
        self._update_topbar()

    # ------------------------------------------------------------------ undo / redo

    async def action_undo(self) -> None:
        editor = self._focused_editor()
        if editor is not None and editor.pending:
            editor.reload(editor.stored)
            self.cancel_preview()
            self.notify("Discarded what was typed in the field.")
            return
        self.flush_edits()
        step = self.session.undo()
        if step is None:
            self.notify("Nothing to undo.")
            return
        await self._after_restore(step)
        self.notify(f"Undone: {_describe(step, undo=True)}")

    async def action_redo(self) -> None:
        self.flush_edits()
        step = self.session.redo()
        if step is None:
            self.notify("Nothing to redo.")
            return
        await self._after_restore(step)
        self.notify(f"Redone: {_describe(step, undo=False)}")

    async def _after_restore(self, step: Step) -> None:
        self._reveal(step.target)
        await self.refresh_all()
        self.call_after_refresh(self.autosave)

    def _reveal(self, target: Target) -> None:
        """Show where a change happened: its criterion, table row or the project tab."""
        compiled = self.session.scored.scores.compiled
        if target.section == "responses":
            self.current = NodeRef("criterion", str(target.key))
            self.tabs.active = "criteria"
        elif target.section == "inputs":
            if self.current is not None and self._reads(self.current, target.name):
                self.tabs.active = "criteria"
                return
            for index, criterion in enumerate(compiled.criteria):
                if target.name in criterion_inputs(compiled, index):
                    self.current = NodeRef("criterion", criterion.id)
                    self.tabs.active = "criteria"
                    return
        elif target.section in TABLES:
            self.tabs.active = target.section
            self.panel(target.section).row_index = int(target.key or 0)
        elif target.section == "measures":  # inputs and tables alike: stay where we are
            return
        else:
            self.tabs.active = "project"

    def _reads(self, ref: NodeRef, name: str) -> bool:
        compiled = self.session.scored.scores.compiled
        if ref.kind == "criterion":
            index = next(i for i, c in enumerate(compiled.criteria) if c.id == ref.id)
            return name in criterion_inputs(compiled, index)
        if ref.kind == "gate":
            index = next(i for i, g in enumerate(compiled.gates) if g.id == ref.id)
            return name in gate_inputs(compiled, index)
        return False


def _cell(value: Any) -> str:
    from greenmark.tui.tables import cell_text

    return cell_text(value) or "–"


def _describe(step: Step, undo: bool) -> str:
    before, after = (step.new, step.old) if undo else (step.old, step.new)
    if not step.target.name:
        return step.label
    return f"{step.target.path}: {show_value(before)} → {show_value(after)}"
