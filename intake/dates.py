"""Reading typed dates as PartialDate, and telling people how to rewrite the ones we won't guess at."""

from __future__ import annotations

import re
from datetime import date

from intake.cleaning import Invalid
from storage.partial_date import PartialDate

FORMAT_HINT = "write YYYY, YYYY-MM or YYYY-MM-DD"
EARLIEST_YEAR = 1800  # older years are almost always typos ("0202", "1020") in this work

_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december"),
), start=1) for name in names}  # fmt: skip
_NUMERIC_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_SLASHED_ISO = re.compile(r"(\d{4})[/.](\d{1,2})(?:[/.](\d{1,2}))?")
_SHORT_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"([a-z]+)\.?[\s\-/]*(\d{4})", re.IGNORECASE)
_YEAR_SPAN = re.compile(r"(\d{4})\s*[/\-–]\s*(\d{2}|\d{4})")
_QUARTER = re.compile(r"q[1-4]\s*\d{4}|\d{4}\s*q[1-4]", re.IGNORECASE)
_ISO_SHAPE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")


def parse_date(typed: str, *, not_after: date | None = None) -> PartialDate:
    """A PartialDate at the precision typed; `not_after` refuses dates past it (a source can't be future)."""
    text = typed.strip()
    try:
        parsed = PartialDate.parse(text)
    except ValueError:
        raise Invalid(_explain(text)) from None
    if parsed.day.year < EARLIEST_YEAR:
        raise Invalid(f"has the year {parsed.day.year}, which looks like a typo ({text}); {FORMAT_HINT}")
    if not_after and parsed.day > not_after:
        raise Invalid(f"is in the future ({text})")
    return parsed


def _explain(text: str) -> str:
    """Why `text` isn't accepted, with the rewritten date when there is exactly one way to read it."""
    if _is_span(text):
        return (
            f"is a span ({text}), not a date; put its first month in period_start and its last in "
            f"period_end ({FORMAT_HINT})"
        )
    if _ISO_SHAPE.fullmatch(text):
        return f"is not a real date ({text})"
    rewrite = _unambiguous(text)
    if rewrite == "ambiguous":
        return f"could be day-first or month-first ({text}); {FORMAT_HINT}"
    if rewrite:
        return f"is not a date we can read; {FORMAT_HINT} (here: {rewrite})"
    return f"is not a date we can read ({text!r}); {FORMAT_HINT}"


def _is_span(text: str) -> bool:
    """A quarter or a year span such as a financial year: "2019/20", "2019-2020", "Q3 2020"."""
    if _QUARTER.fullmatch(text):
        return True
    match = _YEAR_SPAN.fullmatch(text)
    if not match:
        return False
    first, second = int(match.group(1)), match.group(2)
    return int(second) == (first + 1 if len(second) == 4 else (first + 1) % 100)


def _unambiguous(text: str) -> str | None:
    """The ISO spelling of a date written another way, "ambiguous" if it has two readings, else None."""
    if match := _DATETIME.fullmatch(text):
        return match.group(1)
    if match := _NUMERIC_DMY.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        if first > 12 >= second:
            return _iso(year, second, first)
        if second > 12 >= first:
            return _iso(year, first, second)  # American month-first
        return "ambiguous" if first != second else _iso(year, first, second)
    if iso_like := _SLASHED_ISO.fullmatch(text) or _SHORT_ISO.fullmatch(text):
        day = iso_like.group(3)
        return _iso(int(iso_like.group(1)), int(iso_like.group(2)), int(day) if day else None)
    if named := _DAY_MONTH_YEAR.fullmatch(text):
        return _named(named.group(3), named.group(2), named.group(1))
    if named := _MONTH_DAY_YEAR.fullmatch(text):
        return _named(named.group(3), named.group(1), named.group(2))
    if named := _MONTH_YEAR.fullmatch(text):
        return _named(named.group(2), named.group(1), None)
    return None


def _named(year: str, month_name: str, day: str | None) -> str | None:
    month = _MONTHS.get(month_name.casefold())
    return _iso(int(year), month, int(day) if day else None) if month else None


def _iso(year: int, month: int, day: int | None) -> str | None:
    """The ISO text if it names a real date, else None (so we never suggest an impossible date)."""
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")
