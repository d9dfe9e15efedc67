"""The on-disk cache of checked schemes: a hit gives the very scheme a fresh load gives,
anything doubtful is a miss, and the cache never turns into an error."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests_paths import CRITERIA, SAMPLES

from greenmark.calc import tables
from greenmark.core import scheme as scheme_module
from greenmark.core import scheme_cache
from greenmark.core.errors import SchemeError
from greenmark.core.model import Scheme
from greenmark.core.project import load_project
from greenmark.core.scheme import bundled_schemes, load_scheme
from greenmark.core.scoring import scheme_for, score_project

GM_2021 = CRITERIA / "gm-2021.toml"
GM_2021_EXISTING = CRITERIA / "gm-2021-existing.toml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of the test's own, and no scheme kept in memory."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GREENMARK_CACHE_DIR", str(folder))
    monkeypatch.delenv("GREENMARK_NO_CACHE", raising=False)
    scheme_module._load_scheme_cached.cache_clear()
    yield folder
    scheme_module._load_scheme_cached.cache_clear()


class Builds:
    """Counts the schemes built from their files (not taken from the cache); ``paths``
    lists the files built, in order (a scheme that extends another builds that one too)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = scheme_module._build

        def counting(path: str) -> Scheme:
            self.paths.append(Path(path).name)
            return real(path)

        monkeypatch.setattr(scheme_module, "_build", counting)

    @property
    def count(self) -> int:
        return len(self.paths)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    return Builds(monkeypatch)


def _fresh(path: Path) -> Scheme:
    """Load again from disk: nothing kept in memory."""
    scheme_module._load_scheme_cached.cache_clear()
    return load_scheme(path)


def _uncached(path: Path, monkeypatch: pytest.MonkeyPatch) -> Scheme:
    with monkeypatch.context() as patch:
        patch.setenv("GREENMARK_NO_CACHE", "1")
        return _fresh(path)


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("scheme-*.pickle")) if folder.is_dir() else []


def test_a_hit_returns_the_scheme_a_fresh_load_builds(
    cache: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _fresh(GM_2021)
    assert builds.count == 1 and len(_entries(cache)) == 1
    second = _fresh(GM_2021)
    assert builds.count == 1  # from the cache
    assert second is not first
    assert second == first == _uncached(GM_2021, monkeypatch)
    assert second.model_dump() == first.model_dump()


@pytest.mark.parametrize("entry", bundled_schemes(), ids=lambda e: e.path.name)
def test_every_bundled_scheme_comes_back_from_the_cache_unchanged(
    entry: scheme_module.SchemeEntry, cache: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _fresh(entry.path)
    cached = _fresh(entry.path)
    assert builds.paths.count(entry.path.name) == 1
    assert cached == built == _uncached(entry.path, monkeypatch)


@pytest.mark.parametrize(
    "sample", sorted(p.name for p in SAMPLES.glob("*.toml")), ids=lambda name: name
)
def test_results_are_the_same_with_and_without_the_cache(
    sample: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_project(SAMPLES / sample)

    def result() -> dict[str, object]:  # as a new run would: nothing kept in memory
        scheme_module._load_scheme_cached.cache_clear()
        tables.clear_cache()  # factor tables come from the disk cache too
        return score_project(loaded, scheme_for(loaded)).result.to_dict()

    with monkeypatch.context() as patch:
        patch.setenv("GREENMARK_NO_CACHE", "1")
        without = result()
    stored, hit = result(), result()
    assert _entries(cache)
    assert hit == stored == without


def test_a_changed_file_is_a_miss(cache: Path, tmp_path: Path, builds: Builds) -> None:
    copy = tmp_path / "gm-2021.toml"
    shutil.copy(GM_2021, copy)
    assert _fresh(copy).scheme.title != "Another title"
    text = copy.read_text(encoding="utf-8")
    title = _fresh(copy).scheme.title
    copy.write_text(text.replace(f'title = "{title}"', 'title = "Another title"', 1), "utf-8")
    os.utime(copy, ns=(0, 0))  # whatever the clock says: the content decides
    assert _fresh(copy).scheme.title == "Another title"
    assert builds.count == 2


def test_a_changed_parent_is_a_miss(cache: Path, tmp_path: Path, builds: Builds) -> None:
    parent, child = tmp_path / "gm-2021.toml", tmp_path / "gm-2021-existing.toml"
    shutil.copy(GM_2021, parent)
    shutil.copy(GM_2021_EXISTING, child)
    before = _fresh(child)
    assert _fresh(child) == before and builds.count == 2  # the child and its parent
    text = parent.read_text(encoding="utf-8")
    parent.write_text(text.replace("[scheme]", "[scheme]\n# edited\n", 1), "utf-8")
    assert _fresh(child) == before  # a comment: the same scheme, built again
    built = builds.count
    assert built > 2
    criterion = before.criteria[0]
    text = parent.read_text(encoding="utf-8")
    old = f'title = "{criterion.title}"'
    if old not in text:
        pytest.skip("the first criterion of the child is not titled in its parent")
    parent.write_text(text.replace(old, 'title = "Changed in the parent"', 1), "utf-8")
    after = _fresh(child)
    assert builds.count > built
    assert after.criteria[0].title == "Changed in the parent"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\x00garbage" * 50, id="garbage"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-200] + b"\xff" * 200, id="corrupt-tail"),
        pytest.param(lambda data: data.replace(b"cache 1", b"cache 0", 1), id="old-format"),
    ],
)
def test_a_damaged_entry_is_a_miss_never_an_error(
    cache: Path, builds: Builds, damage: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _fresh(GM_2021)
    (entry,) = _entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert _fresh(GM_2021) == expected
    assert builds.count == 2
    assert _fresh(GM_2021) == expected  # stored again, whole
    assert builds.count == 2


def test_an_entry_holding_something_else_is_a_miss(cache: Path, builds: Builds) -> None:
    expected = _fresh(GM_2021)
    (entry,) = _entries(cache)
    data = entry.read_bytes()
    header = len(scheme_cache.FORMAT) + 64
    entry.write_bytes(data[:header] + pickle.dumps({"not": "a scheme"}))
    assert _fresh(GM_2021) == expected
    assert builds.count == 2


def test_an_entry_of_other_code_is_a_miss(
    cache: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(GM_2021)
    monkeypatch.setattr(scheme_cache, "_code_stamp", lambda: b"other code")
    _fresh(GM_2021)
    assert builds.count == 2


def test_a_cache_folder_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, builds: Builds
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv("GREENMARK_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("GREENMARK_NO_CACHE", raising=False)
    expected = _uncached(GM_2021, monkeypatch)
    assert _fresh(GM_2021) == expected
    assert _fresh(GM_2021) == expected
    assert builds.count == 3


def test_a_read_only_cache_folder_is_read_and_never_written(
    cache: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _fresh(GM_2021)
    cache.chmod(0o500)
    try:
        monkeypatch.setattr(os, "replace", _refuse)  # as root, chmod alone stops nothing
        assert _fresh(GM_2021) == expected  # read
        assert builds.count == 1
        assert _fresh(CRITERIA / "gm-nrb.toml") == _uncached(CRITERIA / "gm-nrb.toml", monkeypatch)
        assert len(_entries(cache)) == 1
        assert not list(cache.glob(".entry-*"))  # no temporary file left behind
    finally:
        cache.chmod(0o700)


def _refuse(*_args: object) -> None:
    raise PermissionError("read-only")


def test_a_folder_others_may_write_to_is_not_read(cache: Path, builds: Builds) -> None:
    _fresh(GM_2021)
    cache.chmod(0o777)
    try:
        _fresh(GM_2021)
        assert builds.count == 2
    finally:
        cache.chmod(0o700)


def test_the_cache_can_be_turned_off(
    cache: Path, builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENMARK_NO_CACHE", "1")
    _fresh(GM_2021)
    _fresh(GM_2021)
    assert builds.count == 2
    assert not cache.exists()


def test_the_default_folder_is_the_users_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GREENMARK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert scheme_cache.cache_dir() == Path("/somewhere/cache/greenmark")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert scheme_cache.cache_dir() == Path.home() / ".cache" / "greenmark"


def test_a_scheme_with_problems_is_never_stored(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    text = GM_2021.read_text(encoding="utf-8")
    broken.write_text(text.replace("[scheme]", "[scheme]\nunknown_key = 1", 1), "utf-8")
    with pytest.raises(SchemeError) as first:
        _fresh(broken)
    with pytest.raises(SchemeError) as second:
        _fresh(broken)
    assert [str(p) for p in first.value.problems] == [str(p) for p in second.value.problems]
    assert not _entries(cache)


def _listing(folder: Path | None = None) -> list[scheme_module.SchemeEntry]:
    return bundled_schemes(folder)


def test_the_listing_is_the_same_from_the_index(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _listing()
    assert scheme_cache.index_file(cache).is_file()
    with monkeypatch.context() as patch:
        patch.setattr(scheme_module, "_summary", _never)
        assert _listing() == first  # every file from the index
    with monkeypatch.context() as patch:
        patch.setenv("GREENMARK_NO_CACHE", "1")
        assert _listing() == first
    assert {e.id for e in first} >= {"gm-2021", "gm-nrb", "demo"}


def _never(*_args: object) -> None:
    raise AssertionError("read again, not taken from the index")


def test_an_edited_file_is_listed_as_it_is_now(cache: Path, tmp_path: Path) -> None:
    folder = tmp_path / "schemes"
    folder.mkdir()
    copy = folder / "gm-2021.toml"
    shutil.copy(GM_2021, copy)
    (folder / "notes.toml").write_text("[other]\nscheme = 1\n", encoding="utf-8")
    (entry,) = _listing(folder)
    assert entry.id == "gm-2021" and entry.superseded_by is None
    text = copy.read_text(encoding="utf-8")
    copy.write_text(
        text.replace("[scheme]", '[scheme]\nsuperseded_by = "gm-2030"', 1), encoding="utf-8"
    )
    os.utime(copy, ns=(0, 0))
    (entry,) = _listing(folder)
    assert entry.superseded_by == "gm-2030"


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"key": "other", "files": {}}',
        b"[1, 2]",
        pytest.param(None, id="right key, wrong shape"),
        pytest.param(b"bad date", id="right key, bad date"),
    ],
)
def test_a_damaged_index_is_ignored(cache: Path, content: bytes | None) -> None:
    expected = _listing()
    index = scheme_cache.index_file(cache)
    data = json.loads(index.read_text(encoding="utf-8"))
    if content is None:
        data["files"] = {digest: {"id": 3} for digest in data["files"]}
        content = json.dumps(data).encode()
    elif content == b"bad date":
        for summary in data["files"].values():
            if summary is not None:
                summary["effective_from"] = "2021-13-45"
        content = json.dumps(data).encode()
    index.write_bytes(content)
    assert _listing() == expected
