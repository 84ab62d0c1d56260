"""Excel cells as the text a person sees in them, refusing the ones whose meaning Excel has blurred."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser

from intake import limits
from intake.cleaning import Invalid
from intake.errors import SheetError
from storage.kinds import Kind, plural

Grid = list[list[str]]
_T = TypeVar("_T")
CellProblems = dict[tuple[int, int], str]  # (row index, column index) in the grid -> message


def read_workbook(path: Path, kind: Kind) -> tuple[Grid, CellProblems]:
    """The sheet named for `kind` ("figures" or "figure", else the first) as rows of text, with a message for each bad cell.

    pandas' read_excel hands back stored values without their number formats, so a cell showing 52% arrives
    as 0.52 and "Sep-20" as a full date; openpyxl gives us the format, which decides what the person meant.
    """
    _check_unpacked_size(path)
    if not openpyxl.DEFUSEDXML:
        # Without defusedxml openpyxl parses sheets with plain expat, entities and all (CVE-2024-8176).
        raise SheetError("statbot can't read Excel files safely here (defusedxml is missing); send a CSV")
    # openpyxl refuses a path not ending .xlsx; a handle lets a workbook renamed .csv be read too.
    with path.open("rb") as handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file; all mean the same here
            raise SheetError(f"{path.name} is a damaged Excel file ({type(error).__name__})") from None
        try:
            return _read_cells(book, kind)
        except (DefusedXmlException, ParseError, ValueError, KeyError) as error:
            # DTDs and entities (refused by defusedxml) or XML broken partway through a sheet
            raise SheetError(f"{path.name} is a damaged Excel file ({type(error).__name__})") from None
        finally:
            book.close()


def _read_cells(book: openpyxl.Workbook, kind: Kind) -> tuple[Grid, CellProblems]:
    names = {name.casefold(): name for name in book.sheetnames}
    if not book.worksheets:
        raise SheetError("the workbook has no worksheets")
    named = [names[name] for name in (plural(kind), kind) if name in names]
    sheet = book[named[0]] if named else book.worksheets[0]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise SheetError("that workbook's first sheet is a chart, not a table of cells")
    grid: Grid = []
    problems: CellProblems = {}
    for row_number, cells in _stored_rows(book, sheet):
        if row_number > limits.MAX_ROWS + 1:
            raise limits.too_many_rows()
        texts: list[str] = []
        row_index = row_number - 1
        for stored in cells:
            column_index = stored["column"] - 1
            if column_index >= limits.MAX_COLUMNS:
                raise limits.too_many_columns("the sheet")
            cell = ReadOnlyCell(sheet, **stored)
            try:
                text = cell_text(cell.value, cell.number_format)
            except Invalid as problem:
                problems[(row_index, column_index)] = str(problem)
                text = ""
            if len(text) > limits.MAX_CELL_CHARACTERS:
                raise limits.cell_too_long(f"cell {cell.coordinate}")
            _put(texts, column_index, text, str)
        _put(grid, row_index, texts, list)
    return grid, problems


def _put(cells: list[_T], index: int, value: _T, blank: Callable[[], _T]) -> None:
    """`value` at `index`, blanks before it: rows and cells are stored sparse, and not always in order."""
    if index >= len(cells):
        cells.extend(blank() for _ in range(index - len(cells)))
        cells.append(value)
    else:
        cells[index] = value


def _stored_rows(book: Any, sheet: ReadOnlyWorksheet) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """The rows the sheet stores, each with its cells that hold a value, as (row number, cells).

    openpyxl's iter_rows fills every gap with empty rows and cells: one cell at row 10,000,000 means ten
    million rows made, and a wrong "used range" written by some tools drops rows. Its parser gives only
    what is stored, so the limits are checked as each row arrives. (The parser is openpyxl's own,
    from a private module; pyproject pins openpyxl below 3.2 and tests/test_intake_limits.py covers it.)
    """
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source, sheet._shared_strings, data_only=True, epoch=book.epoch,
            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
        )  # fmt: skip
        for row_number, cells in parser.parse():
            kept = [cell for cell in cells if cell["value"] is not None]
            if kept:
                yield row_number, kept


def _check_unpacked_size(path: Path) -> None:
    """A zip says how big each part is, and reading stops there (the CRC check fails past it)."""
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise SheetError(f"{path.name} is a damaged zip or Excel file") from None
    if size > limits.MAX_UNPACKED_BYTES:
        raise limits.too_big_unpacked(path.name, size)


def cell_text(value: Any, number_format: str | None) -> str:
    """What the cell shows, as the text a person would have typed; Invalid when that can't be known."""
    fmt = number_format or "General"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return _date_text(value, fmt)
    if isinstance(value, time | timedelta):
        raise Invalid("holds a time of day; type the value as text")
    if isinstance(value, int | float):
        return _number_text(value, fmt)
    return str(value)


def _date_text(value: date, fmt: str) -> str:
    """A date cell is only a day if its format shows the day; "Sep-20" may have meant just the month."""
    if isinstance(value, datetime) and value.time() != time(0, 0):
        raise Invalid("holds a date and time; type the date as text, like 2020-09-30")
    if "d" not in _format_code(fmt).casefold():
        raise Invalid(
            f"was stored by Excel as a date shown as a month or year, so we can't tell if "
            f"{value:%Y-%m} or {value:%Y-%m-%d} was meant; format the column as Text and type it "
            "again (YYYY, YYYY-MM or YYYY-MM-DD)"
        )
    return f"{value:%Y-%m-%d}"


def _number_text(value: float, fmt: str) -> str:
    """The number as shown: percent formats times 100 with a %, and no hidden decimals behind rounding."""
    # Excel keeps 15 significant digits, so 0.1+0.2 shows as 0.3 there and should here too.
    exact = Decimal(value) if isinstance(value, int) else Decimal(format(value, ".15g"))
    code = _format_code(fmt)
    percent = "%" in code
    shown = exact.scaleb(2) if percent else exact
    decimals = _shown_decimals(code)
    exponent = shown.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if decimals is not None and places > decimals:
        raise Invalid(
            f"shows {round(shown, decimals):f}{'%' if percent else ''} but holds "
            f"{shown.normalize():f}{'%' if percent else ''}; type the figure you mean as text"
        )
    text = format(shown.normalize(), "f") if shown != shown.to_integral_value() else f"{int(shown)}"
    return f"{text}%" if percent else text


def _format_code(fmt: str) -> str:
    """The positive-number part of a format with quoted text, [colour]/[$£-809] codes and escapes gone."""
    first = fmt.split(";")[0]
    return re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", first)


def _shown_decimals(code: str) -> int | None:
    """How many decimals a format shows; None for General, which shows what it holds."""
    if code.strip().casefold() in ("general", "@", ""):
        return None
    if after_point := re.search(r"\.([0#?]+)", code):
        return len(after_point.group(1))
    return 0 if re.search(r"[0#?]", code) else None
