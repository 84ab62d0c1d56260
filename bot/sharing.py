"""Sharing into a channel: statbot posts the message itself when it can (so a retraction can note it later),
through the response URL where it is not a member, and records where each item went (storage.shares)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from commands.item_menu import items_shown
from storage import shares

log = logging.getLogger("statbot.sharing")
# statbot cannot post there itself (a private channel or DM it is not in); the response URL still can.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


def channel_of(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


def post(
    client: WebClient, respond: Respond, channel: str, thread_ts: str | None, message: dict[str, Any]
) -> str | None:
    """Post `message` for everyone in `channel` (in `thread_ts`'s thread); the ts when statbot posted it."""
    if channel:
        try:
            posted = client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message["text"], blocks=message["blocks"],
                unfurl_links=False, unfurl_media=False,
            )  # fmt: skip
            return str(posted["ts"])
        except SlackApiError as error:
            if error.response.get("error") not in NOT_A_MEMBER:
                raise
    respond(**message | {"response_type": "in_channel"}, replace_original=False, thread_ts=thread_ts)
    return None


def remember(
    sessions: sessionmaker[Session],
    workspace_id: int,
    message: dict[str, Any],
    place: shares.Place,
) -> None:
    """Record each item the message holds as shared at `place`."""
    items = items_shown(message.get("blocks") or [])
    if not items:
        return
    with sessions.begin() as session:
        shares.record(session, workspace_id, items, place)
