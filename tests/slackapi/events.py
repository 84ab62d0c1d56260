"""Events sent to the served app as Slack sends them (a mention in a channel's thread, a direct message), and
what statbot posted back read as text."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.conftest import SIGNING_SECRET, TEAM
from tests.slackapi.signing import event_body, post, signed_headers

ASKER = "U0ASKER"
CHANNEL = "C0PRESS"
THREAD = "1700000000.000050"
_serial = itertools.count(1)


def send_event(server: str, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0) -> None:
    """Deliver `event` signed; each gets an id of its own unless one is given (a retry repeats an id)."""
    body = event_body(event, team_id=TEAM, event_id=event_id or f"EvTEST{next(_serial):06d}")
    headers = signed_headers(body, SIGNING_SECRET, content_type="application/json")
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    status, _, raw = post(f"{server}/slack/events", body, headers)
    assert status == 200, raw


def mention(text: str, *, thread_ts: str | None = THREAD, ts: str = "1700000000.000090") -> dict[str, Any]:
    """ASKER's `@statbot ...` in CHANNEL, in THREAD unless thread_ts is None."""
    event = {"type": "app_mention", "user": ASKER, "text": text, "ts": ts, "channel": CHANNEL,
             "event_ts": ts}  # fmt: skip
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def shown(call_params: dict[str, Any]) -> str:
    """What a posted message shows: its blocks as JSON, then its fallback text."""
    return json.dumps(call_params.get("blocks", []), ensure_ascii=False) + str(call_params.get("text", ""))
