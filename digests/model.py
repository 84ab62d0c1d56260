"""What a digest holds, as plain data the renderer takes; the caller fills it from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal


@dataclass(frozen=True)
class DigestFigure:
    """A newly published figure. Text fields are stored text, shown escaped; `period_label` is ready to show
    (e.g. from storage.partial_date.human_period)."""

    id: int
    value: Decimal
    unit: str
    measure: str
    period_label: str | None
    geography: str | None
    entities: list[str]
    topics: list[str]
    source_label: str
    source_url: str | None
    series_key: str | None = None
    period_end: date | None = None
    # Whose figure it is (the NSPCC), when that is not the reporter (BBC News): a line must name both.
    producer: str | None = None


@dataclass(frozen=True)
class DigestQuote:
    id: int
    text: str
    speaker: str
    speaker_role: str | None
    speaker_org: str | None
    source_label: str
    source_url: str | None
    topics: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DigestCorrection:
    """A figure or quote the channel may have cited that has since been retracted or superseded, or a figure
    it was sent whose value, unit, period or place has changed."""

    id: int
    description: str
    kind: Literal["retracted", "superseded", "changed"]
    reason: str | None = None


@dataclass(frozen=True)
class SeriesPoint:
    """An earlier value of a series (same `series_key`), to say how a new figure moved."""

    series_key: str
    value: Decimal
    unit: str
    period_end: date
    period_label: str | None = None


@dataclass(frozen=True)
class Digest:
    subscription_id: int
    channel_id: str
    topic: str
    period_start: date
    period_end: date
    figures: list[DigestFigure] = field(default_factory=list)
    quotes: list[DigestQuote] = field(default_factory=list)
    corrections: list[DigestCorrection] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing new and nothing corrected: no message is posted."""
        return not (self.figures or self.quotes or self.corrections)
