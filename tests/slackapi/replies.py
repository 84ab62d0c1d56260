"""Slash commands sent to the served app as Slack sends them, and the replies read back as text."""

from __future__ import annotations

import json
from typing import Any

from bot.local_slack import SlackStandIn
from bot.slack_limits import message_problem
from tests.conftest import EDITOR, SIGNING_SECRET, TEAM
from tests.slackapi.signing import post, signed_headers, slash_command_body

DIGEST_CHANNEL = "C0TEAM"
DIGEST_USER = "U0ASKER"


def slash(
    server: str,
    standin: SlackStandIn,
    command: str,
    text: str,
    *,
    team_id: str = TEAM,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> tuple[int, dict[str, Any] | str]:
    body = slash_command_body(command, text, team_id=team_id, response_url=standin.response_url("cmd"))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, secret, timestamp))
    try:
        return status, json.loads(raw)
    except json.JSONDecodeError:
        return status, raw


def message_text(message: dict[str, Any]) -> str:
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if block.get("text"):
            parts.append(block["text"]["text"])
        parts += [
            element.get("text", "") for element in block.get("elements", []) if isinstance(element, dict)
        ]
    return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


def ask(server: str, standin: SlackStandIn, text: str, user: str = EDITOR, command: str = "/stats") -> str:
    body = slash_command_body(command, text, user_id=user, response_url=standin.response_url("cmd"))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    reply: dict[str, Any] = json.loads(raw)
    assert message_problem(reply) is None
    return message_text(reply)


def digest(
    server: str, standin: SlackStandIn, text: str, *, channel: str = DIGEST_CHANNEL, user: str = DIGEST_USER
) -> dict[str, Any]:
    """The reply: the ack's body, or for the commands answered after the ack, what went to response_url."""
    key = f"r{len(standin.calls())}"
    body = slash_command_body(
        "/digest", text, user_id=user, channel_id=channel, response_url=standin.response_url(key)
    )
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    if raw:
        reply: dict[str, Any] = json.loads(raw)
        return reply
    [reply] = standin.wait_for_response(key)
    return reply


def text(reply: dict[str, Any]) -> str:
    return json.dumps(reply, ensure_ascii=False)
