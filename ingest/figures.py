"""Finding numbers that are statistics (counts, percentages, money, ratios), skipping those that are not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.lexicon import MONTHS
from ingest.numbers import (
    DENOMINATORS,
    DIGITS,
    NUMBER_WORDS,
    SCALES,
    fraction_value,
    normalise_ratio,
    parse_number,
    tidy,
)


@dataclass(frozen=True)
class FigureMention:
    """A number as written, its value and unit, and where it is."""

    value_text: str
    value: Decimal
    unit: str
    start: int
    end: int


_NUM = rf"(?:{DIGITS}|{NUMBER_WORDS})"
_SCALE = r"(?:million|billion|trillion|thousand|bn|m|k|tn)"
_B = r"(?<![\w£$€.,-])"  # a number starts a token
_E = r"(?![\w])"
_MONEY = re.compile(rf"(?P<cur>[£$€])\s?(?P<num>{DIGITS})(?:\s?(?P<scale>{_SCALE}))?{_E}", re.IGNORECASE)
_MONEY_WORDS = re.compile(
    rf"{_B}(?P<num>{_NUM})(?:\s(?P<scale>million|billion|thousand))?\s(?P<cur>pounds|dollars|euros){_E}",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    rf"{_B}(?P<num>{_NUM})(?:\s?%|\s?per\s?cent{_E}|\s?percent{_E}|\s?pc{_E})", re.IGNORECASE
)
_RATIO = re.compile(rf"{_B}(?P<top>{_NUM})\s+in\s+(?:every\s+)?(?P<bottom>{_NUM}){_E}", re.IGNORECASE)
_DENOMINATOR = "|".join(sorted(DENOMINATORS, key=len, reverse=True))
_FRACTION = re.compile(
    rf"(?<![\w-])(?:(?P<top>a|an|one|two|three|four|five|six|seven|eight|nine)[\s-]+)?(?P<den>{_DENOMINATOR})(?![\w-])",
    re.IGNORECASE,
)
_SCALED_COUNT = re.compile(
    rf"{_B}(?P<num>{_NUM})\s(?P<scale>million|billion|thousand|trillion){_E}", re.IGNORECASE
)
_PLAIN = re.compile(rf"{_B}(?P<num>{DIGITS}){_E}")
_WORD_COUNT = re.compile(rf"(?<![\w-])(?P<num>{NUMBER_WORDS})(?![\w-])", re.IGNORECASE)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_UNIT_WORDS = {"£": "gbp", "$": "usd", "€": "eur", "pounds": "gbp", "dollars": "usd", "euros": "eur"}
# Words that make a plain number a duration, time, age or measurement rather than a count.
_NOT_COUNT_NEXT = re.compile(
    r"^(?:-|\s)?(?:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|times?|am|pm|a\.m|p\.m|"
    r"o'clock|year-olds?|-year|-month|-week|-day|-hour|s\b|th\b|st\b|nd\b|rd\b|per\s?cent|percent|%|/|:|"
    r"and\s+\d|to\s+\d|or\s+\d|-\s*to|miles?|km|kg|metres?|meters?|feet|inches|degrees?|mph)(?![a-z])",
    re.IGNORECASE,
)
_AGE_BEFORE = re.compile(r"(?:\baged?|\bages|\bunder|\bover|\bturning|\bturned|\bage of)\s*$", re.IGNORECASE)


def find_figures(text: str) -> list[FigureMention]:
    """All figure mentions in text, left to right, with not-a-figure numbers removed."""
    taken: list[tuple[int, int]] = list(_blocked_spans(text))
    found: list[FigureMention] = []

    def claim(start: int, end: int, value_text: str, value: Decimal | None, unit: str) -> None:
        if value is None or any(start < b_end and b_start < end for b_start, b_end in taken):
            return
        taken.append((start, end))
        found.append(FigureMention(value_text, value, unit, start, end))

    for match in _MONEY.finditer(text):
        scale = (match.group("scale") or "").lower()
        value = parse_number(match.group("num"))
        if value is not None and scale:
            value = tidy(value * SCALES[scale])
        claim(match.start(), match.end(), match.group(), value, _UNIT_WORDS[match.group("cur")])
    for match in _MONEY_WORDS.finditer(text):
        value = parse_number(f"{match.group('num')} {match.group('scale') or ''}".strip())
        claim(match.start(), match.end(), match.group(), value, _UNIT_WORDS[match.group("cur").lower()])
    for match in _PERCENT.finditer(text):
        claim(match.start(), match.end(), match.group(), parse_number(match.group("num")), "percent")
    for match in _RATIO.finditer(text):
        top, bottom = parse_number(match.group("top")), parse_number(match.group("bottom"))
        if (
            top is not None
            and bottom
            and top < bottom
            and not _looks_like_date_or_age(text, match.start(), match.end())
        ):
            claim(match.start(), match.end(), match.group(), normalise_ratio(top / bottom), "ratio")
    for match in _FRACTION.finditer(text):
        if _is_statistical_fraction(text, match):
            value = fraction_value(match.group("top"), match.group("den"))
            claim(match.start(), match.end(), match.group(), value, "ratio")
    for match in _SCALED_COUNT.finditer(text):
        claim(match.start(), match.end(), match.group(), parse_number(match.group()), "count")
    for match in _PLAIN.finditer(text):
        if _is_plain_count(text, match):
            claim(match.start(), match.end(), match.group(), parse_number(match.group("num")), "count")
    for match in _WORD_COUNT.finditer(text):
        value = parse_number(match.group("num"))
        if value is not None and value >= 10 and _followed_by_noun(text, match.end()):
            claim(match.start(), match.end(), match.group(), value, "count")
    return sorted(found, key=lambda f: f.start)


def _blocked_spans(text: str) -> list[tuple[int, int]]:
    """Phone numbers, dates, times, "No. 10" and list markers: numbers that are never figures."""
    patterns = [
        r"(?<![\w£$€.,])(?:\+?\d{1,4}[ -])?(?:0\d{2,4}|1-?8\d\d)[ -]\d{3,4}(?:[ -]\d{3,4})?(?![\w,])",
        r"\b1-8\d\d-[\w-]+",
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:(?:and|to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{_MONTH})\b(?:\s+\d{{4}})?",
        rf"\b(?:{_MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?",
        r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)",
        r"\b\d{1,2}:\d\d\b",
        r"\bNo\.\s?\d+",
        r"(?m)^\s*\d{1,2}[.)]\s",
        r"\b\d+/\d+\b",
        r"\b(?:19|20)\d\d(?:[-/–](?:\d\d){1,2})?\b(?!,\d)",
    ]
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        spans.extend((m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE))
    return spans


def _looks_like_date_or_age(text: str, start: int, end: int) -> bool:
    return bool(_AGE_BEFORE.search(text[:start]))


def _is_statistical_fraction(text: str, match: re.Match[str]) -> bool:
    """ "two thirds of" is a figure; "half (47%)" defers to the 47%; "first half" is a period."""
    before = text[max(0, match.start() - 20) : match.start()].lower()
    after = text[match.end() : match.end() + 20].lower()
    den = match.group("den").lower()
    if re.match(r"\s*\(\s*\d", after):
        return False  # "Almost half (47%)": the bracketed percentage is the figure
    if re.search(r"\b(?:the|first|second|last|this|next|each|every)\s+$", before):
        return False
    if den in {"half", "halves"} and match.group("top") is None:
        return bool(
            re.search(
                r"(?:almost|nearly|over|more than|less than|under|around|about|roughly|just)\s+$", before
            )
        ) or (
            after.startswith(" of")
            and not re.match(r"\s+of\s+(?:the\s+)?(?:\d{4}|year|century|decade)", after)
        )
    if match.group("top") is None:
        return False
    return not re.match(r"\s*(?:-|of the (?:year|season|century))", after)


def _is_plain_count(text: str, match: re.Match[str]) -> bool:
    """Digits with thousands commas are counts; small plain numbers need a counted noun after them."""
    raw = match.group("num")
    before = text[: match.start()]
    after = text[match.end() :]
    if _AGE_BEFORE.search(before) or re.search(r"(?:aged?|ages)\s+\d+\s+(?:to|or|and|-)\s*$", before):
        return False
    if re.search(r"[A-Z][\w.]*,\s*$", before) and re.match(r"\s*,", after):
        return False  # "Sarah Bell, 34, a mother of three": an age after a name
    if re.match(r"\s*(?:-\s*)?(?:to\s+\d+-)?year-olds?", after) or re.match(r"-\s*(?:to|and)\s+\d", after):
        return False
    if _NOT_COUNT_NEXT.match(after):
        return False
    if "," in raw:
        return True
    if re.search(
        r"\b(?:from|with|to|of|by|reached|totalled|totaling|totalling|than)\s+$", before
    ) and not re.search(r"\b(?:aged|age)\b", before[-30:]):
        return bool(re.match(r"\s+(?:in|a|per|last|this|the|,|\.)", after)) or _followed_by_noun(
            text, match.end()
        )
    return _followed_by_noun(text, match.end())


_NOT_NOUNS = {
    "and",
    "or",
    "to",
    "in",
    "of",
    "per",
    "a",
    "an",
    "the",
    "on",
    "at",
    "by",
    "for",
    "from",
    "with",
    "is",
    "are",
    "was",
    "were",
    "had",
    "has",
    "have",
    "will",
    "would",
    "more",
    "less",
    "than",
    "as",
    "that",
    "which",
    "who",
    "into",
    "out",
    "up",
    "down",
    "after",
    "before",
    "since",
    "until",
    "between",
}


def _followed_by_noun(text: str, end: int) -> bool:
    next_word = re.match(r"\s+([a-z][\w-]*)", text[end:])
    return next_word is not None and next_word.group(1) not in _NOT_NOUNS
