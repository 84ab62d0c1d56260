"""Where replies may go: a request's response_url is posted to only if it is Slack's own (hooks.slack.com).

Slack gives every slash command and interaction a response_url on https://hooks.slack.com/. Anything else in
that field did not come from Slack, or came with a leaked signing secret, and posting to it would let the
sender make statbot call any address it can reach (blind SSRF). Tests point response_urls at a stand-in on
127.0.0.1, which `Settings.response_url_allow_loopback` lets through; production never sets it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from slack_bolt import BoltContext, BoltResponse

from bot.config import Settings

log = logging.getLogger("statbot.response_urls")

SLACK_HOOKS = "hooks.slack.com"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
# Printable ASCII without spaces or backslashes: what Slack's URLs are made of, and nothing a parser reads two ways.
_PLAIN = re.compile(r"[!-\[\]-~]+")


def is_slacks(url: object, *, allow_loopback: bool = False) -> bool:
    """True for https://hooks.slack.com/... on the default port with no user part; loopback only if allowed."""
    if not isinstance(url, str) or not _PLAIN.fullmatch(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https" and parts.hostname == SLACK_HOOKS and port in (None, 443):
        return True
    return allow_loopback and parts.scheme in ("http", "https") and parts.hostname in LOOPBACK


def refuse_others(settings: Settings) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: a request whose response_url is not Slack's is refused before any listener runs."""

    def middleware(context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:
        url = context.response_url
        if url is not None and not is_slacks(url, allow_loopback=settings.response_url_allow_loopback):
            log.warning("refused a request whose response_url is not on %s", SLACK_HOOKS)
            return BoltResponse(status=400, body="This request's response_url is not Slack's.")
        next()
        return None

    return middleware
