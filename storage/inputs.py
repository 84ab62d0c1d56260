"""What a validated figure or quote is, as the write path takes it; intake/validate.py makes these from typed text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.embargo import Embargo
from storage.partial_date import PartialDate


@dataclass(frozen=True)
class FigureInput:
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


@dataclass(frozen=True)
class QuoteInput:
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
