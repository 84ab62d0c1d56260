"""The feeds a workspace follows: listing, finding and removing them, and which are due to be read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Feed


def followed(session: Session, workspace_id: int) -> list[Feed]:
    """The workspace's feeds, oldest first."""
    return list(session.scalars(select(Feed).where(Feed.workspace_id == workspace_id).order_by(Feed.id)))


def by_id(session: Session, workspace_id: int, feed_id: int) -> Feed | None:
    """Feed #`feed_id`, if it is this workspace's."""
    return session.scalar(select(Feed).where(Feed.workspace_id == workspace_id, Feed.id == feed_id))


def by_url(session: Session, workspace_id: int, url: str) -> Feed | None:
    return session.scalar(select(Feed).where(Feed.workspace_id == workspace_id, Feed.url == url))


def remove(session: Session, feed: Feed) -> None:
    """Stop following it; the caller commits."""
    session.delete(feed)


def due(session: Session, now: datetime, every: timedelta) -> list[int]:
    """The ids of the feeds, in every workspace, still followed and not read within `every` of `now`."""
    return list(
        session.scalars(
            select(Feed.id).where(
                Feed.disabled_reason == "",
                or_(Feed.last_polled_at.is_(None), Feed.last_polled_at <= now - every),
            )
        )
    )
