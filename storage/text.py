"""Writing stored values as text people read: escaping for Slack, numbers as reports write them, units, cutting to size.

It sits in storage, the lowest layer, because intake (units), digests and commands all write values this way."""

from __future__ import annotations

from decimal import Decimal

CURRENCY_SIGNS = {"gbp": "£", "usd": "$", "eur": "€"}
UNITS = ("percent", "count", "gbp", "usd", "eur", "ratio")


def escape(text: str) -> str:
    """Make stored text inert in mrkdwn, so `<!channel>` or `<@U123>` in a quote is shown, not acted on.

    Slack's own rule: only &, < and > are control characters in message text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain_number(value: Decimal) -> str:
    """Digits with thousands separators and no trailing zeros: 9477 -> "9,477", 52.50 -> "52.5"."""
    normalised = value.normalize()
    if normalised == normalised.to_integral_value():
        return f"{int(normalised):,}"
    whole, _, fraction = f"{normalised:f}".partition(".")
    return f"{int(whole):,}.{fraction}" if whole not in ("", "-") else f"{whole}.{fraction}"


def _money(value: Decimal, sign: str) -> str:
    """Money as reports write it: £950, £12,500, £1.2m, £3.4bn."""
    magnitude = abs(value)
    for threshold, suffix in ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m")):
        if magnitude >= threshold:
            scaled = (value / threshold).quantize(Decimal("0.1")).normalize()
            return f"{sign}{_plain_number(scaled)}{suffix}"
    return f"{sign}{_plain_number(value)}"


def format_value(value: Decimal, unit: str) -> str:
    """The value as people write it: "52%", "9,477", "£1.2m", "0.2"."""
    if unit == "percent":
        return f"{_plain_number(value)}%"
    if unit in CURRENCY_SIGNS:
        return _money(value, CURRENCY_SIGNS[unit])
    return _plain_number(value)


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters, ending with an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """ "1 figure", "3 figures"."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count:,} {word}"
