"""Full-text search behind one function: SQLite FTS5 or PostgreSQL tsvector, user text always escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Subquery,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from storage import ascii_words
from storage.kinds import Kind
from storage.models import Entity, Quote, SearchDocument, Source, Statistic

WORD = re.compile(r"\w+")  # a word as `words` reads it, before case folding
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
        "figure",
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
    return [w.casefold() for w in WORD.findall(text_)]


def search_terms(text_: str) -> list[str]:
    """The words worth searching for, in order, without repeats or stop words, bounded in number and size."""
    seen: list[str] = []
    for word in words(text_):
        if word in STOPWORDS or word in seen or len(word) > MAX_TERM_LENGTH:
            continue
        seen.append(word)
    return seen[:MAX_TERMS]


@lru_cache(maxsize=16_384)  # an import keys each row's measure and place: places and names repeat
def phrase_key(text_: str) -> str:
    """How aliases and query phrases are compared: "Meta Platforms, Inc." -> "meta platforms inc"."""
    # The same as " ".join(words(text_)): case folding goes character by character, so folding the
    # joined words folds each word.
    return " ".join(WORD.findall(text_)).casefold()


# What `phrase_key` drops from ASCII text (\w is [A-Za-z0-9_] there), the "\n" between texts kept.
_NON_WORD = ascii_words.blanking()


def phrase_keys(texts: Sequence[str]) -> list[str]:
    """`phrase_key` of each text, a column at a time (storage.ascii_words)."""
    return ascii_words.keys(texts, _NON_WORD, phrase_key)


EntityChain = list[tuple[str, list[str]]]  # an entity, then its owner, ...: (name, aliases) each


def entity_words(chains: list[EntityChain]) -> list[str]:
    """The names and aliases of each entity and its owners, each name once (Instagram -> Meta Platforms)."""
    names: list[str] = []
    for chain in chains:
        for name, aliases in chain:
            if name in names:
                break
            names.append(name)
            names.extend(aliases)
    return names


def entity_chain(entity: Entity) -> EntityChain:
    chain: EntityChain = []
    node: Entity | None = entity
    while node is not None and len(chain) < 16:
        chain.append((node.name, [alias.alias for alias in node.aliases]))
        node = node.owner
    return chain


def source_words(source: Source | None) -> list[str]:
    if source is None:
        return []
    return [part for s in source.chain() for part in (s.title, s.publisher)]


def body(
    kind: Kind, fields: Mapping[str, Any], topics: list[str], entities: list[str], sources: list[str],
    via_publisher: str,
) -> str:  # fmt: skip
    """The text an item is found by: its own words, topics, entities (with owners and aliases), the
    titles and publishers along its source's and producer's chains, and where we read it (the
    publisher only: its headline is about everything it reports)."""
    own = ("measure", "value_text", "geography", "evidence", "notes") if kind == "figure" else (
        "text", "speaker", "speaker_role", "speaker_org", "context")  # fmt: skip
    parts = [fields[name] for name in own] + topics + entities + sources + [via_publisher]
    return "\n".join([p for p in parts if p])


def item_body(item: Statistic | Quote) -> str:
    """`body` of a stored figure or quote, read through its relationships."""
    kind: Kind = "figure" if isinstance(item, Statistic) else "quote"
    fields = {name: getattr(item, name) for name in (
        ("measure", "value_text", "geography", "evidence", "notes") if kind == "figure" else
        ("text", "speaker", "speaker_role", "speaker_org", "context"))}  # fmt: skip
    if isinstance(item, Statistic):
        sources = source_words(item.source) + source_words(item.producer)
    else:  # only the outlet that reported the words: what it cites is a figure's producer, not the speaker's
        sources = [item.source.title, item.source.publisher]
    via = item.via_source.publisher if item.via_source is not None else ""
    return body(
        kind,
        fields,
        [t.name for t in item.topics],
        entity_words([entity_chain(e) for e in item.entities]),
        sources,
        via,
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


def _bounded(phrases: list[list[str]]) -> list[list[str]]:
    return [[w for w in phrase if w][:MAX_TERMS] for phrase in phrases if phrase][: MAX_TERMS * 4]


def ts_query(phrases: list[list[str]]) -> ColumnElement[Any]:
    """PostgreSQL's query for documents holding any of the phrases (each a list of bare words)."""
    either = " or ".join('"' + " ".join(phrase) + '"' for phrase in _bounded(phrases))
    return func.websearch_to_tsquery("english", either)


def matches_any(session: Session, workspace_id: int, kind: Kind, phrases: list[list[str]]) -> Subquery:
    """A subquery of (item_id, score) for documents holding any of the phrases (each a list of bare words).

    The words come from `words`, so they hold only letters, digits and underscores; each phrase is still
    quoted for FTS5 and passed as a bound parameter, so no user text is ever read as query syntax."""
    phrases = _bounded(phrases)
    if session.get_bind().dialect.name == "postgresql":
        query = ts_query(phrases)
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
