"""The one way figures, quotes and what they refer to are written, so each is indexed as it is saved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit, search
from storage.models import Entity, EntityAlias, Quote, Source, Statistic, Status, Topic, utcnow
from storage.partial_date import PartialDate

ItemT = TypeVar("ItemT", Statistic, Quote)


def source(
    session: Session,
    workspace_id: int,
    *,
    title: str = "",
    publisher: str = "",
    url: str = "",
    published: PartialDate | None = None,
    notes: str = "",
    cites: Source | None = None,
) -> Source:
    """The source with this publisher, title and link, created if new (an existing one is never altered)."""
    found = session.scalar(
        select(Source).where(
            Source.workspace_id == workspace_id,
            Source.publisher == publisher,
            Source.title == title,
            Source.url == url,
        )
    )
    if found is not None:
        return found
    created = Source(
        workspace_id=workspace_id,
        title=title,
        publisher=publisher,
        url=url,
        published_on=published.day if published else None,
        published_precision=published.precision.value if published else None,
        notes=notes,
        cites=cites,
    )
    session.add(created)
    session.flush()
    return created


def entity(
    session: Session,
    workspace_id: int,
    name: str,
    *,
    kind: str = "organisation",
    aliases: Iterable[str] = (),
    owner: Entity | None = None,
) -> Entity:
    """The entity of this name, created (with its aliases) if none has it. A name that is only another
    entity's alias ("Meta" for "Meta Platforms") makes an entity of its own, owned by that one, so a figure
    keeps the subject its row names and searches for the other still find it."""
    key = search.phrase_key(name)
    by_alias = list(
        session.scalars(
            select(Entity)
            .join(EntityAlias, EntityAlias.entity_id == Entity.id)
            .where(EntityAlias.workspace_id == workspace_id, EntityAlias.alias == key)
            .order_by(Entity.owner_id.is_not(None), Entity.id)
        ).unique()
    )
    found = next((e for e in by_alias if search.phrase_key(e.name) == key), None) or session.scalar(
        select(Entity).where(Entity.workspace_id == workspace_id, Entity.name == name)
    )
    if found is None:
        found = Entity(
            workspace_id=workspace_id, name=name, kind=kind, owner=owner or (by_alias[0] if by_alias else None)
        )
        session.add(found)
    known = {alias.alias for alias in found.aliases}
    for alias in (name, *aliases):
        alias_key = search.phrase_key(alias)
        if alias_key and alias_key not in known:
            found.aliases.append(EntityAlias(workspace_id=workspace_id, alias=alias_key))
            known.add(alias_key)
    session.flush()
    return found


def topic(session: Session, workspace_id: int, name: str) -> Topic:
    name = " ".join(name.split())
    found = session.scalar(select(Topic).where(Topic.workspace_id == workspace_id, Topic.name == name))
    if found is None:
        found = Topic(workspace_id=workspace_id, name=name)
        session.add(found)
        session.flush()
    return found


def statistic(
    session: Session,
    workspace_id: int,
    *,
    value: Decimal,
    unit: str,
    measure: str,
    source: Source,
    period_start: PartialDate | None = None,
    period_end: PartialDate | None = None,
    geography: str = "",
    value_text: str = "",
    evidence: str = "",
    notes: str = "",
    via: Source | None = None,
    base: Statistic | None = None,
    entities: Iterable[Entity] = (),
    topics: Iterable[Topic] = (),
    status: Status = Status.PUBLISHED,
    created_by: str = "",
    now: datetime | None = None,
) -> Statistic:
    """The figure with this measure, period, place and source; created and indexed if it is new.

    A figure whose measure is not yet known (an extracted candidate) cannot be matched, so is always new.
    """
    found = None
    if measure:
        found = existing_statistic(
            session, workspace_id, measure=measure, unit=unit, period_start=period_start,
            period_end=period_end, geography=geography, source=source,
        )  # fmt: skip
    if found is not None:
        return found
    known = period_end or period_start
    precision = known.precision.value if known else None
    created = Statistic(
        workspace_id=workspace_id,
        value=value,
        unit=unit,
        value_text=value_text,
        measure=measure,
        period_start=period_start.day if period_start else None,
        period_end=period_end.day if period_end else None,
        period_precision=precision,
        geography=geography,
        evidence=evidence,
        notes=notes,
        source=source,
        via_source=via,
        base=base,
        entities=list(entities),
        topics=list(topics),
        status=status.value,
        created_by=created_by,
        published_at=(now or utcnow()) if status is Status.PUBLISHED else None,
    )
    return _saved(session, created)


def _saved(session: Session, created: ItemT) -> ItemT:
    """A new figure or quote added, indexed for search and recorded in the audit log, all in one place."""
    session.add(created)
    search.index(session, created)
    session.add(
        audit.entry(created, "create", created.created_by or "system", None, created.created_at or utcnow())
    )
    return created


def figure_key(
    measure: str,
    unit: str,
    period_start: date | None,
    period_end: date | None,
    geography: str,
    source_id: int,
) -> tuple[Any, ...]:
    """What makes two figures the same one: measure, unit, period, place and source, ignoring case,
    punctuation and spacing in the words ("Grooming crimes" and "grooming crimes." are one figure)."""
    return (
        search.phrase_key(measure),
        unit,
        period_start,
        period_end,
        search.phrase_key(geography),
        source_id,
    )


def existing_statistic(
    session: Session,
    workspace_id: int,
    *,
    measure: str,
    unit: str,
    period_start: PartialDate | None,
    period_end: PartialDate | None,
    geography: str,
    source: Source,
) -> Statistic | None:
    """The stored figure that is the same one (see `figure_key`), whatever its status."""
    start, end = (period_start.day if period_start else None), (period_end.day if period_end else None)
    wanted = figure_key(measure, unit, start, end, geography, source.id)
    candidates = session.scalars(
        select(Statistic).where(
            Statistic.workspace_id == workspace_id,
            Statistic.unit == unit,
            Statistic.period_start == start,
            Statistic.period_end == end,
            Statistic.source_id == source.id,
        )
    )
    return next(
        (
            stat
            for stat in candidates
            if figure_key(
                stat.measure, stat.unit, stat.period_start, stat.period_end, stat.geography, stat.source_id
            )
            == wanted
        ),
        None,
    )


def existing_quote(session: Session, workspace_id: int, *, text: str, speaker: str) -> Quote | None:
    return session.scalar(
        select(Quote).where(Quote.workspace_id == workspace_id, Quote.text == text, Quote.speaker == speaker)
    )


def quote(
    session: Session,
    workspace_id: int,
    *,
    text: str,
    speaker: str,
    source: Source,
    speaker_role: str = "",
    speaker_org: str = "",
    context: str = "",
    said: PartialDate | None = None,
    via: Source | None = None,
    entities: Iterable[Entity] = (),
    topics: Iterable[Topic] = (),
    status: Status = Status.PUBLISHED,
    created_by: str = "",
    now: datetime | None = None,
) -> Quote:
    """The quote with these words and speaker; created and indexed if it is new."""
    found = existing_quote(session, workspace_id, text=text, speaker=speaker)
    if found is not None:
        return found
    created = Quote(
        workspace_id=workspace_id,
        text=text,
        speaker=speaker,
        speaker_role=speaker_role,
        speaker_org=speaker_org,
        context=context,
        said_on=said.day if said else None,
        said_precision=said.precision.value if said else None,
        source=source,
        via_source=via,
        entities=list(entities),
        topics=list(topics),
        status=status.value,
        created_by=created_by,
        published_at=(now or utcnow()) if status is Status.PUBLISHED else None,
    )
    return _saved(session, created)
