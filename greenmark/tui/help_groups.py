"""What the help screen lists: every binding of the app, grouped by where it works."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Tree

from greenmark.tui.screens.compare import CompareScreen
from greenmark.tui.screens.dialogs import ConflictScreen
from greenmark.tui.screens.help import HelpGroups, bindings_of, key_text
from greenmark.tui.screens.history import HistoryScreen
from greenmark.tui.screens.path import PathScreen
from greenmark.tui.screens.summary import SummaryScreen
from greenmark.tui.widgets.fields import BoolEditor, ChoiceEditor
from greenmark.tui.widgets.table_panel import RowsTable
from greenmark.tui.widgets.tree import CriteriaTree


def help_groups(app: App[object], main_screen: type[Screen[Any]]) -> HelpGroups:
    """Binding groups: everywhere, the tree, tables, fields, summary, the disk prompt.

    ``main_screen`` is the class of the screen that asks (so this module, which the main
    screen imports, does not import it back).
    """
    everywhere = bindings_of([type(app), main_screen])
    palette = key_text(app.COMMAND_PALETTE_BINDING)
    if all(keys != palette for keys, _ in everywhere):
        everywhere.insert(0, (palette, "Command palette: go to a criterion by id or title"))
    tree = bindings_of([CriteriaTree])
    tree += [(k, d) for k, d in bindings_of([Tree]) if all(k != key for key, _ in tree)]
    tables = bindings_of([RowsTable])
    fields = bindings_of([BoolEditor, ChoiceEditor])
    fields += [
        ("enter / tab", "Store the value typed (leaving a field stores it too)"),
        ("space", "Toggle a switch; open a drop-down"),
    ]
    return [
        ("Everywhere", everywhere),
        ("Criteria tree", tree),
        ("Tables (facades, BoQ, fittings)", tables),
        ("Fields", fields),
        ("Summary screen", bindings_of([SummaryScreen])),
        ("Path to target screen", bindings_of([PathScreen])),
        ("History screen", bindings_of([HistoryScreen])),
        ("Other schemes screen", bindings_of([CompareScreen])),
        ("File changed on disk", bindings_of([ConflictScreen])),
    ]


def help_notes() -> list[str]:
    return [
        "Marks: ✔ awarded  ◐ partial  ✘ not met  ? not assessed  – not applicable;"
        " ⚑ needs clarification, ✓ accepted.",
        "Values are checked as you type; an invalid value is refused and never stored.",
        "Every change is saved at once (atomically) and recorded in the file's history.",
    ]
