"""The listener for each row of the command table (commands/table.py), and the one dispatcher per slash command.

Bolt stops at the first listener whose matchers accept a request, so subcommands used to be told apart by
an order of matchers spread over many files. Now each slash command has one dispatcher, registered twice:
for the rows answered within the ack, and for the lazy rows that go on after it; `table.route` picks
exactly one row for every text, so which of the two runs never depends on order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import citations, digest, exports, feeds, forms, ingest, manage, questions
from bot.slash import Call, Handler, Wiring
from commands import table


@dataclass(frozen=True)
class Listener:
    """A row's listener: `answer` runs within Slack's 3 seconds and must ack; lazy rows go on in `after`."""

    answer: Handler
    after: Handler | None = None


ANSWER = Listener(questions.answer_question)
MANAGE = Listener(manage.manage_library)
CITATION_STYLE = Listener(citations.citation_styles)

# (command, subcommand name or None for the default row) -> its listener.
LISTENERS: dict[tuple[str, str | None], Listener] = {
    **{(command, None): ANSWER for command in (table.STATS, table.QUOTE)},
    **{(command, "help"): ANSWER for command in (table.STATS, table.QUOTE)},
    **{(command, "add"): Listener(forms.open_from_command) for command in (table.STATS, table.QUOTE)},
    **{(command, "export"): Listener(exports.acknowledge, exports.send) for command in (table.STATS, table.QUOTE)},
    **{
        (command, name): MANAGE
        for command in (table.STATS, table.QUOTE)
        for name in ("pending", "history", "editors", "review-channel", "retract", "supersede", "expected-update",
                     "embargo")
    },
    **{(table.STATS, name): MANAGE for name in ("conflicts", "house")},
    **{(command, "citation-style"): CITATION_STYLE for command in (table.STATS, table.QUOTE)},
    (table.STATS, "ingest"): Listener(ingest.acknowledge),  # reads on the ingest pool, not Bolt's lazy threads
    (table.STATS, "feeds"): Listener(feeds.acknowledge),
    **{(table.DIGEST, name): Listener(digest.acknowledge) for name in (None, "list", "preview", "unsubscribe", "help")},
    **{(table.DIGEST, name): Listener(digest.acknowledge, digest.after_ack) for name in ("subscribe", "send-now")},
}  # fmt: skip


def listener(routed: table.Routed) -> Listener:
    return LISTENERS[(routed.command, routed.name)]


def check() -> None:
    """Every row has a listener, every listener a row, and a row is lazy exactly when its listener has `after`."""
    keys = {key for row in table.ROWS for key in row.routes()}
    if keys != set(LISTENERS):
        raise RuntimeError(f"command table and listeners differ: {sorted(map(str, keys ^ set(LISTENERS)))}")
    for row in table.ROWS:
        for key in row.routes():
            if row.lazy != (LISTENERS[key].after is not None):
                raise RuntimeError(f"{key}: lazy in the table but not in its listener, or the other way")


def register(app: App, wiring: Wiring) -> None:
    check()

    def routed(command: dict[str, Any]) -> table.Routed:
        return table.route(command["command"], command.get("text", ""))

    def call(
        ack: Ack, command: dict[str, str], context: dict[str, Any], client: WebClient, respond: Respond
    ) -> Call:
        return Call(ack, command, context, client, respond, routed(command), wiring)

    def answer(
        ack: Ack, command: dict[str, str], context: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        asked = call(ack, command, context, client, respond)
        listener(asked.routed).answer(asked)

    def after(
        ack: Ack, command: dict[str, str], context: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        asked = call(ack, command, context, client, respond)
        then = listener(asked.routed).after
        if then is not None:
            then(asked)

    def answered_in_ack(command: dict[str, Any]) -> bool:
        return not routed(command).row.lazy

    def goes_on_after_ack(command: dict[str, Any]) -> bool:
        return routed(command).row.lazy

    for name in table.COMMANDS:
        app.command(name, matchers=[answered_in_ack])(answer)
        if any(row.lazy for row in table.rows_of(name)):
            app.command(name, matchers=[goes_on_after_ack])(ack=answer, lazy=[after])
