"""A project file remembered by a single-file command: an unchanged file comes back from
the cache folder as the very project a fresh load validates, an edited one is read
again, a bad one is reported every time and never kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests_paths import SAMPLES

from greenmark.core import project as project_module
from greenmark.core.errors import ProjectError
from greenmark.core.project import load_project
from greenmark.core.scoring import scheme_for, score_project

SAMPLE = SAMPLES / "gm2021-office-sle.toml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GREENMARK_CACHE_DIR", str(folder))
    monkeypatch.delenv("GREENMARK_NO_CACHE", raising=False)
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("project-*.pickle")) if cache.is_dir() else []


def _not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the project was parsed again")

    monkeypatch.setattr(project_module, "parse_toml", refuse)


def test_an_unchanged_project_comes_back_unparsed_and_scores_the_same(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, path)
    fresh = load_project(path, remember=True)
    assert len(_entries(cache)) == 1
    with monkeypatch.context() as patch:
        _not_parsed(patch)
        again = load_project(path, remember=True)
    assert again.project == fresh.project and again.project is not fresh.project
    assert again.lines.lines == fresh.lines.lines
    assert again.source is not None and fresh.source is not None
    assert again.source.text == fresh.source.text
    result = score_project(again, scheme_for(again)).result.to_dict()
    assert result == score_project(fresh, scheme_for(fresh)).result.to_dict()


def test_an_edited_project_is_read_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, path)
    first = load_project(path, remember=True).project.project.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'name = "{first}"', 'name = "Renamed tower"', 1), "utf-8")
    assert load_project(path, remember=True).project.project.name == "Renamed tower"
    with monkeypatch.context() as patch:
        _not_parsed(patch)  # the edited file is now the one kept
        assert load_project(path, remember=True).project.project.name == "Renamed tower"
    assert len(_entries(cache)) == 1  # one entry per file, replaced


def test_a_bad_project_is_reported_every_time_and_never_kept(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    text = SAMPLE.read_text(encoding="utf-8")
    path.write_text(text.replace("[project]", "[project]\nunknown_key = 1", 1), "utf-8")
    messages = []
    for _ in range(2):
        with pytest.raises(ProjectError) as info:
            load_project(path, remember=True)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "unknown_key" in messages[0]
    line = text.splitlines().index("[project]") + 2
    assert f"bad.toml:{line}: project.unknown_key" in messages[0]
    assert not _entries(cache)


def test_only_asked_for(cache: Path) -> None:
    load_project(SAMPLE)
    assert not _entries(cache)
