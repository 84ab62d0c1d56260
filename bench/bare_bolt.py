"""A bare Bolt app that only acks `/stats`: what the same request costs with no statbot behind it.

Served by bench/vs_bolt.py under gunicorn with the settings `statbot serve` uses:

    SLACK_SIGNING_SECRET=... gunicorn --workers 4 --timeout 30 --access-logfile - bench.bare_bolt:application
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

# Bolt asks auth.test once per process who its token is, as statbot does: both ask the same stand-in.
client = WebClient(
    token=os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench"),
    base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
)
# Listeners run before the response, as statbot's do: Bolt's default runs them on a thread and polls
# for the ack every 10 ms, which would add that much to the bare app alone.
app = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=client,
    token_verification_enabled=False,
    process_before_response=True,
)


@app.command("/stats")
def stats(ack: Ack) -> None:
    ack()


handler = SlackRequestHandler(app)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"ok": true}']
    return handler(environ, start_response)
