"""Dates known to a year, a month or a day, as sources give them ("2020", "2020-09", "2020-09-30")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache


class Precision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date with the precision it was given at; `day` is the first day of the span it names."""

    day: date
    precision: Precision

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; raise ValueError with a readable reason otherwise."""
        return _parse(text) if cls is PartialDate else cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> PartialDate:
        match = _ISO.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = match.groups()
        try:
            if day:
                return cls(date(int(year), int(month), int(day)), Precision.DAY)
            if month:
                return cls(date(int(year), int(month), 1), Precision.MONTH)
            return cls(date(int(year), 1, 1), Precision.YEAR)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None

    @classmethod
    def parse_stored(cls, day: date | None, precision: str | None) -> PartialDate | None:
        """A date as the tables keep it: the first day and its precision (a day when unsaid)."""
        return None if day is None else cls(day, Precision(precision or Precision.DAY.value))

    @property
    def last_day(self) -> date:
        """The last day of the span this date names (31 Dec for a year, month end for a month)."""
        return _last_day(self.day, self.precision)

    def iso(self) -> str:
        """The date written at its own precision, as the spreadsheet columns take it."""
        return _iso(self.day, self.precision)

    def human(self) -> str:
        """How a person writes it: "2020", "Sep 2020", "30 Sep 2020"."""
        if self.precision is Precision.YEAR:
            return str(self.day.year)
        if self.precision is Precision.MONTH:
            return self.day.strftime("%b %Y")
        return f"{self.day.day} {self.day.strftime('%b %Y')}"


# An import asks each row's dates for these (the period check, the duplicate key): its dates repeat.
@lru_cache(maxsize=4096)
def _last_day(day: date, precision: Precision) -> date:
    if precision is Precision.YEAR:
        return date(day.year, 12, 31)
    if precision is Precision.MONTH:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


@lru_cache(maxsize=4096)
def _iso(day: date, precision: Precision) -> str:
    if precision is Precision.YEAR:
        return f"{day.year:04d}"
    if precision is Precision.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@lru_cache(maxsize=4096)  # a spreadsheet's dates repeat; PartialDate is immutable, so one may be shared
def _parse(text: str) -> PartialDate:
    return PartialDate._parse(text)


def human_period(start: PartialDate | None, end: PartialDate | None) -> str | None:
    """A period as people write it: "Oct 2019 - Sep 2020", "2020", "from Mar 2021"."""
    if start and end:
        if start == end:
            return start.human()
        return f"{start.human()} - {end.human()}"
    if end:
        return f"to {end.human()}"
    if start:
        return f"from {start.human()}"
    return None
