"""Signed Slack requests over HTTP to the real Bolt app, with a Web API stand-in recording what it posts."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from typing import Any

import pytest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.app import Home, create_app
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.slack_limits import message_problem
from storage.db import make_engine, make_sessions
from storage.models import SearchDocument, Statistic
from tests import items
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.http_server import serving
from tests.slackapi.replies import message_text, slash
from tests.slackapi.signing import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
)


def test_stats_facebook_answers_the_asker_with_the_nspcc_share_and_its_sources(
    server: str, standin: SlackStandIn
) -> None:
    status, reply = slash(server, standin, "/stats", "facebook")
    assert status == 200 and isinstance(reply, dict)
    assert reply["response_type"] == "ephemeral"
    assert message_problem(reply) is None
    text = message_text(reply)
    for expected in (
        "*52%*",
        "9,477",
        "Oct 2019 - Sep 2020",
        "NSPCC",
        "The Independent",
    ):
        assert expected in text
    # The sample holds only what its article says: no primary source or place it does not name.
    assert "UK police forces" not in text and "Primary source" not in text
    assert any(block["type"] == "actions" for block in reply["blocks"])


@pytest.mark.parametrize(
    "question", ["Facebook", "meta", "Meta Platforms", "instagram", "whatsapp", "messenger"]
)
def test_every_facebook_name_answers_over_http(server: str, standin: SlackStandIn, question: str) -> None:
    _, reply = slash(server, standin, "/stats", question)
    assert isinstance(reply, dict) and "*52%*" in message_text(reply)


@pytest.mark.parametrize(
    ("question", "expected"),
    [("burrows", "Andy Burrows"), ("nca", "National Crime Agency"), ("encryption", "Rob Jones")],
)
def test_quote_answers_with_words_and_attribution(
    server: str, standin: SlackStandIn, question: str, expected: str
) -> None:
    _, reply = slash(server, standin, "/quote", question)
    assert isinstance(reply, dict) and expected in message_text(reply) and message_problem(reply) is None


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/stats", "", "/stats facebook"),
        ("/stats", "help", "/quote burrows"),
        ("/quote", "", "/quote burrows"),
        ("/stats", "zebra crossings", "No figures match *zebra crossings*"),
        ("/stats", "facebok", "showing 1 figure for *facebook*"),
        ("/stats", "meat", "Did you mean *Meta*?"),
        ("/quote", "zebra", "No quotes match *zebra*"),
        ("/stats", "x" * 10_000, "ask in a few words"),
        ("/stats", '"', "nothing to search for"),
        ("/stats", "NEAR(", "No figures match"),
        ("/stats", "'; DROP TABLE statistics; --", "No figures match"),
        ("/stats", "face*", "No figures match"),
        ("/stats", "\x01\x02facebook\x7f", "*52%*"),
        ("/stats", "😀", "nothing to search for"),
        ("/stats", "פייסבוק", "No figures match"),
        ("/stats", "<!channel> facebook", "&lt;!channel&gt; facebook"),
    ],
)
def test_bad_input_gets_a_clear_reply_and_no_error(
    server: str, standin: SlackStandIn, engine: Engine, command: str, text: str, expected: str
) -> None:
    status, reply = slash(server, standin, command, text)
    assert status == 200 and isinstance(reply, dict)
    assert expected in message_text(reply)
    assert message_problem(reply) is None
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Statistic)) == 2


@pytest.mark.parametrize("problem", ["missing", "wrong secret", "stale", "tampered"])
def test_a_request_without_a_valid_signature_gets_401_and_touches_nothing(
    server: str, standin: SlackStandIn, problem: str
) -> None:
    body = slash_command_body("/stats", "facebook", response_url=standin.response_url("cmd"))
    headers = signed_headers(body, SIGNING_SECRET)
    if problem == "missing":
        headers = {"Content-Type": headers["Content-Type"]}
    elif problem == "wrong secret":
        headers = signed_headers(body, "not-the-secret")
    elif problem == "stale":
        headers = signed_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)
    else:
        body = body.replace("facebook", "instagram")
    standin.clear()
    status, _, raw = post(f"{server}/slack/events", body, headers)
    assert status == 401
    assert "52%" not in raw
    assert standin.calls() == []


def test_a_request_signed_for_this_app_but_from_another_workspace_is_refused(
    server: str, standin: SlackStandIn
) -> None:
    standin.clear()
    status, reply = slash(server, standin, "/stats", "facebook", team_id="T0ELSEWHERE")
    assert status == 401 and "52%" not in str(reply)
    assert standin.calls() == []


def share(server: str, standin: SlackStandIn, command: str, text: str, user: str = "U0SHARER") -> None:
    payload = block_action_payload(
        "share_answer",
        json.dumps({"command": command, "text": text}),
        user_id=user,
        response_url=standin.response_url("share"),
    )
    body = interactive_body(payload)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200


def test_share_in_channel_posts_the_same_answer_visibly_credited_to_the_sharer(
    server: str, standin: SlackStandIn
) -> None:
    share(server, standin, "/stats", "facebook")
    # statbot posts it itself (so a retraction can note it later), then removes the answer only they saw.
    posted = standin.wait_for("chat.postMessage")[0].params
    standin.wait_for("response_url")
    [deleted] = standin.response_posts("share")
    assert posted["channel"] == "C0CHAN"
    text = message_text(posted)
    assert "Shared by <@U0SHARER>" in text and "*52%*" in text and "NSPCC" in text
    assert not any(block["type"] == "actions" for block in posted["blocks"])
    assert deleted["delete_original"] is True
    assert standin.violations == []


def test_mrkdwn_stored_in_a_quote_is_shown_not_acted_on(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        source = items.source(session, home_id, publisher="Test & Co", title="A <b>bold</b> report")
        items.quote(
            session,
            home_id,
            text="Everyone <!channel> look <@U123> & <#C999> now <https://evil.example|click>",
            speaker="Mallory <!here>",
            source=source,
        )
        session.commit()
    _, reply = slash(server, standin, "/quote", "mallory")
    assert isinstance(reply, dict)
    raw = json.dumps(reply)
    for live in ("<!channel>", "<!here>", "<@U123>", "<#C999>", "<https://evil.example|click>", "<b>"):
        assert live not in raw
    text = message_text(reply)
    assert (
        "&lt;!channel&gt;" in text and "&lt;@U123&gt; &amp; &lt;#C999&gt;" in text and "Test &amp; Co" in text
    )


def mrkdwn_objects(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mrkdwn text object in a message's blocks (section texts and fields, context elements)."""
    found = []
    for block in message.get("blocks", []):
        for text in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(text, dict) and text.get("type") == "mrkdwn":
                found.append(text)
    return found


def test_stored_text_is_shown_in_verbatim_text_objects_so_it_never_pings(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    """Escaping stops `<!channel>`; verbatim stops Slack from turning a bare @channel, @here or #name into one."""
    with make_sessions(engine)() as session:
        meta = items.entity(session, home_id, "Meta")
        source = items.source(session, home_id, publisher="@here Press", title="<!channel> @channel report")
        items.quote(session, home_id, text="Wake up <!channel> and @channel, see #general", speaker="Mallory",
                    source=source)  # fmt: skip
        items.statistic(session, home_id, value=Decimal(7), unit="count", measure="pings to @everyone",
                        source=source, entities=[meta], geography="UK")  # fmt: skip
        session.commit()
    for command, question in (("/quote", "mallory"), ("/stats", "meta")):
        _, reply = slash(server, standin, command, question)
        assert isinstance(reply, dict) and "<!channel>" not in json.dumps(reply)
        shown = mrkdwn_objects(reply)
        assert any("@channel" in text["text"] or "@everyone" in text["text"] for text in shown)
        assert [text for text in shown if not text.get("verbatim")] == []
        standin.clear()
        share(server, standin, command, question)
        posted = standin.wait_for("chat.postMessage")[0].params
        assert "<!channel>" not in json.dumps(posted)
        assert [text for text in mrkdwn_objects(posted) if not text.get("verbatim")] == []


@pytest.mark.slow
def test_a_long_answer_is_cut_to_slacks_limits_with_and_n_more(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        meta = items.entity(session, home_id, "Meta")
        source = items.source(session, home_id, publisher="Ofcom", title="Online Nation " + "long " * 85)
        for n in range(60):
            items.statistic(
                session,
                home_id,
                value=Decimal(n),
                unit="count",
                measure=f"reports number {n} " + "online " * 67,  # 470 characters of words: cheaper to embed than one long token run
                source=source,
                entities=[meta],
                geography="UK",
            )
        session.commit()
    _, reply = slash(server, standin, "/stats", "facebook")
    assert isinstance(reply, dict)
    assert message_problem(reply) is None and len(reply["blocks"]) <= 50
    assert "…and 51 more" in message_text(reply)
    share(server, standin, "/stats", "facebook")
    standin.wait_for("chat.postMessage")
    standin.wait_for("response_url")
    assert standin.violations == []


def test_an_unreachable_database_gets_a_plain_reply_and_a_log_line(
    standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/none",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        response_url_allow_loopback=True,
    )
    sessions = make_sessions(make_engine(settings.database_url))
    app = create_app(settings, sessions, home=Home(workspace_id=1, team_id=TEAM))
    with caplog.at_level(logging.ERROR, logger="statbot"), serving(SlackRequestHandler(app)) as server:
        status, reply = slash(server, standin, "/stats", "facebook")
    assert status == 200 and isinstance(reply, dict)
    assert "cannot reach its data" in reply["text"]
    assert any("database unreachable" in record.getMessage() for record in caplog.records)


def test_an_oversized_request_is_refused_before_its_body_is_read(server: str) -> None:
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(server)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(50_000_000))
    connection.endheaders()  # the 50 MB body is never sent: the answer must come without it
    response = connection.getresponse()
    assert response.status == 413 and b"too large" in response.read()
    connection.close()


def test_health_check_reports_the_database(server: str) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{server}/healthz", timeout=30) as response:  # noqa: S310 (loopback)
        assert json.load(response) == {"ok": True, "database": "reachable"}


def test_search_documents_follow_the_figures(db: Session, home_id: int) -> None:
    assert db.scalar(select(func.count()).select_from(SearchDocument)) == 9


def test_a_dropped_connection_is_retried_but_never_for_a_post_that_slack_may_have_made(
    standin: SlackStandIn,
) -> None:
    from slack_sdk.errors import SlackClientError

    from bot.app import make_client

    client = make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))
    standin.drop_connection_next("auth.test")
    assert client.auth_test()["ok"]
    assert len(standin.calls("auth.test")) == 2
    standin.drop_connection_next("chat.postMessage")
    with pytest.raises((SlackClientError, OSError)):
        client.chat_postMessage(channel="C0CHAN", text="once")
    assert len(standin.calls("chat.postMessage")) == 1
