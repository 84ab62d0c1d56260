"""`/digest` over HTTP: signed slash commands to the real WSGI app, Slack played by the stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from bot.slack_limits import message_problem
from storage.models import DigestDelivery, Subscription, utcnow
from tests.digests import publish
from tests.slackapi.replies import digest, text

CHANNEL = "C0TEAM"
USER = "U0ASKER"


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (USER,)  # only editors subscribe a channel (issue 17)


@pytest.fixture
def standin(standin: SlackStandIn) -> SlackStandIn:
    """The stand-in with this module's asker (in New York) and channel."""
    standin.add_user(USER, tz="America/New_York")
    standin.add_channel(CHANNEL)
    return standin


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Subscription)) or 0


def test_subscribe_defaults_to_monday_nine_in_the_subscribers_time_zone_and_lists_it(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    reply = digest(server, standin, "subscribe facebook")
    assert "<@U0ASKER> subscribed this channel" in text(reply) and "weekly on Monday at 09:00 (America/New_York)" in text(reply)
    assert message_problem(reply) is None
    listed = digest(server, standin, "list")
    assert (
        "facebook" in text(listed)
        and "next Mon" in text(listed)
        and ("EST" in text(listed) or "EDT" in text(listed))
    )
    assert count(sessions) == 1


def test_subscribing_twice_to_the_same_thing_shows_the_existing_one(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    digest(server, standin, "subscribe facebook daily 18:00")
    again = digest(server, standin, "subscribe  Facebook daily 6pm")
    assert "already subscribed" in text(again) and "daily at 18:00" in text(again)
    assert count(sessions) == 1


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ({"is_member": False}, "/invite @statbot"),
        ({"is_member": False, "is_private": True}, "/invite @statbot"),
        ({"is_archived": True}, "archived"),
        ({"is_im": True, "user": USER}, "not direct messages"),
    ],
)
def test_subscribe_is_refused_where_statbot_cannot_post_and_nothing_is_created(
    server: str,
    standin: SlackStandIn,
    sessions: sessionmaker[Session],
    channel: dict[str, Any],
    expected: str,
) -> None:
    channel_id = "D0DM" if channel.get("is_im") else "C0ELSEWHERE"
    standin.add_channel(channel_id, **channel)
    reply = digest(server, standin, "subscribe facebook", channel=channel_id)
    assert expected in text(reply)
    assert count(sessions) == 0


def test_a_topic_that_matches_nothing_yet_is_allowed_with_a_note(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    reply = digest(server, standin, "subscribe zebra crossings")
    assert "<@U0ASKER> subscribed this channel" in text(reply) and "Nothing stored matches *zebra crossings* yet" in text(reply)
    assert count(sessions) == 1


def test_unsubscribe_removes_it_and_a_bad_command_gets_a_clear_reply(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    digest(server, standin, "subscribe facebook")
    with sessions() as session:
        subscription_id = session.scalars(select(Subscription.id)).one()
    assert "not a subscription id" in text(digest(server, standin, "unsubscribe twelve"))
    assert "<@U0ASKER> unsubscribed this channel" in text(digest(server, standin, f"unsubscribe {subscription_id}"))
    assert count(sessions) == 0
    assert "no digests" in text(digest(server, standin, "list"))


def test_preview_shows_only_the_asker_exactly_what_would_be_posted(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    digest(server, standin, "subscribe facebook")
    # Before anything is published, then after: no figure dated a moment ahead, which a slow machine's
    # request could reach after that moment had passed (it failed so on a busy CI machine).
    assert "Nothing new" in text(digest(server, standin, "preview"))
    publish(sessions, home_id, utcnow())
    reply = digest(server, standin, "preview")
    assert reply["response_type"] == "ephemeral"
    assert "*61%* of grooming offences" in text(reply) and message_problem(reply) is None
    assert standin.calls("chat.postMessage") == []


def test_send_now_is_for_editors_and_posts_once_moving_the_marker(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    digest(server, standin, "subscribe facebook")
    with sessions() as session:
        subscription_id = session.scalars(select(Subscription.id)).one()
    publish(sessions, home_id, utcnow())
    refused = digest(server, standin, f"send-now {subscription_id}", user="U0READER")
    assert "Only editors" in text(refused) and standin.calls("chat.postMessage") == []

    assert "posted" in text(digest(server, standin, f"send-now {subscription_id}"))
    [posted] = standin.calls("chat.postMessage", ok=True)
    assert posted.params["channel"] == CHANNEL and "*61%*" in text(posted.params)
    assert "Nothing new" in text(digest(server, standin, f"send-now {subscription_id}"))
    assert len(standin.calls("chat.postMessage", ok=True)) == 1
    with sessions() as session:
        states = list(session.scalars(select(DigestDelivery.state).order_by(DigestDelivery.id)))
    assert states == ["posted", "empty"]


def test_subscribing_again_after_a_pause_resumes_the_subscription(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    digest(server, standin, "subscribe facebook")
    with sessions.begin() as session:
        subscription = session.scalars(select(Subscription)).one()
        subscription.paused, subscription.paused_reason = True, "Slack refused the post: not_in_channel"
    assert "paused" in text(digest(server, standin, "list"))
    assert "<@U0ASKER> resumed this channel's digest" in text(digest(server, standin, "subscribe facebook"))
    with sessions() as session:
        subscription = session.scalars(select(Subscription)).one()
        assert not subscription.paused and subscription.paused_reason == ""
    assert count(sessions) == 1
