"""Reading figure and quote spreadsheets (CSV or XLSX) into validated rows, and writing them back out."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from intake import limits, validate_columns
from intake.columns import all_columns, match_header
from intake.errors import FieldError, RowError, SheetError
from intake.formulas import GUARD, guard, unguard
from intake.sniff import decode_text, detect_format
from intake.validate import natural_key, to_raw, validate_figure, validate_quote
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import KINDS, Kind, plural

if TYPE_CHECKING:
    import pandas as pd

    from intake.xlsx_cells import CellProblems

# pandas and openpyxl (through intake.xlsx_cells' reader) are imported where a sheet is read or written, not
# with this module: a web worker that is sent no spreadsheet does without them (tests/test_worker_memory.py).

__all__ = [
    "BadRow",
    "RowError",
    "Sheet",
    "SheetError",
    "SheetStream",
    "read_sheet",
    "stream_sheet",
    "to_frame",
    "write_bad_rows",
    "write_sheet",
]

Item = FigureInput | QuoteInput
Rows = Sequence[Sequence[str]]  # a chunk of a sheet: a workbook's rows are lists, a CSV's tuples
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class BadRow:
    """A rejected row as it was read (column -> text), with everything wrong with it."""

    row: int
    values: dict[str, str]
    errors: tuple[RowError, ...]


@dataclass(frozen=True)
class Sheet:
    """The good rows with their row numbers, every error, and the bad rows for write_bad_rows."""

    rows: list[tuple[int, Item]]
    errors: list[RowError]
    bad: list[BadRow]


def read_sheet(
    path: Path, kind: Kind, on_progress: Progress | None = None, *, today: date | None = None
) -> Sheet:
    """Every row of the file validated; SheetError if the file as a whole can't be used.

    `on_progress(done, total)` is called every PROGRESS_EVERY data rows and once at the end.

    - The file's bytes decide CSV or XLSX, not its name: a workbook renamed .csv is read as a workbook.
    - CSV must be UTF-8 (a BOM is fine); the delimiter is whichever of , ; or tab splits the header most.
    - In XLSX, a date cell is a day only when its format shows the day; a cell Excel turned into a date but
      shows as a month ("Sep-20") is refused, since we can't know if a month or a day was meant. Dates typed
      as text keep the precision typed. Exports format every cell as Text so Excel doesn't do this again.
    - Row numbers are those a person sees: the header is row 1. Blank rows are skipped, not reported.
    - A column named `error` is ignored, so a fixed `.rejected.csv` can be imported as it is.
    """
    stream = stream_sheet(path, kind, on_progress, today=today)
    good = list(stream.rows())
    return Sheet(rows=good, errors=stream.errors, bad=stream.bad)


class SheetStream:
    """A sheet read and checked as it is consumed: `rows()` yields each good (row number, item) in turn, and
    once it is exhausted `errors` and `bad` hold every problem. A CSV is read a chunk at a time, so an
    import that writes rows as they come holds one chunk of the file's rows, not all of them."""

    def __init__(
        self, chunks: Iterator[Rows], header: list[str], names: list[str | None], problems: CellProblems,
        kind: Kind, total: int, on_progress: Progress | None, today: date | None, source_name: str,
    ) -> None:  # fmt: skip
        self._chunks = chunks
        self._header = header
        self._names = names
        self._problems = problems
        self._kind = kind
        self.total = total
        self._on_progress = on_progress
        self._today = today
        self._source_name = source_name
        self.errors: list[RowError] = []
        self.bad: list[BadRow] = []
        # What each good row was, by a 128-bit digest of its natural key: enough to name a later duplicate
        # (the row, its value, and whether it is the same exactly) without keeping the rows themselves.
        self._first_seen: dict[bytes, tuple[int, Decimal | None, int]] = {}

    def rows(self) -> Iterator[tuple[int, Item]]:
        validate = validate_figure if self._kind == "figure" else validate_quote
        check_columns = validate_columns.figures if self._kind == "figure" else validate_columns.quotes
        columns = [(index, name) for index, name in enumerate(self._names) if name]
        index = 0  # the data row's index in the whole sheet (the header is 0)
        any_rows = False
        for chunk in self._chunks:
            _check_unnamed_columns(self._header, self._names, [self._header, *chunk])
            # The chunk checked column by column first: a row proven valid there is what validate returns
            # for it; any other row (None) is checked row by row, which words every problem.
            proven: Sequence[Item | None] = check_columns(chunk, columns, self._today or date.today())
            keys = iter(validate_columns.natural_keys([item for item in proven if item is not None]))
            for cells, item in zip(chunk, proven, strict=True):
                proven_key = next(keys) if item is not None else None
                index += 1
                if self._on_progress and index % PROGRESS_EVERY == 0:
                    self._on_progress(index, self.total)
                if not any(cells):
                    continue
                any_rows = True
                row_number = index + 1
                row_errors = (
                    [
                        RowError(row_number, name, f"{name} {self._problems[(index, i)]}")
                        for i, name in columns
                        if (index, i) in self._problems
                    ]
                    if self._problems  # a workbook's refused cells; a CSV has none
                    else []
                )
                result: Item | list[FieldError] = (
                    item
                    if item is not None and not row_errors
                    else validate(_values(cells, columns), today=self._today)
                )
                if isinstance(result, list):
                    # A refused cell reads as empty, so drop what that alone causes ("source_date is missing").
                    broken = {error.column for error in row_errors}
                    row_errors += [
                        RowError(row_number, e.field, e.message)
                        for e in result
                        if not _caused_by(e.field, e.message, broken)
                    ]
                elif not row_errors:
                    parts = proven_key if result is item and proven_key is not None else natural_key(result)
                    key = hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()
                    value = result.value if isinstance(result, FigureInput) else None
                    if key in self._first_seen:
                        row_errors.append(_duplicate(row_number, result, *self._first_seen[key]))
                    else:
                        self._first_seen[key] = (row_number, value, hash(result))
                        yield row_number, result
                if row_errors:
                    self.errors += row_errors
                    self.bad.append(BadRow(row_number, _values(cells, columns), tuple(row_errors)))
        if not any_rows:
            raise SheetError(
                f"no rows: {self._source_name} has the column names but no {plural(self._kind)} under them"
            )
        if self._on_progress:
            self._on_progress(self.total, self.total)


def stream_sheet(
    path: Path, kind: Kind, on_progress: Progress | None = None, *, today: date | None = None
) -> SheetStream:
    """The sheet ready to be read row by row (see SheetStream); SheetError now if its header is unusable,
    and while reading if the file turns out unusable further down."""
    if kind not in KINDS:
        raise ValueError(f"kind must be {' or '.join(KINDS)}, not {kind!r}")
    if detect_format(path) == "xlsx":
        from intake.xlsx_cells import read_workbook

        grid, problems = read_workbook(path, kind)
        grid = [[unguard(cell.strip()) for cell in row] for row in grid]
        while grid and not any(grid[-1]):
            grid.pop()
        if not grid:
            raise SheetError(f"{path.name} is empty")
        chunks: Iterator[Rows] = iter([grid[1:]])
        header, total = grid[0], len(grid) - 1
    else:
        problems = {}
        header, chunks, total = _read_csv_chunks(path)
    if not any(header):
        raise SheetError("row 1 must be the header row (the column names), but it is blank")
    names = match_header(header, kind)
    return SheetStream(chunks, header, names, problems, kind, total, on_progress, today, path.name)


def write_bad_rows(sheet_path: Path, bad: Sequence[BadRow]) -> Path:
    """The rejected rows beside the input as `<name>.rejected.csv`, with an `error` column saying why."""
    out = sheet_path.with_name(f"{sheet_path.stem}.rejected.csv")
    columns = list(bad[0].values) if bad else []
    records = [
        {**{name: guard(text) for name, text in row.values.items()},
         "error": f"row {row.row}: " + "; ".join(error.message for error in row.errors)}
        for row in bad
    ]  # fmt: skip
    import pandas as pd

    pd.DataFrame(records, columns=[*columns, "error"], dtype=str).to_csv(
        out, index=False, encoding="utf-8-sig", lineterminator="\n"
    )
    return out


def to_frame(items: Sequence[Item], kind: Kind | None = None) -> pd.DataFrame:
    """Items as text in exactly the import columns (so the frame can be written and read back).

    Text that a spreadsheet would run as a formula gets the export's apostrophe (intake.formulas);
    `value` is a number, so -12 stays -12.
    """
    import pandas as pd

    kind = kind or _kind_of(items)
    rows = [
        {name: text if name == "value" else guard(text) for name, text in to_raw(item).items()}
        for item in items
    ]
    return pd.DataFrame(rows, columns=list(all_columns(kind)), dtype=str)


def write_sheet(items: Sequence[Item], path: Path, kind: Kind | None = None) -> Path:
    """Items written as CSV (UTF-8 with BOM, for Excel) or XLSX, chosen by the path's extension."""
    kind = kind or _kind_of(items)
    frame = to_frame(items, kind)
    suffix = path.suffix.casefold()
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    elif suffix == ".xlsx":
        import pandas as pd

        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            # The tab is named for people ("figures"); reading finds it by either name.
            frame.to_excel(writer, sheet_name=plural(kind), index=False)
            sheet = writer.sheets[plural(kind)]
            # Text format stops Excel turning a typed 2020-09 into a date or 9,477 into a number later.
            for column in sheet.iter_cols(min_row=1, max_row=max(sheet.max_row, 1000)):
                for cell in column:
                    cell.number_format = "@"
                    if cell.data_type == "f":  # openpyxl makes any text starting "=" a formula
                        cell.data_type = "s"
    else:
        raise ValueError(f"can only write .csv or .xlsx, not {path.suffix or 'no extension'}")
    return path


def _kind_of(items: Sequence[Item]) -> Kind:
    if not items:
        raise ValueError("no items: pass kind to say which columns to write")
    return "quote" if isinstance(items[0], QuoteInput) else "figure"


def _read_csv_chunks(path: Path) -> tuple[list[str], Iterator[Rows], int]:
    """The header, the data rows a chunk at a time (cells trimmed), and how many lines there are."""
    data = path.read_bytes()
    decode_text(data, path.name)  # refuses anything but UTF-8 before a row is read
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig")
    separator = max((",", ";", "\t"), key=first_line.count)
    total = max(data.count(b"\n") - (1 if data.endswith(b"\n") else 0), 0)
    breaks = max(data.count(b"\n"), data.count(b"\r"))  # pandas also ends a line at a lone CR
    del data  # pandas reads the file itself, a chunk at a time
    _check_csv_limits(path, separator, breaks)
    import pandas as pd

    try:
        reader = pd.read_csv(
            path, sep=separator, header=None, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, engine="c", chunksize=PROGRESS_EVERY, encoding="utf-8-sig",
        )  # fmt: skip
        first = next(iter(reader), None)
    except pd.errors.EmptyDataError:
        raise SheetError(f"{path.name} is empty") from None
    except pd.errors.ParserError as error:
        raise SheetError(_explain_parser_error(str(error), separator)) from None
    if first is None:
        raise SheetError(f"{path.name} is empty")
    head = _grid(first)
    if not any(any(row) for row in head):
        raise SheetError(f"{path.name} is empty")

    def chunks() -> Iterator[Rows]:
        yield head[1:]
        try:
            for frame in reader:
                yield _grid(frame)
        except pd.errors.ParserError as error:
            raise SheetError(_explain_parser_error(str(error), separator)) from None

    return list(head[0]), chunks(), total


def _grid(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """The frame's rows, each cell trimmed and the apostrophe an export put before formula-like text taken
    off (intake.formulas), nothing else; worked out a column at a time. SheetError for a cell longer than
    any field takes, naming its line (the frame's index counts records from the header's 0)."""
    raw = frame.fillna("").to_numpy(dtype=object).T.tolist()
    if max((max(map(len, cells), default=0) for cells in raw), default=0) > limits.MAX_CELL_CHARACTERS:
        at = min(i for cells in raw for i, cell in enumerate(cells) if len(cell) > limits.MAX_CELL_CHARACTERS)
        raise limits.cell_too_long(f"a cell on line {int(frame.index[at]) + 1}")
    columns = [_trimmed(cells) for cells in raw]
    return list(zip(*columns, strict=True))  # rows as tuples: made in C, where lists were made one by one


# What trimming or unguarding would change in an ASCII column joined by "\n": whitespace at either end of a
# cell, other than the joining "\n", or the export's apostrophe starting one.
_ASCII_SPACE = re.compile(r"[\t\r\x0b\x0c\x1c-\x1f]")
_UNTRIMMED = (" \n", "\n ", "\n" + GUARD)


def _trimmed(cells: list[str]) -> list[str]:
    """The cells as `unguard(cell.strip())` leaves them: as they are when a few scans of the column joined
    find nothing to do (most columns), else cell by cell."""
    joined = "\n".join(cells)
    if (
        joined.isascii()
        and joined.count("\n") == len(cells) - 1
        and not joined.startswith((" ", GUARD))
        and not joined.endswith(" ")
        and not any(mark in joined for mark in _UNTRIMMED)
        and not _ASCII_SPACE.search(joined)
    ):
        return cells
    trimmed = [cell.strip() for cell in cells]
    return [unguard(cell) if cell[:1] == GUARD else cell for cell in trimmed]


def _check_csv_limits(path: Path, separator: str, breaks: int) -> None:
    """The header's columns and cells checked before pandas builds anything, and, only when the file has
    more lines than rows are allowed, every row's (a cell may hold line breaks, so lines are not rows).

    A million-column header would have pandas allocate gigabytes before saying anything; the csv module
    reads a row at a time, and its own field limit (128 KB) stops a cell that never ends. Past the header,
    pandas refuses a row with more cells than it, and `_grid` a cell longer than any field takes as each
    chunk is read: a pass of the csv module over every row cost 0.75 s of a 200,000-row import.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as text:
            for number, row in enumerate(csv.reader(text, delimiter=separator)):
                if number and breaks <= limits.MAX_ROWS:  # no more rows than line breaks
                    return
                if number > limits.MAX_ROWS:
                    raise limits.too_many_rows()
                if len(row) > limits.MAX_COLUMNS:
                    raise limits.too_many_columns(f"line {number + 1}")
                if max(map(len, row), default=0) > limits.MAX_CELL_CHARACTERS:
                    raise limits.cell_too_long(f"a cell on line {number + 1}")
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise limits.cell_too_long("a cell") from None
        # Anything else the csv module dislikes is left to pandas, whose messages are explained below.


def _explain_parser_error(message: str, separator: str) -> str:
    counts = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if counts:
        expected, line, saw = counts.groups()
        shown = "tab" if separator == "\t" else separator
        return (
            f"line {line} has {saw} cells but the header has {expected}; a value containing {shown} "
            "must be inside double quotes"
        )
    if "EOF inside string" in message:
        return 'a double quote is opened and never closed; check quotes inside values are doubled ("")'
    return f"the file can't be read as CSV ({message})"


def _check_unnamed_columns(header: list[str], names: list[str | None], grid: Rows) -> None:
    """A column with values but no name is refused rather than silently dropped."""
    width = max(len(row) for row in grid)
    for index in range(width):
        if (index >= len(header) or not header[index]) and any(
            index < len(row) and row[index] for row in grid[1:]
        ):
            raise SheetError(f"column {_letter(index)} has values but no name in row 1")


def _letter(index: int) -> str:
    """The column letter a person sees: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _values(cells: Sequence[str], columns: list[tuple[int, str]]) -> dict[str, str]:
    """A row's cells by column name; a cell the row is too short for is empty."""
    width = len(cells)
    return {name: cells[i] if i < width else "" for i, name in columns}


def _caused_by(field: str, message: str, broken: set[str]) -> bool:
    return field in broken or any(re.search(rf"\b{name}\b", message) for name in broken)


def _duplicate(
    row_number: int, item: Item, first_row: int, first_value: Decimal | None, first_hash: int
) -> RowError:
    """Same natural key as an earlier row: say which, and whether the figure itself differs."""
    if isinstance(item, QuoteInput):
        return RowError(row_number, "text", f"text repeats the quote by the same speaker in row {first_row}")
    if hash(item) == first_hash and item.value == first_value:
        return RowError(row_number, "measure", f"measure repeats row {first_row} exactly")
    differs = "value" if item.value != first_value else "details"
    what = f"value {first_value:f} there and {item.value:f} here" if differs == "value" else "other details"
    return RowError(
        row_number,
        "measure",
        f"measure, unit, period, geography and source are the same as "
        f"row {first_row} but with {what}; keep the right one",
    )
