"""Bad input through the real command line: exit code 2, the file, the place and a clear message.

Every file in ``tests/data/bad/`` is a copy of ``tests/data/good/minimal-scheme.toml`` or
``tests/data/good/minimal-project.toml`` with exactly one defect, and has one row in
:data:`CASES` saying where the defect is and what the message must say. Each row runs
``python -m greenmark.cli.main validate FILE`` (and ``score FILE`` for projects) in a subprocess.

The subprocesses of the selected tests are started together, a few at a time, the first
time any of them is needed (see :func:`cli_runs`), so the whole module stays fast.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

#: With pytest-xdist (``--dist loadgroup``, set in pyproject.toml) the whole module runs on
#: one worker, so the corpus runs below are started once, not once per worker.
pytestmark = pytest.mark.xdist_group("bad-input-corpus")

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
BAD = DATA / "bad"
GOOD = DATA / "good"
BAD_REL = "tests/data/bad"  # as the CLI prints it: relative to the working folder (REPO)
TIMEOUT = 60  # seconds, per subprocess


@dataclass(frozen=True)
class Case:
    """What ``validate`` (and ``score``) must print for one bad file."""

    location: str | None  # dotted field path, or None when the problem is the whole file
    line: int | None  # line of the defect, or None when the loader cannot know one
    fragment: str  # a distinctive part of the message
    problems: int = 1  # one defect should give exactly this many problem lines


CASES: dict[str, Case] = {
    # --- whole-file problems -------------------------------------------------------------
    "empty.toml": Case(None, None, "neither a scheme (no [scheme] table) nor a project"),
    "scheme-malformed-toml.toml": Case(None, 53, "invalid TOML"),
    "scheme-not-utf8.toml": Case(None, None, "not UTF-8"),
    "project-malformed-toml.toml": Case(None, 4, "invalid TOML"),
    # --- scheme: structure (pydantic) ----------------------------------------------------
    "scheme-unknown-top-level-key.toml": Case("colour", 3, "unknown key (not part of the format)"),
    "scheme-unknown-criterion-key.toml": Case(
        "criteria[2].weight", 65, "unknown key (not part of the format)"
    ),
    "scheme-max-points-string.toml": Case(
        "criteria[0].max_points", 47, "'twelve' is not a constant of this scheme"
    ),
    "scheme-max-points-negative.toml": Case(
        "criteria[2].max_points", 65, "expected greater than 0"
    ),
    "scheme-floor-percent-150.toml": Case(
        "sections[1].floor_percent", 42, "expected less than or equal to 100"
    ),
    "scheme-formula-not-string.toml": Case("criteria[0].points.formula", 48, "expected text"),
    "scheme-points-rule-empty.toml": Case(
        "criteria[2].points",
        66,
        "expected a table with one of the keys 'formula', 'bands', 'yes' or 'choice'",
    ),
    "scheme-missing-title.toml": Case("scheme.title", 3, "required key is missing"),
    "scheme-no-criteria.toml": Case("criteria", None, "a points-scored scheme needs criteria"),
    "scheme-scoring-unknown.toml": Case(
        "scheme.scoring", 7, "expected 'points', 'percent' or 'none'"
    ),
    "scheme-bad-criterion-id.toml": Case("criteria[2].id", 62, "use a letter or digit first"),
    "scheme-max-points-true.toml": Case(
        "criteria[1].max_points", 54, "expected a number, got true"
    ),
    "scheme-bonus-string.toml": Case(
        "criteria[2].bonus", 66, "expected true or false (without quotes), got 'yes'"
    ),
    "scheme-title-too-long.toml": Case(
        "scheme.title", 5, "too long: at most 200 characters (got 300)"
    ),
    "scheme-guidance-too-long.toml": Case(
        "criteria[0].guidance", 47, "too long: at most 10,000 characters (got 10,025)"
    ),
    # --- scheme: numbers that are not finite ---------------------------------------------
    "scheme-max-points-inf.toml": Case("criteria[0].max_points", 47, "must be a finite number"),
    "scheme-band-nan.toml": Case("criteria[1].points.at[1]", 58, "must be a finite number"),
    "scheme-band-give-inf.toml": Case("criteria[1].points.give[2]", 59, "must be a finite number"),
    "scheme-yes-give-nan.toml": Case("criteria[2].points.give", 66, "must be a finite number"),
    "scheme-constant-inf.toml": Case("constants.ettv_limit.value", 11, "must be a finite number"),
    "scheme-input-max-inf.toml": Case("inputs.ettv.max", 18, "must be a finite number"),
    "scheme-section-cap-nan.toml": Case("sections[0].cap", 37, "must be a finite number"),
    "scheme-tier-threshold-inf.toml": Case("tiers[1].min_points", 89, "must be a finite number"),
    # --- scheme: formulas ----------------------------------------------------------------
    "scheme-formula-undefined-name.toml": Case(
        "criteria[0].points.formula", 48, "criterion EN-1: unknown name 'margn'"
    ),
    "scheme-formula-attribute.toml": Case(
        "criteria[0].points.formula", 48, "attribute access is not allowed"
    ),
    "scheme-formula-import.toml": Case(
        "criteria[0].points.formula",
        48,
        "only calls of the built-in formula functions are allowed",
    ),
    "scheme-formula-syntax-error.toml": Case(
        "criteria[0].points.formula", 48, "not a valid expression: '(' was never closed"
    ),
    "scheme-formula-huge-number.toml": Case(
        "criteria[0].points.formula",
        48,
        "criterion EN-1: ",
    ),
    "scheme-formula-big-exponent.toml": Case(
        "criteria[0].points.formula", 48, "exponent 20 is outside -8..8"
    ),
    "scheme-applies-if-result-name.toml": Case(
        "criteria[2].applies_if", 65, "unknown name 'sec_energy'"
    ),
    "scheme-derived-cycle.toml": Case(
        "derived.margin.formula", 32, "circular definition: margin -> slack -> margin"
    ),
    # --- scheme: cross-checks ------------------------------------------------------------
    "scheme-duplicate-criterion-id.toml": Case(
        "criteria[2].id",
        62,
        "duplicate id 'EN-1' in [[criteria]]",
    ),
    "scheme-duplicate-section-id.toml": Case(
        "sections[2].id", 44, "duplicate id 'health' in [[sections]]"
    ),
    "scheme-criterion-unknown-section.toml": Case(
        "criteria[3].section", 70, "unknown section 'water' (sections: energy, health)"
    ),
    "scheme-bands-not-increasing.toml": Case(
        "criteria[1].points.at", 58, "band thresholds must be strictly increasing"
    ),
    "scheme-bands-length-mismatch.toml": Case(
        "criteria[1].points.give", 59, "'at' has 3 thresholds but 'give' has 2 values"
    ),
    "scheme-band-above-max-points.toml": Case(
        "criteria[1].points.give", 59, "a band gives more than max_points (10)"
    ),
    "scheme-yes-above-max-points.toml": Case(
        "criteria[2].points.give", 66, "gives 5 points, more than max_points (3)"
    ),
    "scheme-tiers-out-of-order.toml": Case(
        "tiers[1].min_points", 89, "tiers go from lowest to highest: min_points 5 is not above 10"
    ),
    "scheme-unknown-unit.toml": Case("inputs.ettv.unit", 16, "unknown unit 'bogons/m2'"),
    "scheme-choice-without-choices.toml": Case(
        "inputs.lighting.type", 31, "a choice input needs a non-empty 'choices' list"
    ),
    "scheme-choice-points-unknown-option.toml": Case(
        "criteria[3].points.give.hybrid", 73, "'hybrid' is not a choice of 'ventilation'"
    ),
    "scheme-choice-points-not-choice-input.toml": Case(
        "criteria[3].points.choice", 73, "'has_solar' is not a choice input"
    ),
    "scheme-gate-unknown-tier.toml": Case("gates[0].from_tier", 79, "unknown tier 'platinum'"),
    "scheme-badge-supersedes-unknown.toml": Case(
        "badges[1].supersedes[1]", 100, "unknown badge 'super_low_energy'"
    ),
    "scheme-badge-supersedes-cycle.toml": Case(
        "badges[0].supersedes", 95, "badges supersede each other in a cycle"
    ),
    "scheme-percent-section-without-weight.toml": Case(
        "sections[1].weight", 40, "a percent-scored scheme needs a weight for every section"
    ),
    "scheme-weight-in-points-scheme.toml": Case(
        "sections[0].weight", 38, "weights only apply when scheme.scoring = 'percent'"
    ),
    "scheme-reserved-name.toml": Case(
        "inputs.sec_energy", 20, "name 'sec_energy' is reserved for results"
    ),
    "scheme-builtin-name.toml": Case("inputs.gfa", 20, "name 'gfa' is built in"),
    "scheme-name-clash.toml": Case("derived.ettv", 29, "name 'ettv' is already used in [inputs]"),
    "scheme-input-max-below-min.toml": Case("inputs.ettv.max", 18, "max (0) is below min (200)"),
    # --- project: structure --------------------------------------------------------------
    "project-missing-name.toml": Case("project.name", 3, "required key is missing"),
    "project-unknown-key.toml": Case("project.colour", 9, "unknown key (not part of the format)"),
    "project-bad-stage.toml": Case(
        "project.stage", 8, "expected 'pre-assessment', 'design', 'as-built' or 'existing'"
    ),
    "project-negative-gfa.toml": Case(
        "project.gross_floor_area", 7, "must be a positive number of m2"
    ),
    "project-evidence-not-list.toml": Case("responses.EN-1.evidence", 16, "expected an array"),
    "project-quantity-nan.toml": Case("inputs.ettv.value", 11, "must be a finite number"),
    "project-quantity-without-unit.toml": Case("inputs.ettv.unit", 11, "required key is missing"),
    "project-value-is-list.toml": Case(
        "inputs.ettv",
        11,
        "expected a number, true/false, an option name or { value = ..., unit = ... }",
    ),
    "project-not-applicable-string.toml": Case(
        "responses.EN-1.not_applicable", 17, "expected true or false (without quotes), got 'yes'"
    ),
    "project-gfa-string.toml": Case(
        "project.gross_floor_area", 7, "expected a number or { value = ..., unit = ... }"
    ),
    "project-gfa-inf.toml": Case("project.gross_floor_area", 7, "must be a finite number"),
    "project-gfa-huge.toml": Case(
        "project.gross_floor_area",
        7,
        "must be a positive number of m2 up to 10,000,000 m2 (larger than any building), "
        "got 1e+308 m2",
    ),
    "project-name-too-long.toml": Case(
        "project.name", 4, "too long: at most 200 characters (got 220)"
    ),
    "project-fitting-rating-nan.toml": Case("fittings[0].rating", 20, "must be a finite number"),
    "project-count-not-whole.toml": Case(
        "fittings[0].count", 21, "expected a whole number, got 2.5"
    ),
    "project-azimuth-999.toml": Case(
        "facades[0].orientation",
        19,
        "expected one of N NE E SE S SW W NW or an azimuth from 0 to 360 degrees, got 999 degrees",
    ),
    "project-orientation-unknown.toml": Case(
        "facades[0].orientation", 19, "got 'NNE'; did you mean NE"
    ),
    # --- project: against its scheme -----------------------------------------------------
    "project-gfa-quantity-huge.toml": Case(
        "project.gross_floor_area", 7, "up to 10,000,000 m2 (larger than any building)"
    ),
    "project-unknown-fitting-type.toml": Case(
        "fittings[0].type", 19, "unknown WELS fitting type 'basin_tapp'; did you mean 'basin_tap'"
    ),
    "project-missing-scheme.toml": Case("project.scheme", 5, "unknown scheme 'no-such-scheme'"),
    "project-missing-scheme-file.toml": Case(
        "project.scheme",
        5,
        "unknown scheme '../good/no-such-scheme.toml'",
    ),
    "project-unknown-input.toml": Case(
        "inputs.colour", 14, "scheme minimal has no input 'colour' (inputs: ettv, has_solar"
    ),
    "project-bundled-unknown-input.toml": Case(
        "inputs.has_solar", 12, "scheme demo has no input 'has_solar'"
    ),
    "project-value-out-of-range.toml": Case(
        "inputs.ettv", 11, "420 W/m2 is above the maximum 200 W/m2"
    ),
    "project-boolean-given-number.toml": Case(
        "inputs.has_solar", 12, "expected true or false, got 2"
    ),
    "project-boolean-given-one.toml": Case("inputs.has_solar", 12, "expected true or false, got 1"),
    "project-number-given-string.toml": Case(
        "inputs.ettv", 11, "expected a number in W/m2, got 'forty-two'"
    ),
    "project-choice-unknown-option.toml": Case(
        "inputs.ventilation", 13, "expected one of: mechanical, natural; got 'hybrid'"
    ),
    "project-unit-not-convertible.toml": Case(
        "inputs.ettv.unit", 11, "cannot convert 'kg' to 'W/m2'"
    ),
    "project-unknown-unit.toml": Case("inputs.ettv.unit", 11, "unknown unit 'bogons'"),
    "project-gfa-unit-not-convertible.toml": Case(
        "project.gross_floor_area", 7, "cannot convert 'kg' to 'm2'"
    ),
    "project-unknown-building-type.toml": Case(
        "project.building_type",
        6,
        "'spaceport' is not a building type of scheme minimal (expected one of: office, retail)",
    ),
    "project-unknown-response.toml": Case(
        "responses.XX-9", 15, "scheme minimal has no criterion 'XX-9'"
    ),
}

PROJECTS = sorted(name for name in CASES if name.startswith("project-"))


# --- running the real command line ---------------------------------------------------------


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"$ greenmark {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GREENMARK_CRITERIA", None)  # "demo" must resolve to the bundled scheme
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "300", "PYTHONIOENCODING": "utf-8"})
    return env


def greenmark(*args: str | Path, cwd: Path = REPO) -> Run:
    """Run ``python -m greenmark.cli.main ARGS`` in a subprocess."""
    text_args = tuple(str(a) for a in args)
    done = subprocess.run(
        [sys.executable, "-m", "greenmark.cli.main", *text_args],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT,
        check=False,
    )
    return Run(text_args, done.returncode, done.stdout, done.stderr)


class Runs:
    """Corpus runs started together on first use; each test waits only for its own."""

    def __init__(self, wanted: set[tuple[str, str]]) -> None:
        workers = max(2, min(4, (os.cpu_count() or 2) + 1))
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._futures: dict[tuple[str, str], Future[Run]] = {}
        for key in sorted(wanted):
            self._submit(key)

    def _submit(self, key: tuple[str, str]) -> Future[Run]:
        if key not in self._futures:
            command, name = key
            self._futures[key] = self._pool.submit(greenmark, command, f"{BAD_REL}/{name}")
        return self._futures[key]

    def get(self, command: str, name: str) -> Run:
        return self._submit((command, name)).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_COMMAND_OF_TEST = {
    "test_validate_reports_the_defect": "validate",
    "test_one_defect_gives_one_problem": "validate",
    "test_score_refuses_bad_project": "score",
}


@pytest.fixture(scope="module")
def cli_runs(request: pytest.FixtureRequest) -> Iterator[Runs]:
    wanted = set()
    for item in request.session.items:
        command = _COMMAND_OF_TEST.get(getattr(item, "originalname", ""))
        callspec = getattr(item, "callspec", None)
        if command and callspec is not None and "name" in callspec.params:
            wanted.add((command, callspec.params["name"]))
    runs = Runs(wanted)
    yield runs
    runs.close()


# --- assertions ------------------------------------------------------------------------------


def expected_prefix(name: str, case: Case) -> str:
    """The start of the problem line: ``error: FILE[:LINE][: LOCATION]: ``."""
    where = f"{BAD_REL}/{name}"
    if case.line is not None:
        where += f":{case.line}"
    if case.location is not None:
        where += f": {case.location}"
    return f"error: {where}: "


def problem_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error: ")]


def assert_reports(run: Run, name: str, case: Case) -> None:
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr, run
    assert f"{BAD_REL}/{name}" in run.stderr, f"the file is not named\n{run}"
    prefix = expected_prefix(name, case)
    matching = [
        line
        for line in problem_lines(run)
        if line.startswith(prefix) and case.fragment in line[len(prefix) :]
    ]
    assert matching, f"expected a line starting {prefix!r} containing {case.fragment!r}\n{run}"


def _params(names: list[str]) -> list[object]:
    return [pytest.param(name, id=name.removesuffix(".toml")) for name in names]


# --- the corpus ------------------------------------------------------------------------------


def test_every_bad_file_has_an_expectation() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk, f"no files in {BAD}"
    missing = sorted(on_disk - set(CASES))
    stale = sorted(set(CASES) - on_disk)
    assert not missing, f"bad files without a row in CASES: {missing}"
    assert not stale, f"rows in CASES without a file in {BAD}: {stale}"
    assert len(on_disk) >= 30


def test_corpus_is_derived_from_the_good_files() -> None:
    """Every bad scheme/project is a small edit of the good one it claims to come from."""
    bases = {
        "scheme-": (GOOD / "minimal-scheme.toml").read_text(encoding="utf-8").splitlines(),
        "project-": (GOOD / "minimal-project.toml").read_text(encoding="utf-8").splitlines(),
    }
    for name in CASES:
        base = next((lines for prefix, lines in bases.items() if name.startswith(prefix)), None)
        if base is None or name in ("scheme-not-utf8.toml", "scheme-no-criteria.toml"):
            continue
        lines = (BAD / name).read_text(encoding="utf-8").splitlines()
        changed = sum(
            1
            for line in difflib.unified_diff(base, lines, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        # header comment swapped, scheme path adjusted, and the defect itself
        assert changed <= 14, f"{name} differs from its base in {changed} lines"


@pytest.mark.parametrize("name", _params(sorted(CASES)))
def test_validate_reports_the_defect(cli_runs: Runs, name: str) -> None:
    assert_reports(cli_runs.get("validate", name), name, CASES[name])


@pytest.mark.parametrize(
    "name",
    _params(sorted(CASES)),
)
def test_one_defect_gives_one_problem(cli_runs: Runs, name: str) -> None:
    run = cli_runs.get("validate", name)
    case = CASES[name]
    assert run.returncode == 2, run
    assert len(problem_lines(run)) == case.problems, run
    assert "1 of 1 file has problems" in run.stderr, run
    assert run.stdout.strip() == "", run


@pytest.mark.parametrize("name", _params(PROJECTS))
def test_score_refuses_bad_project(cli_runs: Runs, name: str) -> None:
    run = cli_runs.get("score", name)
    assert_reports(run, name, CASES[name])
    assert run.stdout.strip() == "", f"score printed a result for a bad project\n{run}"


# --- the good files, several problems, folders ------------------------------------------


def test_good_files_are_valid_and_score() -> None:
    run = greenmark("validate", "tests/data/good")
    assert run.returncode == 0, run
    assert "2 files valid" in run.stdout, run
    assert run.stderr == "", run
    run = greenmark("score", "tests/data/good/minimal-project.toml", "--format", "json")
    assert run.returncode == 0, run
    assert '"tier": "gold"' in run.stdout, run


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    """Two defects in one file, and several bad files in one call: every problem is listed."""
    good_scheme = (GOOD / "minimal-scheme.toml").read_text(encoding="utf-8")
    # two structural defects (found by the model) ...
    structure = tmp_path / "two-structure.toml"
    structure.write_text(
        good_scheme.replace("max_points = 12", 'max_points = "twelve"').replace(
            'title = "Solar panels"', 'title = "Solar panels"\nweight = 2'
        ),
        encoding="utf-8",
    )
    # ... two cross-field defects (found after the model) ...
    checks = tmp_path / "two-checks.toml"
    checks.write_text(
        good_scheme.replace('section = "health"', 'section = "water"').replace(
            'from_tier = "gold"', 'from_tier = "platinum"'
        ),
        encoding="utf-8",
    )
    # ... and a project with two defects against its scheme.
    good_project = (GOOD / "minimal-project.toml").read_text(encoding="utf-8")
    project = tmp_path / "two-project.toml"
    project.write_text(
        good_project.replace(
            'scheme = "minimal-scheme.toml"', f"scheme = {str(GOOD / 'minimal-scheme.toml')!r}"
        )
        .replace("value = 42", "value = 420")
        .replace('ventilation = "natural"', 'ventilation = "hybrid"'),
        encoding="utf-8",
    )
    run = greenmark("validate", structure, checks, project, cwd=tmp_path)
    assert run.returncode == 2, run
    assert "Traceback" not in run.stderr, run
    expected = [
        (
            "two-structure.toml:",
            "criteria[0].max_points: 'twelve' is not a constant of this scheme",
        ),
        ("two-structure.toml:", "criteria[2].weight: unknown key"),
        ("two-checks.toml:", "criteria[3].section: unknown section 'water'"),
        ("two-checks.toml:", "gates[0].from_tier: unknown tier 'platinum'"),
        ("two-project.toml:", "inputs.ettv: 420 W/m2 is above the maximum"),
        ("two-project.toml:", "inputs.ventilation: expected one of: mechanical, natural"),
    ]
    lines = problem_lines(run)
    for file, message in expected:
        assert any(file in line and message in line for line in lines), (file, message, run)
    assert len(lines) == len(expected), run
    assert "3 of 3 files have problems" in run.stderr, run


def test_score_lists_every_problem_of_a_project(tmp_path: Path) -> None:
    good_project = (GOOD / "minimal-project.toml").read_text(encoding="utf-8")
    project = tmp_path / "two.toml"
    project.write_text(
        good_project.replace(
            'scheme = "minimal-scheme.toml"', f"scheme = {str(GOOD / 'minimal-scheme.toml')!r}"
        )
        .replace('building_type = "office"', 'building_type = "spaceport"')
        .replace('[responses."EN-1"]', '[responses."XX-9"]'),
        encoding="utf-8",
    )
    run = greenmark("score", project, cwd=tmp_path)
    assert run.returncode == 2, run
    lines = problem_lines(run)
    assert any("project.building_type: 'spaceport'" in line for line in lines), run
    assert any("responses.XX-9: scheme minimal has no criterion" in line for line in lines), run
    assert len(lines) == 2, run


def test_validate_missing_file(tmp_path: Path) -> None:
    run = greenmark("validate", tmp_path / "nowhere.toml", cwd=tmp_path)
    assert run.returncode == 2, run
    assert "nowhere.toml" in run.stderr and "file not found" in run.stderr, run
    assert "Traceback" not in run.stderr, run


def test_validate_folder_reports_malformed_files(tmp_path: Path) -> None:
    shutil.copy(BAD / "project-malformed-toml.toml", tmp_path / "broken.toml")
    run = greenmark("validate", tmp_path, cwd=tmp_path)
    assert run.returncode == 2, run
    assert "broken.toml" in run.stderr, run
    assert "invalid TOML" in run.stderr, run
