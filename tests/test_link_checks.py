"""Weekly link checks on both databases, against a real HTTP server on 127.0.0.1 (the safe fetcher's loopback
allowance, as the other fetch tests use it) and the Slack stand-in, with the clock's time passed in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.local_slack import SlackStandIn
from ingest import link_check
from intake.validate import validate_figure
from storage import changes, roles
from storage.db import make_sessions
from storage.models import LinkCheck
from tests.conftest import BOT_TOKEN, EDITOR
from tests.http_server import serving
from tests.slackapi.replies import dms

MONDAY = datetime(2027, 3, 1, 9, 5, tzinfo=UTC)
EVIDENCE = "Police recorded 9,477 offences in the year to September 2020, the charity said."
LOOPBACK = replace(link_check.SETTINGS, allow_loopback=True, read_timeout=1.0, deadline=2.0)


class Site:
    """Pages by path, each (status, body); records every request and how many were in flight at once."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str]] = {}
        self.slow: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        # A slow page's handler sleeps on after the fetcher has given up on it: it is not counted as in flight.
        counted = path not in self.slow
        with self._lock:
            self.requests.append((method, path))
            self.in_flight += counted
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if not counted:
                time.sleep(3)  # past the fetcher's read timeout: it must give up first
            status, body = self.pages.get(path, (404, "<h1>Not here</h1>"))
            reason = {200: "OK", 404: "Not Found", 410: "Gone"}[status]
            start_response(f"{status} {reason}", [("Content-Type", "text/html; charset=utf-8")])
            return [] if method == "HEAD" else [body.encode()]
        finally:
            with self._lock:
                self.in_flight -= counted


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    pages = Site()
    with serving(pages) as url:
        yield pages, url


def add_figure(
    sessions: sessionmaker[Session], workspace_id: int, url: str, value: str, evidence: str
) -> int:
    typed = validate_figure({
        "value": value, "unit": "count", "measure": f"offences ({value})", "source_publisher": "Example",
        "source_url": url, "evidence": evidence,
    })  # fmt: skip
    assert not isinstance(typed, list), typed
    with sessions.begin() as session:
        stat, _ = changes.add_figure(session, workspace_id, typed, actor=EDITOR, publish=True)
        return stat.id


@pytest.fixture
def library(engine: Engine, home_id: int, site: tuple[Site, str]) -> dict[str, int]:
    """Four linked figures: one fine, one whose page lost its sentence, one gone (410), one never there (404)."""
    pages, url = site
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        roles.add_editor(session, home_id, EDITOR)
    pages.pages["/fine"] = (200, f"<html><body><p>{EVIDENCE.replace(',', ' ,')}</p></body></html>")
    pages.pages["/changed"] = (200, "<html><body><p>This page was rewritten.</p></body></html>")
    pages.pages["/gone"] = (410, "")
    return {
        name: add_figure(sessions, home_id, f"{url}/{name}", value, EVIDENCE)
        for name, value in (("fine", "1"), ("changed", "2"), ("gone", "3"), ("missing", "4"))
    }


def test_gone_links_and_lost_evidence_are_flagged_to_editors_once(
    engine: Engine, standin: SlackStandIn, site: tuple[Site, str], library: dict[str, int]
) -> None:
    pages, url = site
    sessions = make_sessions(engine)
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    outcomes = clock.check_links_and_tell(sessions, client, now=MONDAY, settings=LOOPBACK, pause=0)
    assert [o.state for o in outcomes] == ["sent"]
    [note] = dms(standin)
    assert f"{url}/changed no longer has the evidence sentence of #{library['changed']}" in note
    assert f"{url}/gone has gone (410 Gone)" in note and f"{url}/missing has gone (404 Not Found)" in note
    assert "/fine" not in note
    # HEAD first; GET only where there is a page to read for evidence.
    assert pages.requests.count(("HEAD", "/gone")) == 1 and ("GET", "/gone") not in pages.requests
    assert [r for r in pages.requests if r[1] == "/fine"] == [("HEAD", "/fine"), ("GET", "/fine")]
    # The same week: nothing is checked again, no second note.
    asked = len(pages.requests)
    assert [o.state for o in clock.check_links_and_tell(
        sessions, client, now=MONDAY + timedelta(days=2), settings=LOOPBACK, pause=0)] == ["busy"]  # fmt: skip
    assert len(pages.requests) == asked and len(dms(standin)) == 1
    # A week on: checked again, the same problems are not news; a link that broke since is.
    pages.pages["/fine"] = (410, "")
    later = clock.check_links_and_tell(
        sessions, client, now=MONDAY + timedelta(days=7), settings=LOOPBACK, pause=0
    )
    assert [o.state for o in later] == ["sent"]
    news = dms(standin)[-1]
    assert f"{url}/fine has gone" in news and "/changed" not in news and "/missing" not in news
    # Fixed, then broken again: flagged again.
    pages.pages["/changed"] = (200, f"<p>{EVIDENCE}</p>")
    clock.check_links_and_tell(sessions, client, now=MONDAY + timedelta(days=14), settings=LOOPBACK, pause=0)
    assert len(dms(standin)) == 2  # fixed: nothing to say
    pages.pages["/changed"] = (200, "<p>Rewritten again.</p>")
    clock.check_links_and_tell(sessions, client, now=MONDAY + timedelta(days=21), settings=LOOPBACK, pause=0)
    assert "/changed no longer has" in dms(standin)[-1]


def test_a_slow_server_is_cut_off_and_one_host_is_asked_one_link_at_a_time(
    engine: Engine, standin: SlackStandIn, site: tuple[Site, str], library: dict[str, int]
) -> None:
    pages, _ = site
    pages.slow.add("/changed")
    sessions = make_sessions(engine)
    began = time.monotonic()
    results = link_check.run(sessions, now=MONDAY, settings=LOOPBACK, pause=0.05)
    assert time.monotonic() - began < 30  # bounded: the slow link did not hold the run for long
    with sessions() as session:
        rows = {r.source_id: r for r in session.scalars(select(LinkCheck))}
    states = sorted(r.state for r in results.values())
    assert states == ["gone", "gone", "ok", "unreachable"] and len(rows) == 4
    assert all(
        not r.problem for r in rows.values() if r.state == "unreachable"
    )  # not flagged: tried next week
    assert pages.most_in_flight == 1  # every link is on 127.0.0.1: one request at a time


def test_the_clock_process_checks_links(
    engine: Engine, standin: SlackStandIn, library: dict[str, int]
) -> None:
    """The clock's job, on a real scheduler: whatever day the test runs, the links are checked and noted."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobstore("memory", alias="local")  # as clock.configure sets up
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    clock.add_link_checks(scheduler, make_sessions(engine), client, LOOPBACK)
    scheduler.start()
    try:
        standin.wait_for("chat.postMessage", timeout=60)
    finally:
        scheduler.shutdown(wait=True)
    assert any("has gone" in note for note in dms(standin))
