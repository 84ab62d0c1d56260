"""Reading a figure's value as typed, refusing whatever could be read as a different number."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from intake.cleaning import Invalid

MISSING_WORDS = frozenset(
    {
        "",
        "n/a",
        "na",
        "-",
        "–",
        "—",
        "none",
        "null",
        "nil",
        "nan",
        "?",
        "tbc",
        "tbd",
        "unknown",
        "#n/a",
        "x",
        "..",
    }
)

# Words people type after a number, and the unit they mean.
UNIT_WORDS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "pc": "percent", "pct": "percent",
    "percentage": "percent", "£": "gbp", "gbp": "gbp", "pounds": "gbp", "pound": "gbp",
    "$": "usd", "usd": "usd", "dollars": "usd", "dollar": "usd", "€": "eur", "eur": "eur",
    "euros": "eur", "euro": "eur", "count": "count", "ratio": "ratio",
}  # fmt: skip
CURRENCY_UNITS = {"£": "gbp", "$": "usd", "€": "eur"}
_MULTIPLIERS = {"k": 3, "thousand": 3, "m": 6, "mn": 6, "million": 6, "bn": 9, "b": 9, "billion": 9}

_ODD_SPACES = re.compile("[\u00a0\u2007\u2009\u202f]")
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_COMMA_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_SPACE_GROUPED = re.compile(r"[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?")
_EUROPEAN_GROUPED = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA = re.compile(r"\d+,\d+")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?e[+-]?\d+", re.IGNORECASE)
_NUMBER_PART = r"\d(?:[\d,. ]*\d)?"
_SCALED = re.compile(rf"({_NUMBER_PART})\s*(k|thousand|mn?|million|bn|b|billion)\.?", re.IGNORECASE)
_RANGE = re.compile(rf"{_NUMBER_PART}\s*(?:-|–|—|to)\s*[£$€]?{_NUMBER_PART}%?", re.IGNORECASE)
_NUMBER_THEN_WORDS = re.compile(rf"({_NUMBER_PART})\s*([^\d,.\s].*)")
_BRACKETED = re.compile(rf"\(\s*[£$€]?({_NUMBER_PART})\s*\)")
_WORDS_THEN_NUMBER = re.compile(rf"(\D*?)\s*[£$€]?({_NUMBER_PART})%?")


def parse_value(typed: str, unit: str | None) -> Decimal:
    """The number in `typed`; `unit` (if already valid) decides what a % or currency sign may mean."""
    text = typed.strip() if typed.isascii() else _ODD_SPACES.sub(" ", typed).strip().replace("\u2212", "-")
    if text.casefold() in MISSING_WORDS:
        raise Invalid("is missing")
    if len(text) > 40:
        raise Invalid("is too long for a number; put only the number in value")
    body, negative = _strip_sign(text)
    body = _strip_currency(body, unit)
    body, negative = _strip_sign(body, negative)
    body = _strip_percent(body, unit)
    if not body:
        raise Invalid("is missing")
    number = _read_digits(body, unit)
    if negative and number != 0:
        number = -number
    return number if number != 0 else abs(number)  # no "-0"


def _strip_sign(text: str, negative: bool = False) -> tuple[str, bool]:
    if text.startswith(("+", "-")):
        if negative or text[1:].lstrip().startswith(("+", "-")):
            raise Invalid("has more than one sign; write at most one minus sign")
        return text[1:].lstrip(), text[0] == "-"
    return text, negative


def _strip_currency(text: str, unit: str | None) -> str:
    sign = text[:1]
    if sign not in CURRENCY_UNITS:
        return text
    if unit and unit != CURRENCY_UNITS[sign]:
        raise Invalid(f"has a {sign} sign but unit is {unit}; make them agree")
    return text[1:].lstrip()


def _strip_percent(text: str, unit: str | None) -> str:
    if not text.endswith("%"):
        return text
    if unit and unit != "percent":
        raise Invalid(f"has a % sign but unit is {unit}; make them agree")
    return text[:-1].rstrip()


def _read_digits(text: str, unit: str | None) -> Decimal:
    if _PLAIN.fullmatch(text):
        if unit == "count" and re.fullmatch(r"[1-9]\d{0,2}\.\d{3}", text):
            raise Invalid(
                f"{text} looks like a European thousands separator; "
                f"write {text.replace('.', '')} or {text.replace('.', ',')}"
            )
        return _decimal(text)
    if _COMMA_GROUPED.fullmatch(text):
        return _decimal(text.replace(",", ""))
    if _SPACE_GROUPED.fullmatch(text):
        return _decimal(text.replace(" ", ""))
    if _EUROPEAN_GROUPED.fullmatch(text):
        whole, _, fraction = text.partition(",")
        plain = whole.replace(".", "") + (f".{fraction}" if fraction else "")
        return _refuse(
            f"{text} looks like a European thousands separator; write {plain} or {Decimal(plain):,}"
        )
    if _DECIMAL_COMMA.fullmatch(text):
        return _refuse(f"{text} looks like a decimal comma; write {text.replace(',', '.')}")
    if _SCIENTIFIC.fullmatch(text):
        return _refuse(f"must be written in full, not as {text}")
    if scaled := _SCALED.fullmatch(text):
        return _refuse(_scaled_message(scaled.group(1), scaled.group(2), text))
    if bracketed := _BRACKETED.fullmatch(text):
        return _refuse(f"must use a minus sign for a negative number (-{bracketed.group(1)}), not brackets")
    if _RANGE.fullmatch(text):
        return _refuse(
            "is a range, not one figure; put one number in value (and describe the range in notes)"
        )
    return _refuse(_words_message(text))


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # the patterns above should make this unreachable
        raise Invalid(f"is not a number ({text!r})") from None


def _refuse(message: str) -> Decimal:
    raise Invalid(message)


def _scaled_message(number: str, word: str, typed: str) -> str:
    digits = number.replace(",", "").replace(" ", "")
    if not _PLAIN.fullmatch(digits):
        return "must be written in full, with no words"
    full = Decimal(digits).scaleb(_MULTIPLIERS[word.casefold()])
    return f"must be written in full: {full:f} rather than {typed}"


def _words_message(text: str) -> str:
    """Explain a number with words around it: which part goes in value and where the words go."""
    if after := _NUMBER_THEN_WORDS.fullmatch(text):
        number, words = after.group(1), after.group(2).strip().rstrip(".")
        unit = UNIT_WORDS.get(words.casefold())
        if unit:
            return f"is not a number; put {number} in value and {unit} in unit"
        return f"is not a number; put {number} in value and say what it counts ({words!r}) in measure"
    if before := _WORDS_THEN_NUMBER.fullmatch(text):
        words, number = before.group(1).strip(), before.group(2)
        if words:
            return f"is not a number; put {number} in value and keep {words!r} in measure if it matters"
    return f"is not a number ({text!r})"
