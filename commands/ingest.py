"""`/stats ingest <link>` and "Extract figures": the replies and the review-thread header, as plain functions."""

from __future__ import annotations

import re

from commands.reply import Reply, say
from commands.text import escape, plural
from ingest.article import Article
from ingest.stage import Staged

USAGE = (
    "Give me a link to read: `/stats ingest https://example.org/article`. I'll post the figures and quotes "
    "I find to the review channel; nothing is published until an editor approves it."
)
# Slack sends links in command and message text as <https://...> or <https://...|label>.
_SLACK_LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>")
_BARE_LINK = re.compile(r"https?://[^\s<>|]+")


def is_ingest(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].casefold() == "ingest"


def link_in(text: str) -> str | None:
    """The first http(s) link in Slack text, unwrapped from Slack's <url|label> form."""
    match = _SLACK_LINK.search(text) or _BARE_LINK.search(text)
    return match.group(1) if match and match.re is _SLACK_LINK else (match.group(0) if match else None)


def working(link: str | None) -> Reply:
    what = f"<{link}|that article>" if link else "that message"
    message = f"Reading {what} now; I'll tell you here when its figures and quotes are in the review channel."
    return say(message)


def article_label(article: Article) -> str:
    details = ", ".join(escape(p) for p in (article.publisher, article.published) if p)
    title = escape(article.title or "an untitled article")
    name = f"<{article.url}|{title}>" if article.url and _BARE_LINK.fullmatch(article.url) else title
    return f"{name} ({details})" if details else name


def counts(staged: Staged) -> str:
    return f"{plural(len(staged.figures), 'figure')}, {plural(len(staged.quotes), 'quote')}"


def duplicates_line(staged: Staged) -> str | None:
    figures = [f"#{stored.id}" for _, stored in staged.duplicate_figures]
    quotes = [f"#{stored.id}" for _, stored in staged.duplicate_quotes]
    if not figures and not quotes:
        return None
    parts = []
    if figures:
        parts.append(f"{plural(len(figures), 'figure')} ({', '.join(dict.fromkeys(figures))})")
    if quotes:
        parts.append(f"{plural(len(quotes), 'quote')} ({', '.join(dict.fromkeys(quotes))})")
    return "Already stored, so not offered again: " + " and ".join(parts) + "."


def thread_header(article: Article, staged: Staged, submitted_by: str) -> Reply:
    """The one message per article that its candidates are threaded under."""
    lines = [f"From {article_label(article)}: {counts(staged)} for review, sent by <@{submitted_by}>."]
    duplicates = duplicates_line(staged)
    if duplicates:
        lines.append(duplicates)
    lines.append(
        "Each is in this thread with the sentence it came from. Blank fields were not in the article."
    )
    text = "\n".join(lines)
    return say(text, response_type="in_channel")


def finished(article: Article, staged: Staged, channel: str | None) -> Reply:
    """What the person who asked is told once extraction is done."""
    found = f"From {article_label(article)}: {counts(staged)}"
    if not staged.figures and not staged.quotes:
        duplicates = duplicates_line(staged)
        message = f"{found}. " + (duplicates or "I found no figures or quotes in it.")
    elif channel:
        message = f"{found}, posted to <#{channel}> for review."
    else:
        message = (
            f"{found}, waiting in `/stats pending`. No review channel is set: "
            "an editor can choose one with `/stats review-channel #channel`."
        )
    duplicates = duplicates_line(staged)
    if duplicates and duplicates not in message:
        message += " " + duplicates
    return say(message)


def busy() -> Reply:
    text = "statbot is reading as many articles as it can at the moment; please try again in a few minutes."
    return say(text)


def failed(message: str) -> Reply:
    text = f":warning: I couldn't read that: {escape(message)}"
    return say(text)
