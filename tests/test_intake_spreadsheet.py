"""Reading figure and quote spreadsheets as people make them, and writing them back unchanged."""

from __future__ import annotations

import csv
import time
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from intake import limits
from intake.columns import FIGURE_COLUMNS, QUOTE_COLUMNS, all_columns
from intake.spreadsheet import (
    RowError,
    Sheet,
    SheetError,
    read_sheet,
    to_frame,
    write_bad_rows,
    write_sheet,
)
from intake.templates import template_path
from intake.validate import validate_figure, validate_quote
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import Kind
from storage.partial_date import PartialDate, Precision

TODAY = date(2025, 6, 1)
MEASURE = (
    "share of sexual or illicit image offences against children that took place on apps owned by Facebook"
)


def figure_row(**changes: str) -> dict[str, str]:
    row = dict.fromkeys(FIGURE_COLUMNS, "")
    row.update(
        value="52",
        unit="percent",
        measure=MEASURE,
        period_start="2019-10",
        period_end="2020-09",
        geography="UK",
        entities="Meta",
        topics="online child sexual abuse;encryption",
        source_publisher="The Independent",
        source_date="2021-03",
    )
    row.update(changes)
    return row


def quote_row(**changes: str) -> dict[str, str]:
    row = dict.fromkeys(QUOTE_COLUMNS, "")
    row.update(
        text="Facebook is willingly turning back the clock on children's safety",
        speaker="Andy Burrows",
        speaker_org="NSPCC",
        said_on="2021-03-26",
        source_publisher="The Telegraph",
    )
    row.update(changes)
    return row


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    encoding: str = "utf-8",
    header: Sequence[str] | None = None,
    delimiter: str = ",",
) -> Path:
    columns = list(header or rows[0])
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return path


def read(path: Path, kind: Kind = "figure") -> Sheet:
    return read_sheet(path, kind, today=TODAY)  # type: ignore[arg-type]


def sheet_error(path: Path, kind: Kind = "figure") -> str:
    with pytest.raises(SheetError) as raised:
        read(path, kind)
    return raised.value.message


def errors_by_row(sheet: Sheet) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in sheet.errors:
        found.setdefault(error.row, []).append((error.column, error.message))
    return found


def test_a_good_csv_gives_one_figure_per_row_numbered_as_a_person_sees_them(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "figures.csv", [figure_row(), figure_row(value="9,477", unit="count")])
    sheet = read(path)
    assert sheet.errors == []
    assert [row for row, _ in sheet.rows] == [2, 3]
    values = [item.value for _, item in sheet.rows if isinstance(item, FigureInput)]
    assert values == [Decimal(52), Decimal(9477)]


@pytest.mark.parametrize("kind", ["figure", "quote"])
def test_the_templates_import_cleanly(kind: str) -> None:
    sheet = read(template_path(kind), kind)  # type: ignore[arg-type]
    assert sheet.errors == [] and len(sheet.rows) == 1
    assert list(pd.read_csv(template_path(kind), dtype=str).columns) == list(all_columns(kind))  # type: ignore[arg-type]


def test_the_figures_template_holds_the_nspcc_example_without_a_url() -> None:
    [(_, figure)] = read(template_path("figure")).rows
    assert isinstance(figure, FigureInput)
    assert (figure.value, figure.unit, figure.geography) == (Decimal(52), "percent", "UK")
    assert figure.producer == "NSPCC"
    assert figure.source_url is None and figure.source_publisher == "The Independent"
    assert figure.entities == ("Meta",) and figure.topics == ("online child sexual abuse", "encryption")


def test_a_csv_with_a_byte_order_mark_reads_its_first_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", [figure_row(measure="coût – share £")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfvalue,")
    [(_, figure)] = read(path).rows
    assert isinstance(figure, FigureInput) and figure.measure == "coût – share £"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_from_european_excel_are_read(
    tmp_path: Path, delimiter: str
) -> None:
    path = write_csv(tmp_path / "semi.csv", [figure_row()], delimiter=delimiter)
    [(_, figure)] = read(path).rows
    assert isinstance(figure, FigureInput)
    assert figure.topics == ("online child sexual abuse", "encryption")  # the ; inside the cell survives


def test_headers_are_matched_ignoring_case_spaces_and_hyphens(tmp_path: Path) -> None:
    header = [name.replace("_", " ").title() for name in FIGURE_COLUMNS]
    header[FIGURE_COLUMNS.index("source_url")] = "source-URL"
    path = write_csv(tmp_path / "titled.csv", [dict(zip(header, figure_row().values(), strict=True))])
    assert read(path).errors == []


def test_cells_and_headers_are_trimmed(tmp_path: Path) -> None:
    row = {f" {name} ": f"  {value}  " for name, value in figure_row().items()}
    [(_, figure)] = read(write_csv(tmp_path / "spaces.csv", [row])).rows
    assert isinstance(figure, FigureInput) and figure.geography == "UK"


def test_optional_columns_may_be_left_out_and_an_error_column_is_ignored(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "fixed.csv", [{**figure_row(), "error": "row 2: value is missing"}])
    assert [name for name in figure_row()] == list(FIGURE_COLUMNS)  # no producer/notes/primary_source_url
    assert len(read(path).rows) == 1


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF, not a spreadsheet"),
        (bytes(range(256)) * 40, "is not a spreadsheet (it holds binary data)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is a PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls"),
        ("value,unit,measure\n£52,gbp,x\n".encode("cp1252"), "is not UTF-8 text"),
        ("value,unit\n52,percent\n".encode("utf-16"), "UTF-16 text"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_whole(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    assert fragment in sheet_error(path)


def test_a_header_with_no_rows_says_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(FIGURE_COLUMNS) + "\n\n,,,\n", encoding="utf-8")
    assert sheet_error(path).startswith("no rows")


def test_a_file_over_50_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: nothing is written, only the size is set
    assert "the limit is 50 MB" in sheet_error(path)


def test_a_workbook_renamed_to_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    workbook = write_sheet([_figure()], tmp_path / "real.xlsx")
    renamed = workbook.rename(tmp_path / "renamed.csv")
    assert len(read(renamed).rows) == 1


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("figures.csv", "value\n52\n")
    assert "is a zip archive, not a spreadsheet" in sheet_error(path)


def test_a_damaged_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really>")
    assert "is a damaged Excel file" in sheet_error(path)


def test_wrong_column_names_are_listed_with_the_nearest_right_one(tmp_path: Path) -> None:
    row = figure_row()
    row["sorce_url"] = row.pop("source_url")
    row["Measures"] = row.pop("measure")
    row["colour"] = "red"
    message = sheet_error(write_csv(tmp_path / "typo.csv", [row]))
    assert (
        "unknown columns 'sorce_url' (did you mean source_url?), 'Measures' (did you mean measure?), "
        "'colour';"
    ) in message
    assert "missing columns measure, source_url" in message


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    row = figure_row()
    del row["evidence"], row["topics"]
    assert "missing columns topics, evidence" in sheet_error(write_csv(tmp_path / "short.csv", [row]))


def test_a_repeated_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(",".join([*FIGURE_COLUMNS, "Value"]) + "\n" + ",".join(figure_row().values()) + ",53\n")
    assert "column value appears twice (columns 1 and 14)" in sheet_error(path)


def test_a_column_with_values_but_no_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "unnamed.csv"
    path.write_text(",".join([*FIGURE_COLUMNS, ""]) + "\n" + ",".join(figure_row().values()) + ",oops\n")
    assert "column N has values but no name" in sheet_error(path)


def test_a_quotes_sheet_imported_as_figures_says_so(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "quotes.csv", [quote_row()])
    assert sheet_error(path, "figure") == "this looks like a quotes sheet, but it was imported as figures"
    assert len(read(path, "quote").rows) == 1


def test_a_row_with_an_unquoted_comma_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    good = ",".join(figure_row().values())
    path.write_text(",".join(FIGURE_COLUMNS) + f"\n{good}\n{good},extra\n", encoding="utf-8")
    assert "line 3 has 14 cells but the header has 13" in sheet_error(path)


def test_a_cell_too_long_deep_in_a_file_is_refused_naming_its_line(tmp_path: Path) -> None:
    # Past the first chunk of rows pandas reads, where only the chunk's own check sees it.
    rows = [figure_row(measure=f"offences {n}") for n in range(1600)]
    rows[1499] = figure_row(evidence="x" * (limits.MAX_CELL_CHARACTERS + 1))
    message = sheet_error(write_csv(tmp_path / "long.csv", rows))
    assert (
        message
        == f"a cell on line 1501 holds more than {limits.MAX_CELL_CHARACTERS:,} characters, more than any field takes"
    )


def test_a_row_wider_than_the_header_deep_in_a_file_is_refused_naming_its_line(tmp_path: Path) -> None:
    good = ",".join(figure_row().values())
    lines = [",".join(FIGURE_COLUMNS), *(f"{good}" for _ in range(1500)), good + ",x" * 200]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "line 1502 has 213 cells but the header has 13" in sheet_error(path)


def test_mixed_date_formats_are_reported_per_row_and_column(tmp_path: Path) -> None:
    rows = [
        figure_row(),
        figure_row(period_start="30/09/2020", period_end="2020-10"),
        figure_row(source_date="Sept 2020", period_start="2019-11"),
        figure_row(period_start="2020", period_end="2020-12-31"),
    ]
    sheet = read(write_csv(tmp_path / "dates.csv", rows))
    assert [row for row, _ in sheet.rows] == [2, 5]
    assert errors_by_row(sheet) == {
        3: [
            (
                "period_start",
                "period_start is not a date we can read; write YYYY, YYYY-MM or YYYY-MM-DD "
                "(here: 2020-09-30)",
            )
        ],
        4: [
            (
                "source_date",
                "source_date is not a date we can read; write YYYY, YYYY-MM or YYYY-MM-DD (here: 2020-09)",
            )
        ],
    }
    precisions = [
        item.period_start.precision
        for _, item in sheet.rows
        if isinstance(item, FigureInput) and item.period_start
    ]
    assert precisions == [Precision.MONTH, Precision.YEAR]


def test_a_duplicate_row_is_reported_on_the_later_row_naming_the_earlier(tmp_path: Path) -> None:
    rows = [
        figure_row(),
        figure_row(value="9477", unit="count"),
        figure_row(),
        figure_row(value="48"),
        figure_row(measure=MEASURE.upper(), evidence="quoted"),
    ]
    sheet = read(write_csv(tmp_path / "dupes.csv", rows))
    assert [row for row, _ in sheet.rows] == [2, 3]
    same = "measure, unit, period, geography and source are the same as row 2 but with"
    assert sheet.errors == [
        RowError(4, "measure", "measure repeats row 2 exactly"),
        RowError(5, "measure", f"{same} value 52 there and 48 here; keep the right one"),
        RowError(6, "measure", f"{same} other details; keep the right one"),
    ]


def test_duplicate_quotes_are_caught_whatever_their_quote_marks(tmp_path: Path) -> None:
    curly = "“Facebook is willingly turning back the clock on children’s safety”"
    rows = [quote_row(), quote_row(text=curly)]
    sheet = read(write_csv(tmp_path / "quotes.csv", rows), "quote")
    assert sheet.errors == [RowError(3, "text", "text repeats the quote by the same speaker in row 2")]


def test_a_slack_mention_in_a_cell_rejects_that_row_only(tmp_path: Path) -> None:
    rows = [figure_row(), figure_row(geography="Scotland", evidence="<!channel> look at this")]
    sheet = read(write_csv(tmp_path / "ping.csv", rows))
    assert len(sheet.rows) == 1
    [error] = sheet.errors
    assert (error.row, error.column) == (3, "evidence")
    assert error.message.startswith("evidence contains the Slack mention <!channel>")


def test_blank_rows_are_skipped_but_still_counted_in_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    line = ",".join(figure_row().values())
    other = ",".join(figure_row(geography="Wales").values())
    path.write_text(",".join(FIGURE_COLUMNS) + f"\n{line}\n\n,,,,\n{other}\n\n", encoding="utf-8")
    sheet = read(path)
    assert [row for row, _ in sheet.rows] == [2, 5] and sheet.errors == []


def test_a_quoted_cell_with_line_breaks_is_one_row(tmp_path: Path) -> None:
    rows = [figure_row(evidence="First line.\nSecond line."), figure_row(geography="Wales", value="x")]
    sheet = read(write_csv(tmp_path / "multiline.csv", rows))
    assert [row for row, _ in sheet.rows] == [2]
    assert [error.row for error in sheet.errors] == [3]  # the row a person sees, not the line number


def test_rejected_rows_are_written_beside_the_input_with_an_error_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "batch.csv", [figure_row(), figure_row(value="52 percent", unit="pc")])
    sheet = read(path)
    out = write_bad_rows(path, sheet.bad)
    assert out == tmp_path / "batch.rejected.csv"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read it as UTF-8
    rejected = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(rejected.columns) == [*FIGURE_COLUMNS, "error"]
    assert rejected["value"].tolist() == ["52 percent"]
    assert rejected["error"].tolist() == [
        "row 3: value is not a number; put 52 in value and percent in unit; "
        "unit must be one of percent, count, gbp, usd, eur, ratio (did you mean percent?)"
    ]


def test_a_fixed_rejected_file_imports_as_it_is(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "batch.csv", [figure_row(value="52 percent")])
    out = write_bad_rows(path, read(path).bad)
    fixed = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    fixed.loc[0, "value"] = "52"
    fixed.to_csv(out, index=False)
    assert len(read(out).rows) == 1


def test_progress_is_reported_as_rows_are_read(tmp_path: Path) -> None:
    rows = [figure_row(geography=f"area {n}") for n in range(2500)]
    path = write_csv(tmp_path / "many.csv", rows)
    seen: list[tuple[int, int]] = []
    read_sheet(path, "figure", lambda done, total: seen.append((done, total)), today=TODAY)
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def _xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    formats: dict[str, str] | None = None,
    sheet_title: str = "Sheet1",
) -> Path:
    """A workbook as Excel itself would hold it: numbers, percent cells and dates, not just text."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for cell_name, number_format in (formats or {}).items():
        sheet[cell_name].number_format = number_format
    book.save(path)
    return path


def _excel_row(**changes: object) -> list[object]:
    values: dict[str, object] = {**figure_row(), **changes}
    return [values[name] for name in FIGURE_COLUMNS]


def test_a_good_xlsx_with_number_percent_and_date_cells_is_read_as_shown(tmp_path: Path) -> None:
    rows = [
        _excel_row(value=52),
        _excel_row(value=0.52, geography="Wales"),  # shown as 52% by its format
        _excel_row(value=9477, unit="count", source_date=datetime(2021, 3, 26)),
        _excel_row(value=2.5, unit="ratio", period_start=2019, period_end=2020),
    ]
    path = _xlsx(tmp_path / "excel.xlsx", FIGURE_COLUMNS, rows, {"A3": "0%", "L4": "dd/mm/yyyy"})
    sheet = read(path)
    assert sheet.errors == []
    figures = [item for _, item in sheet.rows if isinstance(item, FigureInput)]
    assert [figure.value for figure in figures] == [Decimal(52), Decimal(52), Decimal(9477), Decimal("2.5")]
    assert figures[2].source_date == PartialDate(date(2021, 3, 26), Precision.DAY)
    assert figures[3].period_start == PartialDate(date(2019, 1, 1), Precision.YEAR)


def test_excel_cells_whose_meaning_excel_blurred_are_refused_per_cell(tmp_path: Path) -> None:
    rows = [
        _excel_row(period_start=datetime(2019, 10, 1)),  # typed 2019-10, Excel made it a date shown "Oct-19"
        _excel_row(value=0.523, geography="Wales"),  # shown as 52% but holds 52.3%
        _excel_row(value=52.345, geography="Scotland"),  # shown as 52.3
        _excel_row(source_date=datetime(2021, 3, 26, 14, 30), geography="NI"),
    ]
    formats = {"D2": "mmm-yy", "A3": "0%", "A4": "0.0", "L5": "yyyy-mm-dd hh:mm"}
    sheet = read(_xlsx(tmp_path / "blurred.xlsx", FIGURE_COLUMNS, rows, formats))
    assert sheet.rows == []
    found = {(error.row, error.column): error.message for error in sheet.errors}
    assert list(found) == [(2, "period_start"), (3, "value"), (4, "value"), (5, "source_date")]
    assert (
        "can't tell if 2019-10 or 2019-10-01 was meant; format the column as Text"
        in found[(2, "period_start")]
    )
    assert "shows 52% but holds 52.3%" in found[(3, "value")]
    assert "shows 52.3 but holds 52.345" in found[(4, "value")]
    assert "holds a date and time" in found[(5, "source_date")]


def test_xlsx_row_numbers_count_blank_rows_as_excel_shows_them(tmp_path: Path) -> None:
    bad = _excel_row(value="52 percent", geography="Wales")
    rows = [_excel_row(), [], [], bad, [], _excel_row(geography="NI")]
    sheet = read(_xlsx(tmp_path / "gaps.xlsx", FIGURE_COLUMNS, rows))
    assert [row for row, _ in sheet.rows] == [2, 7]
    assert [(error.row, error.column) for error in sheet.errors] == [(5, "value")]


@pytest.mark.parametrize("title", ["Figures", "figure"])  # the name exports write, or the kind itself
def test_a_workbook_sheet_named_like_the_import_is_preferred(tmp_path: Path, title: str) -> None:
    path = _xlsx(tmp_path / "two.xlsx", ["notes"], [["read me first"]], sheet_title="About")
    book = openpyxl.load_workbook(path)
    figures = book.create_sheet(title)
    figures.append(list(FIGURE_COLUMNS))
    figures.append(_excel_row())
    book.save(path)
    assert len(read(path).rows) == 1


def test_an_xlsx_header_only_says_no_rows(tmp_path: Path) -> None:
    assert sheet_error(_xlsx(tmp_path / "empty.xlsx", FIGURE_COLUMNS, [])).startswith("no rows")


def _figure(**changes: str) -> FigureInput:
    result = validate_figure(figure_row(**changes), today=TODAY)
    assert isinstance(result, FigureInput), result
    return result


def _tricky_figures() -> list[FigureInput]:
    return [
        _figure(),
        _figure(
            value="9,477",
            unit="count",
            entities="Meta;Instagram;WhatsApp",
            source_url="https://example.org/a?b=1&c=2",
        ),
        _figure(value="52.50", measure='share "quoted", with commas; and semicolons', geography="Wales"),
        _figure(
            value="-3.25",
            unit="gbp",
            measure="fall in funding per pupil",
            source_date="2021",
            evidence="Line one.\nLine two, with a comma.\n\tIndented.",
            period_start="",
            period_end="",
        ),
        _figure(
            value="0.2",
            unit="ratio",
            measure="ratio of café visits – ünïcode £€",
            geography="",
            entities="",
            topics="",
            source_title="Title",
            source_publisher="",
        ),
        _figure(
            value="1234567.89",
            unit="eur",
            measure="budget",
            period_start="2020-01-01",
            period_end="2020-12-31",
            source_date="2021-03-26",
        ),
    ]


def _tricky_quotes() -> list[QuoteInput]:
    raws = [
        quote_row(),
        quote_row(
            text='He said "no", then:\nleft.',
            speaker="Zoë O'Neil",
            speaker_role="",
            said_on="2020",
            topics="a;b",
            source_url="https://example.org/q",
        ),
        quote_row(text="Short", speaker="A", speaker_org="", said_on="2019-05", source_title="Hansard"),
    ]
    quotes = [validate_quote(raw, today=TODAY) for raw in raws]
    assert all(isinstance(quote, QuoteInput) for quote in quotes), quotes
    return [quote for quote in quotes if isinstance(quote, QuoteInput)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_figures_written_and_read_back_are_unchanged(tmp_path: Path, suffix: str) -> None:
    figures = _tricky_figures()
    path = write_sheet(figures, tmp_path / f"export{suffix}")
    if suffix == ".csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbfvalue,unit,")
    sheet = read(path)
    assert sheet.errors == []
    assert [item for _, item in sheet.rows] == figures
    assert [item.value.as_tuple() for _, item in sheet.rows if isinstance(item, FigureInput)] == [
        figure.value.as_tuple()
        for figure in figures  # 52.50 stays 52.50, not 52.5
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_quotes_written_and_read_back_are_unchanged(tmp_path: Path, suffix: str) -> None:
    quotes = _tricky_quotes()
    path = write_sheet(quotes, tmp_path / f"export{suffix}")
    sheet = read(path, "quote")
    assert sheet.errors == []
    assert [item for _, item in sheet.rows] == quotes


def test_an_xlsx_export_formats_cells_as_text_so_excel_keeps_typed_dates(tmp_path: Path) -> None:
    path = write_sheet(_tricky_figures(), tmp_path / "export.xlsx")
    sheet = openpyxl.load_workbook(path)["figures"]
    assert sheet["D2"].value == "2019-10" and sheet["D2"].number_format == "@"
    assert sheet["D500"].number_format == "@"  # rows a person adds later are text too


def test_to_frame_has_exactly_the_import_columns_as_text() -> None:
    frame = to_frame(_tricky_figures())
    assert list(frame.columns) == list(all_columns("figure"))
    assert frame.loc[1, "value"] == "9477" and frame.loc[1, "entities"] == "Meta;Instagram;WhatsApp"
    assert frame.loc[3, "period_start"] == "" and frame.loc[5, "source_date"] == "2021-03-26"
    assert list(to_frame([], "quote").columns) == list(QUOTE_COLUMNS)


def test_writing_needs_a_known_extension_and_a_kind_for_no_items(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"can only write \.csv or \.xlsx"):
        write_sheet(_tricky_figures(), tmp_path / "export.ods")
    with pytest.raises(ValueError, match="pass kind"):
        to_frame([])


@pytest.mark.slow
def test_a_100000_row_csv_parses_and_reports_its_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = 100_000
    path = write_sheet(
        [_figure(geography=f"area {n}", value=f"{n % 100}") for n in range(1000)], tmp_path / "seed.csv"
    )
    seed = path.read_text(encoding="utf-8-sig").splitlines()
    header, body = seed[0], seed[1:]
    big = tmp_path / "big.csv"
    big.write_text(
        header
        + "\n"
        + "\n".join(
            line.replace("area ", f"area {block}-", 1) for block in range(rows // len(body)) for line in body
        )
        + "\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    sheet = read_sheet(big, "figure", today=TODAY)
    elapsed = time.perf_counter() - started
    assert len(sheet.rows) == rows and sheet.errors == []
    with capsys.disabled():
        print(f"\n100,000-row CSV: {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s")
