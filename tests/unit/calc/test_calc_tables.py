"""Factor tables: they load, every number is sourced, and bad tables fail clearly."""

from __future__ import annotations

import os
import shutil
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from greenmark.calc import tables
from greenmark.calc.errors import CalcError

FACTORS = tables.factors_dir()


def _numbers_without_source(node: Any, path: str, sourced: bool) -> list[str]:
    """Paths of numbers that are not inside a table carrying ``source`` and ``verified``."""
    if isinstance(node, dict):
        here = sourced or (
            isinstance(node.get("source"), str)
            and node["source"].strip() != ""
            and isinstance(node.get("verified"), bool)
        )
        found: list[str] = []
        for key, value in node.items():
            found += _numbers_without_source(value, f"{path}.{key}", here)
        return found
    if isinstance(node, list):
        found = []
        for i, value in enumerate(node):
            found += _numbers_without_source(value, f"{path}[{i}]", sourced)
        return found
    is_number = isinstance(node, int | float) and not isinstance(node, bool)
    return [path] if is_number and not sourced else []


def test_every_loader_table_is_shipped() -> None:
    on_disk = {p.name for p in FACTORS.glob("*.toml")}
    assert {file for file, _ in tables.TABLES.values()} <= on_disk


def test_all_tables_load_and_validate() -> None:
    loaded = tables.all_tables()
    assert set(loaded) == set(tables.TABLES)
    for table in loaded.values():
        assert list(tables.sourced_records(table)), "a table without sourced values"


@pytest.mark.parametrize("file", sorted(p.name for p in FACTORS.glob("*.toml")))
def test_every_number_carries_source_and_verified(file: str) -> None:
    with (FACTORS / file).open("rb") as handle:
        raw = tomllib.load(handle)
    assert _numbers_without_source(raw, file, False) == []


def test_sourced_records_all_have_a_source_and_a_bool_flag() -> None:
    for table in tables.all_tables().values():
        for path, record in tables.sourced_records(table):
            assert record.source.strip(), path
            assert isinstance(record.verified, bool), path


def test_only_v1_facts_are_marked_verified() -> None:
    """Read in the publisher's own text: ETTV coefficients and limit, RTTV limit, roof U
    limits (BCA), ZE / PE renewable shares (BCA Super Low Energy Programme page), the 2005
    grid factor (EMA)."""
    verified = {
        f"{name}:{path}"
        for name, table in tables.all_tables().items()
        for path, record in tables.sourced_records(table)
        if record.verified
    }
    assert verified == {
        "envelope:ettv.a",
        "envelope:ettv.b",
        "envelope:ettv.c",
        "envelope:ettv.limit",
        "envelope:rttv.limit",
        "roof_u:group[0]",
        "roof_u:group[1]",
        "roof_u:group[2]",
        "energy:renewable.zero_energy",
        "energy:renewable.positive_energy",
        "grid:factor[1]",
    }


def test_placeholder_tables_say_so() -> None:
    assert tables.correction_factor_table().meta.placeholder
    assert tables.lighting_table().meta.placeholder
    assert tables.embodied_carbon_table().meta.placeholder
    assert all(not r.verified for _, r in tables.sourced_records(tables.correction_factor_table()))


def test_unverified_lists_provisional_values() -> None:
    paths = [p for p, _ in tables.unverified(tables.envelope_table())]
    assert "retv.limit" in paths and "air_film.rsi_wall" in paths
    assert "ettv.limit" not in paths


def test_tables_are_cached() -> None:
    assert tables.wels_table() is tables.wels_table()
    tables.clear_cache()
    assert tables.wels_table() == tables.wels_table()


def _copy_factors(tmp_path: Path) -> Path:
    target = tmp_path / "factors"
    shutil.copytree(FACTORS, target)
    return target


def test_bad_value_names_file_line_field_and_expectation(tmp_path: Path) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.WELS_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("max = 2.0,", 'max = "two",', 1), encoding="utf-8")
    with pytest.raises(CalcError) as info:
        tables.wels_table(folder)
    message = str(info.value)
    assert "wels.toml" in message
    assert "fitting.basin_tap.bands[0].max" in message
    assert "valid number" in message and "'two'" in message
    problem = info.value.problems[0]
    assert problem.line is not None and problem.line > 1


def test_missing_verified_flag_is_reported(tmp_path: Path) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.GRID_FILE
    path.write_text(path.read_text().replace("verified = false\n", ""), encoding="utf-8")
    with pytest.raises(CalcError, match=r"grid-emission-factors\.toml.*factor\[0\]\.verified"):
        tables.grid_emission_table(folder)


def test_wrong_unit_is_reported(tmp_path: Path) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.ENVELOPE_FILE
    path.write_text(
        path.read_text().replace('value = 50.0, unit = "W/m2"', 'value = 50.0, unit = "W/ft2"', 1),
        encoding="utf-8",
    )
    with pytest.raises(CalcError, match=r"ettv\.limit.*expected unit 'W/m2'"):
        tables.envelope_table(folder)


def test_incomplete_correction_factor_set_is_reported(tmp_path: Path) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.CORRECTION_FACTORS_FILE
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if 'orientation = "SW"' not in line]
    path.write_text("".join(kept), encoding="utf-8")
    with pytest.raises(CalcError, match=r"sets\.indicative.*SW has \(none\)"):
        tables.correction_factor_table(folder)


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "factors"
    folder.mkdir()
    (folder / tables.ENERGY_FILE).write_text("[meta\n", encoding="utf-8")
    with pytest.raises(CalcError, match=r"energy\.toml.*invalid TOML"):
        tables.energy_table(folder)
    with pytest.raises(CalcError, match=r"lighting-power-density\.toml.*not found"):
        tables.lighting_table(folder)


def test_unknown_field_is_reported(tmp_path: Path) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.ROOF_U_FILE
    path.write_text(path.read_text().replace("u_limit_w_m2k = 0.5", "u_limt = 0.5"), "utf-8")
    with pytest.raises(CalcError) as info:
        tables.roof_u_table(folder)
    text = str(info.value)
    assert "group[0].u_limt" in text and "unknown field" in text
    assert "group[0].u_limit_w_m2k" in text and "missing" in text


# --------------------------------------------------------------------------- table cache


def test_table_cache_follows_folder_and_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tables.factors_dir()
    folder = tmp_path / "factors"
    folder.mkdir()
    path = folder / tables.ENVELOPE_FILE
    path.write_text((source / tables.ENVELOPE_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    first = tables.envelope_table(folder)
    assert tables.envelope_table(folder) is first  # cached
    assert tables.envelope_table(str(folder)) is first
    # a relative folder resolves against the current directory
    monkeypatch.chdir(tmp_path)
    assert tables.envelope_table("factors") is first
    # an edited table is read again without clearing the cache
    text = path.read_text(encoding="utf-8")
    edited = text.replace('value = 50.0, unit = "W/m2"', 'value = 45.0, unit = "W/m2"', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert tables.envelope_table(folder).ettv.limit.value == 45.0
    # the criteria folder follows GREENMARK_CRITERIA
    criteria = tmp_path / "criteria"
    (criteria / "factors").mkdir(parents=True)
    (criteria / "factors" / tables.ENVELOPE_FILE).write_text(edited, encoding="utf-8")
    default = tables.envelope_table()
    monkeypatch.setenv("GREENMARK_CRITERIA", str(criteria))
    assert tables.envelope_table().ettv.limit.value == 45.0
    monkeypatch.delenv("GREENMARK_CRITERIA")
    assert tables.envelope_table() is default


def test_cached_table_lookup_is_cheap() -> None:
    tables.envelope_table()
    start = time.perf_counter()
    for _ in range(1_000):
        tables.envelope_table()
    assert time.perf_counter() - start < 0.1  # a stat per call, no path resolution


# ----------------------------------------------------------------- across runs: disk cache


@pytest.fixture
def disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the test's own; nothing kept in memory."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GREENMARK_CACHE_DIR", str(folder))
    monkeypatch.delenv("GREENMARK_NO_CACHE", raising=False)
    tables.clear_cache()
    return folder


def _not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the table was parsed again")

    monkeypatch.setattr(tables, "parse_toml", refuse)


def test_a_table_comes_back_from_the_disk_cache_unparsed(
    disk_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tables.all_tables()
    assert len(list(disk_cache.glob("table-*.pickle"))) == len(tables.TABLES)
    tables.clear_cache()  # as a new run: only the disk cache is left
    _not_parsed(monkeypatch)
    again = tables.all_tables()
    assert {n: t.model_dump() for n, t in again.items()} == {
        n: t.model_dump() for n, t in built.items()
    }
    assert all(again[name] is not built[name] for name in built)
    assert tables.envelope_table().ettv.limit.value == built["envelope"].ettv.limit.value


def test_an_edited_table_is_a_disk_cache_miss(
    disk_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.ENVELOPE_FILE
    assert tables.envelope_table(folder).ettv.limit.value == 50.0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value = 50.0,", "value = 45.0,", 1), encoding="utf-8")
    tables.clear_cache()
    assert tables.envelope_table(folder).ettv.limit.value == 45.0
    tables.clear_cache()
    _not_parsed(monkeypatch)  # the edited table is now the one kept
    assert tables.envelope_table(folder).ettv.limit.value == 45.0


def test_a_bad_table_is_never_kept_and_a_damaged_entry_is_a_miss(
    disk_cache: Path, tmp_path: Path
) -> None:
    folder = _copy_factors(tmp_path)
    path = folder / tables.WELS_FILE
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("max = 2.0,", 'max = "two",', 1), encoding="utf-8")
    for _ in range(2):  # the second run reports it again: nothing was stored
        tables.clear_cache()
        with pytest.raises(CalcError, match="valid number"):
            tables.wels_table(folder)
    assert not list(disk_cache.glob("table-*.pickle"))
    path.write_text(good, encoding="utf-8")
    expected = tables.wels_table(folder)
    (entry,) = disk_cache.glob("table-*.pickle")
    entry.write_bytes(entry.read_bytes()[:-20])  # truncated
    tables.clear_cache()
    assert tables.wels_table(folder).model_dump() == expected.model_dump()


def test_the_disk_cache_can_be_turned_off(
    disk_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENMARK_NO_CACHE", "1")
    tables.all_tables()
    assert not disk_cache.exists()
