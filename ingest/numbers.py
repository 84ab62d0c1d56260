"""Turning numbers as written ("9,477", "fifty-two", "two thirds", "£1.2m") into Decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {
    "hundred": Decimal(100),
    "thousand": Decimal(1_000),
    "k": Decimal(1_000),
    "million": Decimal(1_000_000),
    "m": Decimal(1_000_000),
    "mn": Decimal(1_000_000),
    "billion": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "b": Decimal(1_000_000_000),
    "trillion": Decimal(1_000_000_000_000),
    "tn": Decimal(1_000_000_000_000),
}
# Denominators of fraction words; "half" is 2 and needs no numerator ("half of", "a half").
DENOMINATORS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "sixths": 6,
    "seventh": 7,
    "sevenths": 7,
    "eighth": 8,
    "eighths": 8,
    "ninth": 9,
    "ninths": 9,
    "tenth": 10,
    "tenths": 10,
}
RATIO_PLACES = Decimal("0.0001")

_WORD = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
# "fifty-two", "twenty one", "one hundred and twenty", "nine" (no scale words; those are handled apart).
NUMBER_WORDS = (
    rf"(?:(?:{_WORD})(?:[-\s](?:{_WORD}))?(?:\s+hundred(?:\s+(?:and\s+)?(?:{_WORD})(?:-(?:{_WORD}))?)?)?)"
)
DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def parse_digits(text: str) -> Decimal:
    """Parse "9,477" or "37.5" (commas are thousands separators)."""
    return Decimal(text.replace(",", ""))


def parse_number_words(text: str) -> Decimal | None:
    """Parse "fifty-two", "one hundred and twenty", "twelve"; None if it is not a number phrase."""
    words = [w for w in re.split(r"[\s-]+", text.lower().strip()) if w and w != "and"]
    if not words:
        return None
    total = Decimal(0)
    current = Decimal(0)
    for word in words:
        if word in UNITS:
            current += UNITS[word]
        elif word in TENS:
            current += TENS[word]
        elif word == "hundred":
            current = (current or Decimal(1)) * 100
        elif word in SCALES and word not in {"k", "m", "mn", "b", "bn", "tn"}:
            total += (current or Decimal(1)) * SCALES[word]
            current = Decimal(0)
        else:
            return None
    return total + current


def parse_number(text: str) -> Decimal | None:
    """Parse digits or number words, with an optional scale ("4.3 million", "£3.4bn" without the £)."""
    match = re.fullmatch(rf"\s*({DIGITS})\s*([a-z]+)?\s*", text.lower())
    if match:
        try:
            base = parse_digits(match.group(1))
        except InvalidOperation:
            return None
        scale = match.group(2)
        if scale is None:
            return tidy(base)
        return tidy(base * SCALES[scale]) if scale in SCALES else None
    words = parse_number_words(text)
    return None if words is None else tidy(words)


def tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form: 4300000.0 -> 4300000, 37.50 -> 37.5."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def fraction_value(numerator: str | None, denominator_word: str) -> Decimal | None:
    """ "two thirds" -> 0.6667, "a quarter" -> 0.25, "half" -> 0.5 (rounded to 4 places)."""
    denominator = DENOMINATORS.get(denominator_word.lower())
    if denominator is None:
        return None
    if numerator is None or numerator.lower() in {"a", "an", "one"}:
        top = Decimal(1)
    else:
        parsed = parse_number(numerator)
        if parsed is None:
            return None
        top = parsed
    return normalise_ratio(top / Decimal(denominator))


def normalise_ratio(value: Decimal) -> Decimal:
    """Ratios are stored as fractions rounded to four places; "0.2000" becomes "0.2"."""
    rounded = value.quantize(RATIO_PLACES)
    return rounded.normalize() if rounded != 0 else Decimal(0)
