"""Posting due digests exactly once: claim the run in the database, post, then record it and move the marker.

The claim is a row with UNIQUE(subscription_id, run_at), committed before anything is posted, so a second
clock process (or a second `statbot digest run`) hits the unique key and leaves that run alone. Each posted
message carries metadata naming its delivery; a process that died after posting but before recording the
post is recognised on a later run, which finds that message in the channel's history instead of posting
again. Files go into the digest's thread after the post is recorded, the CSV of its figures (when the
subscription asks for one) and then its charts; the record says they are pending (and how many charts are
done), so files a dead or failed process left are uploaded by a later run, each once.
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
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.build import Built, build, schedule_of
from digests.chart import series_to_chart
from digests.dm import send_dm
from digests.render import render
from intake.spreadsheet import to_frame
from storage.models import ChartState, DeliveryState, DigestDelivery, Statistic, Subscription
from storage.sheets import as_figure_input
from storage.token_cipher import UndecryptableToken

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
CREDENTIALS_UNREADABLE = "credentials_unreadable"


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
    finish_charts(sessions, clients, now=now)
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
        try:
            slack = client_for(client)(subscription.workspace_id)
        except UndecryptableToken:
            # Logged at ERROR where it was read. Not "uninstalled": the subscription waits for the key to be fixed.
            return [
                Outcome(
                    subscription_id, aware(subscription.next_run_at), "error", detail=CREDENTIALS_UNREADABLE
                )
            ]
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
        attach_csv = subscription.attach_csv
        built = build(session, subscription, aware(delivery.window_start), aware(delivery.window_end))

    if recovering:
        ts = _already_posted(client, channel, delivery_id)
        if ts is not None:
            log.info("digest delivery %s was posted before a crash (ts %s); recording it", delivery_id, ts)
            _finish(sessions, delivery_id, DeliveryState.POSTED, ts=ts, now=now, advance=scheduled,
                    built=built, attach_csv=attach_csv)  # fmt: skip
            _upload_files(sessions, client, delivery_id, channel, ts, built)
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
    _finish(sessions, delivery_id, DeliveryState.POSTED, ts=ts, now=now, advance=scheduled, built=built,
            attach_csv=attach_csv)  # fmt: skip
    _upload_files(sessions, client, delivery_id, channel, ts, built)
    return Outcome(subscription_id, run_at, "posted", ts)


def figures_csv(session: Session, figure_ids: list[int]) -> bytes:
    """The digest's figures in the import columns (what `/stats export` writes), as CSV bytes."""
    figures = [f for i in figure_ids if (f := session.get(Statistic, i)) is not None]
    frame = to_frame([as_figure_input(f) for f in figures], "figure")
    return str(frame.to_csv(index=False, lineterminator="\n")).encode(
        "utf-8-sig"
    )  # with a BOM, for Excel, as exports


def _csv_name(built: Built) -> str:
    return f"statbot-digest-{built.digest.subscription_id}-{built.digest.period_end:%Y-%m-%d}.csv"


def _upload_files(
    sessions: sessionmaker[Session], client: WebClient, delivery_id: int, channel: str, ts: str, built: Built
) -> bool:
    """Upload the delivery's pending files into the digest's thread, the CSV first and then the charts; True
    when all are done. A failed upload leaves the rest pending for the next run."""
    return _upload_csv(sessions, client, delivery_id, channel, ts, built) and _upload_charts(
        sessions, client, delivery_id, channel, ts, built
    )


def _upload_csv(
    sessions: sessionmaker[Session], client: WebClient, delivery_id: int, channel: str, ts: str, built: Built
) -> bool:
    """Upload the digest's figures as a CSV when it is pending, and record it; False when it failed and waits
    for the next run (the claim given up). Slack refusing for good marks it failed and lets the charts go on.

    (Dying between Slack taking the CSV and it being recorded would upload it again: as with charts, a
    duplicate file is the lesser harm, and that window is one statement wide.)"""
    with sessions() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None or delivery.csv_state != ChartState.PENDING.value:
            return True
        ids = [f.id for f in built.digest.figures]
        content = figures_csv(session, ids) if ids else None
    if content is None:  # its figures are no longer listed (retracted since): nothing to attach
        _record_csv(sessions, delivery_id, state=ChartState.DONE)
        return True
    name = _csv_name(built)
    try:
        client.files_upload_v2(channel=channel, thread_ts=ts, content=content, filename=name, title=name)
    except (SlackApiError, SlackClientError, OSError) as error:
        code = str(error.response.get("error", "")) if isinstance(error, SlackApiError) else ""
        if code in PERMANENT_ERRORS:
            log.error("CSV of digest delivery %s given up: Slack said %s", delivery_id, code)
            _record_csv(sessions, delivery_id, state=ChartState.FAILED)
            return True
        log.error("CSV of digest delivery %s not uploaded (%s); retried later", delivery_id, error)
        _record_csv(sessions, delivery_id, release=True)
        return False
    _record_csv(sessions, delivery_id, state=ChartState.DONE)
    return True


def _record_csv(
    sessions: sessionmaker[Session],
    delivery_id: int,
    *,
    state: ChartState | None = None,
    release: bool = False,
) -> None:
    """Record the CSV's final state; the claim is given up when asked (`release`) or when no charts follow."""
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        if state is not None:
            delivery.csv_state = state.value
        if release or delivery.chart_state != ChartState.PENDING.value:
            delivery.charts_claimed_at = None


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
    built: Built | None = None,
    attach_csv: bool = False,
) -> None:
    """Record the outcome and move the marker (and the schedule) in one transaction; a posted digest's
    files (a CSV of its figures when asked for, its charts) are recorded as pending in it, claimed by this
    process for their upload."""
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        subscription = delivery.subscription
        delivery.state, delivery.slack_ts = state.value, ts
        delivery.posted_at = now if ts else None
        if ts and built is not None and attach_csv and built.digest.figures:
            delivery.csv_state = ChartState.PENDING.value
            delivery.charts_claimed_at = now
        if ts and built is not None and built.charts:
            delivery.chart_state, delivery.charts_uploaded = ChartState.PENDING.value, 0
            delivery.charts_claimed_at = now
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
        send_dm(client, user_id, text)
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
    sessions: sessionmaker[Session], client: WebClient, delivery_id: int, channel: str, ts: str, built: Built
) -> bool:
    """Upload the delivery's pending charts into the digest's thread, recording each as it goes; True when all
    are done. A failed upload leaves the rest pending and gives up the claim, so the next run tries again.

    (Dying between Slack taking a chart and the count being recorded would upload that one chart again: a
    duplicate chart is the lesser harm, and that window is one statement wide.)"""
    with sessions() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None or delivery.chart_state != ChartState.PENDING.value:
            return True
        done = delivery.charts_uploaded
    for number, (key, points) in enumerate(built.charts.items(), start=1):
        if number <= done:
            continue
        title, unit = built.chart_titles[key]
        png = series_to_chart(points, title, unit)
        if png is not None:
            try:
                client.files_upload_v2(
                    channel=channel, thread_ts=ts, content=png, filename=f"series-{number}.png", title=title
                )
            except (SlackApiError, SlackClientError, OSError) as error:
                code = str(error.response.get("error", "")) if isinstance(error, SlackApiError) else ""
                if code in PERMANENT_ERRORS:
                    log.error("charts of digest delivery %s given up: Slack said %s", delivery_id, code)
                    _record_charts(sessions, delivery_id, uploaded=number - 1, state=ChartState.FAILED)
                    return False
                log.error(
                    "chart %s of digest delivery %s not uploaded (%s); retried later", key, delivery_id, error
                )
                _record_charts(sessions, delivery_id, uploaded=number - 1, release=True)
                return False
        last = number == len(built.charts)
        _record_charts(sessions, delivery_id, uploaded=number, state=ChartState.DONE if last else None)
    if not built.charts:
        _record_charts(sessions, delivery_id, uploaded=0, state=ChartState.DONE)
    return True


def _record_charts(
    sessions: sessionmaker[Session],
    delivery_id: int,
    *,
    uploaded: int,
    state: ChartState | None = None,
    release: bool = False,
) -> None:
    """Record how many charts are in the thread, and the charts' final state once there is one; `release`
    gives up the claim so the next run tries again."""
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        delivery.charts_uploaded = uploaded
        if state is not None:
            delivery.chart_state = state.value
        if state is not None or release:
            delivery.charts_claimed_at = None


def finish_charts(sessions: sessionmaker[Session], client: WebClient | ClientFor, *, now: datetime) -> int:
    """Upload the files (CSV, charts) of posted digests whose process died or failed before uploading them all;
    returns how many deliveries were finished. A delivery whose files another process holds (within the
    lease) waits."""
    clients = client_for(client)
    with sessions() as session:
        pending = list(
            session.scalars(
                select(DigestDelivery.id).where(
                    _files_pending(), DigestDelivery.state == DeliveryState.POSTED.value
                )
            )
        )
    finished = 0
    for delivery_id in pending:
        if not _claim_charts(sessions, delivery_id, now):
            continue
        with sessions() as session:
            delivery = session.get(DigestDelivery, delivery_id)
            if delivery is None or delivery.slack_ts is None:
                continue
            subscription = delivery.subscription
            try:
                slack = clients(subscription.workspace_id)
            except UndecryptableToken:
                continue  # logged where it was read; the charts wait for the key to be fixed
            channel, ts = subscription.channel_id, delivery.slack_ts
            built = build(session, subscription, aware(delivery.window_start), aware(delivery.window_end))
        if slack is None:  # uninstalled: nothing can be uploaded there any more
            _give_up_files(sessions, delivery_id)
            continue
        log.info("finishing the files of digest delivery %s", delivery_id)
        finished += _upload_files(sessions, slack, delivery_id, channel, ts, built)
    return finished


def _files_pending() -> ColumnElement[bool]:
    return or_(
        DigestDelivery.chart_state == ChartState.PENDING.value,
        DigestDelivery.csv_state == ChartState.PENDING.value,
    )


def _give_up_files(sessions: sessionmaker[Session], delivery_id: int) -> None:
    """Every file still pending is failed for good, and the claim given up."""
    with sessions.begin() as session:
        delivery = session.get(DigestDelivery, delivery_id)
        if delivery is None:
            return
        for column in ("chart_state", "csv_state"):
            if getattr(delivery, column) == ChartState.PENDING.value:
                setattr(delivery, column, ChartState.FAILED.value)
        delivery.charts_claimed_at = None


def _claim_charts(sessions: sessionmaker[Session], delivery_id: int, now: datetime) -> bool:
    """Take a delivery's pending files: unclaimed, or claimed longer ago than the lease (a dead process)."""
    with sessions.begin() as session:
        taken = session.execute(
            update(DigestDelivery)
            .where(
                DigestDelivery.id == delivery_id,
                _files_pending(),
                (DigestDelivery.charts_claimed_at.is_(None))
                | (DigestDelivery.charts_claimed_at <= now - CLAIM_LEASE),
            )
            .values(charts_claimed_at=now)
            .returning(DigestDelivery.id)
        ).scalar_one_or_none()
    return taken is not None
