"""Socket Mode: answer Slack over a websocket, for workspaces without a public URL."""

from __future__ import annotations

import gc
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.config import Settings
from storage.db import make_engine, make_sessions


class SocketModeRefused(Exception):
    """Slack would not let statbot connect; the message names the token or the connection at fault."""


def run(settings: Settings) -> None:
    sessions = make_sessions(make_engine(settings.database_url))
    try:
        app = create_app(settings, sessions)  # asks Slack (auth.test) which workspace the bot token is for
    except SlackApiError as error:
        raise SocketModeRefused(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): set it to the app's Bot User "
            "OAuth Token (xoxb-...), under OAuth & Permissions."
        ) from None
    except OSError as error:
        raise SocketModeRefused(f"statbot cannot reach Slack's Web API: {error}") from None
    gc.freeze()  # the app is built: as in each web worker (bot.webworker.load_wsgi), no full collection walks it
    handler = SocketModeHandler(app, settings.app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as error:
        raise SocketModeRefused(
            f"Slack refused SLACK_APP_TOKEN ({error.response.get('error')}): set it to an app-level token "
            "(xapp-...) with the connections:write scope, under Basic Information."
        ) from None
    except OSError as error:
        raise SocketModeRefused(f"statbot cannot reach Slack's Socket Mode endpoint: {error}") from None
    threading.Event().wait()  # what SocketModeHandler.start() does after connecting: serve until stopped
