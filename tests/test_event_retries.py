"""Slack's retries of an event (X-Slack-Retry-Num) act once; a failed first attempt leaves the retry free to act.

Events go over HTTP, signed, to the real app; what the bot does is read from the Web API stand-in, the file
host stand-in and the database.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.local_slack import SlackStandIn
from storage.db import make_sessions
from storage.models import SlackEventReceipt, Statistic
from tests.conftest import SIGNING_SECRET, TEAM, slack_settings
from tests.http_server import serving
from tests.slackapi.signing import post, signed_headers
from tests.spreadsheets import as_csv, figure_row

EDITOR = "U0EDITOR"


@dataclass
class FileHost:
    """Slack's file host, played on 127.0.0.1: counts downloads and can hold them until told to go on."""

    url: str = ""
    downloads: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def file_host() -> Iterator[FileHost]:
    host = FileHost()
    host.go_on.set()
    data = as_csv([figure_row(1), figure_row(2)])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host.downloads += 1
        host.started.set()
        host.go_on.wait(timeout=60)
        start_response("200 OK", [("Content-Type", "text/csv")])
        return [data]

    with serving(app) as url:
        host.url = url
        yield host


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin, fetch_allow_loopback=True)  # files on 127.0.0.1


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def send_file_event(
    server: str, host: FileHost, event_id: str, *, user: str = EDITOR, retry: int = 0
) -> tuple[int, str]:
    """A spreadsheet shared in a DM with the bot, as Slack delivers it (again, when `retry` > 0)."""
    event = {
        "type": "message", "subtype": "file_share", "channel": "D0EDITOR", "channel_type": "im",
        "user": user, "text": "", "ts": "1700000000.000200",
        "files": [{"id": "F0FILE", "name": "figures.csv", "url_private_download": f"{host.url}/figures.csv",
                   "filetype": "csv"}],
    }  # fmt: skip
    body = json.dumps({
        "token": "x", "team_id": TEAM, "api_app_id": "A0APP", "event": event, "type": "event_callback",
        "event_id": event_id, "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
    })  # fmt: skip
    headers = signed_headers(body, SIGNING_SECRET) | {"Content-Type": "application/json"}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    status, _, raw = post(f"{server}/slack/events", body, headers)
    return status, raw


def figures(engine: Engine) -> int:
    with make_sessions(engine)() as session:
        return session.scalar(select(func.count()).select_from(Statistic)) or 0


def posts(standin: SlackStandIn) -> list[str]:
    return [call.params["text"] for call in standin.calls("chat.postMessage", ok=True)]


def test_a_retried_event_is_acknowledged_and_acts_only_once(
    server: str,
    standin: SlackStandIn,
    engine: Engine,
    file_host: FileHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = figures(engine)
    assert send_file_event(server, file_host, "Ev0RETRY01")[0] == 200
    with caplog.at_level(logging.INFO, logger="statbot.events"):
        for attempt in (1, 2):  # the listeners run before the answer: a retry that acted would show by now
            assert send_file_event(server, file_host, "Ev0RETRY01", retry=attempt) == (200, "")
    assert file_host.downloads == 1 and figures(engine) == before + 2
    assert len(posts(standin)) == 1 and "Imported 2 figures" in posts(standin)[0]
    assert any("skipped event Ev0RETRY01" in r.getMessage() for r in caplog.records)

    assert send_file_event(server, file_host, "Ev0OTHER02")[0] == 200  # another event is not a repeat
    assert file_host.downloads == 2 and "0 figures; 2 already stored" in posts(standin)[-1]


def test_a_retry_sent_while_the_first_delivery_is_still_working_is_skipped(
    server: str, standin: SlackStandIn, engine: Engine, file_host: FileHost
) -> None:
    """Slack retries after 3 s without an answer; the first delivery is then still importing."""
    before = figures(engine)
    file_host.go_on.clear()
    first: list[tuple[int, str]] = []
    worker = threading.Thread(target=lambda: first.append(send_file_event(server, file_host, "Ev0SLOW01")))
    worker.start()
    try:
        assert file_host.started.wait(timeout=30), "the first delivery never reached the file host"
        assert send_file_event(server, file_host, "Ev0SLOW01", retry=1) == (200, "")
        assert first == []  # answered while the first delivery is still held at the file host
    finally:
        file_host.go_on.set()
        worker.join(timeout=60)
    assert first and first[0][0] == 200
    assert file_host.downloads == 1 and figures(engine) == before + 2
    assert len(standin.calls("chat.postMessage")) == 1


def test_a_failed_first_attempt_lets_slacks_retry_act(
    server: str, standin: SlackStandIn, engine: Engine, file_host: FileHost
) -> None:
    standin.fail_next("chat.postMessage", error="fatal_error")  # the reply fails: the listener raises
    assert send_file_event(server, file_host, "Ev0FAIL01", user="U0WRITER")[0] == 200
    assert len(standin.calls("chat.postMessage", ok=False)) == 1
    with make_sessions(engine)() as session:
        assert session.get(SlackEventReceipt, "Ev0FAIL01") is None  # the claim was released

    assert send_file_event(server, file_host, "Ev0FAIL01", user="U0WRITER", retry=1)[0] == 200
    assert posts(standin) == [
        "Only editors can import spreadsheets. Send figures one at a time with `/stats add`."
    ]


def test_receipts_older_than_a_day_are_pruned_and_recent_ones_kept(
    server: str, engine: Engine, file_host: FileHost
) -> None:
    now = datetime.now(UTC)
    with make_sessions(engine).begin() as session:
        session.add(SlackEventReceipt(event_id="Ev0OLD", team_id=TEAM, received_at=now - timedelta(days=2)))
        session.add(
            SlackEventReceipt(event_id="Ev0RECENT", team_id=TEAM, received_at=now - timedelta(hours=1))
        )
    assert send_file_event(server, file_host, "Ev0NEW")[0] == 200
    with make_sessions(engine)() as session:
        kept = set(session.scalars(select(SlackEventReceipt.event_id)))
        new = session.get(SlackEventReceipt, "Ev0NEW")
    assert kept == {"Ev0RECENT", "Ev0NEW"}
    assert new is not None and new.team_id == TEAM
