"""Measures a figure borrows from the figure it is listed with, compared with or derived from.

A sentence often gives one measure and then a run of figures that lean on it: "31 per cent were sent on
AppOne, 12 per cent on AppTwo", "stored on servers in France (40%) and Canada (25%)", "820 clubs across
the country, including 12 in Leeds", "That's up from 1,500 the year before", "an increase of 3% since
last year". Read alone, such a figure's own words say where or when, not what; the measure is the one it
leans on, with its own place put in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from ingest.figure_context import measure_tokens


class Measured(Protocol):
    @property
    def measure(self) -> str | None: ...

    @property
    def unit(self) -> str: ...

    @property
    def value(self) -> Decimal: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def evidence(self) -> str: ...


_NAMES = r"(?:the\s+)?[A-Z][\w.’'-]*(?:\s+(?:and\s+(?:the\s+)?|of\s+)?[A-Z][\w.’'-]*)*"
_PREPOSITION = r"(?:on|in|at|for|from|across|via|through)"
# "12 per cent on AppTwo", "12 in Leeds": nothing but where
_PLACE_ONLY = re.compile(rf"^\s*{_PREPOSITION}\s+{_NAMES}\s*(?=$|[,.;]|\s+and\s+[\d£$€])")
# "servers in France (40%) and Canada (25%)": a name in brackets' place
_NAME_BEFORE_BRACKET = re.compile(rf"(?:\band|,)\s+(?P<name>{_NAMES})\s*\(\s*$")
# "with AppTwo close behind at 88%", "with Spain and Italy following at 9% and 7% respectively"
_FOLLOWING = re.compile(
    rf"\bwith\s+(?P<names>{_NAMES})\s+(?:[a-z]+\s+){{0,2}}at\s+(?P<first>[\d.,]+\s?(?:%|per\s?cent)\s+and\s+)?$"
)
_TRAILING_PLACE = re.compile(rf"\s+(?P<prep>{_PREPOSITION})\s+(?P<name>{_NAMES})(?:\s+nationally)?\s*$")
_INNER_PLACE = re.compile(rf"\b{_PREPOSITION}\s+(?P<name>{_NAMES})")
_HEDGE_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
# "up from 1,500", "compared with only 40", "equivalent to 310,000"
_BASELINE = re.compile(
    r"\b(?:up from|down from|compared with|compared to|against|versus|equivalent to|equating to)"
    r"(?:\s+(?:only|just|about|around|some))?\s+$",
    re.IGNORECASE,
)
_CHANGE_WORD = re.compile(
    r"\b(?:rose|risen|rise|increased?|fell|fallen|dropped|jumped|grew|grown|climbed|soared|surged|doubled|"
    r"trebled|tripled|quadrupled)\b",
    re.IGNORECASE,
)
# "an increase of 3%", "That was a rise of 18 per cent": a change in a measure named before
_CHANGE_OF = re.compile(
    r"\b(?:an?|the)\s+(?P<change>increase|rise|fall|drop|decrease|reduction|jump)\s+of\s+$", re.IGNORECASE
)
_NEAR = 400  # characters: a figure in the sentence before still counts as "just named"


def _base(measure: str | None) -> str:
    return _HEDGE_NOTE.sub("", measure or "").strip()


def _earlier(
    figures: Sequence[Measured], sentence: str, start: int, *, nearby: bool = True, unit: str | None = None
) -> list[Measured]:
    """Figures before `start` (an offset in the text) that have a measure, latest first: in this
    sentence, then, if `nearby`, in the text just before it."""
    usable = [f for f in figures if f.measure and f.end <= start and (unit is None or f.unit == unit)]
    same = [f for f in usable if f.evidence is sentence]
    near = [f for f in usable if f.evidence is not sentence and start - f.end <= _NEAR] if nearby else []
    return [*reversed(same), *reversed(near)]


def _compared_with(
    sentence: str, position: int, start: int, unit: str, value: Decimal, figures: Sequence[Measured]
) -> Measured | None:
    """The figure a baseline restates or is compared with: "up from 1,500" follows a larger number and
    "down from" a smaller one; "from 640" after "jumped by" belongs to this sentence's change."""
    before = sentence[:position]
    if not _BASELINE.search(before):
        after_change = re.search(r"\bfrom\s+$", before) and _CHANGE_WORD.search(before)
        if after_change or re.search(r"\bfrom\s+[\d,.]+\s+to\s+$", before):
            same = _earlier(figures, sentence, start, nearby=False)
            return same[0] if same else None
        return None
    candidates = _earlier(figures, sentence, start, unit=unit) or _earlier(figures, sentence, start)
    if re.search(r"\bup from", before, re.IGNORECASE):
        candidates = [f for f in candidates if f.unit != unit or f.value > value] or candidates
    elif re.search(r"\bdown from", before, re.IGNORECASE):
        candidates = [f for f in candidates if f.unit != unit or f.value < value] or candidates
    return candidates[0] if candidates else None


def linked_measure(
    sentence: str,
    position: int,
    end: int,
    unit: str,
    value: Decimal,
    figures: Sequence[Measured],
    start: int,
) -> str | None:
    """The measure the figure at `position` (`start` in the text) borrows; None when it has its own."""
    compared = _compared_with(sentence, position, start, unit, value, figures)
    if compared is not None:
        return _base(compared.measure)
    earlier = _earlier(figures, sentence, start)
    if not earlier:
        return None
    before = sentence[:position]
    change = _CHANGE_OF.search(before)
    if change and not re.match(r"\s*(?:in|of)\s+\w", sentence[end:]):
        after = re.split(r"[,;:]\s|\s[–—-]\s|\.(?:\s|$)", sentence[end:], maxsplit=1)[0]
        return f"{change.group('change').lower()} in {_base(earlier[0].measure)} {after.strip()}".strip()
    same = [f for f in earlier if f.evidence is sentence and f.unit == unit]
    if not same:
        return None
    named = _NAME_BEFORE_BRACKET.search(before)
    if named:
        return _with_place(_base(same[0].measure), None, named.group("name"))
    following = _FOLLOWING.search(before)
    if following:
        names = re.split(r",\s*|\s+and\s+", following.group("names"))
        index = 1 if following.group("first") and len(names) > 1 else 0
        return _with_place(_base(same[-1].measure), None, names[index])
    after = re.sub(r"^\s*\)", "", sentence[end:])
    own = _PLACE_ONLY.match(after)
    if own:
        prep, _, name = own.group(0).strip().rstrip(".").partition(" ")
        return _with_place(_base(same[0].measure), prep, name)
    return None


def _with_place(measure: str, prep: str | None, name: str) -> str | None:
    """ "were sent on AppOne" given AppTwo's place: "were sent on AppTwo"."""
    trailing = _TRAILING_PLACE.search(measure)
    if trailing:
        measure = measure[: trailing.start()]
        prep = prep or trailing.group("prep")
    elif prep is None:
        inner = list(_INNER_PLACE.finditer(measure))
        if inner:  # "clips on AppOne were violent" -> "clips on AppTwo were violent"
            last = inner[-1]
            return f"{measure[: last.start('name')]}{name}{measure[last.end('name') :]}"
    if not measure_tokens(measure):
        return None
    return f"{measure} {prep or 'in'} {name}".strip()
