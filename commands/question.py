"""What a person typed after a slash command, cleaned and checked before anything is looked up."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Generic

from sqlalchemy.orm import Session

from commands import table
from commands.reply import Reply, say, section
from storage import embargo, hybrid
from storage.hybrid import Dense
from storage.queries import Found, Item
from storage.search import search_terms

MAX_QUESTION = 300


@dataclass(frozen=True)
class Question:
    text: str
    is_help: bool = False
    problem: str | None = None


def clean(text: str) -> str:
    """Control and formatting characters become spaces; runs of space become one."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    return " ".join(kept.split())


def parse(text: str) -> Question:
    cleaned = clean(text)
    if cleaned.casefold() in ("", "help", "?", "-h", "--help"):
        return Question(cleaned, is_help=True)
    if len(cleaned) > MAX_QUESTION:
        return Question(
            cleaned[:MAX_QUESTION],
            problem=f"That is {len(cleaned):,} characters; ask in a few words (up to {MAX_QUESTION}), "
            "for example `/stats facebook`.",
        )
    if not search_terms(cleaned):
        return Question(
            cleaned,
            problem="There is nothing to search for in that: use words, for example `/stats facebook`.",
        )
    return Question(cleaned)


def help_reply() -> Reply:
    """Generated from the command table, so it lists every subcommand there is."""
    return Reply(
        text="How to use /stats and /quote", blocks=[section(table.help_text((table.STATS, table.QUOTE)))]
    )


@dataclass
class Page(Generic[Item]):
    """A question and one page of the items that answer it."""

    question: Question
    found: Found[Item]


def page(
    session: Session,
    workspace_id: int,
    model: type[Item],
    text: str,
    *,
    today: date,
    dense: Dense | None,
    offset: int,
    shown: int,
    viewer: embargo.Viewer | None = None,
) -> Page[Item] | Reply:
    """What `/stats` and `/quote` share: the `shown` items from `offset` that answer `text` (hybrid retrieval),
    or the reply that ends the answer here: the help, or why the question cannot be asked."""
    question = parse(text)
    if question.is_help:
        return help_reply()
    if question.problem:
        return say(question.problem)
    found = hybrid.find(
        session, workspace_id, model, question.text, limit=offset + shown, today=today, dense=dense,
        viewer=viewer,
    )  # fmt: skip
    found.items = found.items[offset:]
    return Page(question, found)
