"""Reading the period a figure covers ("between October 2019 and September 2020", "in 2023", "2022-23")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lexicon import MONTHS

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"


@dataclass(frozen=True)
class Period:
    """A period expression, at the precision the text gives; start/end are offsets in the sentence."""

    period_start: str | None
    period_end: str | None
    start: int
    end: int


def _month(name: str) -> int:
    return MONTHS[name.lower()]


def _ym(year: str, month: str) -> str:
    return f"{year}-{_month(month):02d}"


def _ymd(year: str, month: str, day: str) -> str:
    day_number = int(re.sub(r"\D", "", day))
    return f"{year}-{_month(month):02d}-{day_number:02d}"


def _year_before(year: str, month: str, day: str | None) -> str:
    """Start of the twelve months ending at month/day of year: "year to 31 March 2023" -> 2022-04-01."""
    month_number = _month(month) % 12 + 1
    start_year = int(year) - 1 if month_number != 1 else int(year)
    if day is None:
        return f"{start_year}-{month_number:02d}"
    return f"{start_year}-{month_number:02d}-01"


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # between 20 December 2023 and 3 January 2024
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<d1>{_DAY})\s+(?P<m1>{_MONTH})\s+(?P<y1>{_YEAR})\s+(?:and|to|until)\s+(?P<d2>{_DAY})\s+(?P<m2>{_MONTH})\s+(?P<y2>{_YEAR})\b",
            re.I,
        ),
        "dmy_dmy",
    ),
    # between 4 and 18 January 2024
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<d1>{_DAY})\s+(?:and|to|-|–)\s+(?P<d2>{_DAY})\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b",
            re.I,
        ),
        "dd_my",
    ),
    # between October 2019 and September 2020
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<m1>{_MONTH})\s+(?P<y1>{_YEAR})\s+(?:and|to|until)\s+(?P<m2>{_MONTH})\s+(?P<y2>{_YEAR})\b",
            re.I,
        ),
        "my_my",
    ),
    # between March and May 2024
    (
        re.compile(
            rf"\b(?:between|from)\s+(?P<m1>{_MONTH})\s+(?:and|to|until)\s+(?P<m2>{_MONTH})\s+(?P<y>{_YEAR})\b",
            re.I,
        ),
        "m_my",
    ),
    # between 2019 and 2021
    (
        re.compile(rf"\b(?:between|from)\s+(?P<y1>{_YEAR})\s+(?:and|to|until)\s+(?P<y2>{_YEAR})\b", re.I),
        "y_y",
    ),
    # in the year to 31 March 2023 / year ending March 2023 / 12 months to June 2024
    (
        re.compile(
            rf"\b(?:year|12 months|twelve months)\s+(?:to|ending|ended|up to)\s+"
            rf"(?:(?P<d>{_DAY})\s+)?(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b",
            re.I,
        ),
        "year_to",
    ),
    # the first half of 2024, the third quarter of 2023
    (
        re.compile(
            rf"\b(?P<part>first|second|third|fourth|final|last)\s+(?P<kind>half|quarter)\s+of\s+(?P<y>{_YEAR})\b",
            re.I,
        ),
        "part",
    ),
    # the first nine months of 2021
    (
        re.compile(
            rf"\b(?P<part>first|last)\s+(?P<n>three|six|nine|3|6|9)\s+months\s+of\s+(?P<y>{_YEAR})\b", re.I
        ),
        "months_of",
    ),
    # since 2017/18: a change from the start of a UK financial year, open-ended
    (
        re.compile(rf"\bsince\s+(?:the\s+)?(?:year\s+)?(?P<y1>{_YEAR})[/–-](?P<y2>\d\d)\b", re.I),
        "since_fiscal",
    ),
    # since 2019 / since March 2020
    (re.compile(rf"\bsince\s+(?:(?P<m>{_MONTH})\s+)?(?P<y>{_YEAR})\b(?![-/–]\d)", re.I), "since"),
    # 2017/18, 2015-16: a UK police, charity or government year, April to March
    (re.compile(rf"\b(?P<y1>{_YEAR})[/–-](?P<y2>\d\d)\b(?![/-])"), "fiscal"),
    # 2022-23, 2019-2020
    (re.compile(rf"\b(?P<y1>{_YEAR})[-/–](?P<y2>\d\d(?:\d\d)?)\b"), "span"),
    # on 31 March 2023
    (re.compile(rf"\b(?P<d>{_DAY})\s+(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b", re.I), "dmy"),
    # January 2023
    (re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<y>{_YEAR})\b", re.I), "my"),
    # in 2023, during 2023, for 2023
    (re.compile(rf"\b(?:in|during|for|throughout|of)\s+(?P<y>{_YEAR})\b(?![-/–]\d)"), "y"),
]


def find_periods(sentence: str) -> list[Period]:
    """All period expressions in a sentence; an earlier, longer pattern wins over a shorter overlap."""
    found: list[Period] = []
    for pattern, kind in _PATTERNS:
        for match in pattern.finditer(sentence):
            if any(match.start() < p.end and p.start < match.end() for p in found):
                continue
            start, end = _bounds(kind, match)
            found.append(Period(start, end, match.start(), match.end()))
    return sorted(found, key=lambda p: p.start)


def _bounds(kind: str, m: re.Match[str]) -> tuple[str | None, str | None]:
    g = m.group
    if kind == "dmy_dmy":
        return _ymd(g("y1"), g("m1"), g("d1")), _ymd(g("y2"), g("m2"), g("d2"))
    if kind == "dd_my":
        return _ymd(g("y"), g("m"), g("d1")), _ymd(g("y"), g("m"), g("d2"))
    if kind == "my_my":
        return _ym(g("y1"), g("m1")), _ym(g("y2"), g("m2"))
    if kind == "m_my":
        first_year = int(g("y")) - (1 if _month(g("m1")) > _month(g("m2")) else 0)
        return _ym(str(first_year), g("m1")), _ym(g("y"), g("m2"))
    if kind == "y_y":
        return g("y1"), g("y2")
    if kind == "year_to":
        end = _ymd(g("y"), g("m"), g("d")) if g("d") else _ym(g("y"), g("m"))
        return _year_before(g("y"), g("m"), g("d")), end
    if kind == "part":
        count = 2 if g("kind").lower() == "half" else 4
        order = ["first", "second", "third", "fourth"]
        part = g("part").lower()
        index = count - 1 if part in {"final", "last"} else order.index(part)
        if index >= count:
            return g("y"), g("y")
        months = 12 // count
        return f"{g('y')}-{index * months + 1:02d}", f"{g('y')}-{(index + 1) * months:02d}"
    if kind == "months_of":
        months = {"three": 3, "six": 6, "nine": 9}.get(g("n").lower()) or int(g("n"))
        if g("part").lower() == "first":
            return f"{g('y')}-01", f"{g('y')}-{months:02d}"
        return f"{g('y')}-{12 - months + 1:02d}", f"{g('y')}-12"
    if kind == "since_fiscal":
        return f"{g('y1')}-04", None
    if kind == "fiscal" and _is_next_year(g("y1"), g("y2")):
        return f"{g('y1')}-04", f"{g('y1')[:2]}{g('y2')}-03"
    if kind == "fiscal":
        return g("y1"), g("y1")[:2] + g("y2")
    if kind == "since":
        return (_ym(g("y"), g("m")) if g("m") else g("y")), None
    if kind == "span":
        tail = g("y2")
        return g("y1"), (g("y1")[:2] + tail if len(tail) == 2 else tail)
    if kind == "dmy":
        day = _ymd(g("y"), g("m"), g("d"))
        return day, day
    if kind == "my":
        month = _ym(g("y"), g("m"))
        return month, month
    return g("y"), g("y")


def _is_next_year(first: str, tail: str) -> bool:
    return (int(first) + 1) % 100 == int(tail)


_ATTACHED = 20  # characters from the figure's start: "28 percent in 2022", "13,000 reports between"


_CHANGE_WORDS = re.compile(
    r"\b(?:rise|rose|increase|increased|fall|fell|drop|dropped|up|down|higher|lower)\b", re.I
)


def nearest_period(sentence: str, position: int, *, change: bool = False) -> tuple[str | None, str | None]:
    """The period expression closest to the figure at `position` in the sentence, or (None, None).

    A change (`change`, a percentage) between two periods runs from the start of the earlier to the
    end of the later ("a 12% rise ... in 2021-22 ... compared to 2020-21")."""
    periods = find_periods(sentence)
    if not periods:
        return None, None
    if change and len(periods) >= 2 and _CHANGE_WORDS.search(sentence[position : position + 40]):
        starts = [p.period_start for p in periods if p.period_start]
        ends = [p.period_end for p in periods if p.period_end]
        if starts and ends:
            return min(starts), max(ends)
    # A period written straight after the figure ("28 percent in 2022") belongs to it.
    following = [p for p in periods if 0 <= p.start - position <= _ATTACHED]
    if following:
        return following[0].period_start, following[0].period_end
    best = min(periods, key=lambda p: min(abs(p.start - position), abs(p.end - position)))
    return best.period_start, best.period_end
