"""Full-text search behind one function: SQLite FTS5 or PostgreSQL tsvector, user text always escaped."""

from __future__ import annotations

import re
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Subquery,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from storage.models import Entity, Quote, SearchDocument, Source, Statistic

Kind = Literal["statistic", "quote"]

_WORD = re.compile(r"\w+")
MAX_TERMS = 12
MAX_TERM_LENGTH = 40

# Words that carry no subject; PostgreSQL drops its own, SQLite's FTS5 would demand them.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "me",
        "of",
        "on",
        "or",
        "show",
        "stats",
        "statistic",
        "statistics",
        "figure",
        "figures",
        "quote",
        "quotes",
        "the",
        "their",
        "there",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "with",
    ]
)


def words(text_: str) -> list[str]:
    """Lower-case words of the text, punctuation and query syntax dropped: `NEAR(` -> ["near"]."""
    return [w.casefold() for w in _WORD.findall(text_)]


def search_terms(text_: str) -> list[str]:
    """The words worth searching for, in order, without repeats or stop words, bounded in number and size."""
    seen: list[str] = []
    for word in words(text_):
        if word in STOPWORDS or word in seen or len(word) > MAX_TERM_LENGTH:
            continue
        seen.append(word)
    return seen[:MAX_TERMS]


def phrase_key(text_: str) -> str:
    """How aliases and query phrases are compared: "Meta Platforms, Inc." -> "meta platforms inc"."""
    return " ".join(words(text_))


def _entity_names(entities: list[Entity]) -> list[str]:
    names: list[str] = []
    for entity in entities:
        node: Entity | None = entity
        while node is not None and node.name not in names:
            names.append(node.name)
            names.extend(alias.alias for alias in node.aliases)
            node = node.owner
    return names


def _source_names(source: Source | None) -> list[str]:
    if source is None:
        return []
    return [part for s in source.chain() for part in (s.title, s.publisher)]


def _publisher(via: Source | None) -> list[str]:
    """Where we read a report adds only its publisher: its headline is about everything it reports."""
    return [via.publisher] if via is not None and via.publisher else []


def statistic_body(stat: Statistic) -> str:
    parts = [stat.measure, stat.value_text, stat.geography, stat.evidence, stat.notes]
    parts += [topic.name for topic in stat.topics]
    parts += _entity_names(stat.entities)
    parts += _source_names(stat.source) + _publisher(stat.via_source)
    return "\n".join(p for p in parts if p)


def quote_body(quote: Quote) -> str:
    parts = [quote.text, quote.speaker, quote.speaker_role, quote.speaker_org, quote.context]
    parts += [topic.name for topic in quote.topics]
    parts += _entity_names(quote.entities)
    # Only the outlet that reported the words: what that source cites is a figure's producer, not the speaker's.
    parts += [quote.source.title, quote.source.publisher, *_publisher(quote.via_source)]
    return "\n".join(p for p in parts if p)


def new_document(item: Statistic | Quote) -> SearchDocument:
    """The search document of an item that has none yet (it must have its id: flush first)."""
    kind: Kind = "statistic" if isinstance(item, Statistic) else "quote"
    body = statistic_body(item) if isinstance(item, Statistic) else quote_body(item)
    return SearchDocument(workspace_id=item.workspace_id, kind=kind, item_id=item.id, body=body)


def index(session: Session, item: Statistic | Quote) -> None:
    """Write (or rewrite) the search document of a figure or quote; call after any change to it."""
    session.flush()
    kind: Kind = "statistic" if isinstance(item, Statistic) else "quote"
    body = statistic_body(item) if isinstance(item, Statistic) else quote_body(item)
    document = session.scalar(
        select(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.item_id == item.id)
    )
    if document is None:
        session.add(SearchDocument(workspace_id=item.workspace_id, kind=kind, item_id=item.id, body=body))
    elif document.body != body:
        document.body = body


def unindex(session: Session, kind: Kind, item_id: int) -> None:
    session.execute(
        delete(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.item_id == item_id)
    )


def matches(
    session: Session, workspace_id: int, kind: Kind, terms: list[str], *, any_term: bool = False
) -> Subquery:
    """A subquery of (item_id, score) for documents holding all (or any) of the terms; higher score first.

    Terms come from `search_terms`, so they are bare words; each is still quoted for FTS5 and
    passed as a bound parameter, so no user text is ever read as query syntax.
    """
    if session.get_bind().dialect.name == "postgresql":
        query = func.websearch_to_tsquery("english", (" or " if any_term else " ").join(terms))
        tsv: ColumnElement[Any] = literal_column("search_documents.tsv")
        return (
            select(SearchDocument.item_id.label("item_id"), func.ts_rank(tsv, query).label("score"))
            .where(
                tsv.op("@@")(query), SearchDocument.workspace_id == workspace_id, SearchDocument.kind == kind
            )
            .subquery("fts")
        )
    fts_query = (" OR " if any_term else " AND ").join('"' + term.replace('"', '""') + '"' for term in terms)
    # The full-text index goes first, then each match's document by primary key: CROSS JOIN fixes that
    # order in SQLite, and LIMIT -1 (no limit) keeps the subquery whole (not flattened into the caller's
    # join), so a count does not probe the index once for every figure of the workspace instead.
    return (
        text(
            "SELECT d.item_id AS item_id, -bm25(search_fts) AS score FROM search_fts"
            " CROSS JOIN search_documents d ON d.id = search_fts.rowid"
            " WHERE search_fts MATCH :fts_query AND d.workspace_id = :fts_workspace AND d.kind = :fts_kind"
            " LIMIT -1"
        )
        .bindparams(fts_query=fts_query, fts_workspace=workspace_id, fts_kind=kind)
        .columns(item_id=Integer, score=Float)
        .subquery("fts")
    )


def matches_any(session: Session, workspace_id: int, kind: Kind, phrases: list[list[str]]) -> Subquery:
    """A subquery of (item_id, score) for documents holding any of the phrases (each a list of bare words).

    The words come from `words`, so they hold only letters, digits and underscores; each phrase is still
    quoted for FTS5 and passed as a bound parameter, so no user text is ever read as query syntax."""
    phrases = [[w for w in phrase if w][:MAX_TERMS] for phrase in phrases if phrase][: MAX_TERMS * 4]
    if session.get_bind().dialect.name == "postgresql":
        query = func.websearch_to_tsquery(
            "english", " or ".join('"' + " ".join(phrase) + '"' for phrase in phrases)
        )
        tsv: ColumnElement[Any] = literal_column("search_documents.tsv")
        return (
            select(SearchDocument.item_id.label("item_id"), func.ts_rank(tsv, query).label("score"))
            .where(
                tsv.op("@@")(query), SearchDocument.workspace_id == workspace_id, SearchDocument.kind == kind
            )
            .subquery("fts")
        )
    fts_query = " OR ".join('"' + " ".join(phrase).replace('"', '""') + '"' for phrase in phrases)
    return (
        text(
            "SELECT d.item_id AS item_id, -bm25(search_fts) AS score FROM search_fts"
            " CROSS JOIN search_documents d ON d.id = search_fts.rowid"
            " WHERE search_fts MATCH :fts_query AND d.workspace_id = :fts_workspace AND d.kind = :fts_kind"
            " LIMIT -1"
        )
        # Unique names: a question of several words joins one of these subqueries for each word.
        .bindparams(
            bindparam("fts_query", fts_query, unique=True),
            bindparam("fts_workspace", workspace_id, unique=True),
            bindparam("fts_kind", kind, unique=True),
        )
        .columns(item_id=Integer, score=Float)
        .subquery("fts")
    )
