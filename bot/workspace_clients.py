"""Web API clients for work that no Slack request started (digests, feeds): the right token per workspace.

A request brings its workspace's token through `authorize`; the clock has no request, so it looks the
token up itself and, where Slack's token rotation is on, refreshes it before it expires, as Bolt does for
requests.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.slack_client import make_client
from storage.models import Workspace

log = logging.getLogger("statbot.clients")

# Refresh a rotating token this long before it expires (Bolt's default for requests too).
ROTATE_MINUTES_BEFORE_EXPIRY = 120


class WorkspaceClients:
    """`clients(workspace_id)`: that workspace's client, or None when statbot is not installed there."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        installation_store: InstallationStore | None = None,
    ) -> None:
        self.settings, self.sessions, self.store = settings, sessions, installation_store
        self._single = None if installation_store is not None else make_client(settings)
        self._rotator = (
            TokenRotator(
                client_id=settings.client_id or "",
                client_secret=settings.client_secret or "",
                client=make_client(settings, with_token=False),
            )
            if installation_store is not None
            else None
        )

    def __call__(self, workspace_id: int) -> WebClient | None:
        if self._single is not None:
            return self._single
        assert self.store is not None and self._rotator is not None
        with self.sessions() as session:
            workspace = session.get(Workspace, workspace_id)
            team_id = workspace.team_id if workspace is not None else None
        if team_id is None:
            return None
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        rotated = self._rotator.perform_bot_token_rotation(
            bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
        )
        if rotated is not None:
            self.store.save_bot(rotated)
            log.info("rotated the bot token of team %s", team_id)
            bot = rotated
        return make_client(self.settings, token=bot.bot_token)
