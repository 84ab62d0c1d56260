"""Presses on the App Home tab as Slack sends them: a button, or a question typed in the search box."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from bot.local_slack import SlackStandIn
from commands import home
from tests.slackapi.signing import block_action_payload, interactive_body


def from_home(action: str, value: str, user: str, standin: SlackStandIn) -> str:
    """A press on the Home tab: the container is the view, there is no channel or message."""
    payload = block_action_payload(action, value, user_id=user, response_url=standin.response_url("home"),
                                   container={"type": "view", "view_id": "V0HOME"})  # fmt: skip
    payload.pop("channel")
    payload.pop("response_url")
    payload["view"] = {"id": "V0HOME", "type": "home", "blocks": [], "state": {"values": {}}}
    return interactive_body(payload)


def searched_from_home(question: str, user: str, standin: SlackStandIn) -> str:
    """`question` typed into the Home tab's search box (a plain-text input that dispatches on enter)."""
    payload = json.loads(parse_qs(from_home(home.SEARCH_ACTION, question, user, standin))["payload"][0])
    return interactive_body(payload | {"actions": [{
        "action_id": home.SEARCH_ACTION, "block_id": home.SEARCH_BLOCK, "type": "plain_text_input",
        "value": question, "action_ts": "1700000000.000001"}]})  # fmt: skip
