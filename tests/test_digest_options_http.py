"""Digests' new options: monthly runs, figures-only and quotes-only, a CSV of the figures, personal digests by DM
(`/digest subscribe me ...`), and who may subscribe a channel (editors only; the channel is told who did).
Signed `/digest` commands to the real app and deliveries against the Web API stand-in, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.config import Settings
from bot.local_slack import SlackStandIn
from commands.digest import CommandError, Subscribe, parse
from digests import deliver, subscriptions
from digests.schedule import Schedule
from storage.models import Subscription
from tests import items
from tests.conftest import BOT_TOKEN
from tests.digests import CHANNEL, SUBSCRIBED, SUBSCRIBER, posts, publish, text_of
from tests.slackapi.replies import digest, text

EDITOR = "U0EDITOR"
WRITER = "U0WRITER"
ROOM = "C0TEAM"


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("subscribe grooming monthly tuesday", Subscribe("grooming", "monthly", 1)),
        ("subscribe facebook figures-only csv", Subscribe("facebook", content="figure", attach_csv=True)),
        ("subscribe facebook quotes only weekly", Subscribe("facebook", "weekly", content="quote")),
        ("subscribe me facebook daily 8am", Subscribe("facebook", "daily", at=time(8), personal=True)),
        (
            "subscribe me only figures online safety",
            Subscribe("online safety", content="figure", personal=True),
        ),
    ],
)
def test_the_new_subscribe_options_are_read(typed: str, wanted: Subscribe) -> None:
    assert parse(typed) == wanted


def test_figures_only_and_quotes_only_together_are_refused() -> None:
    refused = parse("subscribe facebook figures-only quotes-only")
    assert isinstance(refused, CommandError) and "Choose one" in refused.message


def test_a_monthly_digest_runs_on_the_first_chosen_weekday_of_each_month_as_the_clock_schedules_it() -> None:
    monthly = Schedule("monthly", 1, time(9, 0), "Europe/London")  # the first Tuesday
    after = datetime(2027, 3, 3, tzinfo=UTC)  # Wednesday 3 March: March's first Tuesday has gone
    assert monthly.next_run(after) == datetime(2027, 4, 6, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert monthly.previous_run(after) == datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 09:00 GMT
    trigger = CronTrigger(**monthly.cron_kwargs())
    assert trigger.get_next_fire_time(None, after) == monthly.next_run(after)
    assert monthly.describe() == "monthly on the first Tuesday at 09:00 (Europe/London)"


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)


@pytest.fixture
def standin(standin: SlackStandIn) -> SlackStandIn:
    """The stand-in with this module's channel."""
    standin.add_channel(ROOM)
    return standin

def stored(sessions: sessionmaker[Session]) -> list[Subscription]:
    with sessions() as session:
        return list(session.scalars(select(Subscription).order_by(Subscription.id)))


def test_only_editors_subscribe_a_channel_and_the_channel_is_told_who_did(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    refused = digest(server, standin, "subscribe facebook", channel=ROOM, user=WRITER)
    assert "Only editors can subscribe a channel" in text(refused) and refused["response_type"] == "ephemeral"
    assert stored(sessions) == []
    made = digest(server, standin, "subscribe facebook monthly figures-only csv", channel=ROOM, user=EDITOR)
    assert made["response_type"] == "in_channel"
    assert f"<@{EDITOR}> subscribed this channel: *facebook* · monthly on the first Monday" in text(made)
    assert "figures only · with a CSV of the figures" in text(made)
    [subscription] = stored(sessions)
    assert (subscription.frequency, subscription.content, subscription.attach_csv) == (
        "monthly",
        "figure",
        True,
    )

    kept = digest(server, standin, f"unsubscribe {subscription.id}", channel=ROOM, user=WRITER)
    assert "Only editors can unsubscribe a channel" in text(kept) and len(stored(sessions)) == 1
    gone = digest(server, standin, f"unsubscribe {subscription.id}", channel=ROOM, user=EDITOR)
    assert gone["response_type"] == "in_channel"
    assert f"<@{EDITOR}> unsubscribed this channel: no more digests of *facebook* here" in text(gone)
    assert stored(sessions) == []


def test_anyone_may_have_a_digest_of_their_own_by_dm_and_only_they_can_stop_it(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    made = digest(server, standin, "subscribe me facebook quotes-only daily", channel=ROOM, user=WRITER)
    assert (
        "Subscribed you: *facebook* · daily at 09:00" in text(made) and made["response_type"] == "ephemeral"
    )
    opened = standin.last("conversations.open").params
    [subscription] = stored(sessions)
    assert subscription.channel_id == "D" + WRITER[1:] and opened["users"] == WRITER
    assert subscription.created_by == WRITER and subscription.content == "quote"

    listed = digest(server, standin, "list", channel=ROOM, user=WRITER)
    assert "*Your own, by direct message*" in text(listed) and f"id {subscription.id}" in text(listed)
    assert f"id {subscription.id}" not in text(digest(server, standin, "list", channel=ROOM, user=EDITOR))

    others = digest(server, standin, f"unsubscribe {subscription.id}", channel=ROOM, user=EDITOR)
    assert f"There is no subscription {subscription.id}" in text(others) and len(stored(sessions)) == 1
    mine = digest(server, standin, f"unsubscribe {subscription.id}", channel="C0ELSEWHERE", user=WRITER)
    assert "no more digests of *facebook* by direct message" in text(mine) and stored(sessions) == []


def test_subscribing_a_dm_without_me_points_to_the_personal_digest(
    server: str, standin: SlackStandIn
) -> None:
    reply = digest(server, standin, "subscribe facebook", channel="D0WRITER", user=EDITOR)
    assert "`/digest subscribe me <topic>`" in text(reply)


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))


def a_quote(sessions: sessionmaker[Session], workspace_id: int, at: datetime) -> None:
    with sessions.begin() as session:
        source = items.source(session, workspace_id, publisher="NSPCC", url="https://www.nspcc.org.uk/")
        meta = items.entity(session, workspace_id, "Meta Platforms")
        items.quote(session, workspace_id, text="Facebook must act on grooming now.", speaker="A campaigner",
                      source=source, entities=[meta], now=at)  # fmt: skip


def subscribed(sessions: sessionmaker[Session], workspace_id: int, **options: object) -> None:
    with sessions.begin() as session:
        subscriptions.subscribe(session, workspace_id, CHANNEL, "facebook", Schedule("daily", 0, time(9), "UTC"),
                                user_id=SUBSCRIBER, now=SUBSCRIBED, **options)  # type: ignore[arg-type]  # fmt: skip


def test_a_figures_only_digest_leaves_quotes_out_and_attaches_its_figures_as_csv_in_the_thread(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribed(sessions, home_id, content="figure", attach_csv=True)
    publish(sessions, home_id, SUBSCRIBED + timedelta(hours=1))
    a_quote(sessions, home_id, SUBSCRIBED + timedelta(hours=2))
    [outcome] = deliver.run_due(sessions, client, now=datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    assert outcome.state == "posted"
    [message] = posts(standin)
    assert "*61%* of grooming offences" in text_of(message) and "A campaigner" not in text_of(message)
    [upload] = [u for u in standin.uploads() if u.filename.endswith(".csv")]
    assert upload.completed and upload.channel_id == CHANNEL and upload.content is not None
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8-sig"))))
    assert [(r["value"], r["unit"], r["measure"]) for r in rows] == [
        ("61", "percent", "of grooming offences on Meta's apps")
    ]
    thread = standin.last("files.completeUploadExternal").params
    assert thread["thread_ts"] == outcome.ts
    assert standin.violations == []


def test_a_quotes_only_digest_leaves_figures_out_and_attaches_no_csv(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribed(sessions, home_id, content="quote", attach_csv=True)
    publish(sessions, home_id, SUBSCRIBED + timedelta(hours=1))
    a_quote(sessions, home_id, SUBSCRIBED + timedelta(hours=2))
    deliver.run_due(sessions, client, now=datetime(2027, 3, 24, 9, 0, tzinfo=UTC))
    [message] = posts(standin)
    assert "A campaigner" in text_of(message) and "61%" not in text_of(message)
    assert [u for u in standin.uploads() if u.filename.endswith(".csv")] == []


def test_a_personal_digest_is_delivered_to_the_subscribers_direct_messages(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    with sessions.begin() as session:
        subscriptions.subscribe(session, home_id, "D0WRITER", "facebook", Schedule("monthly", 0, time(9), "UTC"),
                                user_id=WRITER, now=SUBSCRIBED)  # fmt: skip
    publish(sessions, home_id, SUBSCRIBED + timedelta(hours=1))
    [outcome] = deliver.run_due(sessions, client, now=datetime(2027, 4, 5, 9, 0, tzinfo=UTC))  # first Monday
    assert outcome.state == "posted"
    [message] = posts(standin, "D0WRITER")
    assert "*61%* of grooming offences" in text_of(message) and standin.violations == []


def test_the_owner_of_a_personal_digest_may_send_it_now_and_no_one_else_may_send_or_preview_it(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    from storage.models import utcnow

    digest(server, standin, "subscribe me facebook", channel=ROOM, user=WRITER)
    [mine] = stored(sessions)
    publish(sessions, home_id, utcnow())
    for other in (EDITOR, "U0SOMEONE"):  # not theirs, whether editors or not: it is not even shown to them
        refused = digest(server, standin, f"send-now {mine.id}", channel=ROOM, user=other)
        assert f"There is no subscription {mine.id}" in text(refused)
        assert f"There is no subscription {mine.id}" in text(digest(server, standin, f"preview {mine.id}",
                                                                    channel=ROOM, user=other))  # fmt: skip
    assert posts(standin, mine.channel_id) == []

    sent = digest(server, standin, f"send-now {mine.id}", channel="C0ELSEWHERE", user=WRITER)
    assert f"Digest {mine.id} posted" in text(sent)
    [message] = posts(standin, mine.channel_id)
    assert "*61%* of grooming offences" in text_of(message)


def test_only_editors_send_a_channels_digest_now(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    digest(server, standin, "subscribe facebook", channel=ROOM, user=EDITOR)
    [channels] = stored(sessions)
    refused = digest(server, standin, f"send-now {channels.id}", channel=ROOM, user=WRITER)
    assert "Only editors can send a channel's digest early" in text(refused)
    assert posts(standin, ROOM) == []
    assert "Nothing new" in text(
        digest(server, standin, f"send-now {channels.id}", channel=ROOM, user=EDITOR)
    )


def test_a_digests_next_run_is_shown_in_each_readers_time_zone(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    digest(server, standin, "subscribe me facebook daily 8am Europe/London", channel=ROOM, user=WRITER)
    [mine] = stored(sessions)
    moment = int(deliver.aware(mine.next_run_at).timestamp())
    listed = text(digest(server, standin, "list", channel=ROOM, user=WRITER))
    assert f"<!date^{moment}^next {{date_short_pretty}} at {{time}}|next " in listed
