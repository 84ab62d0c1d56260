"""Edits are visible, on SQLite and PostgreSQL: a published figure whose value, unit, period or place changed says
"changed on DATE" in answers and citations for 30 days (today driven by the settings), History gives the old
value, and the next digest of every channel that was sent the figure lists the change under Corrections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from digests import deliver, subscriptions
from digests.schedule import Schedule
from intake.validate import FigureInput, validate_figure
from storage import changes, roles
from storage.db import make_sessions
from storage.models import Statistic
from tests.clock import Today
from tests.conftest import BOT_TOKEN, slack_settings
from tests.http_server import serving
from tests.items import SNAPCHAT
from tests.slackapi.actions import choose
from tests.slackapi.replies import message_text, slash_reply

EDITOR = "U0EDITOR"
PUBLISHED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
EDITED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
EDITED_SLACK_DATE = f"<!date^{int(EDITED.timestamp())}^{{date_short}}|1 Dec 2026>"


def checked(**typed: str) -> FigureInput:
    figure = validate_figure(SNAPCHAT | typed)
    assert isinstance(figure, FigureInput), figure
    return figure


def add(sessions: sessionmaker[Session], workspace_id: int, *, publish: bool = True, at: datetime = PUBLISHED,
        **typed: str) -> int:  # fmt: skip
    with sessions.begin() as session:
        item, created = changes.add_figure(
            session, workspace_id, checked(**typed), actor=EDITOR, publish=publish, now=at
        )
        assert created
        return item.id


def edit(sessions: sessionmaker[Session], figure_id: int, at: datetime = EDITED, **typed: str) -> None:
    """An editor's change through the one write path (what the Edit form calls)."""
    with sessions.begin() as session:
        stat = session.get(Statistic, figure_id)
        assert stat is not None
        changes.edit_figure(session, stat, checked(**typed), actor=EDITOR, now=at)


@pytest.fixture
def today() -> Today:
    return Today(EDITED.date())


@pytest.fixture
def server(engine: Engine, standin: SlackStandIn, home_id: int, today: Today) -> Iterator[str]:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    with serving(create_wsgi(slack_settings(engine, standin, today=today))) as url:
        yield url


# ----- answers, citations and history ---------------------------------------------------------------------
def test_a_changed_value_is_said_in_answers_and_citations_for_30_days_then_the_line_goes(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int, today: Today
) -> None:
    figure = add(sessions, home_id)
    assert ":pencil2:" not in message_text(slash_reply(server, standin, "snapchat"))
    edit(sessions, figure, value="36%")

    line = f"*Value changed on {EDITED_SLACK_DATE}*: the earlier version is under *History*"
    answer = message_text(slash_reply(server, standin, "snapchat"))
    assert "*36%*" in answer and line in answer
    assert line in message_text(choose(server, standin, f"cite:figure:{figure}", key="cite"))
    history = message_text(choose(server, standin, f"history:figure:{figure}", key="history"))
    assert "it was 34%" in history

    today.day = EDITED.date() + timedelta(days=29)
    assert line in message_text(slash_reply(server, standin, "snapchat"))
    today.day = EDITED.date() + timedelta(days=30)
    assert ":pencil2:" not in message_text(slash_reply(server, standin, "snapchat"))
    assert ":pencil2:" not in message_text(choose(server, standin, f"cite:figure:{figure}", key="later"))
    assert standin.violations == []


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ({"period_end": "2024-04"}, "*Period changed on"),
        ({"geography": "England"}, "*Place changed on"),
        ({"value": "36%", "geography": "England"}, "*Value and place changed on"),
    ],
)
def test_the_line_names_what_changed(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int, typed: dict[str, str],
    said: str,
) -> None:  # fmt: skip
    edit(sessions, add(sessions, home_id), **typed)
    assert said in message_text(slash_reply(server, standin, "snapchat"))


def test_edits_before_publication_or_of_other_details_are_not_flagged(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    pending = add(sessions, home_id, publish=False, measure="share of grooming offences on Snapchat pending")
    edit(sessions, pending, value="36%", measure="share of grooming offences on Snapchat pending")
    with sessions.begin() as session:
        stat = session.get(Statistic, pending)
        assert stat is not None
        changes.approve(session, stat, actor=EDITOR, now=EDITED)
    published = add(sessions, home_id)
    edit(sessions, published, notes="checked against the release")
    assert ":pencil2:" not in message_text(slash_reply(server, standin, "snapchat"))


# ----- digests ---------------------------------------------------------------------------------------------
WEEKLY_UTC = Schedule("weekly", 0, time(9, 0), "UTC")
SENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday: the digest that carried the figure
NEXT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))


def subscribe(sessions: sessionmaker[Session], workspace_id: int, channel: str, now: datetime,
              topic: str = "snapchat") -> None:  # fmt: skip
    with sessions.begin() as session:
        subscriptions.subscribe(session, workspace_id, channel, topic, WEEKLY_UTC, user_id=EDITOR, now=now)


def posts(standin: SlackStandIn, channel: str) -> list[str]:
    return [message_text(c.params) for c in standin.calls("chat.postMessage", ok=True)
            if c.params["channel"] == channel]  # fmt: skip


def test_the_next_digest_of_each_channel_sent_the_figure_lists_its_change_under_corrections(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribe(sessions, home_id, "C0SENT", PUBLISHED - timedelta(days=1))
    subscribe(sessions, home_id, "C0ALSO", PUBLISHED - timedelta(days=1), topic="grooming")
    subscribe(sessions, home_id, "C0OTHER", PUBLISHED - timedelta(days=1), topic="tiktok")
    figure = add(sessions, home_id)
    deliver.run_due(sessions, client, now=SENT)
    assert len(posts(standin, "C0SENT")) == len(posts(standin, "C0ALSO")) == 1
    assert posts(standin, "C0OTHER") == []
    subscribe(sessions, home_id, "C0LATE", SENT + timedelta(hours=1))  # after the figure went out

    edit(sessions, figure, value="36%")
    deliver.run_due(sessions, client, now=NEXT)
    for channel in ("C0SENT", "C0ALSO"):
        [_, corrected] = posts(standin, channel)
        assert "*Corrections*" in corrected and "*Changed:* 36% share of grooming offences on Snapchat" in corrected
        assert "was 34%" in corrected
    # Never sent the figure: no correction, and with nothing new nothing is posted at all.
    assert posts(standin, "C0OTHER") == [] and posts(standin, "C0LATE") == []

    # Listed once: the digest after that has nothing new and no corrections, so it posts nothing.
    deliver.run_due(sessions, client, now=NEXT + timedelta(days=7))
    assert len(posts(standin, "C0SENT")) == 2
    assert standin.violations == []


def test_a_figure_changed_before_its_first_digest_is_simply_new_there(
    sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn, client: WebClient
) -> None:
    subscribe(sessions, home_id, "C0SENT", PUBLISHED - timedelta(days=1))
    figure = add(sessions, home_id)
    edit(sessions, figure, at=PUBLISHED + timedelta(days=1), value="36%")
    deliver.run_due(sessions, client, now=SENT)
    [message] = posts(standin, "C0SENT")
    assert "*36%*" in message and "Corrections" not in message


def edited_at(engine: Engine, figure_id: int) -> Any:
    with make_sessions(engine)() as session:
        return session.scalar(select(Statistic.edited_at).where(Statistic.id == figure_id))


def test_the_write_path_stamps_the_change_of_a_published_figure_only(
    engine: Engine, sessions: sessionmaker[Session], home_id: int
) -> None:
    figure = add(sessions, home_id)
    assert edited_at(engine, figure) is None
    edit(sessions, figure, unit="count", value="34")
    stamped = edited_at(engine, figure)
    assert stamped is not None and (stamped.replace(tzinfo=UTC) if stamped.tzinfo is None else stamped) == EDITED
