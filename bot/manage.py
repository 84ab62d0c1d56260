"""Listeners for the `/stats` and `/quote` subcommands that change the library (history, editors, corrections)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot import confirmations
from bot.config import Settings
from commands import manage
from commands.manage import FirstEditorCheck

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


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    @app.command("/stats", matchers=[is_management])
    @app.command("/quote", matchers=[is_management])
    def manage_library(ack: Ack, command: dict[str, str], context: dict[str, Any], client: WebClient) -> None:
        with sessions() as session:
            asked = (context["workspace_id"], command["user_id"], command["command"], command.get("text", ""))
            reply = confirmations.confirmation(session, *asked) or manage.answer(
                session,
                context["workspace_id"],
                command["user_id"],
                command["command"],
                command.get("text", ""),
                default_review_channel=settings.review_channel,
                may_name_first_editor=first_editor_check(
                    client, app.installation_store, context.get("team_id")
                ),
            )
            session.commit()
        ack(**reply.as_slack())
