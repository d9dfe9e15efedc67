"""In-process helpers: bind a mapping written as text and score a table of text cells."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from greenmark.core.model import Scheme
from greenmark.core.scheme import load_scheme, resolve_scheme
from greenmark.portfolio.chunk import ChunkResult, Plan, score_chunk
from greenmark.portfolio.mapping import bind, load_mapping


def scheme(scheme_id: str = "gm-eb") -> Scheme:
    return load_scheme(resolve_scheme(scheme_id))


def plan_from(tmp_path: Path, mapping_text: str, scheme_id: str = "gm-eb") -> Plan:
    path = tmp_path / "mapping.toml"
    path.write_text(mapping_text, encoding="utf-8")
    found = scheme(scheme_id)
    return Plan.from_binding(found, bind(load_mapping(path), found))


def score_text(plan: Plan, columns: dict[str, list[str | None]]) -> ChunkResult:
    """Score a table whose cells are strings, as a CSV would give them."""
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    return score_chunk(plan, table, "test.csv")


def column(result: ChunkResult, name: str) -> list[object]:
    return result.results.column(name).to_pylist()


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Export") -> Path:
    """A minimal .xlsx (one sheet, inline strings and numbers), written with the standard
    library: no spreadsheet writer needs to be installed for the tests."""
    import zipfile
    from xml.sax.saxutils import escape

    def column(index: int) -> str:
        name = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        return name

    def cell(ref: str, value: object) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        text = escape(str(value))
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(cell(f"{column(c)}{r + 1}", v) for c, v in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    files = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
            f"<sheetData>{body}</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path
