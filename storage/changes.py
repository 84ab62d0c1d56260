"""Every change to a figure or quote goes through here: applied, re-indexed, and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.validate import FigureInput, QuoteInput
from storage import audit, library, search
from storage.models import AuditEntry, Entity, Quote, Source, Statistic, Status, Topic, utcnow

Item = Statistic | Quote
CLI_ACTOR = "cli"


class NotAllowed(Exception):
    """The change makes no sense for the item as it stands (approving a rejected figure, say)."""


class Incomplete(NotAllowed):
    """An extracted candidate still lacks what makes it citable (what was counted, who said it)."""


def missing(item: Item) -> list[str]:
    """What a person must fill in (with Edit) before this item may be published."""
    if isinstance(item, Quote):
        return ["the speaker"] if not item.speaker.strip() else []
    return ["what was counted"] if not item.measure.strip() else []


@dataclass
class Lookups:
    """What a big import has met already, so it asks the database once for each, and its unlogged new items.

    With `batch`, new items are not flushed, indexed and logged one by one: `log_batch` does that for
    all of them at once (a flush of hundreds of rows is one round trip, not hundreds).
    """

    sources: dict[tuple[Any, ...], Source] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    figure_keys: dict[tuple[Any, ...], int | Statistic] | None = None
    batch: list[Item] | None = None


def stored_figure_keys(session: Session, workspace_id: int) -> dict[tuple[Any, ...], int | Statistic]:
    """Every stored figure's `library.figure_key`, with its id: one query instead of one a row."""
    rows = session.execute(
        select(
            Statistic.id, Statistic.measure, Statistic.unit, Statistic.period_start, Statistic.period_end,
            Statistic.geography, Statistic.source_id,
        ).where(Statistic.workspace_id == workspace_id)
    )  # fmt: skip
    return {library.figure_key(*row[1:]): row[0] for row in rows}


def log_batch(session: Session, lookups: Lookups, actor: str, now: datetime) -> None:
    """Give each new item of the batch its id, search document and "create" audit entry."""
    if not lookups.batch:
        return
    session.flush()
    for item in lookups.batch:
        session.add(search.new_document(item))
        session.add(audit.entry(item, "create", actor, None, now))
    lookups.batch.clear()


def kind_of(item: Item) -> search.Kind:
    return "statistic" if isinstance(item, Statistic) else "quote"


def _record(
    session: Session, item: Item, action: str, actor: str, before: dict[str, Any] | None, now: datetime
) -> AuditEntry:
    search.index(session, item)  # flushes, so a new item has its id
    entry = audit.entry(item, action, actor, before, now)
    session.add(entry)
    return entry


def history(session: Session, workspace_id: int, kind: search.Kind, item_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.workspace_id == workspace_id,
                AuditEntry.item_kind == kind,
                AuditEntry.item_id == item_id,
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


# ----- creating from validated input ------------------------------------------------------------


def _source(
    session: Session, workspace_id: int, lookups: Lookups, *, cites: Source | None = None, **identity: Any
) -> Source:
    key = (identity.get("publisher", ""), identity.get("title", ""), identity.get("url", ""))
    found = lookups.sources.get(key)
    if found is None:
        found = library.source(session, workspace_id, cites=cites, **identity)
        lookups.sources[key] = found
    return found


def figure_source(session: Session, workspace_id: int, figure: FigureInput, lookups: Lookups) -> Source:
    """Who reported the figure; when a producer is named, that source cites the producer's own."""
    producer = None
    if figure.producer or figure.primary_source_url:
        producer = _source(
            session,
            workspace_id,
            lookups,
            publisher=figure.producer or "",
            url=figure.primary_source_url or "",
        )
    return _source(
        session,
        workspace_id,
        lookups,
        cites=producer,
        title=figure.source_title or "",
        publisher=figure.source_publisher or "",
        url=figure.source_url or "",
        published=figure.source_date,
    )


def _entities(session: Session, workspace_id: int, names: tuple[str, ...], lookups: Lookups) -> list[Entity]:
    found = []
    for name in names:
        key = search.phrase_key(name)
        if key not in lookups.entities:
            lookups.entities[key] = library.entity(session, workspace_id, name)
        if lookups.entities[key] not in found:
            found.append(lookups.entities[key])
    return found


def _topics(session: Session, workspace_id: int, names: tuple[str, ...], lookups: Lookups) -> list[Topic]:
    found = []
    for name in names:
        key = " ".join(name.split())
        if key not in lookups.topics:
            lookups.topics[key] = library.topic(session, workspace_id, key)
        if lookups.topics[key] not in found:
            found.append(lookups.topics[key])
    return found


def _status(publish: bool) -> Status:
    return Status.PUBLISHED if publish else Status.PENDING


def add_figure(
    session: Session,
    workspace_id: int,
    figure: FigureInput,
    *,
    actor: str,
    publish: bool,
    lookups: Lookups | None = None,
    now: datetime | None = None,
) -> tuple[Statistic, bool]:
    """The figure stored (published, or pending review) and logged; (existing, False) if already stored."""
    lookups = lookups or Lookups()
    now = now or utcnow()
    source = figure_source(session, workspace_id, figure, lookups)
    geography = figure.geography or ""
    start, end = (
        (figure.period_start.day if figure.period_start else None),
        (figure.period_end.day if figure.period_end else None),
    )
    found: Statistic | None
    if lookups.figure_keys is None:
        found = library.existing_statistic(
            session, workspace_id, measure=figure.measure, unit=figure.unit, period_start=figure.period_start,
            period_end=figure.period_end, geography=geography, source=source,
        )  # fmt: skip
    else:
        key = library.figure_key(figure.measure, figure.unit, start, end, geography, source.id)
        known_as = lookups.figure_keys.get(key)
        found = session.get(Statistic, known_as) if isinstance(known_as, int) else known_as
    if found is not None:
        return found, False
    known = figure.period_end or figure.period_start
    created = Statistic(
        workspace_id=workspace_id,
        value=figure.value,
        unit=figure.unit,
        measure=figure.measure,
        period_start=figure.period_start.day if figure.period_start else None,
        period_end=figure.period_end.day if figure.period_end else None,
        period_precision=known.precision.value if known else None,
        geography=geography,
        evidence=figure.evidence or "",
        notes=figure.notes or "",
        source=source,
        entities=_entities(session, workspace_id, figure.entities, lookups),
        topics=_topics(session, workspace_id, figure.topics, lookups),
        status=_status(publish).value,
        created_by=actor,
        created_at=now,
        published_at=now if publish else None,
    )
    session.add(created)
    if lookups.figure_keys is not None and isinstance(created, Statistic):
        lookups.figure_keys[
            library.figure_key(figure.measure, figure.unit, start, end, geography, source.id)
        ] = created
    if lookups.batch is not None:
        lookups.batch.append(created)
    else:
        _record(session, created, "create", actor, None, now)
    return created, True


def quote_source(session: Session, workspace_id: int, quote: QuoteInput, lookups: Lookups) -> Source:
    return _source(
        session,
        workspace_id,
        lookups,
        title=quote.source_title or "",
        publisher=quote.source_publisher or "",
        url=quote.source_url or "",
    )


def add_quote(
    session: Session,
    workspace_id: int,
    quote: QuoteInput,
    *,
    actor: str,
    publish: bool,
    lookups: Lookups | None = None,
    now: datetime | None = None,
) -> tuple[Quote, bool]:
    """The quote stored and logged; (existing, False) if these words by this speaker are already stored."""
    lookups = lookups or Lookups()
    now = now or utcnow()
    found = library.existing_quote(session, workspace_id, text=quote.text, speaker=quote.speaker)
    if found is not None:
        return found, False
    created = Quote(
        workspace_id=workspace_id,
        text=quote.text,
        speaker=quote.speaker,
        speaker_role=quote.speaker_role or "",
        speaker_org=quote.speaker_org or "",
        said_on=quote.said_on.day if quote.said_on else None,
        said_precision=quote.said_on.precision.value if quote.said_on else None,
        source=quote_source(session, workspace_id, quote, lookups),
        topics=_topics(session, workspace_id, quote.topics, lookups),
        status=_status(publish).value,
        created_by=actor,
        created_at=now,
        published_at=now if publish else None,
    )
    session.add(created)
    if lookups.batch is not None:
        lookups.batch.append(created)
    else:
        _record(session, created, "create", actor, None, now)
    return created, True


# ----- changing what is stored --------------------------------------------------------------------


def edit_figure(
    session: Session, stat: Statistic, figure: FigureInput, *, actor: str, now: datetime | None = None
) -> Statistic:
    """Replace a figure's details with what was typed in the form; its status is left as it was."""
    now = now or utcnow()
    before = audit.snapshot(stat)
    lookups = Lookups()
    known = figure.period_end or figure.period_start
    stat.value = figure.value
    stat.unit = figure.unit
    stat.measure = figure.measure
    stat.period_start = figure.period_start.day if figure.period_start else None
    stat.period_end = figure.period_end.day if figure.period_end else None
    stat.period_precision = known.precision.value if known else None
    stat.geography = figure.geography or ""
    stat.evidence = figure.evidence or ""
    stat.notes = figure.notes or ""
    stat.source = figure_source(session, stat.workspace_id, figure, lookups)
    stat.entities = _entities(session, stat.workspace_id, figure.entities, lookups)
    stat.topics = _topics(session, stat.workspace_id, figure.topics, lookups)
    _record(session, stat, "edit", actor, before, now)
    return stat


def edit_quote(
    session: Session, item: Quote, quote: QuoteInput, *, actor: str, now: datetime | None = None
) -> Quote:
    now = now or utcnow()
    before = audit.snapshot(item)
    lookups = Lookups()
    item.text = quote.text
    item.speaker = quote.speaker
    item.speaker_role = quote.speaker_role or ""
    item.speaker_org = quote.speaker_org or ""
    item.said_on = quote.said_on.day if quote.said_on else None
    item.said_precision = quote.said_on.precision.value if quote.said_on else None
    item.source = quote_source(session, item.workspace_id, quote, lookups)
    item.topics = _topics(session, item.workspace_id, quote.topics, lookups)
    _record(session, item, "edit", actor, before, now)
    return item


def _require(item: Item, *statuses: Status) -> None:
    if item.status not in {s.value for s in statuses}:
        raise NotAllowed(f"{kind_of(item)} #{item.id} is {item.status}")


def approve(session: Session, item: Item, *, actor: str, now: datetime | None = None) -> Item:
    """Publish a pending item: from now on it is answered. Incomplete candidates must be edited first."""
    _require(item, Status.PENDING)
    if gaps := missing(item):
        raise Incomplete(" and ".join(gaps))
    now = now or utcnow()
    before = audit.snapshot(item)
    item.status = Status.PUBLISHED.value
    item.published_at = now
    _record(session, item, "approve", actor, before, now)
    return item


def reject(
    session: Session, item: Item, *, actor: str, reason: str = "", now: datetime | None = None
) -> Item:
    _require(item, Status.PENDING)
    now = now or utcnow()
    before = audit.snapshot(item)
    item.status = Status.REJECTED.value
    item.status_reason = reason
    _record(session, item, "reject", actor, before, now)
    return item


def retract(session: Session, item: Item, *, actor: str, reason: str, now: datetime | None = None) -> Item:
    """Withdraw a published item for good, keeping why; it is never answered again."""
    if not reason.strip():
        raise NotAllowed("a retraction needs a reason")
    _require(item, Status.PUBLISHED, Status.SUPERSEDED)
    now = now or utcnow()
    before = audit.snapshot(item)
    item.status = Status.RETRACTED.value
    item.status_reason = reason.strip()
    item.status_changed_at = now  # digests list what changed since their last run under Corrections
    _record(session, item, "retract", actor, before, now)
    return item


def supersede(
    session: Session, old: Statistic, new: Statistic, *, actor: str, now: datetime | None = None
) -> Statistic:
    """Mark `old` as replaced by `new`; answers about `old` then point to `new`."""
    if old.id == new.id or old.workspace_id != new.workspace_id:
        raise NotAllowed("a figure can only be superseded by another figure in the same workspace")
    _require(old, Status.PUBLISHED)
    _require(new, Status.PUBLISHED)
    now = now or utcnow()
    before = audit.snapshot(old)
    old.status = Status.SUPERSEDED.value
    old.superseded_by = new
    old.status_changed_at = now
    _record(session, old, "supersede", actor, before, now)
    return old


def submit_for_review(
    session: Session,
    workspace_id: int,
    item: FigureInput | QuoteInput,
    submitted_by: str,
    *,
    now: datetime | None = None,
) -> tuple[Item, bool]:
    """Store an item as pending, to be approved by an editor; (existing item, False) if already stored.

    This is what automatic intake (article ingestion) calls: its items are never published directly.
    """
    if isinstance(item, QuoteInput):
        return add_quote(session, workspace_id, item, actor=submitted_by, publish=False, now=now)
    return add_figure(session, workspace_id, item, actor=submitted_by, publish=False, now=now)


def find_item(
    session: Session, workspace_id: int, kind: str, item_id: int, *, for_update: bool = False
) -> Item | None:
    """The item, locked until commit when `for_update` (two editors pressing Approve at once decide once)."""
    found: Item | None
    if kind == "quote":
        quotes = select(Quote).where(Quote.id == item_id)
        found = session.scalar(quotes.with_for_update(of=Quote) if for_update else quotes)
    else:
        figures = select(Statistic).where(Statistic.id == item_id)
        found = session.scalar(figures.with_for_update(of=Statistic) if for_update else figures)
    return found if found is not None and found.workspace_id == workspace_id else None
