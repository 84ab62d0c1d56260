"""Digests posted once per run, on SQLite and PostgreSQL, into the Slack stand-in, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from digests import deliver
from storage import changes
from storage.models import Statistic, Subscription
from tests.digests import (
    CHANNEL,
    MONDAY_BEFORE_DST,
    SUBSCRIBED,
    SUBSCRIBER,
    deliveries,
    posts,
    publish,
    subscribe,
    text_of,
)


def test_a_weekly_digest_posts_what_was_published_since_subscribing_once(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    publish(sessions, home_id, SUBSCRIBED - timedelta(hours=1), value="40", measure="published before")
    subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))

    assert deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST) != []
    assert deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(minutes=5)) == []

    [message] = posts(standin)
    assert "*61%* of grooming offences" in text_of(message)
    assert "published before" not in text_of(message)
    assert message["metadata"]["event_type"] == "statbot_digest"
    assert standin.violations == []
    [delivery] = deliveries(sessions)
    assert delivery.state == "posted" and delivery.slack_ts


def test_the_weekly_run_lands_at_nine_local_time_either_side_of_the_clocks_changing(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscription_id = subscribe(sessions, home_id, now=datetime(2027, 3, 16, 12, 0, tzinfo=UTC))
    publish(sessions, home_id, datetime(2027, 3, 17, tzinfo=UTC))
    # Monday 22 March, London still on GMT: 09:00 local is 09:00 UTC.
    assert deliver.run_due(sessions, client, now=datetime(2027, 3, 22, 8, 59, tzinfo=UTC)) == []
    [first] = deliver.run_due(sessions, client, now=datetime(2027, 3, 22, 9, 0, tzinfo=UTC))
    assert first.state == "posted" and first.run_at == datetime(2027, 3, 22, 9, 0, tzinfo=UTC)

    publish(sessions, home_id, datetime(2027, 3, 24, tzinfo=UTC), value="70", measure="after the change")
    # Monday 29 March, after the change to BST: 09:00 local is 08:00 UTC.
    assert deliver.run_due(sessions, client, now=datetime(2027, 3, 29, 7, 59, tzinfo=UTC)) == []
    [second] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert second.state == "posted" and second.run_at == MONDAY_BEFORE_DST
    assert len(posts(standin)) == 2 and "after the change" in text_of(posts(standin)[1])
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        assert deliver.aware(subscription.next_run_at) == datetime(2027, 4, 5, 8, 0, tzinfo=UTC)


def test_nothing_is_posted_for_an_empty_week_and_the_marker_moves_on(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscription_id = subscribe(sessions, home_id)
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "empty"
    assert posts(standin) == []
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        assert deliver.aware(subscription.last_delivered_at) == MONDAY_BEFORE_DST
    assert [d.state for d in deliveries(sessions)] == ["empty"]


def test_a_crash_between_posting_and_recording_is_recognised_and_not_posted_again(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
    database_fails_on_recording_the_post: list[int],
) -> None:
    subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))
    with pytest.raises(OperationalError):
        deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert len(posts(standin)) == 1
    assert [d.state for d in deliveries(sessions)] == ["claimed"]

    # Within the claim's lease another run leaves it alone (the first process might still be posting).
    assert [o.state for o in deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)] == ["busy"]
    later = MONDAY_BEFORE_DST + deliver.CLAIM_LEASE + timedelta(minutes=1)
    [outcome] = deliver.run_due(sessions, client, now=later)

    assert outcome.state == "recovered"
    assert len(posts(standin)) == 1
    [delivery] = deliveries(sessions)
    assert (
        delivery.state == "posted"
        and delivery.slack_ts == standin.calls("chat.postMessage")[0].response["ts"]
    )  # type: ignore[index]
    assert deliver.run_due(sessions, client, now=later + timedelta(hours=1)) == []


def test_a_rate_limited_post_is_retried_and_posted_once(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))
    standin.fail_next("chat.postMessage", status=429, retry_after=1)
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "posted"
    assert len(standin.calls("chat.postMessage", ok=False)) == 1
    assert len(posts(standin)) == 1


def test_a_retracted_figure_is_listed_under_corrections(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribe(sessions, home_id)
    with sessions.begin() as session:
        sample = session.scalars(select(Statistic).where(Statistic.value == Decimal(52))).one()
        changes.retract(
            session,
            sample,
            actor="U0EDITOR",
            reason="NSPCC corrected the share",
            now=SUBSCRIBED + timedelta(days=2),
        )
    deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    [message] = posts(standin)
    text = text_of(message)
    assert "Corrections" in text and "*Retracted:* 52%" in text and "NSPCC corrected the share" in text


def test_a_superseded_figure_is_listed_under_corrections_with_its_replacement(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    old_id = publish(
        sessions, home_id, SUBSCRIBED - timedelta(days=3), value="48", measure="of offences on Meta"
    )
    subscribe(sessions, home_id)
    new_id = publish(
        sessions,
        home_id,
        SUBSCRIBED + timedelta(days=1),
        value="49",
        measure="of offences on Meta",
        year="2025",
    )
    with sessions.begin() as session:
        old, new = session.get(Statistic, old_id), session.get(Statistic, new_id)
        assert old is not None and new is not None
        changes.supersede(session, old, new, actor="U0EDITOR", now=SUBSCRIBED + timedelta(days=1, hours=1))
    deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    [message] = posts(standin)
    assert "*Superseded:* 48% of offences on Meta" in text_of(message) and "now 49%" in text_of(message)


def test_a_chart_is_uploaded_in_the_thread_when_a_series_has_two_points(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    publish(sessions, home_id, SUBSCRIBED - timedelta(days=30), value="48", year="2025")
    subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1), value="61", year="2026")
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert "up from 48%" in text_of(posts(standin)[0])
    [upload] = standin.uploads()
    assert upload.completed and upload.channel_id == CHANNEL
    assert upload.content is not None and upload.content.startswith(b"\x89PNG")
    assert standin.last("files.completeUploadExternal").params["thread_ts"] == outcome.ts


def test_a_channel_the_bot_was_removed_from_pauses_the_subscription_and_tells_the_subscriber(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscription_id = subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))
    standin.add_channel(CHANNEL, is_member=False)
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "failed" and outcome.detail == "not_in_channel"
    with sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None and subscription.paused
        assert "not_in_channel" in subscription.paused_reason
    dm = standin.last("chat.postMessage").params
    assert dm["channel"] == "D" + SUBSCRIBER[1:] and "/invite @statbot" in dm["text"]
    assert standin.last("conversations.open").params["users"] == SUBSCRIBER
    # Paused: later runs do not try again.
    assert deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(days=7)) == []
    assert len(standin.calls("chat.postMessage", ok=False)) == 1


def test_a_run_missed_within_the_grace_period_is_sent_once_and_older_ones_are_skipped(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribe(sessions, home_id, now=datetime(2027, 3, 9, tzinfo=UTC))
    publish(sessions, home_id, datetime(2027, 3, 10, tzinfo=UTC), value="10", measure="in the first week")
    publish(sessions, home_id, datetime(2027, 3, 17, tzinfo=UTC), value="20", measure="in the second week")
    # The clock was down from before Monday 15 March until two hours after the run on Monday 22 March.
    outcomes = deliver.run_due(sessions, client, now=datetime(2027, 3, 22, 11, 0, tzinfo=UTC))
    assert [o.state for o in outcomes] == ["skipped", "posted"]
    [message] = posts(standin)
    assert "in the first week" in text_of(message) and "in the second week" in text_of(message)
    assert deliver.run_due(sessions, client, now=datetime(2027, 3, 22, 11, 5, tzinfo=UTC)) == []
