"""How big a spreadsheet may be once unpacked, checked while it is read: one place for every importer.

A 2 KB workbook can name a cell ten million rows down, a 10 MB CSV can hold a million columns, and a
zip of a few MB can unpack to gigabytes; each is refused with a plain message before it costs much.
The limits leave room for real imports (a 200,000-row file is fine).
"""

from __future__ import annotations

from intake.errors import SheetError

MAX_ROWS = 250_000  # data rows, header not counted
MAX_COLUMNS = 100
MAX_CELL_CHARACTERS = 32_000  # Excel's own limit is 32,767
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a workbook's parts, uncompressed


def too_many_rows() -> SheetError:
    return SheetError(f"the sheet has more than {MAX_ROWS:,} rows; split it into smaller files")


def too_many_columns(name: str) -> SheetError:
    return SheetError(
        f"{name} has more than {MAX_COLUMNS} columns; an import uses at most 16, so delete the extra ones"
    )


def cell_too_long(where: str) -> SheetError:
    return SheetError(f"{where} holds more than {MAX_CELL_CHARACTERS:,} characters, more than any field takes")


def too_big_unpacked(name: str, size: int) -> SheetError:
    return SheetError(
        f"{name} unpacks to {size / 1024 / 1024:,.0f} MB; the limit is "
        f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB. Split it into smaller files"
    )
