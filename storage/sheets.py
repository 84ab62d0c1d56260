"""Validated spreadsheet rows into the library (through the audit-logged write path), and published items back out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import changes, embargo, search, write
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import Kind
from storage.models import Quote, Statistic, Status

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Imported:
    added: int
    already_stored: int


def import_items(
    session: Session,
    workspace_id: int,
    rows: Iterable[tuple[int | None, FigureInput | QuoteInput]],
    *,
    actor: str,
    publish: bool = True,
    on_progress: Progress | None = None,
) -> Imported:
    """Store each (row number, item) unless the same item is already stored, in batches through the one
    write path; the caller commits (or not) once for all. Raises write.Conflicts naming each row whose
    source's link is stored with other details."""
    outcome = write.add(
        session,
        workspace_id,
        (changes.new_item(item, row) for row, item in rows),
        actor=actor,
        status=Status.PUBLISHED if publish else Status.PENDING,
        on_progress=on_progress,
    )
    return Imported(added=outcome.added, already_stored=outcome.already_stored)


def published(
    session: Session, workspace_id: int, kind: Kind, words: str = ""
) -> list[FigureInput] | list[QuoteInput]:
    """Published items (optionally only those matching `words`) as the rows an import reads back. Nothing under
    embargo, whoever asks: an export is a file that travels, and its columns carry no embargo."""
    model: type[Statistic] | type[Quote] = Quote if kind == "quote" else Statistic
    query = select(model).where(
        model.workspace_id == workspace_id,
        model.status == Status.PUBLISHED.value,
        embargo.visible(model, None),
    )
    terms = search.search_terms(words)
    if terms:
        hits = search.matches(session, workspace_id, kind, terms)
        query = query.where(model.id.in_(select(hits.c.item_id)))
    query = query.order_by(model.id)
    if kind == "quote":
        return [as_quote_input(q) for q in session.scalars(query) if isinstance(q, Quote)]
    return [as_figure_input(s) for s in session.scalars(query) if isinstance(s, Statistic)]


def _value(value: Decimal) -> Decimal:
    """52.000000 as stored -> 52, without turning 1000 into 1E+3."""
    return Decimal(f"{value.normalize():f}")


def as_figure_input(stat: Statistic) -> FigureInput:
    start, end = stat.period
    chain = stat.source.chain()
    producer = stat.producer or (chain[1] if len(chain) > 1 else None)
    return FigureInput(
        value=_value(stat.value),
        unit=stat.unit,
        measure=stat.measure,
        period_start=start,
        period_end=end,
        geography=stat.geography or None,
        entities=tuple(entity.name for entity in stat.entities),
        topics=tuple(topic.name for topic in stat.topics),
        source_title=stat.source.title or None,
        source_publisher=stat.source.publisher or None,
        source_url=stat.source.url or None,
        source_date=stat.source.published,
        evidence=stat.evidence or None,
        producer=(producer.publisher or producer.title or None) if producer else None,
        primary_source_url=(producer.url or None) if producer else None,
        notes=stat.notes or None,
    )


def as_quote_input(quote: Quote) -> QuoteInput:
    return QuoteInput(
        text=quote.text,
        speaker=quote.speaker,
        speaker_role=quote.speaker_role or None,
        speaker_org=quote.speaker_org or None,
        said_on=quote.said,
        topics=tuple(topic.name for topic in quote.topics),
        source_title=quote.source.title or None,
        source_publisher=quote.source.publisher or None,
        source_url=quote.source.url or None,
    )
