"""The tree of sections and criteria (and prerequisites), with status marks and points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from greenmark.core.explain import BuildingResult, fmt
from greenmark.core.project import Project
from greenmark.tui.marks import MARKS, STYLES

Kind = Literal["section", "criterion", "gates", "gate"]


@dataclass(frozen=True)
class NodeRef:
    """What a tree node stands for."""

    kind: Kind
    id: str


def needs_attention(status: str, review_state: str) -> bool:
    """Shown by the attention filter: not assessed, needing clarification or rejected, or a
    failing gate."""
    return status in ("not_assessed", "failed") or review_state in (
        "needs_clarification",
        "rejected",
    )


class CriteriaTree(Tree[NodeRef]):
    """Sections with their criteria, then the prerequisites (gates)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("h", "out", "Collapse / parent", show=False),
        Binding("l", "into", "Expand / edit", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__("criteria", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self.nodes_by_ref: dict[NodeRef, TreeNode[NodeRef]] = {}
        self.id_width = 6
        self.attention_only = False
        self._keys: dict[NodeRef, object] = {}  # what each label was last built from
        self.prerequisites_first = False  # the scheme's prerequisites decide its rating

    async def _on_click(self, event: events.Click) -> None:
        """A click shows a criterion (and opens or closes a section); a double click edits.

        Textual's tree selects on every click, which here would move the focus into the
        first field and send the next key there; the keyboard keeps enter to edit.
        """
        line = event.style.meta.get("line")
        if event.chain >= 2 or line is None or event.style.meta.get("toggle", False):
            return  # Textual's own handling: select (edit) on a double click, toggles
        event.prevent_default()
        node = self.get_node_at_line(line)
        self.cursor_line = line
        if node is not None and node.allow_expand:
            node.toggle()

    # ------------------------------------------------------------------ building

    def build(self, result: BuildingResult, project: Project) -> None:
        """(Re)build the nodes for ``result``, honouring the attention filter."""
        self.clear()
        self.nodes_by_ref.clear()
        self._keys.clear()
        self.id_width = max((len(c.id) for c in result.criteria), default=4)
        review = {cid: r.review_state for cid, r in project.responses.items()}
        if self.prerequisites_first:
            self._add_gates(result)
        for section in result.sections:
            members = [
                c
                for c in result.criteria
                if c.section == section.id
                and (not self.attention_only or needs_attention(c.status, review.get(c.id, "open")))
            ]
            if self.attention_only and not members:
                continue
            ref = NodeRef("section", section.id)
            node = self.root.add(self._section_label(result, section.id), data=ref, expand=True)
            self.nodes_by_ref[ref] = node
            for criterion in members:
                cref = NodeRef("criterion", criterion.id)
                leaf = node.add_leaf(self._criterion_label(result, criterion.id, project), cref)
                self.nodes_by_ref[cref] = leaf
        if not self.prerequisites_first:
            self._add_gates(result)

    def _add_gates(self, result: BuildingResult) -> None:
        gates = [
            g for g in result.gates if not self.attention_only or needs_attention(g.status, "")
        ]
        if gates:
            ref = NodeRef("gates", "")
            node = self.root.add(self._gates_label(result), data=ref, expand=True)
            self.nodes_by_ref[ref] = node
            for gate in gates:
                gref = NodeRef("gate", gate.id)
                self.nodes_by_ref[gref] = node.add_leaf(self._gate_label(result, gate.id), gref)

    def relabel(self, result: BuildingResult, project: Project, leaves_only: bool = False) -> None:
        """Update the labels in place (after a rescore), only where something changed.

        ``leaves_only`` (while previewing what is typed) leaves the section and
        prerequisite headings alone: changing a heading repaints every line under it,
        and the score panel already shows the section totals.
        """
        criteria = {c.id: c for c in result.criteria}
        gates = {g.id: g for g in result.gates}
        sections = {s.id: s for s in result.sections}
        for ref, node in self.nodes_by_ref.items():
            if leaves_only and ref.kind in ("section", "gates"):
                continue
            if ref.kind == "criterion":
                c = criteria[ref.id]
                response = project.responses.get(ref.id)
                state = response.review_state if response else "open"
                key: object = (c.status, round(c.points, 2), state)
            elif ref.kind == "section":
                sec = sections[ref.id]
                key = (round(sec.points, 2), sec.max_points, sec.floor_met)
            elif ref.kind == "gate":
                key = gates[ref.id].status
            else:
                key = tuple(g.status for g in result.gates)
            if self._keys.get(ref) == key:
                continue
            self._keys[ref] = key
            if ref.kind == "section":
                label = self._section_label(result, ref.id)
            elif ref.kind == "criterion":
                label = self._criterion_label(result, ref.id, project)
            elif ref.kind == "gates":
                label = self._gates_label(result)
            else:
                label = self._gate_label(result, ref.id)
            node.set_label(label)

    # ------------------------------------------------------------------ labels

    def _section_label(self, result: BuildingResult, section_id: str) -> Text:
        section = next(s for s in result.sections if s.id == section_id)
        style = "bold" if section.floor_met else "bold red"
        return Text.assemble(
            (section.title, style),
            ("  ", ""),
            (f"{fmt(round(section.points, 2))}/{fmt(section.max_points)}", "dim"),
        )

    def _criterion_label(self, result: BuildingResult, cid: str, project: Project) -> Text:
        criterion = next(c for c in result.criteria if c.id == cid)
        response = project.responses.get(cid)
        flag = " "
        flag_style = ""
        if response is not None and response.review_state == "needs_clarification":
            flag, flag_style = "⚑", "bold yellow"
        elif response is not None and response.review_state == "accepted":
            flag, flag_style = "✓", "green"
        elif response is not None and response.review_state == "rejected":
            flag, flag_style = "✗", "bold red"
        points = f"{fmt(round(criterion.points, 2))}/{fmt(criterion.max_points)}"
        return Text.assemble(
            (MARKS[criterion.status], STYLES[criterion.status]),
            (flag, flag_style),
            (f"{criterion.id:<{self.id_width}} ", "bold"),
            (f"{points:>7} ", STYLES[criterion.status]),
            (criterion.title, ""),
            no_wrap=True,
        )

    def _gates_label(self, result: BuildingResult) -> Text:
        waiting = [g for g in result.gates if g.reason.endswith(" first")]
        bad = sum(g.status in ("failed", "not_assessed") for g in result.gates)
        if waiting and len(waiting) == bad:  # every blocker waits on one choice
            choice = waiting[0].reason.removeprefix("not assessed: ").removesuffix(" first")
            return Text.assemble(("Prerequisites", "bold"), (f"  {choice}", "yellow"))
        note = f"  {bad} blocking" if bad else "  all met"
        return Text.assemble(("Prerequisites", "bold"), (note, "red" if bad else "dim"))

    def _gate_label(self, result: BuildingResult, gid: str) -> Text:
        gate = next(g for g in result.gates if g.id == gid)
        status = gate.status
        mark = MARKS.get(status, "?")
        tier = f" (from {gate.from_tier})" if gate.from_tier else ""
        return Text.assemble(
            (mark, STYLES.get(status, "")),
            (" ", ""),
            (f"{gate.id:<{self.id_width}} ", "bold"),
            (gate.title + tier, ""),
            no_wrap=True,
        )

    # ------------------------------------------------------------------ moving

    def select_ref(self, ref: NodeRef) -> bool:
        """Move the cursor to ``ref``'s node; False when it is filtered out."""
        node = self.nodes_by_ref.get(ref)
        if node is None:
            return False
        if node.parent is not None and not node.parent.is_expanded:
            node.parent.expand()
        _ = self._tree_lines  # lay the lines out now so the node knows its line
        self.move_cursor(node)
        return True

    def action_out(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_into(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.allow_expand and node.children:
            self.move_cursor(node.children[0])
        else:
            self.post_message(self.NodeSelected(node))
