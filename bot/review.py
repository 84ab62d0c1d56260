"""Review in Slack: pending items posted to the review channel, and the Approve / Edit / Reject buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import review
from storage import changes, roles
from storage.models import Quote, Statistic, Workspace, utcnow

log = logging.getLogger("statbot.review")


def review_channel(session: Session, workspace_id: int, default: str | None) -> str | None:
    workspace = session.get(Workspace, workspace_id)
    return (workspace.review_channel if workspace else None) or default


def post_for_review(
    client: WebClient,
    session: Session,
    workspace_id: int,
    item: Statistic | Quote,
    *,
    default_channel: str | None = None,
    thread_ts: str | None = None,
) -> str | None:
    """Post a pending item to the review channel (in a thread when given); its message ts, or None if no channel."""
    channel = review_channel(session, workspace_id, default_channel)
    if channel is None:
        log.warning("no review channel set: %s #%s waits in /stats pending", type(item).__name__, item.id)
        return None
    message = review.review_message(item, item.created_by)
    response = client.chat_postMessage(
        channel=channel,
        text=message.text,
        blocks=[block.to_dict() for block in message.blocks],
        thread_ts=thread_ts,
        unfurl_links=False,
    )
    return str(response["ts"])


def _where(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container", {})
    channel = body.get("channel", {}).get("id") or container.get("channel_id")
    ts = body.get("message", {}).get("ts") or container.get("message_ts")
    return str(channel), str(ts)


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    def decide(body: dict[str, Any], client: WebClient, context: dict[str, Any], decision: str) -> None:
        user = body["user"]["id"]
        channel, ts = _where(body)
        ref = review.ItemRef.parse(body["actions"][0]["value"])
        with sessions() as session:
            item = changes.find_item(session, context["workspace_id"], ref.kind, ref.id, for_update=True)
            if item is None:
                client.chat_postEphemeral(channel=channel, user=user, text="That item no longer exists.")
                return
            if not roles.is_editor(session, context["workspace_id"], user):
                client.chat_postEphemeral(channel=channel, user=user, text=review.NOT_AN_EDITOR)
                return
            now = utcnow()
            try:
                if decision == "approved":
                    changes.approve(session, item, actor=user, now=now)
                else:
                    changes.reject(session, item, actor=user, now=now)
            except changes.NotAllowed:
                client.chat_postEphemeral(channel=channel, user=user, text=review.already_decided(item))
                return
            session.commit()
            message = review.decided_message(item, decision, user, now)
        client.chat_update(
            channel=channel, ts=ts, text=message.text, blocks=[b.to_dict() for b in message.blocks]
        )

    @app.action(review.APPROVE)
    def approve(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        decide(body, client, context, "approved")

    @app.action(review.REJECT)
    def reject(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        decide(body, client, context, "rejected")
