"""What a person typed after a slash command, cleaned and checked before anything is looked up."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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
