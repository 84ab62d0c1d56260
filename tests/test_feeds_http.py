"""Following a feed: `/stats feeds add` checks it, the hourly poll reads only new entries, gone feeds stop."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.app import make_client
from bot.clock import poll_feeds
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import roles
from storage.db import make_sessions
from storage.models import Feed, Quote, Statistic, Status, utcnow
from tests.conftest import SIGNING_SECRET, slack_settings
from tests.http_server import rss, serving, static_site
from tests.slackapi.signing import post, signed_headers, slash_command_body

GOLD = Path(__file__).parent / "gold" / "articles"
REVIEW = "C0REVIEW"
EDITOR = "U0USER"


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
def editors() -> tuple[str, ...]:
    return (EDITOR,)  # feeds are a library change: editors add them

def feeds(server: str, standin: SlackStandIn, text: str, user: str = EDITOR) -> dict[str, Any]:
    body = slash_command_body("/stats", text, user_id=user, response_url=standin.response_url("feeds"))
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


def test_only_editors_can_add_or_remove_feeds(
    server: str, standin: SlackStandIn, site: Site, engine: Engine
) -> None:
    assert "Only editors" in feeds(server, standin, f"feeds add {site.url}/feed.xml", user="U0MEMBER")["text"]
    feeds(server, standin, f"feeds add {site.url}/feed.xml")
    standin.wait_for("response_url")
    with make_sessions(engine)() as session:
        feed_id = session.scalars(select(Feed.id)).one()
    assert "Only editors" in feeds(server, standin, f"feeds remove {feed_id}", user="U0MEMBER")["text"]
    assert "follows 1 feed" in feeds(server, standin, "feeds", user="U0MEMBER")["text"]
    assert [p["text"] for p in standin.response_posts("feeds")].count(
        next(p["text"] for p in standin.response_posts("feeds"))
    ) == 1  # the member's add was never fetched nor answered later


def test_a_feed_declaring_entities_is_refused(
    server: str, standin: SlackStandIn, site: Site, engine: Engine
) -> None:
    declared = rss(site.url, ["/child-poverty-two-child-limit"]).replace(
        b"<rss", b"<!DOCTYPE rss [<!ENTITY who 'statbot'>]><rss", 1
    )
    site.pages["/declared.xml"] = ("application/rss+xml", declared)
    feeds(server, standin, f"feeds add {site.url}/declared.xml")
    standin.wait_for("response_url")
    assert "declares a DTD or entities" in standin.response_posts("feeds")[-1]["text"]
    with make_sessions(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Feed)) == 0


def redirecting_to(target: str, site: Site) -> Any:
    """The test site, plus /moved.xml redirecting to `target` (a path chosen by the server)."""
    pages = static_site(site.pages)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/moved.xml":
            start_response("302 Found", [("Location", target)])
            return [b""]
        return pages(environ, start_response)

    return application


def test_a_feed_address_chosen_by_the_server_is_shown_escaped(
    settings: Settings, home_id: int, engine: Engine, standin: SlackStandIn, site: Site
) -> None:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    with serving(redirecting_to("/feed.xml?x=>|<!channel>", site)) as host:
        site.pages["/feed.xml"] = ("application/rss+xml", rss(host, ["/a"]))
        with serving(create_wsgi(settings)) as server:
            feeds(server, standin, f"feeds add {host}/moved.xml")
            standin.wait_for("response_url")
            assert "Following feed" in standin.response_posts("feeds")[-1]["text"]
            listed = feeds(server, standin, "feeds")["text"]
    assert "<!channel>" not in listed
    assert "?x=&gt;%7C&lt;!channel&gt;|link>" in listed


HOSTILE_DEPTH = 100_000


def nested_entities(depth: int) -> bytes:
    """An RSS feed whose one entity expands through `depth` others (CVE-2024-8176: expat recurses per level)."""
    chain = b"".join(b"<!ENTITY e%d '&e%d;'>" % (i, i - 1) for i in range(1, depth))
    return (
        b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY e0 'x'>" + chain + b"]><rss version='2.0'><channel>"
        b"<title>&e%d;</title><item><title>t</title><link>http://example.org/a</link></item></channel></rss>"
        % (depth - 1)
    )


POLL_IN_A_PROCESS = """
import json, sys
from bot.app import make_client
from bot.config import Settings
from bot.clock import poll_feeds
from storage.db import make_engine, make_sessions
settings = Settings(**json.loads(sys.argv[1]))
print(poll_feeds(make_sessions(make_engine(settings.database_url)), make_client(settings), settings))
"""


@pytest.mark.slow
def test_a_feed_that_crashes_expat_is_refused_and_the_other_feeds_are_still_read(
    settings: Settings, home_id: int, engine: Engine, standin: SlackStandIn, site: Site
) -> None:
    # The poll runs in a process of its own: before the fix this feed killed it with SIGSEGV.
    site.pages["/hostile.xml"] = ("application/rss+xml", nested_entities(HOSTILE_DEPTH))
    site.pages["/feed.xml"] = ("application/rss+xml", rss(site.url, ["/children-in-care-england-2023"]))
    long_ago = utcnow() - timedelta(hours=2)
    with make_sessions(engine)() as session:
        for path in ("/hostile.xml", "/feed.xml"):
            session.add(Feed(workspace_id=home_id, url=site.url + path, added_by=EDITOR, seen=[],
                             last_polled_at=long_ago))  # fmt: skip
        session.commit()
    given = {
        "database_url": settings.database_url, "bot_token": settings.bot_token, "api_url": settings.api_url,
        "review_channel": REVIEW, "fetch_allow_loopback": True,
    }  # fmt: skip
    polled = subprocess.run(
        [sys.executable, "-c", POLL_IN_A_PROCESS, json.dumps(given)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert polled.returncode == 0, f"the poll died ({polled.returncode}): {polled.stderr[-2000:]}"
    assert polled.stdout.strip() == "1"
    with make_sessions(engine)() as session:
        hostile = session.scalars(select(Feed).where(Feed.url.endswith("/hostile.xml"))).one()
        assert hostile.failures == 1
        assert hostile.last_polled_at is not None
        assert hostile.last_polled_at.replace(tzinfo=None) > long_ago.replace(tzinfo=None)
    assert pending(engine) > 0


def test_a_dripping_feed_and_slow_articles_are_cut_off_by_the_feed_budget(
    settings: Settings, home_id: int, engine: Engine
) -> None:
    from tests import ingest_site

    impatient = replace(settings, fetch_deadline=1.0, feed_budget=1.5)
    long_ago = utcnow() - timedelta(hours=2)
    with ingest_site.serving() as slow, make_sessions(engine)() as session:
        for path in ("/drip-headers", "/drip-feed.rss"):
            session.add(Feed(workspace_id=home_id, url=slow.url + path, added_by=EDITOR, seen=[],
                             last_polled_at=long_ago))  # fmt: skip
        session.commit()
        polling = threading.Thread(
            target=poll_feeds, args=(make_sessions(engine), make_client(settings), impatient), daemon=True
        )
        polling.start()
        polling.join(timeout=30)
        assert not polling.is_alive(), "the poll was still waiting on dripping servers 30 s later"
        session.expire_all()
        dripping, articles = session.scalars(select(Feed).order_by(Feed.id)).all()
        assert dripping.failures == 1
        # The oldest article used the first second; the budget left no full second for the others,
        # so they are not marked seen and the next poll reads them.
        assert articles.seen == [f"{slow.url}/drip/1"]
