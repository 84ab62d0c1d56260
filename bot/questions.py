"""Questions: `/stats <subject>` and `/quote <topic or speaker>`, answered the same way for Slack, the console and Share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.answer_cache import AnswerCache, Question
from bot.slash import Call, Wiring
from commands import quote, stats
from storage import embargo
from storage.hybrid import Dense
from storage.models import utcnow
from storage.retry import read_retrying


def answer_question(call: Call) -> None:
    """The default row of /stats and /quote (and their `help`): answered within the ack."""
    call.ack(
        **ask(call.wiring, call.workspace_id, call.command["command"], call.text, user_id=call.command.get("user_id"))
    )


def ask(
    wiring: Wiring,
    workspace_id: int,
    command: str,
    text: str,
    *,
    shared_by: str | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """The one way the app answers a question, wherever it was asked (/stats and /quote, a mention, a direct
    message, the App Home search box, Share): keywords by the word search, a question in plain words by the
    hybrid retrieval, with what it understood and the low-confidence notice; periods read as of today, and
    embargoed items shown only to `user_id` if they may see them (a shared answer: to no one)."""
    return answer(
        wiring.reading, workspace_id, command, text, cache=wiring.cache, shared_by=shared_by,
        dense=wiring.dense, today=wiring.settings.today(), user_id=user_id, now=wiring.settings.now(),
    )  # fmt: skip


def answer(
    engine: Engine,
    workspace_id: int,
    command: str,
    text: str,
    *,
    cache: AnswerCache | None = None,
    shared_by: str | None = None,
    dense: Dense | None = None,
    today: date | None = None,
    user_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Run one of the answering commands and return the message; the same path serves Slack, the console
    and Share in channel. Answering only reads (`engine` is `storage.db.read_only`'s), so a connection lost
    under it is retried once (storage.retry).

    With a cache, the library version is read first: an answer built after that read is at least as new
    as the version it is kept under, and is reused only while the version has not moved.

    Embargoed items are shown only to editors and whoever added them (`user_id`; a shared answer is for
    everyone, so shows none). While the workspace holds an embargo, the answers of those who see it are
    neither kept nor reused, and everyone else's are kept only until the next embargo lifts."""
    asked = Question(workspace_id, command, text, today or date.today())
    caching = cache is not None and cache.enabled and shared_by is None  # a shared answer names who shared it

    def read() -> dict[str, Any]:
        moment = now or utcnow()
        with engine.connect() as connection:
            # One read: the library version and when its next embargo lifts (a kept answer's validity).
            version, lifts = (
                embargo.version_and_next_lift(connection, workspace_id, moment)
                if caching
                else (None, embargo.next_lift(connection, workspace_id, moment))
            )
            # Nothing under embargo: everyone sees the same, and no editor lookup is needed.
            viewer = (
                embargo.Viewer(user_id or "", now=moment) if not shared_by else embargo.Viewer(now=moment)
            )
            if lifts is not None and viewer.user_id:
                viewer = embargo.viewer(connection, workspace_id, viewer.user_id, moment)
                if embargo.sees_more(connection, viewer, workspace_id):
                    version = None  # their own answer: never kept, never served from what others were given
            kept = (
                cache.get(asked, version, now=moment) if cache is not None and version is not None else None
            )
            if kept is not None:
                return kept
            with Session(connection) as session:
                if command == quote.COMMAND:
                    reply = quote.answer(
                        session, workspace_id, text, today=asked.today, shared_by=shared_by, dense=dense,
                        viewer=viewer,
                    )  # fmt: skip
                else:
                    reply = stats.answer(
                        session, workspace_id, text, today=asked.today, shared_by=shared_by, dense=dense,
                        viewer=viewer,
                    )  # fmt: skip
            payload = reply.as_slack()
        if cache is not None and version is not None:
            cache.put(asked, version, payload, valid_until=lifts)
        return payload

    return read_retrying(read, command)
