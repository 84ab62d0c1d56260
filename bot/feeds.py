"""`/stats feeds ...`: list, add and remove the feeds a workspace follows (the clock reads them: ingest/feed_poll.py)."""

from __future__ import annotations

import functools

from slack_bolt import Respond
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, fetch_settings
from bot.slash import Call
from commands import feeds as replies
from commands import ingest as ingest_replies
from commands.reply import say
from ingest.feed_poll import SEEN_KEPT
from ingest.feeds import read_feed
from ingest.fetch import FetchError
from storage import feeds as stored
from storage import roles
from storage.models import Feed, utcnow


def acknowledge(call: Call) -> None:
    """`/stats feeds ...` (its row in commands/table.py): list at once; editors add (read on the ingest pool)
    or remove. Feeds are read for everyone, unattended, by the clock: a library change like any other."""
    asked = replies.parse(call.text)
    with call.wiring.sessions() as session:
        if asked.action in ("add", "remove") and not roles.is_editor(
            session, call.workspace_id, call.command["user_id"]
        ):
            call.ack(**say(replies.EDITORS_ONLY).as_slack())
            return
        if asked.action == "add" and asked.url is not None:
            url = asked.url
            work = functools.partial(
                add, url, user=call.command["user_id"], workspace_id=call.workspace_id, respond=call.respond,
                sessions=call.wiring.sessions, settings=call.wiring.settings,
            )  # fmt: skip
            if call.wiring.ingest_pool.submit(work):
                call.ack(**say(f"Checking <{url}|that feed>…").as_slack())
            else:
                call.ack(**ingest_replies.busy().as_slack())
            return
        if asked.action == "remove" and asked.feed_id is not None:
            reply = replies.remove(session, call.workspace_id, asked.feed_id)
            session.commit()
        elif asked.action == "list":
            reply = replies.listing(session, call.workspace_id)
        else:
            reply = say(replies.USAGE)
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
        respond(**say(f":warning: I couldn't follow that feed: {error.message}").as_slack())
        return
    with sessions() as session:
        exists = stored.by_url(session, workspace_id, result.url)
        if exists is not None:
            respond(**say(f"This workspace already follows that feed (#{exists.id}).").as_slack())
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
    respond(**say(message).as_slack())
