"""Listeners for the `/stats` and `/quote` subcommands that change the library (history, editors, corrections)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import manage


def is_management(command: dict[str, str]) -> bool:
    sub = manage.subcommand(command.get("text", ""))
    return sub is not None and sub.name in manage.SUBCOMMANDS


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    @app.command("/stats", matchers=[is_management])
    @app.command("/quote", matchers=[is_management])
    def manage_library(ack: Ack, command: dict[str, str], context: dict[str, Any]) -> None:
        with sessions() as session:
            reply = manage.answer(
                session,
                context["workspace_id"],
                command["user_id"],
                command["command"],
                command.get("text", ""),
                default_review_channel=settings.review_channel,
            )
            session.commit()
        ack(**reply.as_slack())
