"""Questions asked where staff already are: `@statbot facebook` in a channel or thread, a direct message to the
bot, and the "Find figures on this" message shortcut. Each answers through the same path as /stats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from commands import asked

FIND_SHORTCUT = "find_figures"
NOT_A_MEMBER = ("not_in_channel", "channel_not_found")
NOTHING_TO_FIND = (
    "There are no words in that message to search for. Ask with `/stats <subject>`, e.g. `/stats facebook`."
)

# (workspace id, who asks, command, text) -> the answer message, as bot.app.answer gives it (cached, read-only).
Ask = Callable[[int, str, str, str], dict[str, Any]]


def register(app: App, sessions: sessionmaker[Session], settings: Settings, *, ask: Ask) -> None:
    """`sessions` and `settings` are taken for symmetry with the other registrations; answering only reads."""

    def answer_in_thread(
        client: WebClient, workspace_id: int, channel: str, user: str, thread_ts: str, question: asked.Asked
    ) -> None:
        """Only the asker sees it, in the thread; its Share button shares it into the same thread."""
        reply = asked.in_thread(ask(workspace_id, user, question.command, question.text), thread_ts)
        client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, text=reply["text"], blocks=reply["blocks"]
        )

    @app.event("app_mention")
    def mentioned(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        thread_ts = event.get("thread_ts") or event["ts"]
        answer_in_thread(
            client, context["workspace_id"], event["channel"], event["user"], thread_ts,
            asked.from_text(event.get("text", "")),
        )  # fmt: skip

    @app.event("message", matchers=[asked.is_question_in_dm])
    def direct_message(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        question = asked.from_text(event.get("text", ""))
        reply = asked.without_share(
            ask(context["workspace_id"], event.get("user", ""), question.command, question.text)
        )
        client.chat_postMessage(channel=event["channel"], text=reply["text"], blocks=reply["blocks"])

    @app.shortcut(FIND_SHORTCUT)
    def find_on_message(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]
    ) -> None:
        ack()
        message = shortcut.get("message", {})
        channel, user = shortcut["channel"]["id"], shortcut["user"]["id"]
        thread_ts = message.get("thread_ts") or message.get("ts")
        question = asked.from_message(message.get("text", ""))
        try:
            if not question.text:
                client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, text=NOTHING_TO_FIND
                )
                return
            answer_in_thread(client, context["workspace_id"], channel, user, thread_ts, question)
        except SlackApiError as error:
            if error.response.get("error") not in NOT_A_MEMBER:
                raise
            # The shortcut works in channels statbot is not in; its response URL still reaches the asker.
            reply = (
                ask(context["workspace_id"], user, question.command, question.text) if question.text else None
            )
            respond(**(reply or {"text": NOTHING_TO_FIND}) | {"response_type": "ephemeral"})

    @app.event("message")
    def not_a_question(event: dict[str, Any]) -> None:
        """Anything else in a DM (statbot's own posts, edits, joins) is acknowledged and left alone; an unhandled
        event would get a 404, which Slack retries and counts against the app's event subscription."""
