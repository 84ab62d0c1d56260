"""Following a feed: `/stats feeds add` checks it, the hourly poll reads only new entries, gone feeds stop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.app import make_client
from bot.config import Settings
from bot.feeds import poll_feeds
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage.db import make_sessions
from storage.models import Feed, Quote, Statistic, Status, utcnow
from tests.conftest import SIGNING_SECRET, slack_settings
from tests.http_server import serving, static_site
from tests.slackapi.signing import post, signed_headers, slash_command_body

GOLD = Path(__file__).parent / "gold" / "articles"
REVIEW = "C0REVIEW"


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{p}</title><link>{base}{p}</link><guid>{base}{p}</guid></item>" for p in paths
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>News</title>{items}</channel></rss>".encode()


class Site:
    """Pages the test can change between polls."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.url = ""


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    application = static_site(state.pages)
    with serving(application) as url:
        state.url = url
        for name in ("child-poverty-two-child-limit", "children-in-care-england-2023"):
            state.pages[f"/{name}"] = ("text/plain; charset=utf-8", (GOLD / f"{name}.txt").read_bytes())
        state.pages["/feed.xml"] = ("application/rss+xml", rss(url, ["/child-poverty-two-child-limit"]))
        yield state


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin, review_channel=REVIEW, fetch_allow_loopback=True)


@pytest.fixture
def server(settings: Settings, home_id: int) -> Iterator[str]:
    with serving(create_wsgi(settings)) as url:
        yield url


def feeds(server: str, standin: SlackStandIn, text: str) -> dict[str, Any]:
    body = slash_command_body("/stats", text, response_url=standin.response_url("feeds"))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    reply: dict[str, Any] = json.loads(raw)
    return reply


def pending(engine: Engine) -> int:
    with make_sessions(engine)() as session:
        return sum(
            session.scalar(select(func.count()).select_from(m).where(m.status == Status.PENDING.value)) or 0
            for m in (Statistic, Quote)
        )


def test_following_a_feed_reads_only_entries_that_appear_afterwards(
    server: str, standin: SlackStandIn, site: Site, settings: Settings, engine: Engine
) -> None:
    assert "Checking" in feeds(server, standin, f"feeds add <{site.url}/feed.xml>")["text"]
    standin.wait_for("response_url")
    assert "Following feed #" in standin.response_posts("feeds")[-1]["text"]
    assert site.url in feeds(server, standin, "feeds")["text"]

    client = make_client(settings)
    assert poll_feeds(make_sessions(engine), client, settings, now=utcnow() + timedelta(hours=2)) == 0
    assert pending(engine) == 0  # what the feed listed when followed is not a flood of old news

    site.pages["/feed.xml"] = (
        "application/rss+xml",
        rss(site.url, ["/children-in-care-england-2023", "/child-poverty-two-child-limit"]),
    )
    assert poll_feeds(make_sessions(engine), client, settings, now=utcnow() + timedelta(hours=4)) == 1
    assert pending(engine) > 0
    headers = [c for c in standin.calls("chat.postMessage") if c.params.get("channel") == REVIEW]
    assert "for review" in headers[0].params["text"]
    before = pending(engine)
    assert (
        poll_feeds(make_sessions(engine), client, settings, now=utcnow() + timedelta(hours=4, minutes=30))
        == 0
    )
    assert poll_feeds(make_sessions(engine), client, settings, now=utcnow() + timedelta(hours=6)) == 0
    assert pending(engine) == before


def test_a_feed_that_is_not_a_feed_is_refused_and_nothing_is_stored(
    server: str, standin: SlackStandIn, site: Site, engine: Engine
) -> None:
    feeds(server, standin, f"feeds add {site.url}/child-poverty-two-child-limit")
    standin.wait_for("response_url")
    assert "couldn't follow that feed" in standin.response_posts("feeds")[-1]["text"]
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Feed)) == 0


def test_a_feed_that_has_gone_stops_being_polled_and_its_follower_is_told(
    server: str, standin: SlackStandIn, site: Site, settings: Settings, engine: Engine
) -> None:
    feeds(server, standin, f"feeds add {site.url}/feed.xml")
    standin.wait_for("response_url")
    del site.pages["/feed.xml"]
    client = make_client(settings)
    for hours in range(2, 2 + 2 * 5, 2):
        poll_feeds(make_sessions(engine), client, settings, now=utcnow() + timedelta(hours=hours))
    with make_sessions(engine)() as session:
        feed = session.scalars(select(Feed)).one()
        assert "404" in feed.disabled_reason
    dms = [c for c in standin.calls("chat.postMessage") if "stopped following" in str(c.params.get("text"))]
    assert len(dms) == 1


def test_removing_a_feed(server: str, standin: SlackStandIn, site: Site) -> None:
    feeds(server, standin, f"feeds add {site.url}/feed.xml")
    standin.wait_for("response_url")
    listed = feeds(server, standin, "feeds")["text"]
    feed_id = listed.split("#")[1].split()[0]
    assert "Stopped following" in feeds(server, standin, f"feeds remove {feed_id}")["text"]
    assert "follows no feeds" in feeds(server, standin, "feeds")["text"]
    assert "feeds add" in feeds(server, standin, "feeds frobnicate")["text"]


def test_the_clock_polls_followed_feeds(
    server: str, standin: SlackStandIn, site: Site, settings: Settings, engine: Engine
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot import clock

    feeds(server, standin, f"feeds add {site.url}/feed.xml")
    standin.wait_for("response_url")
    with make_sessions(engine).begin() as session:  # followed two hours ago: due for a read now
        session.scalars(select(Feed)).one().last_polled_at = utcnow() - timedelta(hours=2)
    site.pages["/feed.xml"] = ("application/rss+xml", rss(site.url, ["/children-in-care-england-2023"]))
    sessions, client = make_sessions(engine), make_client(settings)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobstore("memory", alias="local")  # as clock.configure sets up
    clock.add_feed_polling(scheduler, lambda: poll_feeds(sessions, client, settings))
    scheduler.start()
    try:
        headers = standin.wait_for("chat.postMessage", timeout=30)
    finally:
        scheduler.shutdown(wait=True)
    assert any(
        c.params.get("channel") == REVIEW and "for review" in str(c.params.get("text")) for c in headers
    )
    assert pending(engine) > 0
