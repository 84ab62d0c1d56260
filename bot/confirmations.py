"""Retract and supersede typed as slash commands ask first (commands/confirm.py); the buttons that answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import notices
from bot.config import Settings
from commands import confirm, manage
from commands.reply import Reply
from storage import changes, roles

log = logging.getLogger("statbot.confirmations")


def _number(word: str) -> int:
    digits = word.lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) < 10 else 0


def confirmation(session: Session, workspace_id: int, user_id: str, command: str, text: str) -> Reply | None:
    """The question to ask before an editor's retract or supersede of stored items acts; None for anything
    else (manage.answer then says what is missing or refuses a non-editor straight away)."""
    name = confirm.destructive(text)
    args = text.split()[1:]
    if name is None or len(args) < 2 or not roles.is_editor(session, workspace_id, user_id):
        return None
    if name == "supersede" and len(args) != 2:
        return None
    kind = "quote" if command == "/quote" and name == "retract" else "figure"
    items = [
        changes.find_item(session, workspace_id, kind, _number(w))
        for w in args[: 2 if name == "supersede" else 1]
    ]
    first = items[0]
    if first is None or None in items:
        return None
    return confirm.ask(
        command, text, f"{'quote' if kind == 'quote' else 'figure'} #{first.id} ({manage.describe(first)})"
    )


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    def confirmed(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
        ack()
        asked = json.loads(body["actions"][0]["value"])
        with sessions() as session:
            reply = manage.answer(
                session, context["workspace_id"], body["user"]["id"], str(asked["command"]), str(asked["text"]),
                default_review_channel=settings.review_channel,
            )  # fmt: skip
            session.commit()
        respond(**reply.as_slack(), replace_original=True)

    def tell_sharers(client: WebClient, context: dict[str, Any]) -> None:
        """After the answer: whoever shared what was just retracted or superseded is told (bot.notices)."""
        told = notices.tell(sessions, client, context["workspace_id"], today=settings.today())
        if told.messages or told.updates or told.failed:
            log.info("retraction notices: %s sent, %s messages noted, failed: %s", told.messages, told.updates,
                     told.failed)  # fmt: skip

    app.action(confirm.CONFIRM)(ack=confirmed, lazy=[tell_sharers])

    @app.action(confirm.CANCEL)
    def cancelled(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text=confirm.CANCELLED, replace_original=True)
