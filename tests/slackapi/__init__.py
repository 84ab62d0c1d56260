"""Test helpers that play Slack: signed-request builders (the Web API stand-in is bot.local_slack)."""

from .signing import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)

__all__ = [
    "block_action_payload",
    "interactive_body",
    "post",
    "signed_headers",
    "slash_command_body",
    "view_submission_payload",
]
