"""What ranking needs of a candidate figure or quote, read as plain rows: the fields `storage.queries.relevance`
and its order compare, the ids of its entities, its topics' names and its sources' chains.

An answer ranks up to 200 candidates (queries.CANDIDATES) and shows ten. Loading each candidate as an ORM
object with its sources, entities and topics cost ~60 ms of a web worker's CPU per answer at 100,000
figures, against ~5 ms for these rows; only the items shown are then loaded as objects (`queries.load`).
The attribute names are the models' own, so ranking reads a candidate as it read the object
(bench/RESULTS.md, issue 19 round 5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Select, any_, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    Quote,
    Source,
    Statistic,
    Topic,
    quote_entities,
    quote_topics,
    statistic_entities,
    statistic_topics,
)


@dataclass(eq=False, slots=True)
class SourceFields:
    """A source as ranking and ordering read it; `cites` one step nearer the primary source."""

    id: int
    title: str
    publisher: str
    url: str
    published_on: date | None
    cites_id: int | None
    cites: SourceFields | None = None

    def chain(self) -> list[SourceFields]:
        """This source, then each source it cites in turn, ending at the primary source (as Source.chain)."""
        seen: list[SourceFields] = []
        node: SourceFields | None = self
        while node is not None and node not in seen:
            seen.append(node)
            node = node.cites
        return seen


@dataclass(eq=False, slots=True)
class Named:
    """An entity (by its id) or a topic (by its name) an item is tagged with."""

    id: int
    name: str = ""


@dataclass(eq=False, slots=True)
class Candidate:
    """A figure (`is_figure`) or a quote, with what ranking reads of it; the other kind's fields stay empty."""

    id: int
    is_figure: bool
    status: str
    published_at: datetime | None
    source: SourceFields
    via_source: SourceFields | None
    entities: list[Named] = field(default_factory=list)
    topics: list[Named] = field(default_factory=list)
    # A figure's
    producer: SourceFields | None = None
    unit: str = ""
    geography: str = ""
    measure: str = ""
    evidence: str = ""
    notes: str = ""
    value_text: str = ""
    period_start: date | None = None
    period_end: date | None = None
    # A quote's
    said_on: date | None = None
    speaker: str = ""
    speaker_org: str = ""
    speaker_role: str = ""
    text: str = ""
    context: str = ""


_FIGURE = (
    Statistic.id, Statistic.status, Statistic.published_at, Statistic.source_id, Statistic.via_source_id,
    Statistic.producer_id, Statistic.unit, Statistic.geography, Statistic.measure, Statistic.evidence,
    Statistic.notes, Statistic.value_text, Statistic.period_start, Statistic.period_end,
)  # fmt: skip
_QUOTE = (
    Quote.id, Quote.status, Quote.published_at, Quote.source_id, Quote.via_source_id, Quote.said_on,
    Quote.speaker, Quote.speaker_org, Quote.speaker_role, Quote.text, Quote.context,
)  # fmt: skip


def among(
    connection: Connection, column: ColumnElement[int] | InstrumentedAttribute[int], ids: Sequence[int]
) -> ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL as `= ANY(array)`, one parameter: an IN of 200 ids is 200 parameters
    that SQLAlchemy renders and psycopg parses again on every answer (a statement that long is past
    psycopg's cache of parsed statements)."""
    if connection.dialect.name == "postgresql":
        return column == any_(literal(list(ids), ARRAY(Integer)))
    return column.in_(list(ids))


def load(
    session: Session,
    model: type[Statistic] | type[Quote],
    ids: Sequence[int],
    where: Sequence[ColumnElement[bool]] = (),
) -> dict[int, Candidate]:
    """The candidates of these ids (those also meeting `where`), by id: three statements, on the session's
    connection (plain rows need nothing of the ORM's execution)."""
    if not ids:
        return {}
    connection = session.connection()
    figure = model is Statistic
    wanted = list(dict.fromkeys(ids))
    rows = connection.execute(
        select(*(_FIGURE if figure else _QUOTE)).where(among(connection, model.id, wanted), *where)
    ).all()
    if not rows:
        return {}
    found = [row[0] for row in rows]
    # Rows unpacked by position: a Row's attributes by name cost ~1 us each, 4 ms over 200 candidates.
    cited = {i for row in rows for i in row[3:6 if figure else 5] if i}
    sources = _sources(connection, cited)
    tags: tuple[dict[int, list[Named]], dict[int, list[Named]]] = ({}, {})  # entities, topics
    for item_id, tag, tag_id, name in connection.execute(_tags(connection, figure, found)).all():
        tags[tag].setdefault(item_id, []).append(Named(tag_id, name or ""))
    entities, topics = tags
    names = [column.key for column in (_FIGURE if figure else _QUOTE)[6 if figure else 5 :]]
    out: dict[int, Candidate] = {}
    for item_id, status, published_at, source_id, via_source_id, *rest in rows:
        own: dict[str, Any] = dict(zip(names, rest[1:] if figure else rest, strict=True))
        if figure and rest[0]:
            own["producer"] = sources[rest[0]]
        out[item_id] = Candidate(
            id=item_id, is_figure=figure, status=status, published_at=published_at, source=sources[source_id],
            via_source=sources[via_source_id] if via_source_id else None, entities=entities.get(item_id, []),
            topics=topics.get(item_id, []), **own,
        )  # fmt: skip
    return out


def _tags(connection: Connection, figure: bool, ids: Sequence[int]) -> Select[Any]:
    """(item id, 0, entity id, NULL) and (item id, 1, topic id, topic name) of these items, in their order."""
    entities_link, topics_link = (statistic_entities, statistic_topics) if figure else (quote_entities, quote_topics)
    item_of_entity = entities_link.c.statistic_id if figure else entities_link.c.quote_id
    item_of_topic = topics_link.c.statistic_id if figure else topics_link.c.quote_id
    by_entity = select(
        item_of_entity.label("item_id"), literal(0).label("tag"), entities_link.c.entity_id.label("tag_id"),
        null().label("name"), entities_link.c.position.label("position"),
    ).where(among(connection, item_of_entity, ids))  # fmt: skip
    by_topic = (
        select(item_of_topic, literal(1), Topic.id, Topic.name, topics_link.c.position)
        .join(Topic, Topic.id == topics_link.c.topic_id)
        .where(among(connection, item_of_topic, ids))
    )
    both = union_all(by_entity, by_topic).subquery()
    return select(both.c.item_id, both.c.tag, both.c.tag_id, both.c.name).order_by(
        both.c.item_id, both.c.tag, both.c.position
    )


def _sources(connection: Connection, ids: Iterable[int]) -> dict[int, SourceFields]:
    """These sources and every source their `cites` chains lead to, linked."""
    held: dict[int, SourceFields] = {}
    missing = set(ids)
    asked: set[int] = set()
    while missing:
        asked |= missing
        for row in connection.execute(
            select(
                Source.id, Source.title, Source.publisher, Source.url, Source.published_on, Source.cites_id
            ).where(among(connection, Source.id, sorted(missing)))
        ).all():
            held[row.id] = SourceFields(*row)
        missing = {s.cites_id for s in held.values() if s.cites_id is not None} - asked
    for source in held.values():
        source.cites = held.get(source.cites_id) if source.cites_id is not None else None
    return held
