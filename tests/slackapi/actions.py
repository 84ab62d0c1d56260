"""Interactivity sent to the served app as Slack sends it: any payload signed, and a pick from an item's menu."""

from __future__ import annotations

from typing import Any

from bot.local_slack import SlackStandIn
from commands import item_menu
from tests.conftest import SIGNING_SECRET
from tests.slackapi.replies import READER
from tests.slackapi.signing import block_action_payload, interactive_body, post, signed_headers


def send(server: str, payload: dict[str, Any]) -> tuple[int, str]:
    body = interactive_body(payload)
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    return status, raw


def choose(
    server: str, standin: SlackStandIn, value: str, *, user: str = READER, key: str = "menu"
) -> dict[str, Any]:
    """Pick an entry of an item's menu in an answer shown only to `user`; what came back to the response URL."""
    payload = block_action_payload(item_menu.ITEM_MENU, value, user_id=user, response_url=standin.response_url(key),
                                   action_type="static_select")  # fmt: skip
    payload["actions"][0]["type"] = "overflow"
    status, _ = send(server, payload)
    assert status == 200
    posted = standin.response_posts(key)
    return posted[-1] if posted else {}
