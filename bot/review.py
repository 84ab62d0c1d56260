"""Review in Slack: pending items posted to the review channel, and the Approve / Edit / Reject buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import home_tab
from bot.config import Settings
from commands import review
from commands.reply import Reply
from digests.dm import send_dm
from storage import changes, review_messages, roles
from storage.models import utcnow

log = logging.getLogger("statbot.review")


def card_of(
    session: Session, workspace_id: int, ref: review.ItemRef, body: dict[str, Any] | None = None
) -> tuple[str, str] | None:
    """The (channel, ts) of the item's review card: the one recorded when it was posted, else (a card posted
    before cards were recorded) the message pressed, when the press came from a message at all."""
    found = review_messages.find(session, workspace_id, ref.kind, ref.id)
    if found is not None:
        return found.channel_id, found.ts
    if body is None or from_home(body) or not body.get("message"):
        return None
    return _where(body)


def update_card(client: WebClient, card: tuple[str, str] | None, message: Reply) -> None:
    """Show the card as it now reads; a card Slack will not update (deleted, say) is logged, not raised:
    the change it reports has been made."""
    if card is None:
        return
    channel, ts = card
    try:
        client.chat_update(
            channel=channel, ts=ts, text=message.text, blocks=[b.to_dict() for b in message.blocks]
        )
    except SlackApiError as error:
        log.warning("could not update the review card %s in %s: %s", ts, channel, error.response.get("error"))


def from_home(body: dict[str, Any]) -> bool:
    """Pressed on the App Home tab's review queue rather than on a message in the review channel."""
    return bool(body.get("container", {}).get("type") == "view")


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Say something to the person who pressed: only to them beside the message, or by DM from the tab."""
    user = body["user"]["id"]
    if from_home(body):
        send_dm(client, user, text)
        return
    channel, _ = _where(body)
    client.chat_postEphemeral(channel=channel, user=user, text=text)


def _where(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container", {})
    channel = body.get("channel", {}).get("id") or container.get("channel_id")
    ts = body.get("message", {}).get("ts") or container.get("message_ts")
    return str(channel), str(ts)


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    def decide(body: dict[str, Any], client: WebClient, context: dict[str, Any], decision: str) -> None:
        user = body["user"]["id"]
        ref = review.ItemRef.parse(body["actions"][0]["value"])
        with sessions() as session:
            item = changes.find_item(session, context["workspace_id"], ref.kind, ref.id, for_update=True)
            if item is None:
                tell(client, body, "That item no longer exists.")
                return
            if not roles.is_editor(session, context["workspace_id"], user):
                tell(client, body, review.NOT_AN_EDITOR)
                return
            now = utcnow()
            try:
                if decision == "approved":
                    changes.approve(session, item, actor=user, now=now)
                else:
                    changes.reject(session, item, actor=user, now=now)
            except changes.Incomplete as gaps:
                tell(client, body, review.incomplete(item, str(gaps)))
                return
            except changes.NotAllowed:
                tell(client, body, review.already_decided(item))
                return
            session.commit()
            message = review.decided_message(item, decision, user, now)
            submitter = item.created_by
            card = card_of(session, context["workspace_id"], ref, body)
        # The card reads the same whichever surface decided: its buttons or the App Home tab's.
        update_card(client, card, message)
        # The queue changed for every editor, and the submitter's own list too.
        home_tab.republish(
            client,
            sessions,
            context["workspace_id"],
            home_tab.concerned(sessions, context["workspace_id"], user, submitter),
        )

    @app.action(review.APPROVE)
    def approve(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        decide(body, client, context, "approved")

    @app.action(review.REJECT)
    def reject(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        decide(body, client, context, "rejected")
