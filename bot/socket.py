"""Socket Mode: answer Slack over a websocket, for workspaces without a public URL."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app
from bot.config import Settings
from storage.db import make_engine, make_sessions


def run(settings: Settings) -> None:
    app = create_app(settings, make_sessions(make_engine(settings.database_url)))
    SocketModeHandler(app, settings.app_token).start()  # type: ignore[no-untyped-call]
