"""English word forms as search compares them: "groomers", "grooming" and "groom" are one word; "fines" finds
penalties. Pure functions, no database."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

# Small families of words people use for one thing (money a regulator makes a company pay). Keep it general:
# a family belongs here only if anyone asking for one word would want the others.
FAMILIES: tuple[tuple[str, ...], ...] = (("fine", "penalty", "settlement", "settle"),)
_STEMMER = snowballstemmer.stemmer("english")
# Agent nouns whose root is what a person searches for: "groomer" -> "groom", "offender" -> "offend".
_AGENT = "er"
_MIN_ROOT = 4


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """The form a word is compared by: Snowball's English stem, less an agent "-er" ("groomers" -> "groom")."""
    stem = str(_STEMMER.stemWord(word.casefold()))
    if stem.endswith(_AGENT) and len(stem) - len(_AGENT) >= _MIN_ROOT:
        return stem[: -len(_AGENT)]
    return stem


def _family_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for family in FAMILIES:
        for word in family:
            index[root(word)] = family
    return index


_FAMILY = _family_index()


def variants(word: str) -> list[str]:
    """Words a full-text index (which stems by itself) should look for to find any form of `word`."""
    found = [word]
    base = root(word)
    if base != word and len(base) >= 2:
        found.append(base)
    for other in _FAMILY.get(base, ()):
        if other not in found:
            found.append(other)
    return found
