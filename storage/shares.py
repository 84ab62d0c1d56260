"""Where figures and quotes were shared or copied, so a retraction reaches the people and messages that carry them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from storage.models import Quote, Share, Statistic, Status, utcnow

ANSWER, ITEM, CITATION = "answer", "item", "citation"
# What a notice is owed for: the item no longer stands as it was shared.
WITHDRAWN = (Status.RETRACTED.value, Status.SUPERSEDED.value)
SENDING = "sending"
# A claim this old whose outcome was never recorded is a process that died mid-way: its shares are owed again.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Place:
    """Where and how something was shared: the channel, the bot's message there (if it posted one), who."""

    how: str
    channel_id: str
    shared_by: str
    message_ts: str | None = None
    thread_ts: str | None = None
    command: str = ""
    asked: str = ""


def record(
    session: Session,
    workspace_id: int,
    items: Iterable[tuple[str, int]],
    place: Place,
    *,
    now: datetime | None = None,
) -> list[Share]:
    """One row per (kind, id) shared at `place`; the caller commits."""
    rows = [
        Share(
            workspace_id=workspace_id, item_kind=kind, item_id=item_id, how=place.how,
            channel_id=place.channel_id, message_ts=place.message_ts, thread_ts=place.thread_ts,
            command=place.command, asked=place.asked[:2000], shared_by=place.shared_by,
            shared_at=now or utcnow(),
        )
        for kind, item_id in dict.fromkeys(items)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _untold(now: datetime) -> ColumnElement[bool]:
    """Not told yet: never claimed, or claimed by a process that died before recording what came of it."""
    return or_(Share.noticed_at.is_(None), and_(Share.notice == SENDING, Share.noticed_at <= now - LEASE))


def owed(session: Session, workspace_id: int, now: datetime) -> list[tuple[Share, Statistic | Quote]]:
    """Shares of items since retracted or superseded that have not been told yet, oldest first."""
    found: list[tuple[Share, Statistic | Quote]] = []
    models: tuple[tuple[type[Statistic] | type[Quote], str], ...] = ((Statistic, "figure"), (Quote, "quote"))
    for model, kind in models:
        rows = session.execute(
            select(Share, model)
            .join(model, (model.id == Share.item_id) & (Share.item_kind == kind))
            .where(
                Share.workspace_id == workspace_id,
                _untold(now),
                model.status.in_(WITHDRAWN),
            )
            .order_by(Share.shared_at, Share.id)
        ).all()
        found += [(share, item) for share, item in rows if isinstance(item, Statistic | Quote)]
    return sorted(found, key=lambda pair: pair[0].id)


def workspaces_owed(session: Session, now: datetime) -> list[int]:
    """Workspaces with shares owed a notice (the clock's pass looks no further than these)."""
    return list(session.scalars(select(Share.workspace_id).where(_untold(now)).distinct()))


def claim(session: Session, workspace_id: int, now: datetime) -> list[int]:
    """Take the shares owed a notice; the UPDATE's WHERE makes one process the taker of each."""
    owed_ids = [share.id for share, _ in owed(session, workspace_id, now)]
    if not owed_ids:
        return []
    return list(
        session.scalars(
            update(Share)
            .where(Share.id.in_(owed_ids), _untold(now))
            .values(noticed_at=now, notice=SENDING)
            .returning(Share.id)
        )
    )


def with_items(session: Session, share_ids: Iterable[int]) -> list[tuple[Share, Statistic | Quote]]:
    """These shares with their items, oldest first (an item deleted since is left out)."""
    found: list[tuple[Share, Statistic | Quote]] = []
    for share in session.scalars(select(Share).where(Share.id.in_(list(share_ids))).order_by(Share.id)):
        item: Statistic | Quote | None = (
            session.get(Quote, share.item_id) if share.item_kind == "quote" else session.get(Statistic, share.item_id)
        )
        if item is not None:
            found.append((share, item))
    return found


def mark(session: Session, share_ids: Iterable[int], outcome: str) -> None:
    """Record what came of telling these shares ("dm sent; update done", or Slack's errors)."""
    ids = list(share_ids)
    if ids:
        session.execute(update(Share).where(Share.id.in_(ids)).values(notice=outcome[:60]))
