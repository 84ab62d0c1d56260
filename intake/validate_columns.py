"""Checking a chunk of spreadsheet rows column by column: the rows it proves valid, as validate_figure and
validate_quote would return them, and None for every other row, which the caller checks row by row.

A sheet's columns repeat (units, dates, places, sources, lists) or are plain text that needs no cleaning,
so each column is read once per chunk: a text column in one pass over its joined cells when none of them
needs cleaning, every other cell once per distinct text, through the same memoised readers `_Reader` uses
(intake.validate). Only rows with no problem at all come out of here; a row with any problem, or anything
this module does not prove (an embargo, a percent outside 0 to 100, ...), is None, so every message, its
order and the field it names come from the row-by-row check, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar, cast

from intake.numbers import parse_value
from intake.urls import url_key
from intake.validate import (
    LIMITS,
    _cleaned,
    _date,
    _iso,
    _listed,
    _loose,
    _read_field,
    _unit,
    _url,
    natural_key,
)
from storage import ascii_words
from storage.inputs import FigureInput, QuoteInput
from storage.partial_date import PartialDate

__all__ = ["figures", "natural_keys", "quotes"]

Cells = Sequence[str]
_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)
_I = TypeVar("_I", FigureInput, QuoteInput)

# Anything that clean_text would change or refuse in a cell: whitespace other than single spaces between
# words, the invisible and odd-space characters it removes or replaces, control and direction characters,
# Slack's "<" markup and a leading "=". Cells are joined by "\n" (and checked to hold none themselves).
_NEEDS_CLEANING = re.compile(
    r"[^\S \n]|  |^ | $|^=|<|[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]",
    re.MULTILINE,
)
# The same for ASCII text: its control characters, and what else clean_text would change or refuse.
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_ASCII_MARKS = ("  ", "\n ", " \n", "\n=", "<")
# A whole number as people type it ("9477", "9,477"): the same number for every unit, so no sign, currency,
# percent or decimal point for parse_value to weigh against the unit.
_WHOLE = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+")


def figures(
    rows: Sequence[Sequence[str]], columns: Sequence[tuple[int, str]], today: date
) -> list[FigureInput | None]:
    """Each row's FigureInput where the whole row is proven valid column by column, else None.

    `rows` are a chunk's cells and `columns` the (position, field) of each named column; a field the sheet
    has no column for reads as empty, as in validate_figure."""
    chunk = _Chunk.of(rows, columns)
    if chunk is None:
        return [None] * len(rows)
    units = chunk.read(
        _per_distinct(chunk["unit"], lambda typed: _read_field("unit", typed, _unit, None, True, True))
    )
    values = chunk.read(_values(chunk["value"], units))
    measures = chunk.read(_texts("measure", chunk["measure"], required=True))
    starts = chunk.read(_dates("period_start", chunk["period_start"], None))
    ends = chunk.read(_dates("period_end", chunk["period_end"], None))
    chunk.failed |= _periods_out_of_order(starts, ends)
    geographies = chunk.read(_texts("geography", chunk["geography"]))
    entities = chunk.read(_lists("entities", chunk["entities"]))
    topics = chunk.read(_lists("topics", chunk["topics"]))
    titles, publishers, urls, dated = _sources(chunk, "source_date", today)
    evidence = chunk.read(_texts("evidence", chunk["evidence"]))
    producers = chunk.read(_texts("producer", chunk["producer"]))
    primary_urls = chunk.read(_urls("primary_source_url", chunk["primary_source_url"]))
    notes = chunk.read(_texts("notes", chunk["notes"]))
    return chunk.proven(
        map(
            FigureInput, values, units, measures, starts, ends, geographies, entities, topics, titles,
            publishers, urls, dated, evidence, producers, primary_urls, notes,
        )
    )  # fmt: skip


def quotes(
    rows: Sequence[Sequence[str]], columns: Sequence[tuple[int, str]], today: date
) -> list[QuoteInput | None]:
    """Each row's QuoteInput where the whole row is proven valid column by column, else None."""
    chunk = _Chunk.of(rows, columns)
    if chunk is None:
        return [None] * len(rows)
    texts = chunk.read(_texts("text", chunk["text"], required=True))
    speakers = chunk.read(_texts("speaker", chunk["speaker"], required=True))
    roles = chunk.read(_texts("speaker_role", chunk["speaker_role"]))
    organisations = chunk.read(_texts("speaker_org", chunk["speaker_org"]))
    topics = chunk.read(_lists("topics", chunk["topics"]))
    titles, publishers, urls, said = _sources(chunk, "said_on", today)
    return chunk.proven(
        map(QuoteInput, texts, speakers, roles, organisations, said, topics, titles, publishers, urls)
    )


class _Chunk:
    """A chunk's cells by field, and the rows found to fail so far (any check of any column)."""

    def __init__(self, cells: dict[str, Cells], size: int) -> None:
        self._cells = cells
        self._size = size
        self.failed: set[int] = set()

    @classmethod
    def of(cls, rows: Sequence[Sequence[str]], columns: Sequence[tuple[int, str]]) -> _Chunk | None:
        """None if any cell is not text (the row-by-row check says what it is)."""
        cells = _transposed(rows, columns)
        return None if cells is None else cls(cells, len(rows))

    def __getitem__(self, field: str) -> Cells:
        """A field's cells; all empty where the sheet has no column for it, as in validate."""
        return self._cells.get(field) or ("",) * self._size

    def read(self, found: tuple[list[_T], set[int]]) -> list[_T]:
        """A column's values, its failed rows noted."""
        values, bad = found
        self.failed |= bad
        return values

    def proven(self, items: Iterable[_I]) -> list[_I | None]:
        """The items of the rows nothing failed, None for the others. An embargo is read against the moment
        now, row by row, so a row with one is left to validate too."""
        found: list[_I | None] = list(items)
        for index in self.failed | _typed(self["embargo"]):
            found[index] = None
        return found


def _transposed(rows: Sequence[Sequence[str]], columns: Sequence[tuple[int, str]]) -> dict[str, Cells] | None:
    """Each named column's cells; None if any cell is not text (the row-by-row check says what it is)."""
    if not rows:
        return {}
    width = max((position for position, _ in columns), default=-1) + 1
    if min(map(len, rows)) < width:  # a workbook's short rows: the missing cells read as empty
        rows = [[*row, *[""] * (width - len(row))] for row in rows]
    everything: list[tuple[str, ...]] = list(zip(*rows, strict=False))
    cells: dict[str, Cells] = {name: everything[position] for position, name in columns}
    try:
        for column in cells.values():
            "".join(column)  # refuses anything but text, without a call per cell
    except TypeError:
        return None
    return cells


def _per_distinct(
    cells: Sequence[_K], read: Callable[[_K], tuple[_T, str | None]]
) -> tuple[list[_T], set[int]]:
    """`read(cell)` once per distinct cell: each row's value, and the rows whose cell has a problem."""
    found = {cell: read(cell) for cell in set(cells)}
    problems = {cell for cell, (_, problem) in found.items() if problem is not None}
    values = [found[cell][0] for cell in cells]
    return values, ({i for i, cell in enumerate(cells) if cell in problems} if problems else set())


def _as_typed(cells: Cells, limit: int) -> bool:
    """Whether every cell is already what clean_text makes of it (and within `limit`): a few scans of the
    column joined, no call per cell."""
    joined = "\n".join(cells)
    if joined.count("\n") != len(cells) - 1 or max(map(len, cells), default=0) > limit:
        return False
    if not joined.isascii():
        return _NEEDS_CLEANING.search(joined) is None
    # Plain ASCII, as most cells are: substring scans in C are many times faster than the regex above.
    return not (
        _ASCII_CONTROL.search(joined)
        or any(mark in joined for mark in _ASCII_MARKS)
        or joined.startswith((" ", "="))
        or joined.endswith(" ")
    )


def _texts(field: str, cells: Cells, *, required: bool = False) -> tuple[list[str | None], set[int]]:
    """A text column as `_Reader.text` reads it: each row's text (None when empty) and the failed rows."""
    if _as_typed(cells, LIMITS[field]):
        values: list[str | None] = [cell or None for cell in cells]
        bad: set[int] = set()
    else:
        cleaned, bad = _per_distinct(cells, lambda typed: _cleaned(field, typed) if typed else ("", None))
        values = [text or None for text in cleaned]
    if required and None in values:
        bad |= {i for i, text in enumerate(values) if text is None}
    return values, bad


def _dates(field: str, cells: Cells, not_after: date | None) -> tuple[list[PartialDate | None], set[int]]:
    return _per_distinct(cells, lambda typed: _read_field(field, typed, _date, not_after, False, True))


def _urls(field: str, cells: Cells) -> tuple[list[str | None], set[int]]:
    return _per_distinct(cells, lambda typed: _read_field(field, typed, _url, None, False, True))


def _lists(field: str, cells: Cells) -> tuple[list[tuple[str, ...]], set[int]]:
    def read(typed: str) -> tuple[tuple[str, ...], str | None]:
        items, problems = _listed(field, typed)
        return items, problems[0] if problems else None

    return _per_distinct(cells, read)


def _values(cells: Cells, units: list[str | None]) -> tuple[list[Decimal | None], set[int]]:
    """Each row's value read against its row's unit; rows whose value has a problem, or that a range
    check might refuse, failed."""

    def read(pair: tuple[str, str | None]) -> tuple[Decimal | None, str | None]:
        typed, unit = pair
        if len(typed) <= 40 and _WHOLE.fullmatch(typed):
            value: Decimal | None = Decimal(typed.replace(",", ""))
            problem = None
        else:
            value, problem = _read_field("value", typed, parse_value, unit, False, False)
        if problem is None and unit is not None and value is not None and not _in_range(value, unit):
            problem = "outside what its unit holds"  # not shown: the row-by-row check words it
        return value, problem

    return _per_distinct(list(zip(cells, units, strict=True)), read)


def _in_range(value: Decimal, unit: str) -> bool:
    """Whether validate's range check passes `value` whatever the measure says (a percent outside 0 to
    100 depends on the measure's words, so is left to it)."""
    if unit == "count":
        return value >= 0 and value == value.to_integral_value()
    if unit == "ratio":
        return value >= 0
    if unit == "percent":
        return 0 <= value <= 100
    return True


def _periods_out_of_order(starts: list[PartialDate | None], ends: list[PartialDate | None]) -> set[int]:
    """Rows whose period ends before it starts, checked once per distinct pair."""
    pairs = list(zip(starts, ends, strict=True))
    wrong = {(start, end) for start, end in set(pairs) if start and end and end.last_day < start.day}
    return {i for i, pair in enumerate(pairs) if pair in wrong} if wrong else set()


def _sources(
    chunk: _Chunk, date_field: str, today: date
) -> tuple[list[str | None], list[str | None], list[str | None], list[PartialDate | None]]:
    """Title, publisher, link and date, as validate's `_source` reads them; a row naming neither title nor
    publisher failed."""
    titles = chunk.read(_texts("source_title", chunk["source_title"]))
    publishers = chunk.read(_texts("source_publisher", chunk["source_publisher"]))
    urls = chunk.read(_urls("source_url", chunk["source_url"]))
    dated = chunk.read(_dates(date_field, chunk[date_field], today))
    if None in titles and None in publishers:
        chunk.failed |= {
            i
            for i, (title, publisher) in enumerate(zip(titles, publishers, strict=True))
            if not (title or publisher)
        }
    return titles, publishers, urls, dated


def _typed(cells: Cells) -> set[int]:
    """Rows with anything in this column."""
    return {i for i, cell in enumerate(cells) if cell != ""} if any(cells) else set()


def natural_keys(items: Sequence[FigureInput | QuoteInput]) -> list[tuple[str, ...]]:
    """`natural_key` of each item, worked out a column at a time (the words of every measure at once)."""
    if all(isinstance(item, FigureInput) for item in items):
        return _figure_keys(cast("Sequence[FigureInput]", items))
    if all(isinstance(item, QuoteInput) for item in items):
        quotes = cast("Sequence[QuoteInput]", items)
        texts, speakers = _loose_all([q.text for q in quotes]), _loose_all([q.speaker for q in quotes])
        return [("quote", text, speaker) for text, speaker in zip(texts, speakers, strict=True)]
    return [natural_key(item) for item in items]


def _figure_keys(figures: Sequence[FigureInput]) -> list[tuple[str, ...]]:
    measures = _loose_all([f.measure for f in figures])
    places = _loose_all([f.geography or "" for f in figures])
    days = {day: _iso(day) for day in {*(f.period_start for f in figures), *(f.period_end for f in figures)}}
    cited = [(f.source_url, f.source_title, f.source_publisher, f.source_date) for f in figures]
    sources = {source: _source_key(*source) for source in set(cited)}
    return [
        ("figure", measure, f.unit, days[f.period_start], days[f.period_end], place, *sources[source])
        for f, measure, place, source in zip(figures, measures, places, cited, strict=True)
    ]


def _source_key(
    url: str | None, title: str | None, publisher: str | None, dated: PartialDate | None
) -> tuple[str, ...]:
    """The source part of a figure's natural key, as natural_key words it."""
    if url:
        return ("url", url_key(url))
    if title:
        return ("title", _loose(title))
    return ("publisher", _loose(publisher or ""), _iso(dated))


# What `_loose` drops from ASCII text, the "\n" between cells kept.
_ASCII_NON_WORD = ascii_words.blanking(keep="%$")


def _loose_all(texts: list[str]) -> list[str]:
    """`_loose` of each text, a column at a time (storage.ascii_words)."""
    return ascii_words.keys(texts, _ASCII_NON_WORD, _loose)
