"""The feed poll the clock runs: every followed feed not read in the last hour is read, and each new article
becomes candidates for review. What it needs from Slack (is the workspace installed, post the candidates for
review, tell a person) is handed in by bot/clock.py, so this module knows nothing of Slack."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ingest.feeds import read_feed
from ingest.fetch import FetchError, FetchSettings
from ingest.pipeline import Candidates, candidates
from storage import feeds as stored
from storage.models import Feed, utcnow

log = logging.getLogger("statbot.feeds")
POLL_EVERY = timedelta(hours=1)
MAX_FAILURES = 5
# How many seen entry ids a feed remembers; feeds list their newest few dozen.
SEEN_KEPT = 500


class Slack(Protocol):
    """What the poll asks of Slack, per workspace."""

    def installed(self, workspace_id: int) -> bool: ...

    def publish(self, found: Candidates, workspace_id: int, user: str) -> None:
        """Stage the candidates and post them for review, as sent by `user`."""

    def tell(self, workspace_id: int, user: str, text: str) -> None:
        """A direct message to `user`; a refusal is logged, not raised."""


def poll_feeds(
    sessions: sessionmaker[Session],
    slack: Slack,
    fetching: FetchSettings,
    budget: float,
    *,
    now: datetime | None = None,
) -> int:
    """Read every feed not read in the last hour; each new entry is ingested for review. Returns articles read.

    `fetching` is how one link is fetched; `budget` the seconds one feed and its new articles may take in all."""
    now = now or utcnow()
    with sessions() as session:
        due = stored.due(session, now, POLL_EVERY)
    read = 0
    for feed_id in due:
        try:
            read += _poll_one(sessions, slack, fetching, budget, feed_id, now)
        except Exception:  # one feed's surprise must not stop every other workspace's feeds
            log.exception("polling a feed failed", extra={"feed": feed_id})
    return read


def _poll_one(
    sessions: sessionmaker[Session],
    slack: Slack,
    fetching: FetchSettings,
    budget: float,
    feed_id: int,
    now: datetime,
) -> int:
    """Read one feed and its new articles within `budget` seconds in all."""
    ends_at = time.monotonic() + budget
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return 0
        if not slack.installed(feed.workspace_id):
            # the workspace uninstalled statbot: nobody to review what the feed brings
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
                settings=_within(fetching, ends_at),
            )  # fmt: skip
        except FetchError as error:
            feed.failures += 1
            if error.status == 410 or feed.failures >= MAX_FAILURES:
                feed.disabled_reason = error.message
                slack.tell(
                    feed.workspace_id, feed.added_by, f"I stopped following {feed.url}: {error.message}"
                )
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
            found = candidates(entry.link, settings=_within(fetching, ends_at))
        except FetchError as error:
            log.warning("feed entry unreadable", extra={"feed": feed_id, "reason": error.message})
            continue
        except Exception:  # one article's surprise must not cost the feed's other new articles
            log.exception("reading a feed entry failed", extra={"feed": feed_id})
            continue
        slack.publish(found, workspace_id, added_by)
    return len(fresh)


def _within(fetching: FetchSettings, ends_at: float) -> FetchSettings:
    """`fetching`, its deadline (and the timeouts under it) cut to what is left of the budget."""
    limit = min(max(ends_at - time.monotonic(), 0.001), fetching.deadline)
    return replace(
        fetching,
        connect_timeout=min(fetching.connect_timeout, limit),
        read_timeout=min(fetching.read_timeout, limit),
        deadline=limit,
    )


def _unsee(sessions: sessionmaker[Session], feed_id: int, ids: list[str]) -> None:
    """Entries the budget left unread are forgotten as seen, so the next poll reads them."""
    with sessions() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            feed.seen = [seen for seen in feed.seen if seen not in set(ids)]
            session.commit()
