"""Regenerate the golden results in samples/expected/ from the sample projects.

Run it deliberately, after a change to a sample, a scheme or the engine that is meant to
change results, and review the diff before committing:

    python samples/update_expected.py                 # every samples/*.toml project
    python samples/update_expected.py samples/nrb-office-tower.toml
    python samples/update_expected.py --check         # list what would change, write nothing

samples/expected/<stem>.json is the JSON result of
``greenmark score samples/<stem>.toml --format json`` without the machine-specific
``project.file`` field. tests/unit/test_samples.py compares every sample with its file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from greenmark.core.errors import GreenmarkError
from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project
from greenmark.core.tomlfile import write_atomic

SAMPLES = Path(__file__).resolve().parent
EXPECTED = SAMPLES / "expected"


def sample_projects(folder: Path = SAMPLES) -> list[Path]:
    """Every ``*.toml`` directly in ``folder`` that is a project (has a ``[project]`` table)."""
    found = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("project"), dict):
            found.append(path)
    return found


def expected_path(sample: Path) -> Path:
    """The golden file of a sample: ``samples/expected/<stem>.json``."""
    return EXPECTED / f"{sample.stem}.json"


def expected_result(sample: Path) -> dict[str, Any]:
    """The JSON result of ``greenmark score SAMPLE --format json``, without project.file."""
    loaded = load_project(sample)
    result = score_project(loaded, scheme_for(loaded)).result.to_dict()
    result["project"].pop("file", None)
    return result


def render(result: dict[str, Any]) -> str:
    """The golden file's text."""
    return json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "samples", nargs="*", type=Path, help="sample project files (default: all in samples/)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report stale or missing golden files"
    )
    args = parser.parse_args(argv)
    samples = [path.resolve() for path in args.samples] or sample_projects()
    stale = 0
    for sample in samples:
        target = expected_path(sample)
        try:
            text = render(expected_result(sample))
        except GreenmarkError as exc:
            print(f"error  {sample.name}: {exc}", file=sys.stderr)
            return 1
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old == text:
            print(f"same     {target.relative_to(SAMPLES.parent)}")
            continue
        stale += 1
        state = "missing" if old is None else "changed"
        if args.check:
            print(f"{state:8} {target.relative_to(SAMPLES.parent)}")
            continue
        EXPECTED.mkdir(exist_ok=True)
        write_atomic(target, text)
        print(f"wrote    {target.relative_to(SAMPLES.parent)} ({state})")
    if not args.samples:
        stems = {sample.stem for sample in samples}
        for orphan in sorted(EXPECTED.glob("*.json")):
            if orphan.stem not in stems:
                stale += 1
                print(f"orphan   {orphan.relative_to(SAMPLES.parent)} (no sample; delete it)")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
