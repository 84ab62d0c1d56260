"""Channels' digest subscriptions: made, found, listed and removed; the caller owns the session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from digests.build import schedule_of
from digests.schedule import Schedule
from storage.models import Subscription


def same_topic(topic: str) -> str:
    return " ".join(topic.casefold().split())


def existing(
    session: Session, workspace_id: int, channel_id: str, topic: str, schedule: Schedule, content: str = "all"
) -> Subscription | None:
    """This channel's subscription to the same topic and content on the same schedule, if there is one."""
    for subscription in in_channel(session, workspace_id, channel_id):
        if (
            same_topic(subscription.topic) == same_topic(topic)
            and schedule_of(subscription) == schedule
            and subscription.content == content
        ):
            return subscription
    return None


def subscribe(
    session: Session,
    workspace_id: int,
    channel_id: str,
    topic: str,
    schedule: Schedule,
    *,
    user_id: str,
    now: datetime,
    content: str = "all",
    attach_csv: bool = False,
) -> Subscription:
    """A new subscription; its first digest covers only what is published from now on."""
    subscription = Subscription(
        workspace_id=workspace_id,
        channel_id=channel_id,
        topic=" ".join(topic.split()),
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        at=schedule.at,
        tz=schedule.tz,
        created_by=user_id,
        created_at=now,
        content=content,
        attach_csv=attach_csv,
        last_delivered_at=now,
        next_run_at=schedule.next_run(now),
    )
    session.add(subscription)
    session.flush()
    return subscription


def resume(subscription: Subscription, now: datetime) -> None:
    """Unpause (statbot is back in the channel); the marker stays, so nothing published meanwhile is lost."""
    subscription.paused, subscription.paused_reason = False, ""
    subscription.next_run_at = schedule_of(subscription).next_run(now)


def in_channel(session: Session, workspace_id: int, channel_id: str) -> list[Subscription]:
    return _where(session, workspace_id, Subscription.channel_id == channel_id)


def created_by(session: Session, workspace_id: int, user_id: str) -> list[Subscription]:
    """The digests this person started: the channels' they manage and their own by DM."""
    return _where(session, workspace_id, Subscription.created_by == user_id)


def personal(session: Session, workspace_id: int, user_id: str) -> list[Subscription]:
    """The digests this person gets by direct message (their DM with statbot is the channel)."""
    return _where(
        session, workspace_id, Subscription.created_by == user_id, Subscription.channel_id.like("D%")
    )


def _where(session: Session, workspace_id: int, *conditions: ColumnElement[bool]) -> list[Subscription]:
    """The workspace's subscriptions that meet every condition, oldest first."""
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.workspace_id == workspace_id, *conditions)
            .order_by(Subscription.id)
        )
    )


def get(session: Session, workspace_id: int, subscription_id: int) -> Subscription | None:
    """A subscription of this workspace only."""
    found = session.get(Subscription, subscription_id)
    return found if found is not None and found.workspace_id == workspace_id else None


def unsubscribe(session: Session, subscription: Subscription) -> None:
    session.delete(subscription)
    session.flush()


def active(session: Session) -> list[Subscription]:
    return list(session.scalars(select(Subscription).where(Subscription.paused.is_(False))))
