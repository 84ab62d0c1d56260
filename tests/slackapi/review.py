"""Review in Slack as a test sets it up: a writer's figure posted to the review channel, and a press on one of
its buttons."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot import posting
from bot.local_slack import SlackStandIn
from commands import review
from storage import changes, roles, workspaces
from storage.db import make_sessions
from storage.models import Status, Workspace
from tests.conftest import BOT_TOKEN, EDITOR, SIGNING_SECRET
from tests.items import a_figure
from tests.slackapi.signing import block_action_payload, interactive_body, post, signed_headers

WRITER = "U0WRITER"
CHANNEL = "C0REVIEW"


def submitted(engine: Engine, standin: SlackStandIn, home_id: int) -> tuple[int, dict[str, Any]]:
    """A writer's figure, stored pending and posted to the review channel the way ingestion will do it."""
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        workspace = session.get(Workspace, home_id)
        assert workspace is not None
        workspaces.set_review_channel(session, workspace, CHANNEL)
        item, created = changes.submit_for_review(session, home_id, a_figure(), WRITER)
        session.commit()
        assert created and item.status == Status.PENDING
        ts = posting.post_for_review(client, session, home_id, item)
    assert ts is not None
    posted = standin.last("chat.postMessage").params
    return item.id, {"ts": ts, "text": posted["text"], "blocks": posted["blocks"]}


def press(
    server: str, standin: SlackStandIn, action: str, item_id: int, message: dict[str, Any], user: str
) -> None:
    """`user` presses `action` on the review message for figure `item_id` in CHANNEL."""
    value = review.ItemRef("figure", item_id).value()
    payload = block_action_payload(
        action,
        value,
        user_id=user,
        channel_id=CHANNEL,
        message=message,
        response_url=standin.response_url("r"),
    )
    body = interactive_body(payload)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
