"""Questions: `/stats <subject>` and `/quote <topic or speaker>`, answered the same way for Slack, the console and Share."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.answer_cache import AnswerCache, Question
from bot.slash import Call
from commands import quote, stats
from storage import library_version
from storage.retry import read_retrying


def answer_question(call: Call) -> None:
    """The default row of /stats and /quote (and their `help`): answered within the ack."""
    wiring = call.wiring
    call.ack(
        **answer(wiring.reading, call.workspace_id, call.command["command"], call.text, cache=wiring.cache)
    )


def answer(
    engine: Engine,
    workspace_id: int,
    command: str,
    text: str,
    *,
    cache: AnswerCache | None = None,
    shared_by: str | None = None,
) -> dict[str, Any]:
    """Run one of the answering commands and return the message; the same path serves Slack, the console
    and Share in channel. Answering only reads (`engine` is `storage.db.read_only`'s), so a connection lost
    under it is retried once (storage.retry).

    With a cache, the library version is read first: an answer built after that read is at least as new
    as the version it is kept under, and is reused only while the version has not moved."""
    asked = Question(workspace_id, command, text, date.today())
    caching = cache is not None and cache.enabled and shared_by is None  # a shared answer names who shared it

    def read() -> dict[str, Any]:
        with engine.connect() as connection:
            version = library_version.current(connection) if caching else None
            if cache is not None and version is not None and (kept := cache.get(asked, version)) is not None:
                return kept
            with Session(connection) as session:
                if command == quote.COMMAND:
                    reply = quote.answer(session, workspace_id, text, shared_by=shared_by)
                else:
                    reply = stats.answer(session, workspace_id, text, today=asked.today, shared_by=shared_by)
            payload = reply.as_slack()
        if cache is not None and version is not None:
            cache.put(asked, version, payload)
        return payload

    return read_retrying(read, command)
