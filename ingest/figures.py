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
_MONEY = re.compile(
    rf"(?P<cur>[£$€]|\b(?:EUR|GBP|USD)\s)\s?(?P<num>{DIGITS})(?:\s?(?P<scale>{_SCALE}))?{_E}", re.IGNORECASE
)
_MONEY_WORDS = re.compile(
    rf"{_B}(?P<num>{_NUM})(?:\s(?P<scale>million|billion|thousand))?\s(?P<cur>pounds|dollars|euros){_E}",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    rf"{_B}(?P<num>{_NUM})(?:\s?%|\s?per\s?cent{_E}|\s?percent{_E}|\s?pc{_E})", re.IGNORECASE
)
_RATIO = re.compile(
    rf"{_B}(?P<top>{_NUM})\s+(?:in|out\s+of)\s+(?:every\s+)?(?P<bottom>{_NUM}){_E}", re.IGNORECASE
)
# "three-fold", "nearly 12 times higher": multipliers written with a number are ratios
_MULTIPLIER = re.compile(
    rf"{_B}(?P<num>{_NUM})(?:[\s-]?fold{_E}|\s+times\s+(?:higher|more|greater|larger|bigger|lower|as\b))",
    re.IGNORECASE,
)
# "2.4m school meals", "a million families"
_SUFFIXED_COUNT = re.compile(rf"{_B}(?P<num>{DIGITS})(?P<scale>m|bn|k){_E}")
_A_MILLION = re.compile(r"(?<![\w-])an?\s+(?P<scale>million|billion)(?![\w-])", re.IGNORECASE)
# "since 2017/18 (194)": a count given in brackets after the period it belongs to
_BRACKETED_COUNT = re.compile(r"(?:\b(?:19|20)\d\d(?:[/-]\d\d)?\s*)\((?P<num>\d[\d,]*)\)")
# "some 40 a week": a rate is a count with its period in the measure
_RATE = re.compile(rf"{_B}(?P<num>{_NUM})\s+(?:a|per|each)\s+(?:day|week|month|hour){_E}", re.IGNORECASE)
_SMALL_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine"}
# After a small number word these nouns make an everyday detail, not a statistic ("two children").
_EVERYDAY_NOUNS = re.compile(
    r"\s+(?:\w+\s+)?(?:children|child|girls?|boys?|sons?|daughters?|kids?|men|women|people|brothers?|sisters?|"
    r"parents?|years?|months?|weeks?|days?|hours?|minutes?|times|decades?|points?|of)\b",
    re.IGNORECASE,
)
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
_UNIT_WORDS = {
    "£": "gbp",
    "$": "usd",
    "€": "eur",
    "pounds": "gbp",
    "dollars": "usd",
    "euros": "eur",
    "gbp": "gbp",
    "usd": "usd",
    "eur": "eur",
}
# Words that make a plain number a duration, time, age or measurement rather than a count.
_NOT_COUNT_NEXT = re.compile(
    r"^(?:-|\s)?(?:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|times?|am|pm|a\.m|p\.m|"
    r"o'clock|year-olds?|-year|-month|-week|-day|-hour|s\b|th\b|st\b|nd\b|rd\b|per\s?cent|percent|%|/|:|"
    r"and\s+\d|to\s+\d|or\s+\d|-\s*to|miles?|km|kg|metres?|meters?|feet|inches|degrees?|mph)(?![a-z])",
    re.IGNORECASE,
)
_AGE_BEFORE = re.compile(
    r"(?:\baged?|\bages|\bunder|\bover|\bturning|\bturned|\bage of|\bas (?:young|old) as)\s*$", re.IGNORECASE
)
# Ages stop well below this; "over 2,500 children" is a count, "over 18s" an age.
_MAX_AGE = 120


def find_figures(text: str) -> list[FigureMention]:
    """All figure mentions in text, left to right, with not-a-figure numbers removed."""
    taken: list[tuple[int, int]] = list(_blocked_spans(text))
    found: list[FigureMention] = []

    def claim(start: int, end: int, value_text: str, value: Decimal | None, unit: str) -> None:
        if value is None or any(start < b_end and b_start < end for b_start, b_end in taken):
            return
        taken.append((start, end))
        found.append(FigureMention(value_text, value, unit, start, end))

    for match in _MULTIPLIER.finditer(text):
        claim(match.start(), match.end(), match.group(), parse_number(match.group("num")), "ratio")
    for match in _MONEY.finditer(text):
        scale = (match.group("scale") or "").lower()
        value = parse_number(match.group("num"))
        if value is not None and scale:
            value = tidy(value * SCALES[scale])
        claim(
            match.start(), match.end(), match.group(), value, _UNIT_WORDS[match.group("cur").strip().lower()]
        )
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
            and not _is_age_cue(text[: match.start()], match.group("top"))
        ):
            claim(match.start(), match.end(), match.group(), normalise_ratio(top / bottom), "ratio")
    for match in _FRACTION.finditer(text):
        if _is_statistical_fraction(text, match):
            value = fraction_value(match.group("top"), match.group("den"))
            claim(match.start(), match.end(), match.group(), value, "ratio")
    for match in _SCALED_COUNT.finditer(text):
        claim(match.start(), match.end(), match.group(), parse_number(match.group()), "count")
    for match in _SUFFIXED_COUNT.finditer(text):
        if _followed_by_noun(text, match.end()):
            claim(match.start(), match.end(), match.group(), parse_number(match.group()), "count")
    for match in _A_MILLION.finditer(text):
        if _followed_by_noun(text, match.end()):
            claim(match.start(), match.end(), match.group(), SCALES[match.group("scale").lower()], "count")
    for match in _BRACKETED_COUNT.finditer(text):
        start = match.start("num")
        claim(start, match.end("num"), match.group("num"), parse_number(match.group("num")), "count")
    for match in _RATE.finditer(text):
        value = parse_number(match.group("num"))
        if value is not None and value >= 10:
            claim(match.start("num"), match.end("num"), match.group("num"), value, "count")
    for match in _PLAIN.finditer(text):
        if _is_plain_count(text, match):
            claim(match.start(), match.end(), match.group(), parse_number(match.group("num")), "count")
    for match in _WORD_COUNT.finditer(text):
        value = parse_number(match.group("num"))
        if value is None or not _followed_by_noun(text, match.end()):
            continue
        small = match.group("num").lower() in _SMALL_WORDS
        if small and re.search(r"\b(?:the|these|those|its|their)\s+$", text[: match.start()], re.IGNORECASE):
            continue  # "the three largest": a list position
        # "three surveys", "five councils" count; "two children", "three years" do not
        if value >= 10 or (small and not _EVERYDAY_NOUNS.match(text[match.end() :])):
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


def _is_age_cue(before: str, raw: str) -> bool:
    """ "aged 13", "under 18s", "as young as 14"; but "over 2,500 children" is a count."""
    cue = _AGE_BEFORE.search(before)
    if not cue:
        return False
    value = parse_number(raw)
    return value is None or value < _MAX_AGE


def _is_statistical_fraction(text: str, match: re.Match[str]) -> bool:
    """ "two thirds of" is a figure; "half (47%)" defers to the 47%; "first half" is a period."""
    before = text[max(0, match.start() - 20) : match.start()].lower()
    after = text[match.end() : match.end() + 20].lower()
    den = match.group("den").lower()
    if re.match(r"\s*\(\s*\d", after):
        return False  # "Almost half (47%)": the bracketed percentage is the figure
    if re.search(r"\b(?:the|first|second|last|this|next|each|every)\s+$", before):
        return False
    if re.match(
        r"\s+(?:year|time|consecutive|successive|straight|round|term|day|month|week|quarter)\b", after
    ):
        return False  # "a third year running": an ordinal
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
    if _is_age_cue(before, raw) or re.search(r"(?:aged?|ages)\s+\d+\s+(?:to|or|and|-)\s*$", before):
        return False
    if re.search(r"\b(?:was|is|were|turns?)\s+(?:just\s+|only\s+)?$", before) and not _followed_by_noun(
        text, match.end()
    ):
        return False  # "when she was 14": an age
    if "," in raw and not re.match(r"\s*(?:years?|months?|weeks?|days?|hours?|miles?|km)\b", after):
        return True  # "from 12,400 to 13,900": thousands are counts even in a range
    if re.search(r"[A-Z][\w.]*,\s*$", before) and re.match(r"\s*,", after):
        return False  # "Sarah Bell, 34, a mother of three": an age after a name
    if re.match(r"\s*(?:-\s*)?(?:to\s+\d+-)?year-olds?", after) or re.match(r"-\s*(?:to|and)\s+\d", after):
        return False
    if _NOT_COUNT_NEXT.match(after):
        return False
    if "," in raw:
        return True
    # hedges between the preposition and the number: "compared with just 45 in 2019"
    plain_before = re.sub(r"(?:\s+(?:only|just|around|about|almost|nearly|some|roughly))+\s*$", " ", before)
    if re.search(
        r"\b(?:from|with|to|of|by|reached|totalled|totaling|totalling|than|including)\s+$", plain_before
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
    """A counted noun follows: "9,477 offences", also after a name ("12 UK councils", "204 Online
    Harm Act offences")."""
    next_word = re.match(r"\s+([a-z][\w-]*)", text[end:])
    if next_word is None:
        named = re.match(
            r"\s+[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|with|of|a|and|for|the))*\s+([a-z][\w-]*)", text[end:]
        )
        return named is not None and named.group(1) not in _NOT_NOUNS
    return next_word.group(1) not in _NOT_NOUNS


def sentence_key(sentence: str) -> str:
    """Sentences equal but for spacing, case and punctuation repeat each other (captions, bullets)."""
    return " ".join(re.sub(r"[^\w\s]", " ", sentence.lower()).split())


def restatements_removed(text: str, mentions: list[FigureMention]) -> list[FigureMention]:
    """One fact once: "three in ten (31 per cent)" or "over half ... at 53%" is the percentage; the
    lower bound of "between 41% and 44%" is not recorded."""
    kept: list[FigureMention] = []
    for mention in mentions:
        if (
            mention.unit == "ratio"
            and mention.value < 1
            and any(
                other.unit == "percent"
                and abs(other.value - mention.value * 100) <= 10
                and 0 <= other.start - mention.end <= 80
                and re.search(r"(?:\(|\bat)\s*$", text[: other.start])
                and not any(mention.end <= m.start < other.start for m in mentions if m is not other)
                for other in mentions
            )
        ):
            continue
        if re.search(r"\bbetween\s+$", text[: mention.start]) and any(
            other.unit == mention.unit
            and other.start > mention.end
            and re.fullmatch(r"\s+and\s+", text[mention.end : other.start])
            for other in mentions
        ):
            continue
        kept.append(mention)
    return kept
