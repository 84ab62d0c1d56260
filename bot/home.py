"""The App Home tab: published when opened, republished for the people whose tab changed, and its search box."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import home, quote, stats
from storage import roles
from storage.models import utcnow

log = logging.getLogger("statbot.home")

# (workspace id, who asks, command, text) -> the answer message, as bot.app.answer gives it (cached, read-only).
Ask = Callable[[int, str, str, str], dict[str, Any]]


def publish(
    client: WebClient,
    sessions: sessionmaker[Session],
    workspace_id: int,
    user_id: str,
    now: datetime | None = None,
) -> None:
    """Build this person's tab (at `now`: what is under embargo then) and publish it."""
    with sessions() as session:
        data = home.read(
            session, workspace_id, user_id, is_editor=roles.is_editor(session, workspace_id, user_id),
            now=now or utcnow(),
        )  # fmt: skip
        view = home.home_view(data, today=date.today())
    client.views_publish(user_id=user_id, view=view)


def republish(
    client: WebClient, sessions: sessionmaker[Session], workspace_id: int, users: Iterable[str]
) -> None:
    """Publish the tab again for each person whose tab changed (the actor, the submitter, the editors, whose
    queue it is). Anyone else sees the change the next time they open the tab. A refusal is logged, not raised:
    the change it follows has happened."""
    for user in sorted({u for u in users if u[:1] in ("U", "W")}):
        try:
            publish(client, sessions, workspace_id, user)
        except SlackApiError as error:
            log.warning("could not republish the home tab of %s: %s", user, error.response.get("error"))


def concerned(sessions: sessionmaker[Session], workspace_id: int, *users: str) -> list[str]:
    """The editors (a review queue changed) and the people named."""
    with sessions() as session:
        return [*roles.editors(session, workspace_id), *users]


def register(app: App, sessions: sessionmaker[Session], settings: Settings, *, ask: Ask) -> None:
    @app.event("app_home_opened")
    def opened(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        publish(client, sessions, context["workspace_id"], event["user"], settings.now())

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
