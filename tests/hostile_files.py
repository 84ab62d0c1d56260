"""Spreadsheets built to hurt a reader: tiny files that unpack huge, sheets nested or spread out absurdly.

Written by hand (zip members and sheet XML as bytes) since no spreadsheet program writes them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from intake.columns import all_columns

HEADER = list(all_columns("figure"))

_CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="figures" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
</Relationships>"""
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def _cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _header_row() -> bytes:
    cells = b"".join(_cell(f"{_letter(i)}1", name) for i, name in enumerate(HEADER))
    return b'<row r="1">' + cells + b"</row>"


def _workbook(path: Path, sheet: Iterator[bytes], *, prolog: bytes = b"") -> Path:
    """A workbook whose one sheet's XML is the chunks of `sheet`, streamed (a bomb never sits in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(prolog)
            for chunk in sheet:
                member.write(chunk)
    return path


def far_cell_xlsx(path: Path, row: int = 10_000_000) -> Path:
    """A header and one cell, at `row`: a 2 KB file that a reader filling the gap turns into millions of rows."""
    rows = [_SHEET_START, _header_row(), f'<row r="{row}">'.encode() + _cell(f"A{row}", "1") + b"</row>"]
    return _workbook(path, iter([*rows, _SHEET_END]))


def bomb_xlsx(path: Path, unpacked_mb: int = 1100) -> Path:
    """Rows of one repeated cell, `unpacked_mb` MB of XML squeezed into a few MB of zip."""
    row = b"<row>" + b'<c t="inlineStr"><is><t>1</t></is></c>' * len(HEADER) + b"</row>"
    block = row * (1024 * 1024 // len(row))

    def chunks() -> Iterator[bytes]:
        yield _SHEET_START + _header_row()
        for _ in range(unpacked_mb):
            yield block
        yield _SHEET_END

    return _workbook(path, chunks())


def nested_entities_xlsx(path: Path, depth: int = 100_000) -> Path:
    """A sheet whose cell text expands through `depth` nested entities (CVE-2024-8176 crashes old expat)."""
    chain = b"".join(b"<!ENTITY e%d '&e%d;'>" % (i, i - 1) for i in range(1, depth))
    prolog = b"<?xml version='1.0'?><!DOCTYPE worksheet [<!ENTITY e0 'x'>" + chain + b"]>"
    start = _SHEET_START.split(b"?>", 1)[1]
    cell = b'<row r="2"><c r="A2" t="inlineStr"><is><t>&e%d;</t></is></c></row>' % (depth - 1)
    return _workbook(path, iter([start, _header_row(), cell, _SHEET_END]), prolog=prolog)


def wide_csv(path: Path, columns: int = 1_000_000) -> Path:
    """A header of `columns` names and one row: a few MB of commas."""
    header = ",".join(HEADER + [f"c{i}" for i in range(columns - len(HEADER))])
    path.write_text(header + "\n" + "1," * (columns - 1) + "1\n", encoding="utf-8")
    return path


def long_cell_csv(path: Path, characters: int = 40_000) -> Path:
    row = ["1", "count", "x" * characters] + [""] * (len(HEADER) - 3)
    path.write_text(",".join(HEADER) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path


def unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())
