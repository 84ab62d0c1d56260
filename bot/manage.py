"""Listeners for the `/stats` and `/quote` subcommands that change the library (history, editors, corrections)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import confirm, manage
from commands.manage import FirstEditorCheck
from commands.reply import Reply
from storage import changes, roles

log = logging.getLogger("statbot.manage")

# users.info fields that make someone a workspace admin or owner.
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def is_management(command: dict[str, str]) -> bool:
    sub = manage.subcommand(command.get("text", ""))
    return sub is not None and sub.name in manage.SUBCOMMANDS


def first_editor_check(
    client: WebClient, installation_store: InstallationStore | None, team_id: str | None
) -> FirstEditorCheck:
    """Who may name a workspace's first editor in Slack: the person who installed statbot there (their id is
    on the installation, in multi-workspace mode) or a workspace admin or owner. The CLI is not asked."""

    def check(user_id: str) -> bool | None:
        if installation_store is not None:
            installation = installation_store.find_installation(enterprise_id=None, team_id=team_id)
            if installation is not None and installation.user_id == user_id:
                return True
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning(
                "could not check whether %s is a workspace admin: %s", user_id, error.response.get("error")
            )
            return None
        return any(bool(user.get(flag)) for flag in ADMIN_FLAGS)

    return check


def confirmation(session: Session, workspace_id: int, user_id: str, command: str, text: str) -> Reply | None:
    """A confirm button before retract or supersede acts, when an editor names a stored item; else None (and
    manage.answer says what is wrong, or refuses a non-editor, straight away)."""
    sub = manage.subcommand(text)
    if (
        sub is None
        or confirm.destructive(text) is None
        or not roles.is_editor(session, workspace_id, user_id)
    ):
        return None
    kind = "quote" if command == "/quote" and sub.name == "retract" else "statistic"
    ids = sub.args[:2] if sub.name == "supersede" else sub.args[:1]
    items = [changes.find_item(session, workspace_id, kind, _number(word)) for word in ids]
    if len(sub.args) < 2 or not items or None in items or (sub.name == "supersede" and len(sub.args) != 2):
        return None  # what is missing or wrong is said by manage.answer, before anything is asked
    item = items[0]
    assert item is not None
    return confirm.ask(
        command, text, f"{'quote' if kind == 'quote' else 'figure'} #{item.id} ({manage.describe(item)})"
    )


def _number(word: str) -> int:
    digits = word.lstrip("#")
    return int(digits) if digits.isdigit() else 0


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    def run(session: Session, client: WebClient, workspace_id: int, team_id: str | None, user: str,
            command: str, text: str) -> Reply:  # fmt: skip
        return manage.answer(
            session, workspace_id, user, command, text,
            default_review_channel=settings.review_channel,
            may_name_first_editor=first_editor_check(client, app.installation_store, team_id),
        )  # fmt: skip

    @app.command("/stats", matchers=[is_management])
    @app.command("/quote", matchers=[is_management])
    def manage_library(ack: Ack, command: dict[str, str], context: dict[str, Any], client: WebClient) -> None:
        with sessions() as session:
            user, text = command["user_id"], command.get("text", "")
            reply = confirmation(session, context["workspace_id"], user, command["command"], text) or run(
                session,
                client,
                context["workspace_id"],
                context.get("team_id"),
                user,
                command["command"],
                text,
            )
            session.commit()
        ack(**reply.as_slack())

    @app.action(confirm.CONFIRM)
    def confirmed(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any],
                  client: WebClient) -> None:  # fmt: skip
        ack()
        asked = json.loads(body["actions"][0]["value"])
        with sessions() as session:
            reply = run(session, client, context["workspace_id"], context.get("team_id"), body["user"]["id"],
                        str(asked["command"]), str(asked["text"]))  # fmt: skip
            session.commit()
        respond(**reply.as_slack(), replace_original=True)

    @app.action(confirm.CANCEL)
    def cancelled(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text=confirm.CANCELLED, replace_original=True)
