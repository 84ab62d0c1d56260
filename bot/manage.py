"""The listener for the `/stats` and `/quote` subcommands that change the library (history, editors, corrections)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore

from bot import confirmations
from bot.slash import Call
from commands import manage
from commands.manage import FirstEditorCheck

log = logging.getLogger("statbot.manage")

# users.info fields that make someone a workspace admin or owner.
ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


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


def manage_library(call: Call) -> None:
    with call.wiring.sessions() as session:
        asked = (call.workspace_id, call.command["user_id"], call.command["command"], call.text)
        reply = confirmations.confirmation(session, *asked) or manage.answer(
            session,
            call.workspace_id,
            call.command["user_id"],
            call.command["command"],
            call.text,
            default_review_channel=call.wiring.settings.review_channel,
            may_name_first_editor=first_editor_check(
                call.client, call.wiring.installation_store, call.context.get("team_id")
            ),
            now=call.wiring.settings.now(),
        )
        session.commit()
    call.ack(**reply.as_slack())
