"""`/stats citation-style ...`: the workspace's citation templates (commands/citation_style.py)."""

from __future__ import annotations

from bot.slash import Call
from commands import citation_style


def citation_styles(call: Call) -> None:
    """The `citation-style` row of the command table."""
    with call.wiring.sessions() as session:
        reply = citation_style.answer(session, call.workspace_id, call.command["user_id"], call.routed.rest)
        session.commit()
    call.ack(**reply.as_slack())
