"""Direct messages from statbot: the one way to open a person's DM with it and to post there.

Digests, the weekly note, the feed poll and the listeners all send DMs; this is the lowest layer that talks
to Slack for work no request started, so they share it from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient


def open_dm(client: WebClient, user: str) -> str:
    """The id of `user`'s direct-message channel with statbot (conversations.open); files go there too."""
    return str(client.conversations_open(users=user)["channel"]["id"])


def send_dm(client: WebClient, user: str, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> str:
    """Post `text` (shown as `blocks` when given) to `user` by direct message; the channel it went to.
    Slack's errors are the caller's."""
    channel = open_dm(client, user)
    client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    return channel
