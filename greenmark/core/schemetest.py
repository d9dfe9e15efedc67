"""A scheme's own fixtures: projects with the result they must get, kept beside the scheme.

The fixtures of a scheme file ``DIR/NAME.toml`` whose id is ``ID`` live in
``DIR/tests/ID/``: each fixture is a normal project file ``CASE.toml`` with its
expectations beside it in ``CASE.expect.toml``::

    description = "59.9 % savings: one tenth short of Super Low Energy"
    tier = "platinum"            # a tier id, or "none"
    total_points = 71            # within `tolerance` (default 0.01)
    badges = ["maintainability"] # exactly these (order free); [] for none

    [criteria."Hw1.1a"]          # optional: per criterion
    points = 0.5
    status = "partial"

    [sections]                   # optional: points per section
    maintainability = 6

    [gates]                      # optional: status per gate
    p3-platinum = "failed"

Every fixture is scored with the scheme under test, whatever its own ``scheme`` says (it
must name that scheme's id or file). A fixture that pins a ``scheme_version`` runs only
against that version (others skip it), so the versions of one scheme share a folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenmark.core.errors import GreenmarkError, Problem, SchemeError
from greenmark.core.explain import BuildingResult
from greenmark.core.model import Scheme
from greenmark.core.project import load_project
from greenmark.core.scheme import resolve_scheme
from greenmark.core.scoring import score_project
from greenmark.core.tomlfile import (
    LineIndex,
    LongText,
    ShortText,
    dotted,
    friendly_errors,
    read_toml,
)

#: The end of an expectations file's name (beside the project ``CASE.toml``).
EXPECT_SUFFIX = ".expect.toml"
#: ``tier`` for a fixture that must get no tier.
NO_TIER = "none"

CriterionStatus = Literal["not_assessed", "not_met", "partial", "awarded", "not_applicable"]
GateState = Literal["not_assessed", "failed", "passed", "not_applicable"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class CriterionExpect(_Model):
    """What one criterion must give."""

    points: float | None = None
    status: CriterionStatus | None = None


class Expectation(_Model):
    """A ``CASE.expect.toml`` file: the result a fixture project must get."""

    description: LongText = ""
    tier: ShortText | None = None
    total_points: float | None = None
    total_percent: float | None = None
    tolerance: float = Field(default=0.01, ge=0)
    badges: list[ShortText] | None = None
    criteria: dict[ShortText, CriterionExpect] = Field(default_factory=dict)
    sections: dict[ShortText, float] = Field(default_factory=dict)
    gates: dict[ShortText, GateState] = Field(default_factory=dict)


@dataclass(frozen=True)
class Mismatch:
    """One expectation the result does not meet."""

    check: str  # e.g. "tier", "badges", "criteria.Hw1.1a.points"
    expected: str
    got: str


@dataclass
class FixtureResult:
    """One fixture: passed, failed (with its mismatches) or could not be run (problems)."""

    name: str
    project: Path
    description: str = ""
    outcome: Literal["pass", "fail", "error", "skip"] = "pass"
    tier: str | None = None
    total_points: float | None = None
    result_text: str = ""  # the scheme's headline figure: points, percent or its metric
    badges: list[str] = field(default_factory=list)
    checks: int = 0
    note: str = ""  # why a fixture was skipped
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "project": shown_path(self.project),
            "description": self.description,
            "outcome": self.outcome,
            "tier": self.tier,
            "total_points": self.total_points,
            "result": self.result_text,
            "badges": self.badges,
            "checks": self.checks,
            "note": self.note,
            "mismatches": [m.__dict__ for m in self.mismatches],
            "problems": [str(p) for p in self.problems],
        }


@dataclass
class SchemeTestReport:
    """Every fixture of one scheme."""

    scheme: Scheme
    folder: Path
    fixtures: list[FixtureResult]

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.fixtures if f.outcome == outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": {"id": self.scheme.id, "version": self.scheme.version},
            "folder": shown_path(self.folder),
            "passed": self.count("pass"),
            "failed": self.count("fail"),
            "errors": self.count("error"),
            "skipped": self.count("skip"),
            "fixtures": [f.to_dict() for f in self.fixtures],
        }


def shown_path(path: Path) -> str:
    """A path relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def fixtures_dir(scheme_path: Path, scheme_id: str) -> Path:
    """Where the fixtures of a scheme file live: ``tests/<id>/`` beside it."""
    return scheme_path.parent / "tests" / scheme_id


def fixture_projects(folder: Path) -> list[Path]:
    """The fixture projects of a folder (its ``*.toml`` but the expectation files)."""
    return sorted(p for p in folder.glob("*.toml") if not p.name.endswith(EXPECT_SUFFIX))


def expect_path(project: Path) -> Path:
    return project.with_name(project.name.removesuffix(".toml") + EXPECT_SUFFIX)


def run_fixtures(scheme: Scheme, scheme_path: Path, folder: Path | None = None) -> SchemeTestReport:
    """Score every fixture of ``scheme`` (read from ``scheme_path``) and compare."""
    folder = folder or fixtures_dir(scheme_path, scheme.id)
    if not folder.is_dir():
        raise SchemeError(
            f"no fixtures for scheme {scheme.id}: expected a folder {folder} holding "
            f"CASE.toml projects, each with its CASE{EXPECT_SUFFIX} beside it"
        )
    projects = fixture_projects(folder)
    if not projects:
        raise SchemeError(
            f"no fixture projects (CASE.toml with CASE{EXPECT_SUFFIX}) in {folder}",
            file=str(folder),
        )
    orphans = [
        p
        for p in sorted(folder.glob("*" + EXPECT_SUFFIX))
        if not p.with_name(p.name.removesuffix(EXPECT_SUFFIX) + ".toml").is_file()
    ]
    results = [run_fixture(scheme, scheme_path, project) for project in projects]
    for orphan in orphans:
        results.append(
            FixtureResult(
                orphan.name.removesuffix(EXPECT_SUFFIX),
                orphan,
                outcome="error",
                problems=[Problem("expectations without their project file", str(orphan))],
            )
        )
    return SchemeTestReport(scheme, folder, results)


def run_fixture(scheme: Scheme, scheme_path: Path, project: Path) -> FixtureResult:
    """Score one fixture project and compare it with its expectations."""
    name = project.name.removesuffix(".toml")
    found = FixtureResult(name, project)
    try:
        expect = load_expectation(expect_path(project), scheme)
        found.description = expect.description
        loaded = load_project(project)
        _check_reference(loaded.project.project.scheme, project, scheme, scheme_path)
        pinned = loaded.project.project.scheme_version
        if pinned is not None and pinned != scheme.version:
            found.outcome = "skip"
            found.note = f"pinned to version {pinned}"
            return found
        result = score_project(loaded, scheme).result
    except GreenmarkError as exc:
        found.outcome = "error"
        found.problems = exc.problems
        return found
    found.tier = result.tier
    found.total_points = result.total_points
    found.result_text = result.headline_text()
    found.badges = [b["id"] for b in result.badges]
    checks = compare(expect, result)
    found.checks = len(checks)
    found.mismatches = [m for m in checks if m is not None]
    found.outcome = "fail" if found.mismatches else "pass"
    return found


def _check_reference(reference: str, project: Path, scheme: Scheme, scheme_path: Path) -> None:
    if reference == scheme.id:
        return
    try:
        same = resolve_scheme(reference, project.parent).resolve() == scheme_path.resolve()
    except GreenmarkError:
        same = False
    if not same:
        raise SchemeError(
            f"names scheme {reference!r}, but is a fixture of {scheme.id} "
            f'(expected scheme = "{scheme.id}")',
            file=str(project),
            location="project.scheme",
        )


def load_expectation(path: Path, scheme: Scheme) -> Expectation:
    """Read and check a ``CASE.expect.toml`` against the scheme's ids."""
    shown = str(path)
    if not path.is_file():
        raise SchemeError(
            f"no expectations for this fixture: write {path.name} beside it "
            '(e.g. tier = "gold", total_points = 52, badges = [])',
            file=shown,
        )
    data, text = read_toml(path)
    lines = LineIndex(text)
    try:
        expect = Expectation.model_validate(data)
    except ValidationError as exc:
        raise SchemeError(
            problems=[
                Problem(message, shown, dotted(location), lines.line_of(location))
                for location, message in friendly_errors(exc)
            ]
        ) from None
    problems = [
        Problem(message, shown, dotted(location), lines.line_of(location))
        for location, message in _unknown_ids(expect, scheme)
    ]
    if problems:
        raise SchemeError(problems=problems)
    return expect


def _unknown_ids(expect: Expectation, scheme: Scheme) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []

    def check(location: tuple[str, ...], value: str, known: list[str], what: str) -> None:
        if value not in known:
            found.append(
                (location, f"scheme {scheme.id} has no {what} {value!r} ({', '.join(known)})")
            )

    if expect.tier is not None:
        check(("tier",), expect.tier, [NO_TIER, *(t.id for t in scheme.tiers)], "tier")
    for badge in expect.badges or ():
        check(("badges",), badge, [b.id for b in scheme.badges], "badge")
    for kind, known, what in (
        ("criteria", [c.id for c in scheme.criteria], "criterion"),
        ("sections", [s.id for s in scheme.sections], "section"),
        ("gates", [g.id for g in scheme.gates], "gate"),
    ):
        for key in getattr(expect, kind):
            if key not in known:
                shown = known if len(known) <= 12 else [*known[:12], "…"]
                found.append(
                    ((kind, key), f"scheme {scheme.id} has no {what} {key!r} ({', '.join(shown)})")
                )
    return found


def compare(expect: Expectation, result: BuildingResult) -> list[Mismatch | None]:
    """One entry per check: None when it holds, the mismatch when not."""
    tolerance = expect.tolerance
    checks: list[Mismatch | None] = []

    def number(check: str, want: float, got: float | None) -> None:
        ok = got is not None and math.isfinite(got) and abs(got - want) <= tolerance
        checks.append(None if ok else Mismatch(check, _num(want, tolerance), _num(got)))

    def equal(check: str, want: str, got: str) -> None:
        checks.append(None if want == got else Mismatch(check, want, got))

    if expect.tier is not None:
        equal("tier", expect.tier, result.tier or NO_TIER)
    if expect.total_points is not None:
        number("total_points", expect.total_points, result.total_points)
    if expect.total_percent is not None:
        number("total_percent", expect.total_percent, result.total_percent)
    if expect.badges is not None:
        checks.append(_badges(sorted(expect.badges), sorted(b["id"] for b in result.badges)))
    criteria = {c.id: c for c in result.criteria}
    for cid, want_c in expect.criteria.items():
        item = criteria[cid]
        if want_c.points is not None:
            number(f"criteria.{cid}.points", want_c.points, item.points)
        if want_c.status is not None:
            equal(f"criteria.{cid}.status", want_c.status, item.status)
    sections = {s.id: s for s in result.sections}
    for sid, points in expect.sections.items():
        number(f"sections.{sid}", points, sections[sid].points)
    gates = {g.id: g for g in result.gates}
    for gid, status in expect.gates.items():
        equal(f"gates.{gid}", status, gates[gid].status)
    return checks


def _badges(want: list[str], got: list[str]) -> Mismatch | None:
    """The badge check: the same set, or what is missing and what is not expected."""
    if set(want) == set(got):
        return None
    why = []
    missing = [b for b in want if b not in got]
    extra = [b for b in got if b not in want]
    if missing:
        why.append(f"missing {', '.join(missing)}")
    if extra:
        why.append(f"not expected {', '.join(extra)}")
    listed = ", ".join(got) or "(none)"
    return Mismatch("badges", ", ".join(want) or "(none)", f"{listed}  [{'; '.join(why)}]")


def _num(value: float | None, tolerance: float | None = None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    text = f"{value:.6g}"
    return f"{text} ± {tolerance:g}" if tolerance else text
