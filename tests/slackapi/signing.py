"""Build the signed requests Slack sends our app: slash commands and interactivity payloads.

Bodies are form-encoded exactly as Slack encodes them and signed with the v0 scheme
(HMAC-SHA256 over ``v0:{timestamp}:{body}``), so they go through Bolt's real request
verification. Payload builders follow the shapes in Slack's docs and Bolt's own tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

TRIGGER_ID = "1700000000000.1234567890.0123456789abcdef0123456789abcdef"
ACTION_TS = "1700000000.000001"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated by Slack but still sent


def signed_headers(
    body: str,
    secret: str,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack sends with ``body``; pass an old ``timestamp`` to test replay rejection."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def slash_command_body(
    command: str,
    text: str,
    *,
    team_id: str = "T0TEST",
    user_id: str = "U0USER",
    channel_id: str = "C0CHAN",
    response_url: str,
    trigger_id: str = TRIGGER_ID,
    team_domain: str = "test-team",
    channel_name: str = "general",
    user_name: str = "tester",
    api_app_id: str = "A0APP",
) -> str:
    """A slash command POST body, fields in the order Slack sends them."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",  # Slack always sends it; Bolt reads it
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interactive_body(payload: dict[str, Any]) -> str:
    """Interactivity requests are a single form field ``payload`` holding JSON."""
    return urlencode({"payload": json.dumps(payload)})


def _actor(team_id: str, user_id: str) -> dict[str, Any]:
    """The ``user``/``team`` envelope shared by all interactivity payloads."""
    name = user_id.lower()
    return {
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "team": {"id": team_id, "domain": "test-team"},
        "api_app_id": "A0APP",
        "token": VERIFICATION_TOKEN,
        "trigger_id": TRIGGER_ID,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def block_action_payload(
    action_id: str,
    value: str,
    *,
    team_id: str = "T0TEST",
    user_id: str = "U0USER",
    channel_id: str = "C0CHAN",
    response_url: str,
    message: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
    block_id: str = "b",
    action_type: str = "button",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on a button (or a static_select choice).

    Slack includes the clicked ``message`` only for ordinary messages; without one the
    default container says the message was ephemeral, as Slack does for those.
    """
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": action_type}
    if action_type == "static_select":
        option = {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}
        action |= {"selected_option": option, "placeholder": {"type": "plain_text", "text": "Choose"}}
    else:
        action |= {"text": {"type": "plain_text", "text": "Button", "emoji": True}, "value": value}
    action["action_ts"] = ACTION_TS
    payload: dict[str, Any] = {"type": "block_actions", **_actor(team_id, user_id)}
    payload["container"] = container or {
        "type": "message",
        "message_ts": (message or {}).get("ts", "1700000000.000100"),
        "channel_id": channel_id,
        "is_ephemeral": message is None,
    }
    payload["channel"] = {"id": channel_id, "name": "general"}
    if message is not None:
        payload["message"] = message
    payload |= {"state": {"values": {}}, "response_url": response_url, "actions": [action]}
    return payload


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    team_id: str = "T0TEST",
    user_id: str = "U0USER",
    private_metadata: str = "",
    view_id: str = "V0VIEW",
    blocks: list[dict[str, Any]] | None = None,
    response_urls: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload; ``values`` is ``state.values`` (block_id -> action_id -> state).

    A bare string state is shorthand for a plain_text_input value: {"b": {"a": "text"}}.
    """
    state = {
        block_id: {
            action_id: {"type": "plain_text_input", "value": v} if isinstance(v, str) else v
            for action_id, v in actions.items()
        }
        for block_id, actions in values.items()
    }
    view = {
        "id": view_id, "team_id": team_id, "type": "modal", "blocks": blocks or [],
        "private_metadata": private_metadata, "callback_id": callback_id,
        "state": {"values": state}, "hash": "1700000000.standin",
        "title": {"type": "plain_text", "text": "statbot"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "clear_on_close": False, "notify_on_close": False, "previous_view_id": None,
        "root_view_id": view_id, "app_id": "A0APP", "external_id": "",
        "app_installed_team_id": team_id, "bot_id": "B0BOT",
    }  # fmt: skip
    return {
        "type": "view_submission",
        **_actor(team_id, user_id),
        "view": view,
        "response_urls": response_urls or [],
    }


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """POST like Slack does; error statuses are returned rather than raised."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")  # urllib would also open file:// URLs
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (scheme checked)
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


def event_body(
    event: dict[str, Any], *, team_id: str, event_id: str = "Ev0001", enterprise_id: str | None = None
) -> str:
    """An Events API request body (JSON) as Slack sends it for `event`."""
    return json.dumps({
        "token": "x", "team_id": team_id, "enterprise_id": enterprise_id, "api_app_id": "A0APP",
        "event": event, "type": "event_callback", "event_id": event_id, "event_time": 1700000000,
        "authorizations": [{"team_id": team_id, "user_id": "U0BOT", "is_bot": True}],
    })  # fmt: skip


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """GET like a browser, without following redirects; error statuses are returned rather than raised."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, headers=headers or {}, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (scheme checked)
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()
