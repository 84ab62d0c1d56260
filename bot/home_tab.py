"""Publishing the App Home tab: for one person, or again for the people whose tab changed.

Listeners and the clock both call these; bot/home.py holds the tab's listeners."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from commands import home
from storage import roles
from storage.models import utcnow

log = logging.getLogger("statbot.home")


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
