"""Posting due digests exactly once: claim the run in the database, post, then record it and move the marker.

The claim is a row with UNIQUE(subscription_id, run_at), committed before anything is posted, so a second
clock process (or a second `statbot digest run`) hits the unique key and leaves that run alone. Each posted
message carries metadata naming its delivery; a process that died after posting but before recording the
post is recognised on a later run, which finds that message in the channel's history instead of posting
again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.build import build, schedule_of
from digests.chart import series_to_chart
from digests.render import render
from storage.models import DeliveryState, DigestDelivery, Subscription

log = logging.getLogger("statbot.digests")

GRACE = timedelta(hours=6)
# A claim older than this whose process never recorded an outcome is taken to be a crashed run.
CLAIM_LEASE = timedelta(minutes=10)
EVENT_TYPE = "statbot_digest"
# Slack will not take a post to this channel however often we try: pause and tell the subscriber.
PERMANENT_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# How far back in a channel's history a crashed run's message is looked for.
HISTORY_LOOKBACK = 200
# A subscription missed for longer than this is caught up one skipped run at a time; stop somewhere.
MAX_RUNS_PER_PASS = 400


# The Web API client for a workspace, or None when statbot is no longer installed there. A plain client
# serves every workspace (single-workspace mode); with many installs each workspace has its own token.
ClientFor = Callable[[int], WebClient | None]
NOT_INSTALLED = "not_installed"


def client_for(client: WebClient | ClientFor) -> ClientFor:
    """One lookup per workspace for as long as the result is used (a pass of the clock, say): tokens are
    refreshed hours before they expire, so a pass never outlives the one it looked up."""
    if isinstance(client, WebClient):
        return lambda _workspace_id: client
    return functools.cache(client)


@dataclass(frozen=True)
class Outcome:
    """What happened to one run: posted, recovered (found already posted), empty, skipped, failed (paused),
    busy (another process has it, or already done) or error (left claimed, retried after the lease)."""

    subscription_id: int
    run_at: datetime
    state: str
    ts: str | None = None
    detail: str = ""


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def due_subscription_ids(session: Session, now: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Subscription.id)
            .where(Subscription.paused.is_(False), Subscription.next_run_at <= now)
            .order_by(Subscription.next_run_at, Subscription.id)
        )
    )


def run_due(
    sessions: sessionmaker[Session], client: WebClient | ClientFor, *, now: datetime, grace: timedelta = GRACE
) -> list[Outcome]:
    """Run every subscription whose next run is at or before `now`; each run at most once."""
    with sessions() as session:
        ids = due_subscription_ids(session, now)
    clients = client_for(client)  # a workspace's token is looked up once, not once per subscription
    outcomes: list[Outcome] = []
    for subscription_id in ids:
        outcomes += run_subscription(sessions, clients, subscription_id, now=now, grace=grace)
    return outcomes


def run_subscription(
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    subscription_id: int,
    *,
    now: datetime,
    grace: timedelta = GRACE,
) -> list[Outcome]:
    """Catch one subscription up to `now`: runs missed by more than `grace` are recorded skipped (their items
    go in the next digest), the latest run within it is delivered."""
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None or subscription.paused or aware(subscription.next_run_at) > now:
            return []  # nothing due: no token to look up
        slack = client_for(client)(subscription.workspace_id)
        if slack is None:
            subscription.paused = True
            subscription.paused_reason = "statbot is not installed in this workspace any more"
            session.commit()
            log.warning("digest subscription %s paused: its workspace uninstalled statbot", subscription_id)
            return [Outcome(subscription_id, aware(subscription.next_run_at), "failed", detail=NOT_INSTALLED)]
    outcomes: list[Outcome] = []
    for _ in range(MAX_RUNS_PER_PASS):
        with sessions() as session:
            subscription = session.get(Subscription, subscription_id)
            if subscription is None or subscription.paused or aware(subscription.next_run_at) > now:
                break
            run_at = aware(subscription.next_run_at)
        if now - run_at > grace:
            outcome = _skip(sessions, subscription_id, run_at, now)
        else:
            outcome = deliver(sessions, slack, subscription_id, run_at, now=now)
        outcomes.append(outcome)
        if outcome.state in ("busy", "failed", "error"):
            break
    return outcomes


def deliver(
    sessions: sessionmaker[Session],
    client: WebClient,
    subscription_id: int,
    run_at: datetime,
    *,
    now: datetime,
    scheduled: bool = True,
) -> Outcome:
    """Claim, build, post and record one run. `scheduled=False` is send-now: the schedule is left alone."""
    claim = _claim(sessions, subscription_id, run_at, now)
    if claim is None:
        return Outcome(subscription_id, run_at, "busy")
    delivery_id, recovering = claim
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        delivery = session.get(DigestDelivery, delivery_id)
        if subscription is None or delivery is None:  # unsubscribed meanwhile
            return Outcome(subscription_id, run_at, "busy")
        channel, subscriber = subscription.channel_id, subscription.created_by
        built = build(session, subscription, aware(delivery.window_start), aware(delivery.window_end))

    if recovering:
        ts = _already_posted(client, channel, delivery_id)
        if ts is not None:
            log.info("digest delivery %s was posted before a crash (ts %s); recording it", delivery_id, ts)
            _finish(sessions, delivery_id, DeliveryState.POSTED, ts=ts, now=now, advance=scheduled)
            return Outcome(subscription_id, run_at, "recovered", ts)

    message = render(built.digest, series_history=built.history)
    if message is None:
        _finish(sessions, delivery_id, DeliveryState.EMPTY, ts=None, now=now, advance=scheduled)
        return Outcome(subscription_id, run_at, "empty")
    message["metadata"] = {"event_type": EVENT_TYPE, "event_payload": {"delivery": delivery_id}}
    try:
        response = client.chat_postMessage(**message)
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if code in PERMANENT_ERRORS:
            _pause(sessions, delivery_id, code, now)
            _tell_subscriber(client, subscriber, channel, subscription_id, code)
            return Outcome(subscription_id, run_at, "failed", detail=code)
        log.error("digest delivery %s not posted (%s); it will be retried", delivery_id, code)
        return Outcome(subscription_id, run_at, "error", detail=code)
    except (SlackClientError, OSError) as error:  # retries exhausted or the connection failed for good
        log.error("digest delivery %s not posted (%s); it will be retried", delivery_id, error)
        return Outcome(subscription_id, run_at, "error", detail=str(error))

    ts = str(response["ts"])
    _finish(sessions, delivery_id, DeliveryState.POSTED, ts=ts, now=now, advance=scheduled)
    _upload_charts(client, channel, ts, built.charts, built.chart_titles)
    return Outcome(subscription_id, run_at, "posted", ts)


def preview(session: Session, subscription: Subscription, now: datetime) -> dict[str, Any] | None:
    """The chat.postMessage arguments the subscription's digest would have if it ran now; None if empty."""
    built = build(session, subscription, aware(subscription.last_delivered_at), now)
    return render(built.digest, series_history=built.history)


def _claim(
    sessions: sessionmaker[Session], subscription_id: int, run_at: datetime, now: datetime
) -> tuple[int, bool] | None:
    """(delivery id, whether it is a crashed run being taken over), or None when the run is not ours."""
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return None
        delivery = DigestDelivery(
            subscription_id=subscription_id,
            run_at=run_at,
            state=DeliveryState.CLAIMED.value,
            window_start=aware(subscription.last_delivered_at),
            window_end=run_at,
            claimed_at=now,
        )
        session.add(delivery)
        try:
            session.commit()
            return delivery.id, False
        except IntegrityError:
            session.rollback()
    with sessions() as session:
        # Only a claim left past its lease is taken over; the UPDATE's WHERE makes one taker win.
        taken = session.execute(
            update(DigestDelivery)
            .where(
                DigestDelivery.subscription_id == subscription_id,
                DigestDelivery.run_at == run_at,
                DigestDelivery.state == DeliveryState.CLAIMED.value,
                DigestDelivery.claimed_at <= now - CLAIM_LEASE,
            )
            .values(claimed_at=now)
            .returning(DigestDelivery.id)
        ).scalar_one_or_none()
        session.commit()
    return (taken, True) if taken is not None else None


def _skip(sessions: sessionmaker[Session], subscription_id: int, run_at: datetime, now: datetime) -> Outcome:
    """Record a run missed by more than the grace period; the marker stays, so the next digest covers it."""
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            return Outcome(subscription_id, run_at, "busy")
        session.add(
            DigestDelivery(
                subscription_id=subscription_id,
                run_at=run_at,
                state=DeliveryState.SKIPPED.value,
                window_start=aware(subscription.last_delivered_at),
                window_end=run_at,
                claimed_at=now,
                detail="missed by more than the grace period",
            )
        )
        subscription.next_run_at = schedule_of(subscription).next_run(run_at)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return Outcome(subscription_id, run_at, "busy")
    log.warning(
        "digest for subscription %s at %s missed by %s; skipped", subscription_id, run_at, now - run_at
    )
    return Outcome(subscription_id, run_at, "skipped")


def _finish(
    sessions: sessionmaker[Session],
    delivery_id: int,
    state: DeliveryState,
    *,
    ts: str | None,
    now: datetime,
    advance: bool,
) -> None:
    """Record the outcome and move the marker (and the schedule) in one transaction."""
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        subscription = delivery.subscription
        delivery.state, delivery.slack_ts = state.value, ts
        delivery.posted_at = now if ts else None
        subscription.last_delivered_at = max(
            aware(subscription.last_delivered_at), aware(delivery.window_end)
        )
        if advance:
            subscription.next_run_at = schedule_of(subscription).next_run(aware(delivery.run_at))


def _pause(sessions: sessionmaker[Session], delivery_id: int, code: str, now: datetime) -> None:
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        delivery.state, delivery.detail = DeliveryState.FAILED.value, code
        delivery.subscription.paused = True
        delivery.subscription.paused_reason = f"Slack refused the post: {code} ({now:%Y-%m-%d %H:%M} UTC)"
    log.error("digest subscription %s paused: Slack said %s", delivery.subscription_id, code)


def _tell_subscriber(client: WebClient, user_id: str, channel: str, subscription_id: int, code: str) -> None:
    if not user_id:
        return
    why = {
        "not_in_channel": "statbot is not in that channel any more; invite it with `/invite @statbot`",
        "channel_not_found": "that channel no longer exists or statbot cannot see it",
        "is_archived": "that channel has been archived",
    }.get(code, code)
    text = (
        f"Your digest subscription {subscription_id} for <#{channel}> is paused: {why}. "
        f"Once that is fixed, subscribe again with `/digest subscribe` in the channel."
    )
    try:
        opened = client.conversations_open(users=[user_id])
        client.chat_postMessage(channel=opened["channel"]["id"], text=text)
    except (SlackApiError, SlackClientError, OSError) as error:
        log.error("could not tell %s that subscription %s is paused: %s", user_id, subscription_id, error)


def _already_posted(client: WebClient, channel: str, delivery_id: int) -> str | None:
    """The ts of this delivery's message if a crashed run posted it, found by its metadata."""
    try:
        history = client.conversations_history(
            channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        # Without history we cannot tell; posting risks a duplicate, which beats a digest lost for good.
        log.warning("could not read %s's history to check delivery %s: %s", channel, delivery_id, error)
        return None
    messages: list[dict[str, Any]] = history.get("messages") or []
    for message in messages:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == EVENT_TYPE and str(payload.get("delivery")) == str(delivery_id):
            return str(message["ts"])
    return None


def _upload_charts(
    client: WebClient,
    channel: str,
    ts: str,
    charts: dict[str, list[Any]],
    titles: dict[str, tuple[str, str]],
) -> None:
    """A chart in the digest's thread for each series with two or more points; a failed upload is logged
    (the digest itself is already posted and recorded)."""
    for number, (key, points) in enumerate(charts.items(), start=1):
        title, unit = titles[key]
        png = series_to_chart(points, title, unit)
        if png is None:
            continue
        try:
            client.files_upload_v2(
                channel=channel, thread_ts=ts, content=png, filename=f"series-{number}.png", title=title
            )
        except (SlackApiError, SlackClientError, OSError) as error:
            log.error("chart for %s in %s not uploaded: %s", key, channel, error)
