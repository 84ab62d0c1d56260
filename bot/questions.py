"""Questions: `/stats <subject>` and `/quote <topic or speaker>`, answered the same way for Slack, the console and Share."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.answer_cache import AnswerCache, Question
from bot.slash import Call, Wiring
from commands import quote, stats
from storage import library_version
from storage.hybrid import Dense
from storage.retry import read_retrying


def answer_question(call: Call) -> None:
    """The default row of /stats and /quote (and their `help`): answered within the ack."""
    call.ack(**ask(call.wiring, call.workspace_id, call.command["command"], call.text))


def ask(
    wiring: Wiring, workspace_id: int, command: str, text: str, *, shared_by: str | None = None
) -> dict[str, Any]:
    """The one way the app answers a question, wherever it was asked (/stats and /quote, a mention, a direct
    message, the App Home search box, Share): keywords by the word search, a question in plain words by the
    hybrid retrieval, with what it understood and the low-confidence notice; periods read as of today."""
    return answer(
        wiring.reading, workspace_id, command, text, cache=wiring.cache, shared_by=shared_by,
        dense=wiring.dense, today=wiring.settings.today(),
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
) -> dict[str, Any]:
    """Run one of the answering commands and return the message; the same path serves Slack, the console
    and Share in channel. Answering only reads (`engine` is `storage.db.read_only`'s), so a connection lost
    under it is retried once (storage.retry).

    With a cache, the library version is read first: an answer built after that read is at least as new
    as the version it is kept under, and is reused only while the version has not moved."""
    asked = Question(workspace_id, command, text, today or date.today())
    caching = cache is not None and cache.enabled and shared_by is None  # a shared answer names who shared it

    def read() -> dict[str, Any]:
        with engine.connect() as connection:
            version = library_version.current(connection) if caching else None
            if cache is not None and version is not None and (kept := cache.get(asked, version)) is not None:
                return kept
            with Session(connection) as session:
                if command == quote.COMMAND:
                    reply = quote.answer(
                        session, workspace_id, text, today=asked.today, shared_by=shared_by, dense=dense
                    )
                else:
                    reply = stats.answer(
                        session, workspace_id, text, today=asked.today, shared_by=shared_by, dense=dense
                    )
            payload = reply.as_slack()
        if cache is not None and version is not None:
            cache.put(asked, version, payload)
        return payload

    return read_retrying(read, command)
