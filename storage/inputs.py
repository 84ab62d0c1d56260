"""What a validated figure or quote is, as the write path takes it; intake/validate.py makes these from typed text."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from storage.embargo import Embargo
from storage.partial_date import PartialDate


# Named tuples rather than frozen dataclasses: as immutable, and an import makes one per row, which a named
# tuple does in a quarter of the time (a frozen dataclass sets each field through object.__setattr__) and
# hashes (for the sheet's duplicate check) in half.
class FigureInput(NamedTuple):
    """A figure that passed validation: every text trimmed, every date at the precision typed."""

    value: Decimal
    unit: str
    measure: str
    period_start: PartialDate | None
    period_end: PartialDate | None
    geography: str | None
    entities: tuple[str, ...]
    topics: tuple[str, ...]
    source_title: str | None
    source_publisher: str | None
    source_url: str | None
    source_date: PartialDate | None
    evidence: str | None
    producer: str | None = None
    primary_source_url: str | None = None
    notes: str | None = None
    embargo: Embargo | None = None


class QuoteInput(NamedTuple):
    """A quote that passed validation."""

    text: str
    speaker: str
    speaker_role: str | None
    speaker_org: str | None
    said_on: PartialDate | None
    topics: tuple[str, ...]
    source_title: str | None
    source_publisher: str | None
    source_url: str | None
    embargo: Embargo | None = None
