"""Retraction notices: everyone who shared or copied a figure or quote since retracted or superseded is told by
direct message, and each message statbot posted for them gets a note (chat.update).

Shares owed a notice are claimed in one UPDATE before anything is sent, so two processes never tell twice.
Each DM and each update stands alone: a deleted message or a refusal from Slack is recorded on its shares
and the others still go.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from commands import item_actions, notices, quote, stats
from commands.item_menu import items_shown
from commands.reply import MESSAGE_BLOCK_LIMIT, Reply
from digests.deliver import ClientFor, client_for
from digests.dm import send_dm
from storage import shares
from storage.models import Quote, Share, Statistic, utcnow
from storage.token_cipher import UndecryptableToken

log = logging.getLogger("statbot.notices")

# (session, workspace id, command, question, shared by, today) -> the shared answer as it reads now.
Answer = Callable[[Session, int, str, str, str, date], dict[str, Any]]


@dataclass(frozen=True)
class Told:
    """What one pass did: direct messages sent, messages updated, and Slack's errors by share id."""

    messages: int = 0
    updates: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def shared_answer(
    session: Session, workspace_id: int, command: str, text: str, shared_by: str, today: date
) -> dict[str, Any]:
    """A shared answer as it reads now (to note a retraction on its message)."""
    answering = quote.answer if command == quote.COMMAND else stats.answer
    return answering(session, workspace_id, text, today=today, shared_by=shared_by).as_slack()


def tell(
    sessions: sessionmaker[Session],
    client: WebClient,
    workspace_id: int,
    *,
    today: date,
    answer: Answer = shared_answer,
    now: datetime | None = None,
) -> Told:
    """Send every notice owed in the workspace; each share is told once whatever Slack answers."""
    now = now or utcnow()
    with sessions.begin() as session:
        claimed = shares.claim(session, workspace_id, now)
    if not claimed:
        return Told()
    outcomes: dict[int, list[str]] = defaultdict(list)
    sent = updated = 0
    with sessions() as session:
        pairs = shares.with_items(session, claimed)
        by_person: dict[tuple[str, str, int], list[tuple[Share, Statistic | Quote]]] = defaultdict(list)
        by_message: dict[tuple[str, str], list[tuple[Share, Statistic | Quote]]] = defaultdict(list)
        for share, item in pairs:
            by_person[(share.shared_by, share.item_kind, share.item_id)].append((share, item))
            if share.message_ts:
                by_message[(share.channel_id, share.message_ts)].append((share, item))
        for (person, _, _), group in by_person.items():
            item = group[0][1]
            error = _direct_message(client, person, notices.direct_message(item, [s for s, _ in group]))
            sent += error is None
            for share, _ in group:
                outcomes[share.id].append(f"dm {error or 'sent'}")
        for (channel, ts), group in by_message.items():
            first = group[0][0]
            items = list({(s.item_kind, s.item_id): item for s, item in group}.values())
            message = _noted(session, workspace_id, first, items, answer, today)
            error = _update(client, channel, ts, message)
            updated += error is None
            for share, _ in group:
                outcomes[share.id].append(f"update {error or 'done'}")
    with sessions.begin() as session:
        for share_id, said in outcomes.items():
            shares.mark(session, [share_id], "; ".join(said))
    failed = {i: "; ".join(s) for i, s in outcomes.items() if any("sent" not in x and "done" not in x for x in s)}
    return Told(sent, updated, failed)


def _noted(
    session: Session,
    workspace_id: int,
    share: Share,
    items: list[Statistic | Quote],
    answer: Answer,
    today: date,
) -> tuple[str, list[dict[str, Any]]]:
    """The shared message as it reads now, with the note on top: a shared answer is answered again (the
    retracted item drops out, a superseded one points to its replacement); a shared item is shown again."""
    note = notices.note(items)
    if share.how == shares.ANSWER and share.command:
        payload = answer(session, workspace_id, share.command, share.asked, share.shared_by, today)
        if not items_shown(payload.get("blocks") or []):
            left = notices.nothing_left(share.shared_by, share.command, share.asked)
            return notices.plain(note), [note.to_dict(), left.to_dict()]
        return str(payload.get("text", "")), [note.to_dict(), *payload.get("blocks", [])][:MESSAGE_BLOCK_LIMIT]
    shown = item_actions.shared_item(session, workspace_id, items[0], share.shared_by, today).as_slack()
    return str(shown["text"]), [note.to_dict(), *shown["blocks"]]


def _error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "slack_error")
    return error.__class__.__name__


def _direct_message(client: WebClient, user: str, message: Reply) -> str | None:
    """None when sent, else Slack's error (logged)."""
    try:
        send_dm(client, user, message.text, message.as_slack()["blocks"])
    except (SlackApiError, SlackClientError, OSError) as error:
        log.error("could not tell %s of a retraction: %s", user, _error(error))
        return _error(error)
    return None


def _update(client: WebClient, channel: str, ts: str, message: tuple[str, list[dict[str, Any]]]) -> str | None:
    """None when the message now carries the note, else Slack's error (a deleted message: message_not_found)."""
    text, blocks = message
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except (SlackApiError, SlackClientError, OSError) as error:
        log.warning("could not note a retraction on message %s in %s: %s", ts, channel, _error(error))
        return _error(error)
    return None


def tell_everywhere(sessions: sessionmaker[Session], client: WebClient | ClientFor, *, now: datetime) -> int:
    """The clock's pass: notices still owed in any workspace (a process died mid-way); how many were sent."""
    with sessions() as session:
        workspace_ids = shares.workspaces_owed(session, now)
    clients, sent = client_for(client), 0
    for workspace_id in workspace_ids:
        try:
            slack = clients(workspace_id)
        except UndecryptableToken:
            continue  # logged where it was read; the notices wait for the key to be fixed
        if slack is not None:
            told = tell(sessions, slack, workspace_id, today=now.date(), now=now)
            sent += told.messages + told.updates
    return sent
