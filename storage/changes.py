"""Every change to a figure or quote goes through here: applied, re-indexed, and written to the audit log."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import embargo, write
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import Kind
from storage.models import AuditEntry, Quote, Statistic, Status, utcnow

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


def kind_of(item: Item) -> Kind:
    return "figure" if isinstance(item, Statistic) else "quote"


def _record(
    session: Session, item: Item, action: str, actor: str, now: datetime, **changed: Any
) -> AuditEntry:
    return write.update(session, item, action, actor=actor, now=now, changes=changed)


def history(session: Session, workspace_id: int, kind: Kind, item_id: int) -> list[AuditEntry]:
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


@lru_cache(maxsize=8192)  # the same source is named row after row; a SourceSpec is immutable
def source_spec(
    title: str | None, publisher: str | None, url: str | None, published: Any = None
) -> write.SourceSpec:
    return write.SourceSpec(title=title or "", publisher=publisher or "", url=url or "", published=published)


def new_figure(figure: FigureInput, row: int | None = None) -> write.NewFigure:
    """A checked figure as the write path takes it: the reporter as its source, the producer apart."""
    producer = None
    if figure.producer or figure.primary_source_url:
        producer = source_spec(None, figure.producer, figure.primary_source_url)
    return write.NewFigure(
        value=figure.value, unit=figure.unit, measure=figure.measure, period_start=figure.period_start,
        period_end=figure.period_end, geography=figure.geography or "", evidence=figure.evidence or "",
        notes=figure.notes or "",
        source=source_spec(figure.source_title, figure.source_publisher, figure.source_url, figure.source_date),
        producer=producer, entities=figure.entities, topics=figure.topics, row=row,
        embargo_until=figure.embargo.until if figure.embargo else None,
        embargo_zone=figure.embargo.zone if figure.embargo else "",
    )  # fmt: skip


def new_quote(quote: QuoteInput, row: int | None = None) -> write.NewQuote:
    return write.NewQuote(
        text=quote.text, speaker=quote.speaker, speaker_role=quote.speaker_role or "",
        speaker_org=quote.speaker_org or "", said=quote.said_on,
        source=source_spec(quote.source_title, quote.source_publisher, quote.source_url),
        topics=quote.topics, row=row,
        embargo_until=quote.embargo.until if quote.embargo else None,
        embargo_zone=quote.embargo.zone if quote.embargo else "",
    )  # fmt: skip


def new_item(item: FigureInput | QuoteInput, row: int | None = None) -> write.New:
    return new_quote(item, row) if isinstance(item, QuoteInput) else new_figure(item, row)


def _status(publish: bool) -> Status:
    return Status.PUBLISHED if publish else Status.PENDING


def add_figure(
    session: Session, workspace_id: int, figure: FigureInput, *, actor: str, publish: bool,
    now: datetime | None = None,
) -> tuple[Statistic, bool]:  # fmt: skip
    """The figure stored (published, or pending review) and logged; (existing, False) if already stored."""
    stored, created = write.add_one(
        session, workspace_id, new_figure(figure), actor=actor, status=_status(publish), now=now
    )
    assert isinstance(stored, Statistic)
    return stored, created


def add_quote(
    session: Session, workspace_id: int, quote: QuoteInput, *, actor: str, publish: bool,
    now: datetime | None = None,
) -> tuple[Quote, bool]:  # fmt: skip
    """The quote stored and logged; (existing, False) if these words by this speaker are already stored."""
    stored, created = write.add_one(
        session, workspace_id, new_quote(quote), actor=actor, status=_status(publish), now=now
    )
    assert isinstance(stored, Quote)
    return stored, created


# ----- changing what is stored --------------------------------------------------------------------


def edit_figure(
    session: Session, stat: Statistic, figure: FigureInput, *, actor: str, now: datetime | None = None
) -> Statistic:
    """Replace a figure's details with what was typed in the form; its status is left as it was."""
    write.update(session, stat, "edit", actor=actor, now=now or utcnow(), replace=new_figure(figure))
    return stat


def edit_quote(
    session: Session, item: Quote, quote: QuoteInput, *, actor: str, now: datetime | None = None
) -> Quote:
    write.update(session, item, "edit", actor=actor, now=now or utcnow(), replace=new_quote(quote))
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
    _record(session, item, "approve", actor, now, status=Status.PUBLISHED.value, published_at=now)
    return item


def reject(
    session: Session, item: Item, *, actor: str, reason: str = "", now: datetime | None = None
) -> Item:
    _require(item, Status.PENDING)
    now = now or utcnow()
    _record(session, item, "reject", actor, now, status=Status.REJECTED.value, status_reason=reason)
    return item


def retract(session: Session, item: Item, *, actor: str, reason: str, now: datetime | None = None) -> Item:
    """Withdraw a published item for good, keeping why; it is never answered again."""
    if not reason.strip():
        raise NotAllowed("a retraction needs a reason")
    _require(item, Status.PUBLISHED, Status.SUPERSEDED)
    now = now or utcnow()
    # status_changed_at: digests list what changed since their last run under Corrections.
    _record(
        session, item, "retract", actor, now,
        status=Status.RETRACTED.value, status_reason=reason.strip(), status_changed_at=now,
    )  # fmt: skip
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
    _record(
        session, old, "supersede", actor, now,
        status=Status.SUPERSEDED.value, superseded_by=new, status_changed_at=now,
    )  # fmt: skip
    return old


def set_embargo(
    session: Session, item: Item, until: embargo.Embargo | None, *, actor: str, now: datetime | None = None
) -> Item:
    """Embargo an item until an instant, or lift its embargo now (`until` None): lifting sets the instant to
    now, so the item enters the next digest as if published then."""
    _require(item, Status.PENDING, Status.PUBLISHED, Status.SUPERSEDED)
    now = now or utcnow()
    if until is None:
        if embargo.active(item, now) is None:
            raise NotAllowed(f"{kind_of(item)} #{item.id} is not embargoed")
        _record(session, item, "lift_embargo", actor, now, embargo_until=now)
        return item
    if until.until <= now:
        raise NotAllowed(f"{until.human()} has already passed")
    _record(session, item, "embargo", actor, now, embargo_until=until.until, embargo_zone=until.zone)
    return item


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


def add_by_hand(
    session: Session, workspace_id: int, item: FigureInput | QuoteInput, actor: str, *, editor: bool
) -> tuple[Item, bool]:
    """What a person adds with the form: an editor's is published at once; anyone else's waits for review.
    (existing item, False) if already stored."""
    if not editor:
        return submit_for_review(session, workspace_id, item, actor)
    if isinstance(item, QuoteInput):
        return add_quote(session, workspace_id, item, actor=actor, publish=True)
    return add_figure(session, workspace_id, item, actor=actor, publish=True)


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


def pending(
    session: Session, workspace_id: int, kind: type[Statistic] | type[Quote]
) -> list[Statistic | Quote]:
    """What waits for review, oldest first."""
    return list(
        session.scalars(
            select(kind)
            .where(kind.workspace_id == workspace_id, kind.status == Status.PENDING.value)
            .order_by(kind.created_at, kind.id)
        )
    )
