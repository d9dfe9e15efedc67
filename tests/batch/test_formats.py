"""Input formats and messages: .xlsx, delimiters, encodings, physical lines, field counts,
duplicate ids, and runs that would feed the scheme nothing."""

from __future__ import annotations

import csv
from itertools import pairwise

import pytest

from batch.conftest import NRB_CSV, read_csv
from batch.helpers import write_xlsx
from batch.test_cli_batch import counts
from batch.test_mapping_derive import CITY_CSV, CITY_MAPPING


def _city_rows() -> list[list[str]]:
    with CITY_CSV.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def _typed(cell: str) -> object:
    """A cell as a spreadsheet would store it: numbers as numbers (where a CSV export
    would write them back the same), the rest as text."""
    try:
        number = float(cell)
    except ValueError:
        return cell
    typed = int(number) if number.is_integer() else number
    return typed if str(typed) == cell else cell


def _score(run, data, tmp_path, *options, mapping=CITY_MAPPING):
    out, errors = tmp_path / f"{data.stem}-r.csv", tmp_path / f"{data.stem}-e.csv"
    result = run("batch", data, "--mapping", mapping, "--out", out, "--errors", errors,
                 *options)  # fmt: skip
    return result, out, errors


def _without_source(errors):
    return [{k: v for k, v in row.items() if k != "source"} for row in read_csv(errors)]


def test_xlsx_copy_gives_identical_results(run, tmp_path):
    rows = _city_rows()
    book = write_xlsx(
        tmp_path / "city.xlsx", [rows[0], *[[_typed(c) for c in r] for r in rows[1:]]]
    )
    csv_run, csv_out, csv_errors = _score(run, CITY_CSV, tmp_path)
    xlsx_run, xlsx_out, xlsx_errors = _score(run, book, tmp_path)
    assert xlsx_run.returncode == csv_run.returncode == 1, xlsx_run.stderr
    assert counts(xlsx_run.stderr) == counts(csv_run.stderr) == (34, 24, 1)
    assert xlsx_out.read_bytes() == csv_out.read_bytes()
    assert _without_source(xlsx_errors) == _without_source(csv_errors)
    assert _without_source(xlsx_errors)[0]["line"] == "11"  # the sheet's row number


def test_xlsx_sheet_option(run, tmp_path):
    rows = _city_rows()
    book = write_xlsx(tmp_path / "city.xlsx", rows, sheet="Benchmarking 2023")
    result, _, _ = _score(run, book, tmp_path, "--sheet", "Benchmarking 2023")
    assert counts(result.stderr) == (34, 24, 1)
    result, _, _ = _score(run, book, tmp_path, "--sheet", "Data")
    assert result.returncode == 2
    assert "no sheet 'Data' (sheets: Benchmarking 2023)" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result, _, _ = _score(run, broken, tmp_path)
    assert result.returncode == 2 and "not a readable .xlsx file" in result.stderr
    assert "Traceback" not in result.stderr


def _semicolon_copy(path, encoding="utf-8"):
    """The city export as a European spreadsheet saves it: ';' between fields."""
    with path.open("w", newline="", encoding=encoding) as stream:
        csv.writer(stream, delimiter=";").writerows(_city_rows())
    return path


def test_semicolon_csv_is_sniffed_and_scores_the_same(run, tmp_path):
    data = _semicolon_copy(tmp_path / "semicolon.csv")
    _, expected, _ = _score(run, CITY_CSV, tmp_path)
    result, out, _ = _score(run, data, tmp_path)
    assert counts(result.stderr) == (34, 24, 1), result.stderr
    assert out.read_bytes() == expected.read_bytes()
    result, out, _ = _score(run, data, tmp_path, "--delimiter", ";")
    assert out.read_bytes() == expected.read_bytes()
    result, _, _ = _score(run, data, tmp_path, "--delimiter", ",")
    assert result.returncode == 2
    assert "is not in" in result.stderr and "Traceback" not in result.stderr


def test_latin1_file_names_the_byte_and_line_and_reads_with_encoding(run, tmp_path):
    rows = _city_rows()
    rows[5][1] = "Café Émile Tower"
    data = tmp_path / "latin1.csv"
    with data.open("w", newline="", encoding="latin-1") as stream:
        csv.writer(stream).writerows(rows)
    raw = data.read_bytes()
    offset = raw.index("²".encode("latin-1"))  # in the header: "(ft²)"
    result, _, _ = _score(run, data, tmp_path)
    assert result.returncode == 2
    assert f"line 1, byte offset {offset:,}: byte 0xb2 is not utf-8 text" in result.stderr
    rows[0] = [c.replace("²", "2") for c in rows[0]]
    with data.open("w", newline="", encoding="latin-1") as stream:
        csv.writer(stream).writerows(rows)
    raw = data.read_bytes()
    offset = raw.index("é".encode("latin-1"))
    result = run("batch", data, "--scheme", "gm-eb", "--allow-empty", "--out", tmp_path / "x.csv")
    assert result.returncode == 2
    assert f"line 6, byte offset {offset:,}: byte 0xe9 is not utf-8 text" in result.stderr
    rows[0] = _city_rows()[0]
    with data.open("w", newline="", encoding="latin-1") as stream:
        csv.writer(stream).writerows(rows)
    assert "--encoding cp1252" in result.stderr and "Traceback" not in result.stderr
    result, out, _ = _score(run, data, tmp_path, "--encoding", "latin-1")
    assert counts(result.stderr) == (34, 24, 1), result.stderr
    assert "Café Émile Tower" in {r["name"] for r in read_csv(out)}
    result, _, _ = _score(run, data, tmp_path, "--encoding", "klingon")
    assert result.returncode == 2 and "unknown encoding 'klingon'" in result.stderr


def test_every_error_has_its_physical_line(run, tmp_path):
    """Blank lines, a quoted newline and a short line: lines stay the file's own."""
    data = tmp_path / "eb.csv"
    data.write_text(
        "Name,Type,GFA,EUI\n"  # line 1
        'Alpha,office,"1,000",150\n'  # 2
        "\n"  # 3: blank
        '"Beta\nAnnex",office,2000,15O\n'  # 4-5: a name across two lines, a bad EUI
        "Gamma,office,3000\n"  # 6: a field short
        "Delta,depot,4000,120\n",  # 7
        encoding="utf-8",
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[columns]\nname = "Name"\nbuilding_type = "Type"\n'
        'gfa = "GFA"\n[inputs]\neui = "EUI"\n',
        encoding="utf-8",
    )
    result, _, errors = _score(run, data, tmp_path, mapping=mapping)
    assert result.returncode == 1
    found = [(e["line"], e["row"], e["column"], e["value"]) for e in read_csv(errors)]
    assert ("6", "", "", "") in found  # the short line, by line
    assert ("4", "2", "EUI", "15O") in found
    assert ("7", "3", "Type", "depot") in found
    assert "1 CSV lines had the wrong number of fields" in result.stderr
    result = run("batch", data, "--mapping", mapping, "--out", tmp_path / "r.csv")
    assert f"{data}:6: line not read: expected 4 fields, got 3: Gamma,office,3000" in (
        result.stderr
    )
    assert f"{data}:4 (row 2) EUI: not a number" in result.stderr


def test_duplicate_ids_are_flagged(run, tmp_path):
    rows = _city_rows()
    rows.append(list(rows[2]))  # the same building again, at the end
    data = tmp_path / "dup.csv"
    with data.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    result, out, _ = _score(run, data, tmp_path)
    assert counts(result.stderr) == (35, 25, 1)
    duplicate = rows[2][0]
    flagged = [r for r in read_csv(out) if "duplicate id" in r["flags"]]
    assert [(r["id"], r["row"]) for r in flagged] == [(duplicate, "35")]
    assert flagged[0]["flags"] == f"duplicate id '{duplicate}': also at row 2"
    assert "1 rows repeat an id scored before" in result.stderr


def test_a_run_feeding_no_input_is_refused_unless_allowed(run, tmp_path):
    result = run("batch", CITY_CSV, "--scheme", "gm-eb", "--out", tmp_path / "r.csv")
    assert result.returncode == 2
    assert "nothing to score: no column is named like one of the scheme's inputs" in result.stderr
    assert "greenmark mapping init" in result.stderr
    assert not (tmp_path / "r.csv").exists()
    result = run(
        "batch", CITY_CSV, "--scheme", "gm-eb", "--out", tmp_path / "r.csv", "--allow-empty"
    )
    assert result.returncode == 0, result.stderr
    assert counts(result.stderr) == (34, 34, 0)


@pytest.mark.parametrize("delimiter", ["ab", "é"])
def test_bad_delimiter_option(run, tmp_path, delimiter):
    result, _, _ = _score(run, CITY_CSV, tmp_path, "--delimiter", delimiter)
    assert result.returncode == 2
    assert "the delimiter must be one ASCII character" in result.stderr


def test_an_inch_mark_in_a_field_keeps_lines_and_rows(run, tmp_path):
    """A quote inside an unquoted field is text (as Arrow reads it): rows and lines stay
    right, in small chunks too."""
    data = tmp_path / "inch.csv"
    rows = ["Name,Type,GFA,EUI,Notes"]
    for i in range(3000):
        notes = 'riser 12" pipe' if i == 5 else ('"quoted, with comma"' if i % 7 == 0 else "ok")
        rows.append(f"B{i},office,1000,{'abc' if i == 2000 else '150'},{notes}")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[mapping]\nscheme = "gm-eb"\n[columns]\nname = "Name"\nbuilding_type = "Type"\n'
        'gfa = "GFA"\n[inputs]\neui = "EUI"\n[keep]\nnotes = "Notes"\n',
        encoding="utf-8",
    )
    result, out, errors = _score(run, data, tmp_path, "--chunk-rows", "100", mapping=mapping)
    assert counts(result.stderr) == (3000, 2999, 1)
    (error,) = read_csv(errors)
    assert (error["row"], error["line"], error["value"]) == ("2001", "2002", "abc")
    notes = {r["name"]: r["notes"] for r in read_csv(out)}
    assert notes["B5"] == 'riser 12" pipe' and notes["B7"] == "quoted, with comma"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_parquet_results_store_few_valued_texts_as_dictionaries(run, tmp_path, workers):
    """Building type, tier, badges, next tier and what blocks it are dictionary columns in
    Parquet (one copy of each text; pandas reads categoricals), with the same texts as the
    CSV results, also when pool workers write the parts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out, csv_out = tmp_path / "r.parquet", tmp_path / "r.csv"
    for path in (out, csv_out):
        options = ("--workers", workers, "--chunk-rows", "150", "-q")
        result = run("batch", NRB_CSV, "--scheme", "gm-nrb", "--out", path, *options)
        assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    labels = ("building_type", "tier", "badges", "next_tier", "blocking")
    for name in labels:
        kind = table.schema.field(name).type
        assert pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type), name
    rows = read_csv(csv_out)
    assert table.num_rows == len(rows) == 1000
    for name in labels:
        texts = [v if v is not None else "" for v in table.column(name).to_pylist()]
        assert texts == [r[name] for r in rows], name
        assert name == "badges" or len(set(texts)) > 1, name  # gm-nrb has no badges
    # Rows are in input order: each row group states the range of input rows it holds,
    # so a reader can go straight to a range of rows.
    metadata = pq.ParquetFile(out).metadata
    position = table.schema.get_field_index("row")
    ranges = []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(position).statistics
        assert stats is not None and stats.has_min_max
        ranges.append((stats.min, stats.max))
    assert ranges[0][0] == 1 and ranges[-1][1] == 1000
    assert all(a[1] < b[0] for a, b in pairwise(ranges))
