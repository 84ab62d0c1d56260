"""The App Home tab's listeners: published when opened (bot/home_tab.py publishes it), and its search box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot import home_tab
from bot.config import Settings
from commands import home, quote, stats

# (workspace id, who asks, command, text) -> the answer message, as bot.app.answer gives it (cached, read-only).
Ask = Callable[[int, str, str, str], dict[str, Any]]


def register(app: App, sessions: sessionmaker[Session], settings: Settings, *, ask: Ask) -> None:
    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        home_tab.publish(client, sessions, context["workspace_id"], event["user"], settings.now())

    @app.action(home.SEARCH_ACTION)
    def search(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        asked = (body["actions"][0].get("value") or "").strip()
        workspace_id = context["workspace_id"]
        user = body["user"]["id"]
        answers = [
            ask(workspace_id, user, stats.COMMAND, asked),
            ask(workspace_id, user, quote.COMMAND, asked),
        ]
        client.views_open(trigger_id=body["trigger_id"], view=home.answer_modal(asked, answers))
