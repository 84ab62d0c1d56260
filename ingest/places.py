"""Recognising the place a figure covers ("in England and Wales", "across the UK")."""

from __future__ import annotations

import re

# Longest names first so "England and Wales" wins over "England".
_PLACES: dict[str, str] = {
    "england and wales": "England and Wales",
    "united kingdom": "UK",
    "great britain": "Great Britain",
    "northern ireland": "Northern Ireland",
    "republic of ireland": "Ireland",
    "united states": "US",
    "north east": "North East",
    "north west": "North West",
    "south east": "South East",
    "south west": "South West",
    "east midlands": "East Midlands",
    "west midlands": "West Midlands",
    "yorkshire and the humber": "Yorkshire and the Humber",
    "the uk": "UK",
    "u.k.": "UK",
    "uk": "UK",
    "britain": "UK",
    "the u.s.": "US",
    "u.s.": "US",
    "the us": "US",
    "america": "US",
    "england": "England",
    "scotland": "Scotland",
    "wales": "Wales",
    "ireland": "Ireland",
    "london": "London",
    "europe": "Europe",
    "canada": "Canada",
    "australia": "Australia",
    "new zealand": "New Zealand",
    "the netherlands": "Netherlands",
    "netherlands": "Netherlands",
    "france": "France",
    "germany": "Germany",
    "russia": "Russia",
    "japan": "Japan",
    "china": "China",
    "india": "India",
}
# What "nationally" means in an article about one of these
COUNTRIES = frozenset(
    {
        "UK",
        "US",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Ireland",
        "England and Wales",
        "Great Britain",
        "Canada",
        "Australia",
        "New Zealand",
        "Netherlands",
        "France",
        "Germany",
        "Russia",
        "Japan",
        "China",
        "India",
    }
)
_NAMES = "|".join(re.escape(name) for name in sorted(_PLACES, key=len, reverse=True))
# A place counts only after "in/across/throughout": "the U.K-based charity" or "the UK's agency" does not.
_PLACE = re.compile(
    rf"\b(?:in|across|throughout|within|around)\s+(?:the\s+)?(?P<place>{_NAMES})(?![\w-])", re.IGNORECASE
)


def nearest_place(sentence: str, position: int) -> str | None:
    """The place named closest to the figure at `position`, or None if the sentence names none."""
    places = [(m.start(), m.end(), m.group("place")) for m in _PLACE.finditer(sentence)]
    places = [p for p in places if not re.match(r"['’]s\b", sentence[p[1] :])]
    if not places:
        return None
    _, _, name = min(places, key=lambda p: min(abs(p[0] - position), abs(p[1] - position)))
    return _PLACES[name.lower()] if name.lower() in _PLACES else _PLACES.get(f"the {name.lower()}", name)


# Anywhere in the text: "U.S. students", "UK councils", "in England and Wales"
# ("the UK's agency", "U.K-based" describe an organisation, not what a figure covers)
_ANY_PLACE = re.compile(rf"(?<![\w.-])(?P<place>{_NAMES})(?![\w-]|['’]s\b)", re.IGNORECASE)


def main_place(text: str, *, countries_only: bool = False) -> str | None:
    """The place an article is about: the one named at least twice as often as any other, or None when
    no place stands out. With `countries_only`, the country it is about."""
    counts: dict[str, int] = {}
    for match in _ANY_PLACE.finditer(text):
        name = match.group("place")
        if name[0].islower() and name.lower() not in {"the uk", "the us", "the u.s."}:
            continue  # "us" the pronoun, "wales" in running text is capitalised anyway
        key = _PLACES.get(name.lower(), name)
        if countries_only and key not in COUNTRIES:
            continue
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if not ranked or (len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]):
        return None
    return ranked[0][0]
