"""`/stats citation-style ...`: the workspace's citation templates (commands/citation_style.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session, sessionmaker

from commands import citation_style


def is_citation_style(command: dict[str, str]) -> bool:
    words = command.get("text", "").split()
    return bool(words) and words[0].casefold() == citation_style.NAME


def rest(text: str) -> str:
    return text.strip()[len(citation_style.NAME) :].strip()


def register(app: App, sessions: sessionmaker[Session]) -> None:
    @app.command("/stats", matchers=[is_citation_style])
    @app.command("/quote", matchers=[is_citation_style])
    def citation_styles(ack: Ack, command: dict[str, str], context: dict[str, Any]) -> None:
        with sessions() as session:
            reply = citation_style.answer(
                session, context["workspace_id"], command["user_id"], rest(command.get("text", ""))
            )
            session.commit()
        ack(**reply.as_slack())
