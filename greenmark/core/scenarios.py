"""Scenarios: proposals (catalogue measures applied on paper) kept beside the assessed
values, never mixed into them.

A plan or a measure becomes a named scenario (:func:`propose`); it is scored beside the
assessed values by the front doors (applying the measures needs the designer), and
becomes assessed only when the assessor accepts it (:func:`accepted`, recorded in the
history along with each value it changes). Certificates read the assessed values only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from greenmark.core.project import Project
from greenmark.core.records import Scenario
from greenmark.core.tomlfile import SHORT_TEXT


class ScenarioError(ValueError):
    """A scenario that does not exist, or a name that cannot be used."""


def describe(scenario: Scenario) -> str:
    """``proposed: chiller-0.55, led-lighting`` (for the history)."""
    return f"proposed: {', '.join(scenario.measures)}"


def default_name(measures: Sequence[str]) -> str:
    """A name from the measures' ids: ``chiller-0.55+led-lighting``."""
    name = "+".join(measures)
    return name if len(name) <= 60 else name[:59] + "…"


def find(project: Project, name: str) -> str:
    """The scenario called ``name`` (any case); :class:`ScenarioError` listing them otherwise."""
    if name in project.scenarios:
        return name
    lowered = {n.lower(): n for n in project.scenarios}
    if name.lower() in lowered:
        return lowered[name.lower()]
    names = ", ".join(project.scenarios) or "none"
    raise ScenarioError(f"no scenario {name!r} (scenarios: {names})")


def propose(
    project: Project, measures: Sequence[str], who: str = "", note: str = "", name: str = ""
) -> str:
    """Keep ``measures`` as a scenario (the same measures again: the same one); its name."""
    if not measures:
        raise ScenarioError("a scenario needs at least one measure")
    wanted = list(dict.fromkeys(measures))
    for existing, scenario in project.scenarios.items():
        if scenario.measures == wanted and (not name or name == existing):
            return existing
    base = (name or default_name(wanted)).strip()
    if not base or len(base) > SHORT_TEXT or re.search(r"[\x00-\x1f]", base):
        raise ScenarioError(f"a scenario name is one line of up to {SHORT_TEXT} characters")
    chosen, count = base, 1
    while chosen in project.scenarios:
        count += 1
        chosen = f"{base} ({count})"
    scenario = Scenario(
        measures=wanted, who=who, created=datetime.now(UTC).replace(microsecond=0), note=note
    )
    project.scenarios = {**project.scenarios, chosen: scenario}
    project.record(f"scenarios.{chosen}", None, describe(scenario), who, note)
    return chosen


def discard(project: Project, name: str, who: str = "", note: str = "") -> Scenario:
    """Drop a scenario (the assessed values are untouched)."""
    key = find(project, name)
    scenario = project.scenarios[key]
    project.scenarios = {k: v for k, v in project.scenarios.items() if k != key}
    project.record(f"scenarios.{key}", describe(scenario), None, who, note)
    return scenario


def accepted(project: Project, name: str, who: str = "", note: str = "") -> Scenario:
    """Record that scenario ``name`` was accepted and drop it; the caller applies its
    measures to the assessed values (each change recorded after this entry)."""
    key = find(project, name)
    scenario = project.scenarios[key]
    project.scenarios = {k: v for k, v in project.scenarios.items() if k != key}
    project.record(f"scenarios.{key}", describe(scenario), "accepted", who, note)
    return scenario
