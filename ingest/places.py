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
}
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
