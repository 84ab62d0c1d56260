"""The column-wise check of a chunk of rows gives exactly what the row-by-row check gives, on odd cells too.

A row the column-wise check proves valid must come out as the very FigureInput or QuoteInput that
validate_figure or validate_quote returns for it (value digits, precision and all); a row it cannot prove is
None, and the row-by-row check words its problems. Each table below puts one odd cell into an otherwise good
row, alone and amid other rows, and compares the two; the real corpus is compared whole.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from bot.search_eval import CORPUS, corpus_missing, read_rows
from intake import spreadsheet, validate_columns
from intake.cleaning import clean_text
from intake.columns import FIGURE_COLUMNS, FIGURE_OPTIONAL_COLUMNS, IMPORT_ONLY_COLUMNS, QUOTE_COLUMNS
from intake.formulas import unguard
from intake.spreadsheet import RowError, read_sheet
from intake.validate import LIMITS, MULTILINE, natural_key, validate_figure, validate_quote
from storage.inputs import FigureInput, QuoteInput

TODAY = date(2025, 6, 1)
FIGURE_FIELDS = FIGURE_COLUMNS + FIGURE_OPTIONAL_COLUMNS + IMPORT_ONLY_COLUMNS
QUOTE_FIELDS = QUOTE_COLUMNS + IMPORT_ONLY_COLUMNS

GOOD_FIGURE = {
    "value": "52", "unit": "percent", "measure": "share of offences that took place on apps owned by Meta",
    "period_start": "2019-10", "period_end": "2020-09", "geography": "UK", "entities": "Meta;Instagram",
    "topics": "online child sexual abuse;encryption", "source_title": "Facebook's encryption plans",
    "source_publisher": "The Independent", "source_url": "https://www.independent.co.uk/news/a1",
    "source_date": "2021-03", "evidence": "Just over half (52%) took place on apps owned by Facebook.",
    "producer": "NSPCC", "primary_source_url": "", "notes": "", "embargo": "",
}  # fmt: skip
GOOD_QUOTE = {
    "text": "Facebook is willingly turning back the clock on children's safety", "speaker": "Andy Burrows",
    "speaker_role": "Head of child safety online policy", "speaker_org": "NSPCC", "said_on": "2021-03-26",
    "topics": "encryption", "source_title": "", "source_publisher": "The Telegraph", "source_url": "",
    "embargo": "",
}  # fmt: skip

# Cells that clean_text keeps, changes or refuses: every kind of space and invisible character, controls,
# direction marks, Slack markup, formulas, non-ASCII words, lengths at and past the limits.
ODD_TEXTS = [
    "", " ", "plain words", " leading", "trailing ", "two  spaces", "tab\there", "line\nbreak", "cr\rhere",
    "crlf\r\nhere", "no-break\u00a0space", "thin\u2009space", "narrow\u202fspace", "ideographic\u3000space",
    "zero\u200bwidth", "soft\u00adhyphen", "word\u2060joiner", "byte\ufefforder", "bidi\u202eevil",
    "isolate\u2066x\u2069", "ctrl\x01char", "delete\x7fchar", "c1\x85next", "vertical\x0btab", "form\x0cfeed",
    "file\x1cseparator", "line\u2028separator", "<!channel> look", "<@U123> hi", "<https://x.example|label>",
    "a < b", "a <b> c", "=SUM(A1)", "=", "'=guarded", "+44 20", "-", "@handle", "café crème", "£5 million",
    "“curly quotes”", "emoji 😀 here", "Ελληνικά", "x" * 200, "x" * 201, "x" * 500, "x" * 501, "y" * 3000,
    "y" * 3001, "multi\n\nparagraph", "trailing line \nnext", "\nleading newline", "ends with newline\n",
]  # fmt: skip
ODD_VALUES = [
    "52", "9,477", "9477", "1 234", "9.477", "9.477,5", "0", "000", "0.0", "-0", "-12", "+5", "- 5", "--5",
    "52%", "52 %", "£5", "$5", "€5", "-£5", "£-5", "1.2m", "5 million", "1e6", "(5)", "5-10", "5 to 10",
    "n/a", "N/A", "", " ", "tbc", "12.50", "0.5", ".5", "101", "100", "100.0", "100.01", "-100", "-101",
    "-50", "5.5", "3,000.5", "9,47", "1,2345", "12,345,678", "1" * 40, "1" * 41, "1,111" * 10,
    "\u0663", "\u0661\u0662", "\u22125", "\u00a05", "5\u00a0000", "1\u202f234", "about 5", "5 people",
]  # fmt: skip
ODD_UNITS = ["count", "percent", "Percent", " count ", "%", "per cent", "gbp", "£", "usd", "eur", "ratio",
             "people", "", "counts", "x" * 201]  # fmt: skip
ODD_DATES = [
    "2020", "2020-09", "2020-09-30", "2020-9", "2020-02-30", "2020-13", "Sep 2020", "30/09/2020",
    "09/30/2020", "2019/20", "2019-2020", "Q3 2020", "1799", "0202", "2999", "2025-06-02", "2025-06-01", "",
    " 2020 ", "2020-09-30 00:00", "yesterday",
]  # fmt: skip
ODD_LISTS = [
    "", "Meta", "Meta;Instagram", "meta;Meta", " ; ;", "Meta ; Instagram", "a" * 100, "a" * 101,
    ";".join(f"n{i}" for i in range(30)), ";".join(f"n{i}" for i in range(31)), "<!here>;Meta", "x;=y",
    "tab\there;b", "café;Café",
]  # fmt: skip
ODD_URLS = [
    "", "https://bbc.co.uk/news", "http://bbc.co.uk", "www.bbc.co.uk", "bbc.co.uk", "https://bbc.co.uk@evil.example",
    "https://", "http://x y", "https://bücher.de/x", "https://127.0.0.1/a", "ftp://x.org", "https://a.b:99999/",
    "https://a.b/" + "p" * 2000, " https://bbc.co.uk/padded ", "https://x.example/<a>",
]  # fmt: skip
ODD_EMBARGOES = ["", "2999-01-01 09:00", "yesterday", "2020-01-01 09:00"]
CHANGE_MEASURES = ["increase in referrals", "fall in offences", "share of referrals", "rise"]


def odd_cells(field: str) -> list[str]:
    if field == "value":
        return ODD_VALUES
    if field == "unit":
        return ODD_UNITS
    if field in ("period_start", "period_end", "source_date", "said_on"):
        return ODD_DATES
    if field in ("entities", "topics"):
        return ODD_LISTS
    if field in ("source_url", "primary_source_url"):
        return ODD_URLS
    if field == "embargo":
        return ODD_EMBARGOES
    return ODD_TEXTS


def odd_rows(good: dict[str, str], fields: Sequence[str]) -> list[dict[str, str]]:
    """The good row with one field replaced by each odd cell in turn, and some pairs that only fail together."""
    rows = [good | {field: cell} for field in fields for cell in odd_cells(field)]
    if "value" in good:
        rows += [
            good | {"value": value, "unit": unit, "measure": measure}
            for value, unit, measure in itertools.product(ODD_VALUES, ODD_UNITS[:11], CHANGE_MEASURES)
        ]
        rows += [
            good | {"period_start": start, "period_end": end}
            for start, end in itertools.product(ODD_DATES, ODD_DATES)
        ]
    rows += [good | {"source_title": title, "source_publisher": publisher} for title in ("", " ", "T")
             for publisher in ("", " ", "P", "<!here>")]  # fmt: skip
    return rows


def as_grid(
    rows: list[dict[str, str]], fields: Sequence[str]
) -> tuple[list[list[str]], list[tuple[int, str]]]:
    return [[row[field] for field in fields] for row in rows], list(enumerate(fields))


def assert_same(
    proven: Sequence[FigureInput | QuoteInput | None],
    rows: list[dict[str, str]],
    kind: str,
    today: date = TODAY,
) -> int:
    """Every proven row is what the row-by-row check returns for it; how many were proven."""
    validate = validate_figure if kind == "figure" else validate_quote
    for item, row in zip(proven, rows, strict=True):
        if item is not None:
            expected = validate(row, today=today)
            assert item == expected, row
            assert repr(item) == repr(expected), row  # the same digits: Decimal("52") is not Decimal("52.0")
    return sum(item is not None for item in proven)


@pytest.mark.parametrize("alone", [True, False], ids=["one row a chunk", "all in one chunk"])
def test_figures_proven_column_by_column_are_what_validate_figure_returns(alone: bool) -> None:
    rows = odd_rows(GOOD_FIGURE, FIGURE_FIELDS)
    grid, columns = as_grid(rows, FIGURE_FIELDS)
    if alone:
        proven = [item for cells in grid for item in validate_columns.figures([cells], columns, TODAY)]
    else:
        proven = validate_columns.figures(grid, columns, TODAY)
    assert len(proven) == len(rows)
    accepted = sum(isinstance(validate_figure(row, today=TODAY), FigureInput) for row in rows)
    # The check proves most rows the row-by-row check accepts (so this test compares something).
    assert assert_same(proven, rows, "figure") > accepted * 0.6


@pytest.mark.parametrize("alone", [True, False], ids=["one row a chunk", "all in one chunk"])
def test_quotes_proven_column_by_column_are_what_validate_quote_returns(alone: bool) -> None:
    rows = odd_rows(GOOD_QUOTE, QUOTE_FIELDS)
    grid, columns = as_grid(rows, QUOTE_FIELDS)
    if alone:
        proven = [item for cells in grid for item in validate_columns.quotes([cells], columns, TODAY)]
    else:
        proven = validate_columns.quotes(grid, columns, TODAY)
    accepted = sum(isinstance(validate_quote(row, today=TODAY), QuoteInput) for row in rows)
    assert assert_same(proven, rows, "quote") > accepted * 0.6


@pytest.mark.parametrize(
    ("changes", "proven"),
    [
        ({}, True),
        ({"value": "9,477", "unit": "count"}, True),
        ({"measure": "café crème served", "geography": "Île-de-France"}, True),
        ({"value": "52.5"}, True),
        ({"value": "101"}, False),  # over 100 percent: the measure's words decide, row by row
        ({"value": "101", "measure": "increase in referrals"}, False),
        ({"embargo": "2999-01-01 09:00"}, False),  # read against the moment now, row by row
        ({"measure": "two  spaces"}, True),  # cleaned, once per distinct text
        ({"measure": "<!channel> look"}, False),
        ({"value": "n/a"}, False),
        ({"period_start": "2021-01", "period_end": "2020-12"}, False),
        ({"source_title": "", "source_publisher": ""}, False),
    ],
)
def test_what_the_column_check_proves_and_what_it_leaves_to_the_row_check(
    changes: dict[str, str], proven: bool
) -> None:
    row = GOOD_FIGURE | changes
    grid, columns = as_grid([row], FIGURE_FIELDS)
    (item,) = validate_columns.figures(grid, columns, TODAY)
    assert (item is not None) == proven
    assert_same([item], [row], "figure")


def test_a_missing_optional_column_and_short_rows_read_as_empty() -> None:
    fields = [field for field in FIGURE_COLUMNS if field != "evidence"] + ["notes"]
    rows = [[GOOD_FIGURE[field] for field in fields], [GOOD_FIGURE[field] for field in fields][:-1]]
    proven = validate_columns.figures(rows, list(enumerate(fields)), TODAY)
    expected = validate_figure({field: GOOD_FIGURE[field] for field in fields} | {"notes": ""}, today=TODAY)
    assert proven == [expected, expected]


def test_a_cell_that_is_not_text_leaves_the_chunk_to_the_row_check() -> None:
    grid, columns = as_grid([GOOD_FIGURE, GOOD_FIGURE], FIGURE_FIELDS)
    grid[1][0] = 52  # type: ignore[call-overload]
    assert validate_columns.figures(grid, columns, TODAY) == [None, None]


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_a_text_column_is_taken_as_typed_only_when_clean_text_keeps_every_cell(field: str) -> None:
    for cell in ODD_TEXTS:
        for column in ([cell], [cell, "plain"], ["plain", cell, ""]):
            if validate_columns._as_typed(column, LIMITS[field]):
                assert all(
                    clean_text(c, limit=LIMITS[field], multiline=field in MULTILINE) == c for c in column
                ), (field, column)
    assert validate_columns._as_typed(["plain words", "", "café crème"], LIMITS[field])


def test_natural_keys_worked_out_by_column_are_natural_key_of_each_item() -> None:
    rows = odd_rows(GOOD_FIGURE, FIGURE_FIELDS)
    figures = [f for row in rows if isinstance(f := validate_figure(row, today=TODAY), FigureInput)]
    figures += [
        validate_figure(GOOD_FIGURE | changes, today=TODAY)  # type: ignore[misc]
        for changes in (
            {"measure": "Grooming, crimes (recorded)...", "geography": "  "},
            {"measure": "£5m_spent; 50% more $", "source_url": "", "source_title": ""},
            {"measure": "ÉCOLE école", "source_url": ""},
            {"measure": "...", "geography": "U.K."},
        )
    ]
    assert validate_columns.natural_keys(figures) == [natural_key(f) for f in figures]
    quotes = [
        q
        for row in odd_rows(GOOD_QUOTE, QUOTE_FIELDS)
        if isinstance(q := validate_quote(row, today=TODAY), QuoteInput)
    ]
    assert validate_columns.natural_keys(quotes) == [natural_key(q) for q in quotes]
    assert validate_columns.natural_keys([*figures[:2], *quotes[:2]]) == [
        natural_key(i) for i in [*figures[:2], *quotes[:2]]
    ]


def test_loose_of_a_column_is_loose_of_each_text_whatever_ascii_it_holds() -> None:
    from intake.validate import _loose

    every_ascii = [f"{c}A{c}{c}b {c} 5{c}" for c in map(chr, range(128)) if c != "\n"]
    every_ascii.append("".join(c for c in map(chr, range(128)) if c != "\n"))
    for texts in (every_ascii, ["50% of $5", "  Sexual/illicit   image (2020) ", "", "snake_case"], []):
        assert validate_columns._loose_all(texts) == [_loose(t) for t in texts], texts


@pytest.mark.skipif(corpus_missing() is not None, reason=f"real corpus absent: {corpus_missing()}")
@pytest.mark.parametrize("kind", ["figure", "quote"])
def test_the_real_corpus_reads_the_same_by_column_as_row_by_row(kind: str) -> None:
    path, today = CORPUS / f"{kind}s.csv", date.today()  # its sources are recent
    rows = read_rows(path)
    validate = validate_figure if kind == "figure" else validate_quote
    expected = [validate(row, today=today) for row in rows]
    sheet = read_sheet(path, kind, today=today)  # type: ignore[arg-type]
    assert not sheet.errors
    assert [item for _, item in sheet.rows] == expected
    fields = list(rows[0])
    grid, columns = [[row[f] for f in fields] for row in rows], list(enumerate(fields))
    check = validate_columns.figures if kind == "figure" else validate_columns.quotes
    proven = check(grid, columns, today)
    assert assert_same(proven, rows, kind, today) >= len(rows) // 2
    assert validate_columns.natural_keys(expected) == [natural_key(i) for i in expected]  # type: ignore[arg-type]


def test_a_sheet_of_odd_rows_reads_as_row_by_row_with_every_error_in_place(tmp_path: Path) -> None:
    """Over two chunks (a chunk is 1,000 rows): good rows, odd ones, blank rows and repeats across chunks."""
    rows = odd_rows(GOOD_FIGURE, FIGURE_FIELDS)
    rows = [
        row | {"measure": f"{row['measure']} {n}"} if row["measure"].strip() and n % 7 else row
        for n, row in enumerate(rows)
    ]
    blank = dict.fromkeys(FIGURE_FIELDS, "")
    sheet_rows = [*rows[:900], blank, *rows[900:], rows[1]]  # the last repeats row 3
    path = tmp_path / "odd.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(FIGURE_FIELDS))
        writer.writeheader()
        writer.writerows(sheet_rows)
    assert len(sheet_rows) > 1000
    sheet = read_sheet(path, "figure", today=TODAY)

    expected_items: list[tuple[int, FigureInput]] = []
    expected_errors: list[RowError] = []
    first: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(csv.DictReader(path.open(newline="", encoding="utf-8")), start=2):
        if not any(raw.values()):
            continue
        result = validate_figure({k: unguard(v.strip()) for k, v in raw.items()}, today=TODAY)
        if isinstance(result, list):
            expected_errors += [RowError(number, e.field, e.message) for e in result]
        elif natural_key(result) in first:
            expected_errors.append(RowError(number, "measure", f" row {first[natural_key(result)]}"))
        else:
            first[natural_key(result)] = number
            expected_items.append((number, result))
    assert sheet.rows == expected_items
    assert [(e.row, e.column) for e in sheet.errors] == [(e.row, e.column) for e in expected_errors]
    for got, wanted in zip(sheet.errors, expected_errors, strict=True):
        assert wanted.message in got.message if wanted.message.startswith(" row") else got == wanted
    assert sum(isinstance(validate_figure(r, today=TODAY), list) for r in rows) > 100


def test_a_csv_chunk_is_trimmed_a_column_at_a_time_as_cell_by_cell() -> None:
    """Reading trims every cell and takes off an export's apostrophe; a column with nothing to do is kept."""
    cells = [*ODD_TEXTS, "'=guarded", " '=guarded ", "'plain", "'+44", "\t'-1", "''=x", "x'=y", "'", "  "]
    for cell in cells:
        for column in ([cell], [cell, "plain"], ["plain", cell, ""], ["", cell]):
            assert spreadsheet._trimmed(list(column)) == [unguard(c.strip()) for c in column], column
    plain = ["plain", "", "a b", "x'y"]
    assert spreadsheet._trimmed(plain) is plain
