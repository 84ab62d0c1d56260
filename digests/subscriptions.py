"""Channels' digest subscriptions: made, found, listed and removed; the caller owns the session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.build import schedule_of
from digests.schedule import Schedule
from storage.models import Subscription


def same_topic(topic: str) -> str:
    return " ".join(topic.casefold().split())


def existing(
    session: Session, workspace_id: int, channel_id: str, topic: str, schedule: Schedule
) -> Subscription | None:
    """This channel's subscription to the same topic on the same schedule, if there is one."""
    for subscription in in_channel(session, workspace_id, channel_id):
        if same_topic(subscription.topic) == same_topic(topic) and schedule_of(subscription) == schedule:
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
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.workspace_id == workspace_id, Subscription.channel_id == channel_id)
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
