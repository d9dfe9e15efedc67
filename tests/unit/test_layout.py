"""The import contract: one folder per concern, imports only downward, no circles.

Who may import whom (``greenmark/__init__.py`` and each wing's ``__init__`` say it too)::

    cli, tui  ──▶ reports, portfolio, design ──▶ core ──▶ calc

- ``calc`` imports only the core's small helpers (errors, resources, TOML reading, the
  disk cache);
- ``core`` imports only ``calc`` (a project's calculated inputs) and never a front door;
- ``design``, ``portfolio`` and ``reports`` import the core and ``calc``; ``reports``
  may also use ``design`` (what moves the score) and ``portfolio`` (its summary);
- ``cli`` and ``tui`` are front doors: nothing imports them but ``cli`` launching the TUI.

Imports are read from the source with :mod:`ast` (module level and inside functions;
``if TYPE_CHECKING:`` blocks are left out, they never run), so a lazy import that
closes a circle fails here just like a module-level one.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "greenmark"

#: wing -> the wings it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "calc": {"core.errors", "core.resources", "core.tomlfile", "core.diskcache"},
    "core": {"calc"},
    "design": {"core", "calc"},
    "portfolio": {"core", "calc"},
    "reports": {"core", "calc", "design", "portfolio"},
    "tui": {"core", "calc", "design", "reports", "portfolio"},
    "cli": {"core", "calc", "design", "reports", "portfolio", "tui"},
    "": {"core", "cli"},  # greenmark/__init__.py (the public surface), __main__.py (the entry)
}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str) -> set[str]:
    """Every greenmark module ``path`` imports at run time (absolute names)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "greenmark")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] == "greenmark":
                for alias in node.names:  # `from pkg import module` imports the module
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if candidate in MODULES else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(module)
    return found


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def graph() -> dict[str, set[str]]:
    return {name: _imports(path, name) for name, path in MODULES.items()}


def wing_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and module in _PACKAGES) else ""


_PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _allowed(source: str, target: str) -> bool:
    src, dst = wing_of(source), wing_of(target)
    if target == "greenmark":  # the public surface (and ``__version__``): front doors only
        return src in ("cli", "tui", "")
    if src == dst:
        return True
    rules = ALLOWED[src]
    short = target.removeprefix("greenmark.")
    return dst in rules or any(short == r or short.startswith(r + ".") for r in rules)


def test_every_module_sits_in_a_wing() -> None:
    loose = [
        m for m in MODULES if wing_of(m) == "" and m not in ("greenmark", "greenmark.__main__")
    ]
    assert not loose, f"modules outside a wing folder: {loose}"
    assert {wing_of(m) for m in MODULES} <= set(ALLOWED)


def test_imports_only_go_downward() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in sorted(targets)
        if not _allowed(source, target)
    ]
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges:
                continue
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def _without_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package ``__init__`` that only re-exports is not a module of its own here."""
    return {
        m: {t for t in ts if t not in _PACKAGES} for m, ts in edges.items() if m not in _PACKAGES
    }


def test_no_import_circles() -> None:
    cycles = _cycles(_without_packages(graph()))
    assert not cycles, "import circles:\n" + "\n".join(" ⇄ ".join(c) for c in cycles)


def test_the_contract_catches_a_circle_and_an_upward_import() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert not _allowed("greenmark.core.engine", "greenmark.tui.app")
    assert not _allowed("greenmark.calc.envelope", "greenmark.core.engine")
    assert _allowed("greenmark.calc.tables", "greenmark.core.errors")
    assert _allowed("greenmark.cli.main", "greenmark.core.engine")


@pytest.mark.parametrize("wing", sorted(w for w in ALLOWED if w))
def test_each_wing_says_what_it_owns(wing: str) -> None:
    init = PACKAGE / wing / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc and "import" in doc, f"{init}: a docstring saying what it owns and may import"


def test_modules_are_small_or_say_why() -> None:
    long = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > MAX_LINES and "one idea" not in doc.lower():
            long.append(f"{name}: {lines} lines")
    assert not long, f"over {MAX_LINES} lines without a reason in the docstring: {long}"


def _third_party(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(("library", "wings"), [("click", {"cli"}), ("textual", {"tui", "cli"})])
def test_front_door_libraries_stay_in_the_front_doors(library: str, wings: set[str]) -> None:
    users = [
        m for m, p in MODULES.items() if library in _third_party(p) and wing_of(m) not in wings
    ]
    assert not users, f"{library} imported outside {sorted(wings)}: {users}"
