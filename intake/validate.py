"""Turning the strings a person typed into a citable figure or quote, or saying exactly what to fix."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from intake.cleaning import Invalid, clean_text
from intake.columns import (
    FIGURE_COLUMNS,
    FIGURE_OPTIONAL_COLUMNS,
    IMPORT_ONLY_COLUMNS,
    QUOTE_COLUMNS,
    suggest,
)
from intake.dates import parse_date
from intake.errors import FieldError
from intake.numbers import UNIT_WORDS, parse_value
from intake.urls import check_url, url_key
from storage import embargo
from storage.embargo import Embargo
from storage.inputs import FigureInput, QuoteInput
from storage.models import utcnow
from storage.partial_date import PartialDate
from storage.text import UNITS

__all__ = [
    "FieldError",
    "natural_key",
    "to_raw",
    "validate_figure",
    "validate_quote",
]

# Longest accepted text per field; lists are limited per item and in number of items.
LIMITS = {
    "measure": 500, "geography": 200, "source_title": 500, "source_publisher": 200, "evidence": 3000,
    "producer": 200, "notes": 3000, "text": 3000, "speaker": 200, "speaker_role": 200,
    "speaker_org": 200, "source_url": 2000, "primary_source_url": 2000,
}  # fmt: skip
ITEM_LIMIT = 100
MAX_ITEMS = 30
MULTILINE = frozenset({"evidence", "notes", "text"})
_FIGURE_FIELDS = FIGURE_COLUMNS + FIGURE_OPTIONAL_COLUMNS + IMPORT_ONLY_COLUMNS
_QUOTE_FIELDS = QUOTE_COLUMNS + IMPORT_ONLY_COLUMNS

# Words that make a percent a change rather than a share, so it may go above 100 or below 0.
_CHANGE_WORDS = re.compile(
    r"\b(increase[sd]?|increasing|rise|rises|rising|rose|risen|grow(?:th|n|s|ing)?|grew|change[sd]?|"
    r"fall|falls|falling|fell|fallen|decrease[sd]?|decreasing|decline[sd]?|declining|drop(?:s|ped)?|"
    r"reduction|reduced|more|fewer|less|higher|lower|up|down|uplift)\b",
    re.IGNORECASE,
)


def validate_figure(raw: Mapping[str, str], *, today: date | None = None) -> FigureInput | list[FieldError]:
    """A FigureInput, or every problem found (not just the first), each naming its field.

    Required, because a figure nobody can trace is worse than none in front of an MP: `value`, `unit`,
    `measure` (what the number counts), and who said it: `source_title` or `source_publisher`. A link
    or a date (`source_url`, `source_date`) lets others find it and is shown as missing when absent;
    a publisher with a date ("The Independent", 2021-03) is a different source from the undated one.
    Everything else is optional, but whatever is filled in must be valid.

    Values: "52%" is 52 when unit is percent; "9,477" and "1 234" are read as thousands; "9.477" for a
    count is refused as a European thousands separator; words, ranges, "1.2m" and "1e6" are refused
    with the rewrite. Counts are whole and not negative; ratios are not negative. A percent must lie in
    0..100 unless `measure` says it is a change ("increase", "fall", "change", "more", ...): then it
    may exceed 100 and go down to -100, since nothing falls by more than all of it.
    `today` (default: the real today) is the latest allowed `source_date`.
    """
    read = _Reader(raw, _FIGURE_FIELDS)
    unit = read.field("unit", _unit, required=True)
    # Read even when empty, so "", "n/a" and "-" all get the same "value is missing".
    value = read.field("value", parse_value, unit, empty_ok=False)
    measure = read.text("measure", required=True)
    period_start = read.field("period_start", _date)
    period_end = read.field("period_end", _date)
    if period_start and period_end and period_end.last_day < period_start.day:
        read.fail(
            "period_end", f"period_end ({period_end.iso()}) is before period_start ({period_start.iso()})"
        )
    geography = read.text("geography")
    entities, topics = read.items("entities"), read.items("topics")
    found = _source(read, "source_date", today or date.today())
    evidence, producer, notes = read.text("evidence"), read.text("producer"), read.text("notes")
    primary_source_url = read.field("primary_source_url", _url)
    # Only a typed embargo is read: its context, the moment now, is new every row, so never remembered.
    embargoed = read.field("embargo", _embargo, utcnow()) if raw.get("embargo", "") != "" else None
    if value is not None and unit is not None:
        _check_range(read, value, unit, measure)
    if read.errors or value is None or unit is None or measure is None:
        return read.in_column_order()
    return FigureInput(
        value=value,
        unit=unit,
        measure=measure,
        period_start=period_start,
        period_end=period_end,
        geography=geography,
        entities=entities,
        topics=topics,
        source_title=found.title,
        source_publisher=found.publisher,
        source_url=found.url,
        source_date=found.dated,
        evidence=evidence,
        producer=producer,
        primary_source_url=primary_source_url,
        notes=notes,
        embargo=embargoed,
    )


def validate_quote(raw: Mapping[str, str], *, today: date | None = None) -> QuoteInput | list[FieldError]:
    """A QuoteInput, or every problem found, each naming its field.

    Required: `text`, `speaker`, and `source_title` or `source_publisher`.
    """
    read = _Reader(raw, _QUOTE_FIELDS)
    text = read.text("text", required=True)
    speaker = read.text("speaker", required=True)
    speaker_role, speaker_org = read.text("speaker_role"), read.text("speaker_org")
    topics = read.items("topics")
    found = _source(read, "said_on", today or date.today())
    embargoed = read.field("embargo", _embargo, utcnow()) if raw.get("embargo", "") != "" else None
    if read.errors or text is None or speaker is None:
        return read.in_column_order()
    return QuoteInput(
        text=text,
        speaker=speaker,
        speaker_role=speaker_role,
        speaker_org=speaker_org,
        said_on=found.dated,
        topics=topics,
        source_title=found.title,
        source_publisher=found.publisher,
        source_url=found.url,
        embargo=embargoed,
    )


def _embargo(typed: str, now: datetime) -> Embargo:
    """An embargo in the future (a past one would hide nothing and is more likely a typo). `now` is passed in,
    not read here, so the remembered parse of one typed text (`_parsed`) is never reused at a later moment."""
    try:
        return embargo.parse(typed, now)
    except embargo.Invalid as problem:
        raise Invalid(str(problem)) from problem


def natural_key(item: FigureInput | QuoteInput) -> tuple[str, ...]:
    """What makes two entries the same one, ignoring case, punctuation and spacing.

    A figure is its measure, unit, period, geography and source (address, else title, else publisher
    and date); the value is left out on purpose, so the same figure typed with two values is caught.
    Unit is in because one source often gives a count and a share for the same words.
    A quote is its words and its speaker.
    """
    if isinstance(item, QuoteInput):
        return ("quote", _loose(item.text), _loose(item.speaker))
    source: tuple[str, ...]
    if item.source_url:
        source = ("url", url_key(item.source_url))
    elif item.source_title:
        source = ("title", _loose(item.source_title))
    else:
        source = ("publisher", _loose(item.source_publisher or ""), _iso(item.source_date))
    return (
        "figure",
        _loose(item.measure),
        item.unit,
        _iso(item.period_start),
        _iso(item.period_end),
        _loose(item.geography or ""),
        *source,
    )


def to_raw(item: FigureInput | QuoteInput) -> dict[str, str]:
    """The strings that validate back to `item`: what exports write and what a form is pre-filled with."""
    if isinstance(item, QuoteInput):
        return {
            "text": item.text, "speaker": item.speaker, "speaker_role": item.speaker_role or "",
            "speaker_org": item.speaker_org or "", "said_on": _iso(item.said_on),
            "topics": ";".join(item.topics), "source_title": item.source_title or "",
            "source_publisher": item.source_publisher or "", "source_url": item.source_url or "",
        }  # fmt: skip
    return {
        "value": f"{item.value:f}", "unit": item.unit, "measure": item.measure,
        "period_start": _iso(item.period_start), "period_end": _iso(item.period_end),
        "geography": item.geography or "", "entities": ";".join(item.entities),
        "topics": ";".join(item.topics), "source_title": item.source_title or "",
        "source_publisher": item.source_publisher or "", "source_url": item.source_url or "",
        "source_date": _iso(item.source_date), "evidence": item.evidence or "",
        "producer": item.producer or "", "primary_source_url": item.primary_source_url or "",
        "notes": item.notes or "",
    }  # fmt: skip


@dataclass(frozen=True)
class _Source:
    title: str | None
    publisher: str | None
    url: str | None
    dated: PartialDate | None


def _source(read: _Reader, date_field: str, today: date) -> _Source:
    """The source fields, requiring who (title or publisher). A link or a date is not required: a source
    known only by its publisher and title (the sample's "The Independent", whose article gives neither)
    is stored as it is and answered with "no link recorded" and "date not given", never an invented one."""
    found = _Source(
        title=read.text("source_title"),
        publisher=read.text("source_publisher"),
        url=read.field("source_url", _url),
        dated=read.field(date_field, _date, today),
    )
    if not (found.title or found.publisher or read.failed("source_title", "source_publisher")):
        read.fail(
            "source_title",
            "source_title or source_publisher is needed: say who published it or what the source is called",
        )
    return found


def _unit(typed: str, _context: None = None) -> str:
    unit = typed.strip().casefold()
    if unit in UNITS:
        return unit
    guess = UNIT_WORDS.get(unit) or suggest(unit, UNITS)
    hint = f" (did you mean {guess}?)" if guess else ""
    raise Invalid(f"must be one of {', '.join(UNITS)}{hint}")


def _check_range(read: _Reader, value: Decimal, unit: str, measure: str | None) -> None:
    """Refuse numbers their unit can't hold; a percent above 100 or below 0 must say it is a change."""
    if unit == "count" and value != value.to_integral_value():
        read.fail("value", f"value {value} is not a whole number, which a count must be")
    if unit in ("count", "ratio") and value < 0:
        read.fail("value", f"value {value} is negative, which a {unit} can't be")
    if unit != "percent" or measure is None:  # without a measure we can't tell a share from a change
        return
    is_change = bool(_CHANGE_WORDS.search(measure))
    if is_change and value < -100:
        read.fail("value", f"value {value} percent is a fall of more than all of it; check the figure")
    elif not is_change and (value > 100 or value < 0):
        read.fail(
            "value",
            f"value {value} percent is outside 0 to 100, which a share must be; if it is "
            "a change, say so in measure (for example 'increase in ...' or 'fall in ...')",
        )


def _iso(day: PartialDate | None) -> str:
    return day.iso() if day else ""


@lru_cache(maxsize=16_384)  # publishers, titles and places repeat row after row
def _loose(text: str) -> str:
    """Text reduced to its words for matching: case, accents' forms, quote marks and spacing ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"[\w%£$€]+", folded))


def _date(typed: str, not_after: date | None = None) -> PartialDate:
    return parse_date(typed, not_after=not_after)


def _url(typed: str, _context: None = None) -> str:
    return check_url(typed)


_T = TypeVar("_T")


# A spreadsheet repeats units, dates, links and lists row after row: each typed text is read once per
# field, its problem (worded as shown) remembered as well as its value. The parsers are pure functions.
@lru_cache(maxsize=16_384)
def _parsed(
    field: str, typed: str, parse: Callable[[str, Any], Any], context: Hashable
) -> tuple[Any, str | None]:
    try:
        return parse(clean_text(typed, limit=LIMITS.get(field, 200)), context), None
    except Invalid as problem:
        return None, f"{field} {problem}"


def _read_field(
    field: str,
    typed: str,
    parse: Callable[[str, Any], Any],
    context: Hashable,
    required: bool,
    empty_ok: bool,
) -> tuple[Any, str | None]:
    """A typed field as `_Reader.field` reads it: (value or None, problem worded as shown). Shared with the
    column-wise check (intake.validate_columns), so both read a cell the same way."""
    typed = typed.strip()
    if not typed and empty_ok:
        return None, (f"{field} is missing" if required else None)
    return _parsed(field, typed, parse, context)


@lru_cache(maxsize=16_384)
def _cleaned(field: str, typed: str) -> tuple[str, str | None]:
    """A text field as `_Reader.text` reads it: (text, problem worded as shown). Places, publishers and
    titles repeat row after row."""
    try:
        return clean_text(typed, limit=LIMITS[field], multiline=field in MULTILINE), None
    except Invalid as problem:
        return "", f"{field} {problem}"


@lru_cache(maxsize=4_096)
def _listed(field: str, typed: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A `;`-separated list as `_Reader.items` reads it: (items, problems)."""
    kept: dict[str, str] = {}
    problems: list[str] = []
    for piece in typed.split(";"):
        try:
            item = clean_text(piece, limit=ITEM_LIMIT)
        except Invalid as problem:
            problems.append(f"{field} item {piece.strip()[:40]!r} {problem}")
            continue
        if item:
            kept.setdefault(item.casefold(), item)
    if len(kept) > MAX_ITEMS:
        problems.append(f"{field} has {len(kept)} items; the limit is {MAX_ITEMS}")
    return tuple(kept.values()), tuple(problems)


@lru_cache(maxsize=16)
def _known(fields: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fields)


class _Reader:
    """Reads fields out of the raw mapping, collecting every problem as a FieldError naming its field."""

    def __init__(self, raw: Mapping[str, str], known: tuple[str, ...]) -> None:
        self.raw = raw
        self.known = known
        self.errors: list[FieldError] = []
        known_names = _known(known)
        if raw.keys() <= known_names:  # every name known, as on every row of a good sheet
            return
        for name in raw:
            if name not in known_names:
                guess = suggest(name, known)
                hint = f" (did you mean {guess}?)" if guess else ""
                self.fail(name, f"{name} is not a field we know{hint}")

    def in_column_order(self) -> list[FieldError]:
        """Errors in the order the fields appear in a sheet or form, unknown fields first."""
        order = {name: position for position, name in enumerate(self.known)}
        return sorted(self.errors, key=lambda error: order.get(error.field, -1))

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def failed(self, *fields: str) -> bool:
        return any(error.field in fields for error in self.errors)

    def typed(self, field: str) -> str:
        """The raw string, "" when absent; anything not a string is refused rather than str()-ed."""
        typed = self.raw.get(field, "")
        if type(typed) is str:
            return typed
        if typed is None:  # a JSON null from the API means "not given"
            return ""
        if not isinstance(typed, str):
            self.fail(field, f"{field} must be text, not {type(typed).__name__}")
            return ""
        return typed

    def field(
        self, field: str, parse: Callable[[str, Any], _T], context: Hashable = None, *, required: bool = False,
        empty_ok: bool = True,
    ) -> _T | None:  # fmt: skip
        """`parse(text, context)` applied to the trimmed text, its Invalid turned into an error naming the field."""
        typed = self.raw.get(field, "")
        value, problem = _read_field(
            field, typed if type(typed) is str else self.typed(field), parse, context, required, empty_ok
        )
        if problem is not None:
            self.fail(field, problem)
        return cast("_T | None", value)

    def text(self, field: str, *, required: bool = False) -> str | None:
        """A trimmed, checked text; None when empty."""
        typed = self.raw.get(field, "")
        if type(typed) is not str:
            typed = self.typed(field)
        text, problem = _cleaned(field, typed) if typed else ("", None)
        if problem is not None:
            self.fail(field, problem)
            return None
        if not text and required:
            self.fail(field, f"{field} is missing")
        return text or None

    def items(self, field: str) -> tuple[str, ...]:
        """A `;`-separated list: pieces trimmed, empty ones dropped, repeats (any case) kept once."""
        typed = self.raw.get(field, "")
        kept, problems = _listed(field, typed if type(typed) is str else self.typed(field))
        for problem in problems:
            self.fail(field, problem)
        return kept
