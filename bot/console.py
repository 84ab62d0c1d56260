"""Slash commands typed locally, sent through the real Bolt app as signed Slack requests, printed as text."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest

CONSOLE_USER = "U0CONSOLE"
CONSOLE_CHANNEL = "C0CONSOLE"
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def slash_request(command: str, text: str, *, team_id: str, signing_secret: str) -> BoltRequest:
    """The request Slack would send for this command, signed as Slack signs it (v0 HMAC-SHA256).

    It has no response_url: the console prints the immediate answer, and has nowhere for a later one to go."""
    body = urlencode(
        {
            "token": "console",
            "team_id": team_id,
            "team_domain": "console",
            "channel_id": CONSOLE_CHANNEL,
            "channel_name": "console",
            "user_id": CONSOLE_USER,
            "user_name": "console",
            "command": command,
            "text": text,
            "api_app_id": "A0CONSOLE",
            "is_enterprise_install": "false",
            "trigger_id": "console",
        }
    )
    timestamp = str(int(time.time()))
    digest = hmac.new(signing_secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers: dict[str, str | Sequence[str]] = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [f"v0={digest}"],
    }
    return BoltRequest(body=body, headers=headers)


def ask(app: App, line: str, *, team_id: str, signing_secret: str) -> tuple[int, dict[str, Any] | None, str]:
    """Send one typed line; returns the HTTP status, the message payload (if any), and any plain body."""
    command, _, text = line.strip().partition(" ")
    response = app.dispatch(slash_request(command, text, team_id=team_id, signing_secret=signing_secret))
    body = response.body or ""
    try:
        payload = json.loads(body) if response.status == 200 and body.startswith("{") else None
    except json.JSONDecodeError:
        payload = None
    return response.status, payload, body


def _mrkdwn_to_text(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return html.unescape(text)


def to_text(message: dict[str, Any]) -> str:
    """A Slack message as readable terminal text: sections, context lines and buttons in order."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind in ("section", "header") and block.get("text"):
            lines.append(_mrkdwn_to_text(block["text"]["text"]))
        elif kind == "context":
            lines.append("  " + " · ".join(_mrkdwn_to_text(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 60)
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{e['text']['text']}]" for e in block["elements"] if "text" in e))
    if not lines:
        lines.append(_mrkdwn_to_text(message.get("text", "")))
    return "\n".join(lines)


def describe(status: int, payload: dict[str, Any] | None, body: str, command: str) -> str:
    if payload is not None:
        return to_text(payload)
    if status == 404:
        return f"Unknown command {command!r}: try /stats or /quote (e.g. /stats facebook)."
    if status == 401:
        return "Refused: the request was not signed for this app or came from another workspace."
    return body or f"(no reply; status {status})"


def run(
    app: App, lines: Iterable[str], out: TextIO, *, team_id: str, signing_secret: str, prompt: bool
) -> None:
    """Answer each line until the input ends; blank lines are skipped."""
    if prompt:
        out.write("Type a slash command such as /stats facebook or /quote burrows (Ctrl-D to quit).\n> ")
        out.flush()
    for line in lines:
        line = line.strip()
        if line:
            if not line.startswith("/"):
                out.write("Type a slash command, for example /stats facebook\n")
            else:
                status, payload, body = ask(app, line, team_id=team_id, signing_secret=signing_secret)
                out.write(describe(status, payload, body, line.split()[0]) + "\n")
        if prompt:
            out.write("> ")
        out.flush()
    if prompt:
        out.write("\n")
