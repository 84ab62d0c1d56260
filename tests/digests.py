"""Digest delivery set-up: a subscribed channel, figures published at given times, and what was posted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_client
from bot.config import Settings
from bot.local_slack import SlackStandIn
from digests import subscriptions
from digests.schedule import Schedule
from storage.models import DigestDelivery
from storage.partial_date import PartialDate
from tests import items
from tests.conftest import BOT_TOKEN

CHANNEL = "C0DIGEST"


SUBSCRIBER = "U0SUBSCRIBER"


# Tuesday 23 March 2027, London on GMT; the clocks go forward on Sunday 28 March.
SUBSCRIBED = datetime(2027, 3, 23, 12, 0, tzinfo=UTC)


MONDAY_BEFORE_DST = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST


WEEKLY_LONDON = Schedule("weekly", 0, time(9, 0), "Europe/London")


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))


def subscribe(
    sessions: sessionmaker[Session], workspace_id: int, topic: str = "facebook", now: datetime = SUBSCRIBED
) -> int:
    with sessions.begin() as session:
        made = subscriptions.subscribe(
            session, workspace_id, CHANNEL, topic, WEEKLY_LONDON, user_id=SUBSCRIBER, now=now
        )
        return made.id


def publish(
    sessions: sessionmaker[Session],
    workspace_id: int,
    at: datetime,
    *,
    value: str = "61",
    measure: str = "of grooming offences on Meta's apps",
    year: str = "2026",
) -> int:
    with sessions.begin() as session:
        meta = items.entity(session, workspace_id, "Meta Platforms")
        source = items.source(session, workspace_id, publisher="NSPCC", url="https://www.nspcc.org.uk/")
        figure = items.statistic(
            session,
            workspace_id,
            value=Decimal(value),
            unit="percent",
            measure=measure,
            source=source,
            period_end=PartialDate.parse(year),
            geography="UK",
            entities=[meta],
            now=at,
        )
        session.flush()
        return figure.id


def posts(standin: SlackStandIn, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [c.params for c in standin.calls("chat.postMessage", ok=True) if c.params["channel"] == channel]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def deliveries(sessions: sessionmaker[Session]) -> list[DigestDelivery]:
    with sessions() as session:
        return list(session.scalars(select(DigestDelivery).order_by(DigestDelivery.run_at)))


@pytest.fixture
def database_fails_on_recording_the_post(engine: Engine) -> Iterator[list[int]]:
    """The database connection dies just after the digest was posted, before the post is recorded."""
    armed = [1]

    def fail(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if armed[0] and statement.lstrip().upper().startswith("UPDATE DIGEST_DELIVERIES SET STATE"):
            armed[0] = 0
            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", fail)
    yield armed
    event.remove(engine, "before_cursor_execute", fail)
