"""The listener for the `/stats` and `/quote` subcommands that change the library (history, editors, corrections)."""

from __future__ import annotations

from bot.slash import Call
from commands import manage


def manage_library(call: Call) -> None:
    with call.wiring.sessions() as session:
        reply = manage.answer(
            session,
            call.workspace_id,
            call.command["user_id"],
            call.command["command"],
            call.text,
            default_review_channel=call.wiring.settings.review_channel,
        )
        session.commit()
    call.ack(**reply.as_slack())
