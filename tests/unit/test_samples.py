"""The sample buildings in samples/: golden results, tier and badge coverage, table use.

Every ``samples/*.toml`` project is scored in-process and compared with its golden file
``samples/expected/<stem>.json`` (the ``greenmark score --format json`` result without the
machine-specific ``project.file``). After an intended change of results, regenerate the
golden files with ``python samples/update_expected.py`` and review the diff.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from tests_paths import SAMPLES, sample_updater

from greenmark.calc.registry import table_of
from greenmark.core.model import Scheme, formula_sites
from greenmark.core.scheme import bundled_schemes, load_scheme

UPDATER = sample_updater()
PROJECTS: list[Path] = UPDATER.sample_projects(SAMPLES)
EXPECTED: Path = UPDATER.EXPECTED
REGENERATE = "regenerate with `python samples/update_expected.py` if the change is intended"


@cache
def result_of(sample: Path) -> dict[str, Any]:
    """The sample's result (JSON contract without project.file), scored once per session."""
    return UPDATER.expected_result(sample)


@cache
def project_data(sample: Path) -> dict[str, Any]:
    return tomllib.loads(sample.read_text(encoding="utf-8"))


@cache
def gm_schemes() -> dict[str, Scheme]:
    """Every bundled gm-* scheme, by id."""
    return {e.id: load_scheme(e.path) for e in bundled_schemes() if e.id.startswith("gm-")}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves; list items with an ``id`` are keyed by it (``criteria[EN-1]``)."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat or {prefix: {}}
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            key = item["id"] if isinstance(item, dict) and "id" in item else index
            flat.update(_flatten(item, f"{prefix}[{key}]"))
        return flat or {prefix: []}
    return {prefix: value}


def _differences(expected: Any, actual: Any, limit: int = 25) -> str:
    want, got = _flatten(expected), _flatten(actual)
    missing = object()
    lines = []
    for key in sorted(want.keys() | got.keys()):
        old, new = want.get(key, missing), got.get(key, missing)
        if old != new:
            show_old = "(absent)" if old is missing else json.dumps(old, ensure_ascii=False)
            show_new = "(absent)" if new is missing else json.dumps(new, ensure_ascii=False)
            lines.append(f"  {key}: expected {show_old}, got {show_new}")
    more = f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def test_there_are_samples_for_every_bundled_gm_scheme():
    assert len(PROJECTS) >= 17, [p.name for p in PROJECTS]
    used = {project_data(p)["project"]["scheme"] for p in PROJECTS}
    assert set(gm_schemes()) <= used


@pytest.mark.parametrize("sample", PROJECTS, ids=lambda p: p.stem)
def test_sample_matches_its_golden_result(sample):
    golden = UPDATER.expected_path(sample)
    assert golden.is_file(), f"{golden.name} is missing; {REGENERATE}"
    expected = json.loads(golden.read_text(encoding="utf-8"))
    actual = result_of(sample)
    if actual != expected:
        pytest.fail(
            f"{sample.name} no longer scores as {golden.name}:\n"
            f"{_differences(expected, actual)}\n{REGENERATE}",
            pytrace=False,
        )


def test_every_golden_file_has_a_sample_and_every_sample_a_golden_file():
    goldens = {path.stem for path in EXPECTED.glob("*.json")}
    samples = {path.stem for path in PROJECTS}
    assert not goldens - samples, f"golden files without a sample: {sorted(goldens - samples)}"
    assert not samples - goldens, f"samples without a golden file: {sorted(samples - goldens)}"


def test_golden_files_are_written_as_the_updater_writes_them():
    for sample in PROJECTS:
        golden = UPDATER.expected_path(sample)
        text = golden.read_text(encoding="utf-8")
        assert text == UPDATER.render(json.loads(text)), f"{golden.name} is not canonical"
        assert "file" not in json.loads(text)["project"], golden.name


def test_the_cli_gives_the_golden_result(cli):
    sample = SAMPLES / "nrb-office-tower.toml"
    done = cli("score", str(sample), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["project"].pop("file") == str(sample)
    expected = json.loads(UPDATER.expected_path(sample).read_text(encoding="utf-8"))
    if result != expected:
        pytest.fail(f"CLI result differs from the golden file:\n{_differences(expected, result)}")


def test_samples_validate(cli):
    done = cli("validate", str(SAMPLES))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("sample", PROJECTS, ids=lambda p: p.stem)
def test_sample_is_fully_assessed(sample):
    """Every criterion is assessed or explicitly not applicable; no gate is left unchecked."""
    result = result_of(sample)
    open_criteria = [c["id"] for c in result["criteria"] if c["status"] == "not_assessed"]
    open_gates = [g["id"] for g in result["gates"] if g["status"] == "not_assessed"]
    assert not open_criteria and not open_gates, (open_criteria, open_gates)


def test_samples_reach_every_tier_and_badge_of_every_gm_scheme():
    tiers: dict[str, set[str]] = {}
    badges: dict[str, set[str]] = {}
    for sample in PROJECTS:
        result = result_of(sample)
        scheme_id = result["scheme"]["id"]
        if result["tier"] is not None:
            tiers.setdefault(scheme_id, set()).add(result["tier"])
        badges.setdefault(scheme_id, set()).update(result["badges"])
    missing = []
    for scheme_id, scheme in gm_schemes().items():
        if scheme.scheme.extends is not None:  # a stream: its base's samples cover the rules
            if scheme_id not in tiers:
                missing.append(f"{scheme_id} any tier")
            continue
        missing += [
            f"{scheme_id} tier {t.id}" for t in scheme.tiers if t.id not in tiers.get(scheme_id, ())
        ]
        missing += [
            f"{scheme_id} badge {b.id}"
            for b in scheme.badges
            if b.id not in badges.get(scheme_id, ())
        ]
    assert not missing, f"no sample reaches: {', '.join(missing)}"


def _users(scheme: Scheme, name: str) -> tuple[set[str], set[str]]:
    """Criteria (by points rule) and gates (by condition) that read ``name``, also through
    derived quantities."""
    derived_sources = {key: spec.formula for key, spec in scheme.derived.items()}
    names = {name}
    grew = True
    while grew:
        grew = False
        for key, source in derived_sources.items():
            if key not in names and any(re.search(rf"\b{n}\b", source) for n in names):
                names.add(key)
                grew = True
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    criteria: set[str] = set()
    gates: set[str] = set()
    for site in formula_sites(scheme):
        kind, index, *rest = site.location
        if not pattern.search(site.source) or "applies_if" in rest:
            continue
        if kind == "criteria":
            criteria.add(scheme.criteria[int(index)].id)
        elif kind == "gates":
            gates.add(scheme.gates[int(index)].id)
    return criteria, gates


def _calculated_inputs() -> list[tuple[str, str, str]]:
    return [
        (scheme_id, name, spec.calculator)
        for scheme_id, scheme in gm_schemes().items()
        for name, spec in scheme.inputs.items()
        if spec.calculator is not None and name in _own_inputs(scheme_id)
    ]


def _own_inputs(scheme_id: str) -> set[str]:
    """Inputs a scheme file declares itself (a scheme that extends another inherits the
    rest, which the base's samples cover)."""
    path = next(e.path for e in bundled_schemes() if e.id == scheme_id)
    return set(tomllib.loads(path.read_text(encoding="utf-8")).get("inputs", {}))


@pytest.mark.parametrize(
    ("scheme_id", "name", "calculator"),
    _calculated_inputs(),
    ids=lambda value: str(value),
)
def test_some_sample_computes_the_input_from_its_table(scheme_id, name, calculator):
    """ETTV/RETV from [[facades]], embodied carbon and CUI from [[boq]], WELS ticks from
    [[fittings]]: at least one sample per scheme takes each calculated input from its
    table (not from [inputs]) and has the criteria or gates using it assessed."""
    scheme = gm_schemes()[scheme_id]
    table = table_of(calculator)
    criteria, gates = _users(scheme, name)
    assert criteria or gates, f"nothing in {scheme_id} reads {name}"
    candidates = []
    for sample in PROJECTS:
        data = project_data(sample)
        if data["project"]["scheme"] != scheme_id:
            continue
        if name in data.get("inputs", {}):
            continue
        rows = data.get(table, [])
        if calculator.startswith("wels_ticks."):
            fitting = calculator.split(".", 1)[1]
            rows = [row for row in rows if row.get("type", "").lower() == fitting]
        if not rows:
            continue
        result = result_of(sample)
        statuses = [c["status"] for c in result["criteria"] if c["id"] in criteria]
        statuses += [g["status"] for g in result["gates"] if g["id"] in gates]
        assessed = {"awarded", "partial", "not_met", "passed", "failed"}
        if "not_assessed" not in statuses and assessed & set(statuses):
            candidates.append(sample.stem)
    assert candidates, (
        f"no {scheme_id} sample computes {name} from [[{table}]] with "
        f"{sorted(criteria | gates)} assessed"
    )
