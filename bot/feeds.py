"""Following feeds: `/stats feeds ...` in Slack, and the poll the clock process runs."""

from __future__ import annotations

import functools
import logging
import time
from datetime import datetime, timedelta

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.ingest import fetch_settings, publish
from bot.slash import Call
from commands import feeds as replies
from commands import ingest as ingest_replies
from digests.deliver import ClientFor, client_for
from ingest.feeds import read_feed
from ingest.fetch import FetchError, FetchSettings
from ingest.pipeline import candidates
from storage import feeds as stored
from storage import roles
from storage.models import Feed, utcnow

log = logging.getLogger("statbot.feeds")
POLL_EVERY = timedelta(hours=1)
MAX_FAILURES = 5
# How many seen entry ids a feed remembers; feeds list their newest few dozen.
SEEN_KEPT = 500


def acknowledge(call: Call) -> None:
    """`/stats feeds ...` (its row in commands/table.py): list at once; editors add (read on the ingest pool)
    or remove. Feeds are read for everyone, unattended, by the clock: a library change like any other."""
    asked = replies.parse(call.text)
    with call.wiring.sessions() as session:
        if asked.action in ("add", "remove") and not roles.is_editor(
            session, call.workspace_id, call.command["user_id"]
        ):
            call.ack(**replies.say(replies.EDITORS_ONLY).as_slack())
            return
        if asked.action == "add" and asked.url is not None:
            url = asked.url
            work = functools.partial(
                add, url, user=call.command["user_id"], workspace_id=call.workspace_id, respond=call.respond,
                sessions=call.wiring.sessions, settings=call.wiring.settings,
            )  # fmt: skip
            if call.wiring.ingest_pool.submit(work):
                call.ack(**replies.say(f"Checking <{url}|that feed>…").as_slack())
            else:
                call.ack(**ingest_replies.busy().as_slack())
            return
        if asked.action == "remove" and asked.feed_id is not None:
            reply = replies.remove(session, call.workspace_id, asked.feed_id)
            session.commit()
        elif asked.action == "list":
            reply = replies.listing(session, call.workspace_id)
        else:
            reply = replies.say(replies.USAGE)
    call.ack(**reply.as_slack())


def add(
    url: str,
    *,
    user: str,
    workspace_id: int,
    respond: Respond,
    sessions: sessionmaker[Session],
    settings: Settings,
) -> None:
    try:
        result = read_feed(url, settings=fetch_settings(settings))
    except FetchError as error:
        respond(**replies.say(f":warning: I couldn't follow that feed: {error.message}").as_slack())
        return
    with sessions() as session:
        exists = stored.by_url(session, workspace_id, result.url)
        if exists is not None:
            respond(**replies.say(f"This workspace already follows that feed (#{exists.id}).").as_slack())
            return
        # What the feed lists today counts as seen: following a feed brings what is new from now on.
        feed = Feed(
            workspace_id=workspace_id, url=result.url, added_by=user,
            etag=result.etag, last_modified=result.last_modified, seen=[e.id for e in result.entries][:SEEN_KEPT],
            last_polled_at=utcnow(),
        )  # fmt: skip
        session.add(feed)
        session.commit()
        message = (
            f"Following feed #{feed.id} ({len(result.entries)} entries listed now). "
            "New articles will be read at most hourly and their figures posted for review."
        )
    respond(**replies.say(message).as_slack())


def poll_feeds(
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> int:
    """Read every feed not read in the last hour; each new entry is ingested for review. Returns articles read."""
    now = now or utcnow()
    with sessions() as session:
        due = stored.due(session, now, POLL_EVERY)
    clients = client_for(client)  # a workspace's token is looked up once, not once per feed
    read = 0
    for feed_id in due:
        try:
            read += _poll_one(sessions, clients, settings, feed_id, now)
        except Exception:  # one feed's surprise must not stop every other workspace's feeds
            log.exception("polling a feed failed", extra={"feed": feed_id})
    return read


def _poll_one(
    sessions: sessionmaker[Session],
    clients: ClientFor,
    settings: Settings,
    feed_id: int,
    now: datetime,
) -> int:
    """Read one feed and its new articles within `settings.feed_budget` seconds in all."""
    ends_at = time.monotonic() + settings.feed_budget
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return 0
        client = clients(feed.workspace_id)
        if client is None:  # the workspace uninstalled statbot: nobody to review what the feed brings
            feed.disabled_reason = "statbot is not installed in this workspace any more"
            session.commit()
            return 0
        # Recorded before the feed is read: a feed that kills the process when parsed waits its hour like
        # any other instead of being read first again by the restarted clock, over and over.
        feed.last_polled_at = now
        session.commit()
        try:
            result = read_feed(
                feed.url, etag=feed.etag, last_modified=feed.last_modified,
                settings=_within(settings, ends_at),
            )  # fmt: skip
        except FetchError as error:
            feed.failures += 1
            if error.status == 410 or feed.failures >= MAX_FAILURES:
                feed.disabled_reason = error.message
                _tell(client, feed.added_by, f"I stopped following {feed.url}: {error.message}")
            log.warning("feed unreadable", extra={"feed": feed.id, "failures": feed.failures})
            session.commit()
            return 0
        feed.failures, feed.etag, feed.last_modified = 0, result.etag, result.last_modified
        seen = set(feed.seen)
        fresh = [entry for entry in result.entries if entry.id not in seen]
        # Seen before it is read: an article that fails is not retried every hour for ever.
        feed.seen = ([e.id for e in fresh] + list(feed.seen))[:SEEN_KEPT]
        workspace_id, added_by = feed.workspace_id, feed.added_by
        session.commit()
    unread = list(reversed(fresh))  # oldest first
    while unread:
        if ends_at - time.monotonic() <= 1:
            _unsee(sessions, feed_id, [entry.id for entry in unread])
            log.warning("feed out of time", extra={"feed": feed_id, "left": len(unread)})
            return len(fresh) - len(unread)
        entry = unread.pop(0)
        try:
            found = candidates(entry.link, settings=_within(settings, ends_at))
        except FetchError as error:
            log.warning("feed entry unreadable", extra={"feed": feed_id, "reason": error.message})
            continue
        except Exception:  # one article's surprise must not cost the feed's other new articles
            log.exception("reading a feed entry failed", extra={"feed": feed_id})
            continue
        publish(
            found,
            sessions=sessions,
            settings=settings,
            client=client,
            workspace_id=workspace_id,
            user=added_by,
        )
    return len(fresh)


def _within(settings: Settings, ends_at: float) -> FetchSettings:
    return fetch_settings(settings, deadline=max(ends_at - time.monotonic(), 0.001))


def _unsee(sessions: sessionmaker[Session], feed_id: int, ids: list[str]) -> None:
    """Entries the budget left unread are forgotten as seen, so the next poll reads them."""
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            feed.seen = [seen for seen in feed.seen if seen not in set(ids)]
            session.commit()


def _tell(client: WebClient, user: str, text: str) -> None:
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        log.warning("could not tell %s: %s", user, error.response.get("error"))
