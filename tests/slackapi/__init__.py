"""Test infrastructure that plays Slack: a Web API stand-in and signed-request builders."""

from .signing import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)
from .standin import Call, SlackStandIn, Upload

__all__ = [
    "Call",
    "SlackStandIn",
    "Upload",
    "block_action_payload",
    "interactive_body",
    "post",
    "signed_headers",
    "slash_command_body",
    "view_submission_payload",
]
