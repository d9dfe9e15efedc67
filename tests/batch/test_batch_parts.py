"""Pool workers that finish their own chunks: the outputs are the same as one process
writes them (Parquet joined row group by row group, CSV, JSON, errors, summary, flags of
repeated ids), and a stop signal while the parts are written leaves nothing behind."""

from __future__ import annotations

import io
import json
import signal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch.conftest import NRB_CSV, NRB_PARQUET, popen_greenmark
from batch.test_batch_hardening import LINUX, children, spools_of, wait_for_temp, wait_gone
from greenmark.portfolio import duplicates
from greenmark.portfolio.duplicates import WIDE, DuplicateIds, hash_text, id_hashes
from greenmark.portfolio.runners import group_tasks
from greenmark.portfolio.stitch import ParquetStitcher, decode, encode, encode_parquet, read_footer


def _twice(run, tmp_path: Path, inputs: list[Path], suffix: str, *extra: str) -> list[Path]:
    """Run the same batch with one worker and with two; each run's files (results, errors,
    summary) in a folder of its own."""
    folders = []
    for workers in ("1", "2"):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        result = run(
            "batch", *inputs, "--out", folder / f"r.{suffix}", "--errors", folder / "e.csv",
            "--summary", folder / "s.json", "--workers", workers, "-q", *extra,
        )  # fmt: skip
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        folders.append(folder)
    return folders


def _same_files(one: Path, two: Path) -> None:
    for path in sorted(one.iterdir()):
        other = two / path.name
        if path.suffix == ".parquet":
            a, b = pq.read_table(path), pq.read_table(other)
            assert a.schema.equals(b.schema, check_metadata=True)
            for name in a.column_names:  # dictionaries compared by value: chunks may differ
                kind = a.schema.field(name).type
                plain = kind.value_type if pa.types.is_dictionary(kind) else kind
                assert a.column(name).cast(plain).equals(b.column(name).cast(plain)), name
        else:
            assert path.read_bytes() == other.read_bytes(), path.name


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl", "json"])
def test_two_workers_write_what_one_writes(run, tmp_path, suffix):
    one, two = _twice(
        run, tmp_path, [NRB_PARQUET], suffix, "--scheme", "gm-nrb", "--chunk-rows", "128"
    )
    _same_files(one, two)


def test_parquet_parts_keep_row_groups_types_and_row_order(run, tmp_path):
    """Workers reading their own row groups, the last one shared by both workers."""
    data = tmp_path / "groups.parquet"
    pq.write_table(pq.read_table(NRB_PARQUET), data, row_group_size=200)
    assert group_tasks([200] * 5, 2, 128)[-2:] == [(4, 0, 100), (4, 100, 200)]
    one, two = _twice(
        run, tmp_path, [data], "parquet", "--scheme", "gm-nrb", "--chunk-rows", "128",
        "--detail", "criteria",
    )  # fmt: skip
    stitched = pq.ParquetFile(two / "r.parquet")
    assert stitched.metadata.num_rows == 1000
    assert stitched.metadata.num_row_groups > 5  # one per chunk, joined in order
    table = stitched.read()
    assert table.column("row").to_pylist() == list(range(1, 1001))
    assert pa.types.is_dictionary(table.schema.field("blocking").type)
    for index in range(stitched.metadata.num_row_groups):  # every row group readable alone
        assert stitched.read_row_group(index).num_rows > 0
    _same_files(one, two)


def test_row_groups_are_shared_out_so_no_worker_waits_at_the_end():
    assert group_tasks([100] * 4, 2, 64) == [(i, 0, 100) for i in range(4)]
    assert group_tasks([90, 90, 90], 2, 64) == [(0, 0, 90), (1, 0, 90), (2, 0, 45), (2, 45, 90)]
    assert group_tasks([90], 3, 64) == [(0, 0, 30), (0, 30, 60), (0, 60, 90)]
    assert group_tasks([50, 50], 4, 64) == [(0, 0, 50), (1, 0, 50)]  # no smaller than a chunk


def test_csv_input_repeated_ids_and_several_inputs(run, tmp_path):
    """A CSV large enough for the pool (chunks spooled to the workers), every id repeated:
    the later rows are flagged by the parent exactly as one process flags them."""
    lines = NRB_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    big = tmp_path / "big.csv"
    big.write_text(lines[0] + "".join(lines[1:] * 13), encoding="utf-8")
    assert big.stat().st_size > 4 << 20
    one, two = _twice(
        run, tmp_path, [big, NRB_PARQUET], "csv", "--scheme", "gm-nrb", "--chunk-rows", "3000"
    )
    _same_files(one, two)
    summary = json.loads((two / "s.json").read_text(encoding="utf-8"))
    assert summary["counts"]["duplicate_ids"] == 13_000


def test_several_schemes_and_an_errors_file(run, tmp_path):
    table = pq.read_table(NRB_PARQUET)
    bad = pc.if_else(
        pc.equal(pc.bit_wise_and(table.column("gfa").cast(pa.int64()), 7), 0),
        pa.scalar(-1.0),
        table.column("gfa"),
    )
    data = tmp_path / "bad.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("gfa"), "gfa", bad), data)
    one, two = _twice(
        run,
        tmp_path,
        [data],
        "parquet",
        "--schemes",
        "gm-nrb,edge",
        "--chunk-rows",
        "128",
        "--allow-empty",
    )
    assert (one / "e.csv").read_text(encoding="utf-8").count("\n") > 1
    _same_files(one, two)


# ----------------------------------------------------------------------------- stitching


def test_the_footer_codec_reads_and_writes_a_footer_unchanged():
    data = NRB_PARQUET.read_bytes()
    footer, start = read_footer(memoryview(data))
    assert encode(footer) == data[start:-8]
    assert decode(encode(footer)) == footer


def test_stitched_parts_read_back_as_one_table_and_none_as_an_empty_one():
    table = pq.read_table(NRB_PARQUET)
    sink = io.BytesIO()
    stitcher = ParquetStitcher(sink, table.schema)
    for start in range(0, table.num_rows, 300):
        stitcher.append(memoryview(encode_parquet(table.slice(start, 300), table.schema)))
    stitcher.close()
    joined = pq.ParquetFile(pa.BufferReader(sink.getvalue()))
    assert joined.metadata.num_row_groups == 4
    assert joined.read().equals(table)
    empty = io.BytesIO()
    ParquetStitcher(empty, table.schema).close()
    read = pq.read_table(pa.BufferReader(empty.getvalue()))
    assert read.num_rows == 0 and read.schema.equals(table.schema)


def test_parts_stitched_from_files_are_byte_for_byte_those_stitched_in_memory(tmp_path):
    table = pq.read_table(NRB_PARQUET)
    parts = []
    for start in range(0, table.num_rows, 300):
        data = encode_parquet(table.slice(start, 300), table.schema)
        path = tmp_path / f"part-{start}.parquet"
        path.write_bytes(data.to_pybytes())
        parts.append((memoryview(data), str(path)))
    in_memory = io.BytesIO()
    stitcher = ParquetStitcher(in_memory, table.schema)
    for data, _ in parts:
        stitcher.append(data)
    stitcher.close()
    copied = io.BytesIO()  # no file descriptor: copied through memory
    on_disk = tmp_path / "joined.parquet"
    with on_disk.open("wb") as stream:  # a file: the kernel copies (sendfile)
        for sink in (copied, stream):
            joined = ParquetStitcher(sink, table.schema)
            for _, path in parts:
                joined.append_file(path)
            joined.close()
    assert copied.getvalue() == in_memory.getvalue() == on_disk.read_bytes()
    (tmp_path / "short.parquet").write_bytes(b"PAR1")
    with pytest.raises(ValueError, match="not a Parquet file"):
        ParquetStitcher(io.BytesIO(), table.schema).append_file(str(tmp_path / "short.parquet"))


# ----------------------------------------------------------------------------- duplicates


def test_an_id_hashes_the_same_in_every_process_and_run():
    # a fixed function of the bytes: pinned, so a pool worker (forked or spawned) agrees
    assert hash_text(b"") == -7160610219483255062
    assert hash_text(b"B0000001") == -6651649780472879369
    assert id_hashes(pa.array(["B0000001", ""])).tolist() == [
        -6651649780472879369,
        -7160610219483255062,
    ]


@given(
    st.lists(
        st.one_of(st.none(), st.text(max_size=12), st.text(min_size=WIDE - 2, max_size=WIDE + 9)),
        max_size=40,
    ),
    st.integers(0, 5),
)
def test_id_hashes_of_a_column_match_the_reference_one_by_one(texts, cut):
    column = pa.array(texts, pa.string())
    expected = [hash_text((t or "").encode()) for t in texts]
    assert id_hashes(column).tolist() == expected
    assert id_hashes(column.slice(cut)).tolist() == expected[cut:]  # an offset into buffers
    assert id_hashes(column.cast(pa.large_string())).tolist() == expected
    assert id_hashes(pa.chunked_array([column[:cut], column[cut:]], pa.string())).tolist() == (
        expected
    )


def test_ids_that_differ_only_in_padding_or_length_hash_apart():
    hashes = id_hashes(pa.array(["a", "a\x00", "a" * 8, "a" * 9, "x" * (WIDE + 1), "x" * WIDE]))
    assert len(set(hashes.tolist())) == 6


def _agrees_with_a_dictionary(ids, first, rows, hashes, order=None) -> None:
    """``ids.find`` flags exactly the rows a plain dictionary of first rows (``first``,
    updated here) finds again, each with the row where its id was first seen."""
    found = ids.find("in.csv", rows, hashes, order)
    expected = {}
    for index, (key, at) in enumerate(zip(hashes.tolist(), rows.tolist(), strict=True)):
        if key in first:
            expected[index] = first[key]
        else:
            first[key] = at
    got = {}
    if found is not None:
        got = dict(zip(found.positions.tolist(), found.first_row.tolist(), strict=True))
    assert got == expected


def test_duplicate_ids_match_a_plain_dictionary_across_merges_and_filter_growth(monkeypatch):
    # a tiny filter that grows many times, and enough chunks for runs of three levels
    monkeypatch.setattr(duplicates, "FILTER_BITS", 256)
    rng = np.random.default_rng(11)
    ids = DuplicateIds()
    first: dict[int, int] = {}
    row = 0
    for chunk in range(80):
        size = int(rng.integers(1, 400))
        hashes = rng.integers(-(2**63), 2**63 - 1, size=size, dtype=np.int64)
        repeats = rng.random(size) < 0.05  # some ids seen before, some twice in a chunk
        if first and repeats.any():
            hashes[repeats] = rng.choice(np.fromiter(first, np.int64), int(repeats.sum()))
        rows = np.arange(row + 1, row + size + 1, dtype=np.int64)
        row += size
        order = np.argsort(hashes, kind="stable") if chunk % 2 else None
        _agrees_with_a_dictionary(ids, first, rows, hashes, order)
    assert ids.distinct == len(first)


def test_duplicate_ids_found_in_runs_match_a_plain_dictionary():
    rng = np.random.default_rng(7)
    ids = DuplicateIds()
    first: dict[int, int] = {}
    row = 0
    for size in (5, 300, 1, 2000, 64, 700, 3000, 10, 999):
        hashes = rng.integers(0, 5000, size=size).astype(np.int64)
        rows = np.arange(row + 1, row + size + 1, dtype=np.int64)
        row += size
        _agrees_with_a_dictionary(ids, first, rows, hashes)
    assert ids.distinct == len(first)


# ----------------------------------------------------------------------------- stop signals


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_a_stop_signal_while_workers_write_parts_leaves_nothing(tmp_path):
    big = tmp_path / "big.parquet"
    pq.write_table(
        pa.concat_tables([pq.read_table(NRB_PARQUET)] * 1000), big, row_group_size=20_000
    )
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = popen_greenmark(
        "batch", big, "--scheme", "gm-nrb", "--out", out_dir / "results.csv",
        "--errors", out_dir / "errors.csv", "--summary", out_dir / "summary.json",
        "--workers", "2", "--chunk-rows", "10000",
        cwd=tmp_path,
    )  # fmt: skip
    wait_for_temp(process, out_dir, "results.csv")
    workers = children(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []
    assert wait_gone(workers) == []
    assert spools_of(process.pid) == []
