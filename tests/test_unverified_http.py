"""Requests that are not Slack's: malformed timestamps and bodies are refused before Bolt, nothing in an unverified
body is acted on (not even in the error path), and replies go only to Slack's own response_urls."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import Home, create_app
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage.models import SlackEventReceipt
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.http_server import serving
from tests.slackapi.signing import (
    VERIFICATION_TOKEN,
    block_action_payload,
    event_body,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
)

CLAIMED = "Ev0CLAIMED"
MALFORMED_TIMESTAMPS = [
    "abc",
    "1e9",
    " ",
    "",
    "-1",
    "1_700_000_000",
    "+1700000000",
    "99999999999999999999999",
    "0x10",
]


@pytest.fixture
def claimed(sessions: sessionmaker[Session]) -> str:
    """An event some earlier, genuine delivery has taken on."""
    with sessions.begin() as session:
        session.add(SlackEventReceipt(event_id=CLAIMED, team_id=TEAM, received_at=datetime.now(UTC)))
    return CLAIMED


def still_claimed(sessions: sessionmaker[Session], event_id: str) -> bool:
    with sessions() as session:
        return (
            session.scalar(select(SlackEventReceipt).where(SlackEventReceipt.event_id == event_id))
            is not None
        )


def unsigned(
    body: str, timestamp: str, content_type: str = "application/x-www-form-urlencoded"
) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=00",
    }


def share_body(standin: SlackStandIn) -> str:
    value = json.dumps({"command": "/stats", "text": "facebook"})
    return interactive_body(
        block_action_payload("share_answer", value, response_url=standin.response_url("x"))
    )


@pytest.mark.parametrize("timestamp", MALFORMED_TIMESTAMPS)
def test_an_unsigned_request_with_a_malformed_timestamp_gets_401_and_nothing_is_posted_or_released(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], claimed: str, timestamp: str
) -> None:
    bodies = [
        (share_body(standin), "application/x-www-form-urlencoded"),
        (slash_command_body("/stats", "facebook", response_url=standin.response_url("x")), "application/x-www-form-urlencoded"),
        (event_body({"type": "app_mention", "text": "hi"}, team_id=TEAM, event_id=claimed), "application/json"),
    ]  # fmt: skip
    standin.clear()
    for body, content_type in bodies:
        status, _, raw = post(f"{server}/slack/events", body, unsigned(body, timestamp, content_type))
        assert status == 401, raw
        assert "52%" not in raw
    assert standin.calls() == [] and standin.response_posts() == []
    assert still_claimed(sessions, claimed)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("payload=", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),  # JSON, but not an object
        ("payload=%22text%22", "application/x-www-form-urlencoded"),
        ("payload=%FF%FE", "application/x-www-form-urlencoded"),
        ('{"type": "event_callback"', "application/json"),
        ("[1, 2]", "application/json"),
        ("\xff\xfe", "application/json"),
        ("{not json", "application/x-www-form-urlencoded"),  # Bolt reads a body starting with { as JSON
    ],
)
@pytest.mark.parametrize("signed", [False, True])
def test_a_malformed_body_gets_400_not_a_traceback(
    server: str, standin: SlackStandIn, body: str, content_type: str, signed: bool
) -> None:
    headers = signed_headers(body, SIGNING_SECRET, content_type=content_type)
    if not signed:
        headers["X-Slack-Signature"] = "v0=00"
    standin.clear()
    status, _, raw = post(f"{server}/slack/events", body, headers)
    assert status == 400, raw
    assert "Traceback" not in raw and standin.calls() == []


def test_the_error_handler_acts_on_nothing_from_a_body_it_could_not_verify(
    settings: Settings,
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    claimed: str,
) -> None:
    """Bolt's own verification raises on a malformed timestamp; the console and Socket Mode reach the app
    without bot.web's checks, so the app itself must not trust the body of a request that failed that way."""
    app = create_app(settings, sessions, home=Home(workspace_id=home_id, team_id=TEAM))
    standin.clear()
    for body, content_type in [
        (share_body(standin), "application/x-www-form-urlencoded"),
        (
            event_body({"type": "app_mention", "text": "hi"}, team_id=TEAM, event_id=claimed),
            "application/json",
        ),
    ]:
        headers = {k.lower(): [v] for k, v in unsigned(body, "abc", content_type).items()}
        response = app.dispatch(BoltRequest(body=body, headers=headers))
        assert response.status == 401
    assert standin.calls() == [] and standin.response_posts() == []
    assert still_claimed(sessions, claimed)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/anywhere",
        "http://hooks.slack.com/actions/T0TEST/1/x",
        "https://hooks.slack.com.attacker.example/actions/T0TEST/1/x",
        "https://hooks.slack.com@attacker.example/actions/x",
        "https://hooks.slack.com:8443/actions/T0TEST/1/x",
        "https://attacker.example/?https://hooks.slack.com/",
        "https://HOOKS.slack.com\\@attacker.example/",
        "file:///etc/passwd",
        "//hooks.slack.com/actions/x",
    ],
)
def test_a_response_url_off_slacks_hooks_is_never_posted_to_even_when_signed(
    engine: Engine, standin: SlackStandIn, home_id: int, url: str
) -> None:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
    )
    value = json.dumps({"command": "/stats", "text": "facebook"})
    with serving(create_wsgi(settings)) as server:
        for response_url in (url, standin.response_url("share")):  # the stand-in is on 127.0.0.1 too
            body = interactive_body(block_action_payload("share_answer", value, response_url=response_url))
            standin.clear()
            status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
            assert status == 400
            assert standin.response_posts() == []


@pytest.mark.parametrize(
    ("url", "loopback", "allowed"),
    [
        ("https://hooks.slack.com/commands/T0TEST/1/abc", False, True),
        ("https://hooks.slack.com/actions/T0TEST/1/abc", False, True),
        ("https://hooks.slack.com/app/T0TEST/1/abc", False, True),
        ("http://hooks.slack.com/commands/T0TEST/1/abc", False, False),
        ("https://hooks.slack.com.attacker.example/x", False, False),
        ("https://attacker.example/x", True, False),
        ("http://127.0.0.1:5000/response/x", False, False),
        ("http://127.0.0.1:5000/response/x", True, True),
        ("http://[::1]:5000/response/x", True, True),
        ("http://localhost:5000/response/x", True, True),
        ("http://127.0.0.2:5000/response/x", True, False),
        ("", False, False),
    ],
)
def test_which_response_urls_are_ours_to_post_to(url: str, loopback: bool, allowed: bool) -> None:
    from bot.response_urls import is_slacks

    assert is_slacks(url, allow_loopback=loopback) is allowed


def test_the_test_only_loopback_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env(
        {"STATBOT_RESPONSE_URL_ALLOW_LOOPBACK": "1"}, env_file=None
    ).response_url_allow_loopback
    assert not Settings.from_env({}, env_file=None).response_url_allow_loopback


def test_a_request_that_fails_verification_is_logged_without_its_body(
    settings: Settings, home_id: int, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    body = slash_command_body(
        "/stats", "secret plans for the campaign", response_url=standin.response_url("x")
    )
    # Bolt's loggers take the root's level when the app is made: make it with INFO on, as `statbot serve` runs.
    with caplog.at_level(logging.INFO), serving(create_wsgi(settings)) as server:
        status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, "not-the-secret"))
    assert status == 401
    logged = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records
    )
    assert "refused a request" in logged
    for private in ("secret plans", "secret+plans", VERIFICATION_TOKEN, "response", "127.0.0.1"):
        assert private not in logged


@pytest.mark.parametrize(
    "body",
    [
        b"payload=%7B%22team%22%3A%20%22T0%22%7D",  # {"team": "T0"}: a string where Slack sends an object
        b"payload=%7B%22actions%22%3A%20%22x%22%7D",
        b"payload=%7B%22actions%22%3A%20%5B1%5D%7D",
        b"payload=%5B%5D",
        b"payload=%7B%22view%22%3A%201%2C%20%22actions%22%3A%20%5B%7B%7D%5D%7D",
        b"\xff\xfe",
    ],
)
def test_the_request_log_line_takes_any_body_without_failing(body: bytes) -> None:
    from bot.web import request_fields

    assert all(isinstance(value, str) for value in request_fields(body).values())


def test_the_request_log_line_cuts_a_claimed_team_short() -> None:
    from bot.web import request_fields

    assert request_fields(b"team_id=" + b"T" * 10_000)["team"] == "T" * 100
