"""Questions that arrive outside slash commands: `@statbot facebook` in a thread, a direct message, and the
"Find figures on this" message shortcut. Text in, (command, question) out; no Slack I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from commands import quote, stats
from commands.question import MAX_QUESTION
from commands.reply import SHARE_ACTION
from storage.search import search_terms

# Slack's escapes in message text: people, channels, special mentions, links (<url|label> keeps the label).
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<(?:https?|mailto):[^>|]*(?:\|([^>]*))?>")
_QUOTE_WORDS = ("quote", "quotes", "/quote")
_STATS_WORDS = ("stats", "figures", "/stats")
# Reporting words that say nothing about what to find (storage.search drops the ordinary stop words).
_FILLER = frozenset(
    ("says", "said", "say", "according", "new", "report", "reports", "reported", "also", "just")
)
SHORTCUT_WORDS = 12


@dataclass(frozen=True)
class Asked:
    command: str  # "/stats" or "/quote"
    text: str


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str) -> str:
    """Message text without mentions and with links reduced to their labels."""
    text = _LINK.sub(lambda m: m.group(1) or " ", text)
    return unescape(_MENTION.sub(" ", text))


def from_text(text: str) -> Asked:
    """`quote burrows` asks for quotes, `stats facebook` (or just `facebook`) for figures."""
    words = plain(text).split()
    if words and words[0].casefold() in _QUOTE_WORDS:
        return Asked(quote.COMMAND, " ".join(words[1:]))
    if words and words[0].casefold() in _STATS_WORDS:
        return Asked(stats.COMMAND, " ".join(words[1:]))
    return Asked(stats.COMMAND, " ".join(words))


def from_message(text: str) -> Asked:
    """The words of someone's message worth searching for: its first dozen that are not filler."""
    words = [w.strip(".,;:!?\"'()[]“”‘’*_~`") for w in plain(text).split()]
    kept = [w for w in words if w and w.casefold() not in _FILLER and search_terms(w)]
    return Asked(stats.COMMAND, " ".join(kept[:SHORTCUT_WORDS])[:MAX_QUESTION])


def is_question_in_dm(event: dict[str, Any]) -> bool:
    """A person's own plain message to the bot (files go to the importers; edits, bots and joins are not asked)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("bot_id")
        and not event.get("subtype")
        and not event.get("files")
        and bool((event.get("text") or "").strip())
    )


def in_thread(payload: dict[str, Any], thread_ts: str) -> dict[str, Any]:
    """The answer with its Share button told which thread to share into."""
    blocks = []
    for block in payload.get("blocks", []):
        if block.get("type") == "actions":
            elements = []
            for element in block.get("elements", []):
                if element.get("action_id") == SHARE_ACTION:
                    value = json.loads(element["value"]) | {"thread_ts": thread_ts}
                    element = element | {"value": json.dumps(value)}
                elements.append(element)
            block = block | {"elements": elements}
        blocks.append(block)
    return payload | {"blocks": blocks}


def without_share(payload: dict[str, Any]) -> dict[str, Any]:
    """For a direct message, where there is no one else to share with."""
    blocks = [
        b for b in payload.get("blocks", [])
        if not (b.get("type") == "actions"
                and any(e.get("action_id") == SHARE_ACTION for e in b.get("elements", [])))
    ]  # fmt: skip
    return payload | {"blocks": blocks}
