"""Schemes written as changes to another: ``[scheme] extends = "ID"``.

The child file names its own ``id``, ``title`` and ``version``; everything else it does
not say comes from the scheme it extends. Tables of named entries (``constants``,
``inputs``, ``derived``, ``metrics``) and lists of entries with ids (``sections``,
``groups``, ``criteria``, ``gates``, ``tiers``, ``badges``) merge entry by entry: an
entry with a known name or id replaces the keys it gives (a criterion that states only
``max_points`` and ``points`` keeps its title, guidance and source), a new one is added
(a new criterion after the last one of its section). A top-level ``remove`` table drops
entries first: ``remove = { criteria = ["X-1"], inputs = ["lpd"] }``.
"""

from __future__ import annotations

import copy
from typing import Any

from greenmark.core.errors import Problem

#: ``[scheme]`` keys a child inherits when it does not set them.
INHERITED = (
    "description",
    "scoring",
    "building_types",
    "source",
    "validity_years",
    "prerequisites_first",
)

#: Tables of entries keyed by name.
NAMED = ("constants", "inputs", "derived", "metrics", "crosswalk")

#: Lists of entries keyed by ``id``.
LISTED = ("sections", "groups", "criteria", "gates", "tiers", "badges")


def merge_scheme(
    base: dict[str, Any], child: dict[str, Any], file: str | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The child scheme's data with the base's filled in, and the problems found (an
    entry to remove that the base does not have, a malformed ``remove`` table)."""
    problems: list[Problem] = []
    merged = copy.deepcopy(base)
    merged.pop("remove", None)
    removals = child.get("remove", {})
    if not isinstance(removals, dict):
        removals = {}
        problems.append(Problem("must be a table of lists of names or ids", file, "remove"))
    for kind, names in removals.items():
        if kind not in NAMED + LISTED or not isinstance(names, list):
            problems.append(
                Problem(
                    "expected a list of names or ids under one of: " + ", ".join(NAMED + LISTED),
                    file,
                    f"remove.{kind}",
                )
            )
            continue
        for name in names:
            if not _remove(merged, kind, name):
                problems.append(
                    Problem(
                        f"the extended scheme has no {kind} entry {name!r}", file, f"remove.{kind}"
                    )
                )

    info = {key: value for key, value in base.get("scheme", {}).items() if key in INHERITED}
    info.update(child.get("scheme", {}))
    merged["scheme"] = info
    for kind in NAMED:
        table = merged.setdefault(kind, {})
        for name, entry in child.get(kind, {}).items():
            old = table.get(name)
            table[name] = (
                {**old, **entry} if isinstance(old, dict) and isinstance(entry, dict) else entry
            )
    for kind in LISTED:
        items = merged.setdefault(kind, [])
        for entry in child.get(kind, []):
            _put(items, entry, kind)
    for key, value in child.items():  # anything else (a future table) is the child's
        if key not in NAMED + LISTED + ("scheme", "remove"):
            merged[key] = value
    return merged, problems


def _remove(merged: dict[str, Any], kind: str, name: object) -> bool:
    if kind in NAMED:
        return merged.get(kind, {}).pop(name, None) is not None
    items = merged.get(kind, [])
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == name:
            del items[i]
            return True
    return False


def _put(items: list[Any], entry: Any, kind: str) -> None:
    """Replace the keys of the entry with the same id, or add the entry in its place."""
    entry_id = entry.get("id") if isinstance(entry, dict) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and entry_id is not None and item.get("id") == entry_id:
            items[i] = {**item, **entry}
            return
    if kind == "criteria" and isinstance(entry, dict):
        last = [i for i, item in enumerate(items) if item.get("section") == entry.get("section")]
        if last:
            items.insert(last[-1] + 1, entry)
            return
    items.append(entry)
