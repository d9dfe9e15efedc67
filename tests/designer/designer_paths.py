"""Paths and helpers shared by the designer tests."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tests_paths import SAMPLES

DATA = Path(__file__).resolve().parent / "data"
MINI_PROJECT = DATA / "mini-project.toml"
MINI_CATALOGUE = DATA / "mini-catalogue.toml"
GOLD_FIXTURE = DATA / "gold-office.toml"


def gold_nrb_samples() -> list[Path]:
    """``samples/*.toml`` whose golden result is gm-nrb Gold, plus our own fixture."""
    found = []
    for expected in sorted((SAMPLES / "expected").glob("*.json")):
        result = json.loads(expected.read_text(encoding="utf-8"))
        sample = SAMPLES / f"{expected.stem}.toml"
        if result.get("tier") == "gold" and result["scheme"]["id"] == "gm-nrb" and sample.exists():
            with sample.open("rb") as stream:
                if tomllib.load(stream)["project"]["scheme"] == "gm-nrb":
                    found.append(sample)
    return [*found, GOLD_FIXTURE]
