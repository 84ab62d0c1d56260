"""What a plain-language question states besides its topic: a place, a period, the kind of number.

"how many grooming crimes happened on Instagram last year?" asks for a count, about 2024 if today is in
2025, and leaves "grooming crimes on Instagram" to the search. These are pure functions of the text
and of an injected `today`, so answers and tests never depend on the clock. The search uses what is
parsed to boost rows (and to say what it understood); it never drops a row whose period or place is
not stored, since sources often leave them out ("last year" in an article is stored as no period).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# Place names a question may use, mapped to the name the library stores. Stored geographies the
# library holds are matched as written too (see `parse`'s `places`).
_PLACE_ALIASES: dict[str, str] = {
    "uk": "UK",
    "u.k.": "UK",
    "united kingdom": "UK",
    "britain": "UK",
    "great britain": "UK",
    "british": "UK",
    "nationally": "UK",
    "england": "England",
    "english": "England",
    "wales": "Wales",
    "welsh": "Wales",
    "scotland": "Scotland",
    "scottish": "Scotland",
    "northern ireland": "Northern Ireland",
    "ireland": "Ireland",
    "irish": "Ireland",
    "us": "US",
    "u.s.": "US",
    "usa": "US",
    "united states": "US",
    "america": "US",
    "american": "US",
    "americans": "US",
}

# Places that contain others: a figure for Wales answers a question about the UK, and a question
# about Wales is answered by a figure for "England and Wales". Kept small: the UK and its nations.
_WITHIN: dict[str, frozenset[str]] = {
    "UK": frozenset({"england", "wales", "scotland", "northern ireland", "england and wales", "great britain"}),
    "US": frozenset({"united states"}),
}

_MONEY_WORDS = frozenset(
    ["fine", "fined", "fines", "penalty", "penalties", "pay", "paid", "paying", "cost", "costs", "settlement", "settle", "worth", "spend", "spent", "refund", "refunds", "payment", "payments", "money", "pounds", "dollars", "euros"]
)
_SHARE_PATTERNS = re.compile(
    r"\b(what|which) (share|proportion|percentage|fraction|portion)\b|\bwhat per ?cent\b|\bhow many in\b|"
    r"\bpercent(age)? of\b|\bshare of\b|\bproportion of\b|\bmost\b|\bmajority\b"
)
_COUNT_PATTERNS = re.compile(r"\bhow many\b|\bnumber of\b|\bcount of\b")
_MONEY_PATTERNS = re.compile(r"\bhow much (did|does|do|was|were|is|has|have)\b|[£$€]")

_YEAR = r"(19[5-9]\d|20\d\d)"
_FINANCIAL_YEAR = re.compile(rf"\b{_YEAR}\s*[/-]\s*(\d{{2}}|\d{{4}})\b")
_SINCE = re.compile(rf"\b(since|after|from) {_YEAR}\b(?!\s*(to|-|until|and)\s*\d)")
_BETWEEN = re.compile(rf"\b(between|from) {_YEAR} (and|to|until|-) {_YEAR}\b")
_BEFORE = re.compile(rf"\b(before|until|up to) {_YEAR}\b")
_IN_YEAR = re.compile(rf"\b{_YEAR}\b")
_RELATIVE = re.compile(r"\b(last|this|past|previous) (year|12 months|twelve months)\b|\blast (\d+|two|three|five) years\b")
_NUMBER_WORDS = {"two": 2, "three": 3, "five": 5}


@dataclass(frozen=True)
class Period:
    """Days a question asks about; `end` None means up to now ("since 2019")."""

    start: date | None
    end: date | None
    said: str

    def overlaps(self, start: date | None, end: date | None) -> bool | None:
        """Whether a stored period overlaps this one; None when the row stores no period at all."""
        if start is None and end is None:
            return None
        row_start = start or date.min
        row_end = end or start or date.max
        return (self.start is None or row_end >= self.start) and (self.end is None or row_start <= self.end)


@dataclass(frozen=True)
class Parsed:
    """What a question states; `words` is what is left for the search to match."""

    text: str
    words: str
    place: str | None = None
    period: Period | None = None
    units: frozenset[str] = field(default_factory=frozenset)

    def understood(self) -> str:
        """A short line for the reply: what the search took the question to be about."""
        parts = [self.words] if self.words else []
        if self.place:
            parts.append(self.place)
        if self.period:
            parts.append(self.period.said)
        if self.units:
            parts.append(_UNITS_SAID[_units_key(self.units)])
        return ", ".join(parts)


UNIT_MATCH = 1.05
MONEY_UNASKED = 0.9
PLACE_MATCH = 1.1
PLACE_OTHER = 0.9
PERIOD_MATCH = 1.1
PERIOD_OTHER = 0.9

_COUNTS = frozenset({"count"})
_SHARES = frozenset({"percent", "ratio"})
_MONEY = frozenset({"gbp", "usd", "eur"})
_UNITS_SAID = {"count": "counts", "share": "shares", "money": "amounts of money"}


def _units_key(units: frozenset[str]) -> str:
    if units == _COUNTS:
        return "count"
    return "share" if units == _SHARES else "money"


_STOP = frozenset(
    ["a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "has", "have", "had", "what", "which", "who", "whom", "whose", "how", "many", "much", "there", "any", "anyone", "anybody", "figure", "figures", "number", "numbers", "stat", "stats", "statistic", "statistics", "data", "about", "on", "of", "for", "to", "in", "at", "by", "with", "from", "we", "our", "us", "me", "my", "i", "you", "it", "its", "this", "that", "these", "those", "and", "or", "say", "said", "says", "tell", "told", "give", "given", "got", "get", "happen", "happened", "happening", "according"]
)


def _first_day_uk_year(year: int) -> date:
    return date(year, 4, 1)


def parse_period(text: str, today: date) -> tuple[Period | None, str]:
    """The period a question names, relative ones counted from `today`, and the text without it."""
    lowered = text.lower()
    match = _BETWEEN.search(lowered)
    if match:
        first, last = sorted((int(match.group(2)), int(match.group(4))))
        return Period(date(first, 1, 1), date(last, 12, 31), f"{first} to {last}"), _cut(text, match)
    match = _FINANCIAL_YEAR.search(lowered)
    if match:
        first = int(match.group(1))
        tail = match.group(2)
        second = int(tail) if len(tail) == 4 else (first // 100) * 100 + int(tail)
        if second == first + 1:  # UK police and charity years run April to March
            return (
                Period(_first_day_uk_year(first), date(second, 3, 31), f"{first}/{tail[-2:]}"),
                _cut(text, match, keep_lead=lowered[: match.start()].rstrip().endswith("since")),
            )
    match = _SINCE.search(lowered)
    if match:
        year = int(match.group(2))
        return Period(date(year, 1, 1), None, f"since {year}"), _cut(text, match)
    match = _BEFORE.search(lowered)
    if match:
        year = int(match.group(2))
        return Period(None, date(year - 1, 12, 31), f"before {year}"), _cut(text, match)
    match = _RELATIVE.search(lowered)
    if match:
        if match.group(3):
            years = _NUMBER_WORDS.get(match.group(3)) or int(match.group(3))
            return Period(date(today.year - years, 1, 1), today, f"last {years} years"), _cut(text, match)
        which, span = match.group(1), match.group(2)
        if span == "year" and which in ("last", "previous"):
            year = today.year - 1
            return Period(date(year, 1, 1), date(year, 12, 31), str(year)), _cut(text, match)
        if span == "year" and which == "this":
            return Period(date(today.year, 1, 1), today, str(today.year)), _cut(text, match)
        start = date(today.year - 1, today.month, min(today.day, 28))
        return Period(start, today, "the past 12 months"), _cut(text, match)
    match = _IN_YEAR.search(lowered)
    if match:
        year = int(match.group(1))
        return Period(date(year, 1, 1), date(year, 12, 31), str(year)), _cut(text, match)
    return None, text


def _cut(text: str, match: re.Match[str], keep_lead: bool = False) -> str:
    start = match.start()
    if not keep_lead:
        # "in 2023", "during last year": the preposition goes with the period
        lead = re.search(r"\b(in|during|for|over|of)(\s+the)?\s+$", text[:start], re.IGNORECASE)
        if lead:
            start = lead.start()
    return _join(text[:start], text[match.end() :])


def _join(before: str, after: str) -> str:
    return re.sub(r"\s+", " ", f"{before} {after}").strip()


def parse_place(text: str, places: Iterable[str] = ()) -> tuple[str | None, str]:
    """The place a question names (a stored geography, or a common name for one) and the text without it.

    Longer names win ("west midlands" before "midlands", "northern ireland" before "ireland")."""
    lowered = text.lower()
    candidates: dict[str, str] = {place.lower(): place for place in places if place}
    for alias, canonical in _PLACE_ALIASES.items():
        candidates.setdefault(alias, canonical)
    for name in sorted(candidates, key=len, reverse=True):
        match = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", lowered)
        if match:
            if name in ("us",) and not re.search(r"\b(the|in|across) us\b", lowered):
                continue  # "tell us", "give us": the pronoun, not the country
            start = match.start()
            lead = re.search(r"\b(in|across|for|from|of)?(\s*the)?\s*$", text[:start], re.IGNORECASE)
            if lead and lead.group(0).strip():
                start = lead.start()
            return candidates[name], _join(text[:start], text[match.end() :])
    return None, text


def parse_units(text: str) -> frozenset[str]:
    """The kind of number a question asks for: shares, counts or money; empty when it does not say."""
    lowered = text.lower()
    if _SHARE_PATTERNS.search(lowered):
        return _SHARES
    words = set(re.findall(r"[a-z]+", lowered))
    if _MONEY_PATTERNS.search(lowered) and words & _MONEY_WORDS:
        return _MONEY
    if _COUNT_PATTERNS.search(lowered):
        return _COUNTS
    return frozenset()


def parse(text: str, today: date, places: Iterable[str] = ()) -> Parsed:
    """Everything a question states; `places` are the geographies the library holds."""
    units = parse_units(text)
    period, rest = parse_period(text, today)
    place, rest = parse_place(rest, places)
    words = [w for w in re.findall(r"[\w'-]+", rest.lower()) if w not in _STOP]
    return Parsed(text=text, words=" ".join(words), place=place, period=period, units=units)


def place_matches(asked: str, stored: str) -> bool:
    """Whether a figure stored for `stored` answers a question about `asked`."""
    asked_l, stored_l = asked.lower().strip(), stored.lower().strip()
    if not stored_l:
        return False
    stored_canonical = _PLACE_ALIASES.get(stored_l, stored).lower()
    if asked_l in (stored_l, stored_canonical):
        return True
    # "Wales" is answered by "England and Wales"
    if re.search(rf"\b{re.escape(asked_l)}\b", stored_l):
        return True
    return stored_l in _WITHIN.get(asked, frozenset())


def boost(parsed: Parsed, unit: str, geography: str, start: date | None, end: date | None) -> float:
    """A multiplier for a row's fused score from what the question states (1.0 when it states nothing).

    Gentle on purpose: fused scores of neighbouring ranks differ by a few per cent, so these move a row
    a few places, never past a clearly better match. Measured on tests/eval/questions.json: stronger
    factors lost more than they won, because staff say "how many" of shares ("how many young Instagram
    users ...": one in eight) and a row's stored period rarely matches a relative one ("last year").
    A row that stores no period or place is left as it is: a filter must never hide a figure its source
    did not date."""
    factor = 1.0
    if parsed.units:
        if unit in parsed.units:
            factor *= UNIT_MATCH
        elif unit in _MONEY:
            factor *= MONEY_UNASKED
    if parsed.place and geography:
        factor *= PLACE_MATCH if place_matches(parsed.place, geography) else PLACE_OTHER
    if parsed.period:
        overlap = parsed.period.overlaps(start, end)
        if overlap is True:
            factor *= PERIOD_MATCH
        elif overlap is False:
            factor *= PERIOD_OTHER
    return factor


def reciprocal_rank_fusion(rankings: Sequence[Sequence[K]], k: int = 60) -> list[tuple[K, float]]:
    """Fuse ranked lists (best first) by reciprocal rank: sum of 1 / (k + rank) over the lists.

    k=60 is the constant from Cormack, Clarke and Buettcher (2009); ties keep first-seen order."""
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
