"""`/stats feeds`: following RSS and Atom feeds, whose new articles are read for review like links sent by hand."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from commands.ingest import link_in
from commands.reply import Reply, say
from commands.text import escape, plural
from storage import feeds as stored

USAGE = (
    "`/stats feeds` lists the feeds this workspace follows; `/stats feeds add <rss or atom link>` follows one "
    "(its new articles are read at most hourly and their figures posted for review); "
    "`/stats feeds remove <id>` stops."
)

EDITORS_ONLY = "Only editors can add or remove feeds; `/stats feeds` lists them."


@dataclass(frozen=True)
class FeedsCommand:
    action: str  # "list", "add", "remove" or "help"
    url: str | None = None
    feed_id: int | None = None


def is_feeds(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].casefold() == "feeds"


def parse(text: str) -> FeedsCommand:
    words = text.split()[1:]
    if not words:
        return FeedsCommand("list")
    action = words[0].casefold()
    if action == "add" and (url := link_in(" ".join(words[1:]))):
        return FeedsCommand("add", url=url)
    if action == "remove" and len(words) == 2 and words[1].lstrip("#").isdigit():
        return FeedsCommand("remove", feed_id=int(words[1].lstrip("#")))
    return FeedsCommand("help")


def listing(session: Session, workspace_id: int) -> Reply:
    feeds = stored.followed(session, workspace_id)
    if not feeds:
        return say("This workspace follows no feeds yet. " + USAGE)
    lines = [f"This workspace follows {plural(len(feeds), 'feed')}:"]
    for feed in feeds:
        state = f" (stopped: {escape(feed.disabled_reason)})" if feed.disabled_reason else ""
        # The URL is the server's choice (after redirects): escaped, it can't close the link or add markup.
        lines.append(f"• #{feed.id} {escape(feed.title or feed.url)} <{escape(feed.url).replace('|', '%7C')}|link>{state}")
    return say("\n".join(lines))


def remove(session: Session, workspace_id: int, feed_id: int) -> Reply:
    feed = stored.by_id(session, workspace_id, feed_id)
    if feed is None:
        return say(f"There is no feed #{feed_id} here; `/stats feeds` lists them.")
    stored.remove(session, feed)
    return say(f"Stopped following {escape(feed.title or feed.url)}.")
