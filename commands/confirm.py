"""A confirm button before a destructive slash subcommand (retract, supersede) acts: typed commands cannot carry
Slack's own confirm dialog, so the answer asks first and the button runs the command as typed."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from commands.reply import Reply, section
from commands.text import escape

CONFIRM = "correction_confirm"
CANCEL = "correction_cancel"
DESTRUCTIVE = ("retract", "supersede")
CANCELLED = "Cancelled: nothing was changed."


def destructive(text: str) -> str | None:
    """`retract` or `supersede` when `text` is one of them, else None."""
    words = text.split()
    return words[0].casefold() if words and words[0].casefold() in DESTRUCTIVE else None


def ask(command: str, text: str, what: str) -> Reply:
    """The question, with the button that does it and one that does not; `what` is escaped mrkdwn."""
    name = destructive(text) or "do"
    value = json.dumps({"command": command, "text": text})
    buttons = ActionsBlock(
        elements=[
            ButtonElement(text=name.capitalize(), action_id=CONFIRM, value=value, style="danger"),
            ButtonElement(text="Cancel", action_id=CANCEL, value="cancel"),
        ]
    )
    question = f"*{name.capitalize()}* {what}?\n`{escape(command)} {escape(text)}`"
    return Reply(text=f"{name.capitalize()}? {command} {text}", blocks=[section(question), buttons])
