"""Slash commands sent to the served app as Slack sends them, the replies read back as text, and the direct
messages statbot sent."""

from __future__ import annotations

import json
from typing import Any

from bot.local_slack import SlackStandIn
from bot.slack_limits import message_problem
from commands import confirm
from tests.conftest import EDITOR, SIGNING_SECRET, TEAM
from tests.slackapi.signing import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
)

DIGEST_CHANNEL = "C0TEAM"
DIGEST_USER = "U0ASKER"
READER = "U0READER"


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


def slash_reply(
    server: str, standin: SlackStandIn, text: str, command: str = "/stats", user: str = READER
) -> dict[str, Any]:
    """The ack's reply to a slash command, which Slack would accept as a message."""
    body = slash_command_body(command, text, user_id=user, response_url=standin.response_url("cmd"))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    reply: dict[str, Any] = json.loads(raw)
    assert message_problem(reply) is None
    return reply


def ask(server: str, standin: SlackStandIn, text: str, user: str = EDITOR, command: str = "/stats") -> str:
    """The ack's reply to a slash command (an editor's by default), as text."""
    return message_text(slash_reply(server, standin, text, command=command, user=user))


def ask_and_confirm(server: str, standin: SlackStandIn, text: str, user: str = EDITOR) -> str:
    """A destructive subcommand asks first: nothing changes until its confirm button is pressed."""
    asked = slash_reply(server, standin, text, user=user)
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [confirm.CONFIRM, confirm.CANCEL], message_text(asked)
    payload = block_action_payload(confirm.CONFIRM, buttons[0]["value"], user_id=user,
                                   response_url=standin.response_url("confirm"))  # fmt: skip
    press = interactive_body(payload)
    assert post(f"{server}/slack/events", press, signed_headers(press, SIGNING_SECRET))[0] == 200
    return message_text(standin.response_posts("confirm")[-1])


def dms(standin: SlackStandIn) -> list[str]:
    """The texts posted to direct-message channels statbot opened, in order."""
    opened = {c.response["channel"]["id"] for c in standin.calls("conversations.open") if c.response}
    return [c.params["text"] for c in standin.calls("chat.postMessage") if c.params.get("channel") in opened]


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
