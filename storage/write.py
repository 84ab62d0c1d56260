"""The one write path for figures and quotes: stored with their links, indexed and audit-logged.

Every route that creates a figure or quote (forms, review, spreadsheet import, article staging, the
sample, bench seeding) calls `add` (or `add_one`, which is `add` with one item); every route that changes
one calls `update`. Nothing else writes the item tables (`WRITTEN_TABLES`): tests/test_write_path.py
fails if another module does, and `guard` refuses ORM flushes of them from anywhere else. What people
type is checked before it gets here (intake.validate); here, a source's details are checked against the
source stored under the same link (`Conflicts`), and an item already stored is not stored again.

`add` takes any iterable and works through it in batches: per batch, one query resolves its sources,
one its entities, one its topics and one finds the items already stored; then the rows, their entity
and topic links (in the order typed), their search documents and their audit entries are written in
bulk (COPY on PostgreSQL, from a thread of its own so the server works while Python builds the next
batch; on SQLite, hundreds of rows to an INSERT; ids taken up front). From a big add's second batch on, row
triggers are off and their work is done once at the end (`_Triggers`). Only one batch of the input is
held at a time; what grows is the map of names already resolved (one entry per distinct source, entity
and topic), so memory stays flat as files grow.
"""

from __future__ import annotations

import gc
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, partial
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, Literal, NamedTuple, TypeVar, cast

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Table,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage import audit, embedding_backfill, embeddings, postgres_bulk, search
from storage.kinds import Kind
from storage.models import (
    ANSWERABLE,
    AuditEntry,
    Entity,
    EntityAlias,
    Quote,
    SearchDocument,
    Source,
    Statistic,
    Status,
    Topic,
    quote_entities,
    quote_topics,
    statistic_entities,
    statistic_topics,
    utcnow,
    vectors_of,
)
from storage.partial_date import PartialDate

# Items per batch once the first few have grown to it (FIRST_BATCH). On PostgreSQL an `add`'s COPYs run
# beside Python (`_Sender`) and every query between batches waits for them: with 500-item batches a
# 200,000-figure import took 27-28 s, with 2,000 22-24 s, with 5,000 19-21 s (SQLite 13.4-14.8 -> 12.9-13.3
# s). What is held is one batch: memory stays flat as files grow.
BATCH = 5000
# An `add`'s first batch: one of up to this many items (a form, a review, an article, a small sheet) is
# written with the databases' row triggers; a bigger one turns them off from its second batch (`_Triggers`).
# Each batch after it is twice the one before, up to BATCH: an import checked in a second process
# (intake.checked_ahead) then starts its second batch once 1,000 more rows are checked, not 5,000. The writer's
# waiting for checked rows in a 20,000-row import fell from 0.10-0.17 s to 0.05-0.06 s (issue 15's tenth round).
FIRST_BATCH = 500
# Names per IN (...) list when looking up what a batch refers to: within old SQLite builds' 999 parameters.
_IN_LIST = 500
# Rows per INSERT on SQLite (fewer where the build binds fewer values). Anything from 50 to 3,000 rows a
# statement was as fast as any other: links went in 2.5 times as fast as through executemany, figures 1.3.
_ROWS_PER_INSERT = 500
# COPYs an `add` may have waiting at once on PostgreSQL: a batch makes up to six (sources, items, two link
# tables, search documents, audit entries).
_QUEUED_COPIES = 12
# The tables as Core sees them: rows as tuples, no ORM objects per row.
_SOURCES = cast(Table, Source.__table__)
_ENTITIES = cast(Table, Entity.__table__)
_ALIASES = cast(Table, EntityAlias.__table__)
_TOPICS = cast(Table, Topic.__table__)
_STATISTICS = cast(Table, Statistic.__table__)
_QUOTES = cast(Table, Quote.__table__)
_DOCUMENTS = cast(Table, SearchDocument.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)
# What only this module writes.
WRITTEN_TABLES = frozenset(
    {
        "statistics", "quotes", "statistic_entities", "statistic_topics", "quote_entities", "quote_topics",
        "search_documents", "audit_entries", "statistic_vectors", "quote_vectors",
    }
)  # fmt: skip
OnConflict = Literal["report", "use_stored"]
_V = TypeVar("_V")


# ----- what to write -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """A source as a row names it. One link is one source; without a link, publisher, title and date are."""

    title: str = ""
    publisher: str = ""
    url: str = ""
    published: PartialDate | None = None
    notes: str = ""
    cites: SourceSpec | None = None

    @cached_property  # asked for many times per row while a batch resolves its sources
    def identity(self) -> tuple[Any, ...]:
        if self.url:
            return ("url", self.url)
        day = self.published
        return (
            "name",
            self.publisher,
            self.title,
            day.day if day else None,
            day.precision.value if day else None,
        )


# NewFigure, NewQuote and Written are named tuples, not frozen dataclasses: as immutable, but made in a
# fifth of the time (a frozen dataclass sets each of its 24 fields through object.__setattr__), which was
# 0.8 s of CPU in a 200,000-row import.
class NewFigure(NamedTuple):
    value: Decimal
    unit: str
    measure: str
    source: SourceSpec
    period_start: PartialDate | None = None
    period_end: PartialDate | None = None
    geography: str = ""
    value_text: str = ""
    evidence: str = ""
    notes: str = ""
    producer: SourceSpec | None = None  # who produced it, when not the reporter itself
    via: SourceSpec | None = None  # where we read the report
    base_id: int | None = None  # the figure this one is a share of
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    row: int | None = None  # the spreadsheet row, for conflicts
    status: Status | None = None  # only bench seeding sets these three: everyone else gets the call's
    published_at: datetime | None = None
    status_changed_at: datetime | None = None
    embargo_until: datetime | None = None  # hidden from all but editors and its author until then (UTC)
    embargo_zone: str = ""


class NewQuote(NamedTuple):
    text: str
    speaker: str
    source: SourceSpec
    speaker_role: str = ""
    speaker_org: str = ""
    context: str = ""
    said: PartialDate | None = None
    via: SourceSpec | None = None
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    row: int | None = None
    embargo_until: datetime | None = None
    embargo_zone: str = ""


New = NewFigure | NewQuote


@dataclass(frozen=True)
class Conflict:
    """A row names a source already known by its link, with other details: nothing is merged silently."""

    row: int | None
    column: str
    stored: str
    new: str

    @property
    def message(self) -> str:
        return (
            f"{self.column} is {self.new!r} here, but the source with this link is stored with "
            f"{self.stored!r}; one link is one source: make them agree"
        )


class Conflicts(Exception):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__("; ".join(c.message for c in conflicts[:3]))
        self.conflicts = conflicts


class Written(NamedTuple):
    kind: Kind
    id: int
    created: bool  # False: the same item was already stored (this is its id)


@dataclass
class Outcome:
    added: int = 0
    already_stored: int = 0
    written: list[Written] = field(default_factory=list)  # kept only when asked (single items)


# ----- the guard -------------------------------------------------------------------------------------

_GUARDED = (Statistic, Quote, SearchDocument, AuditEntry)


@contextmanager
def _writing(session: Session) -> Iterator[None]:
    session.info["write_path"] = session.info.get("write_path", 0) + 1
    try:
        yield
    finally:
        session.info["write_path"] -= 1


def guard(session_or_class: Any = Session) -> None:
    """Refuse ORM flushes that add or change figures, quotes, search documents or audit entries
    anywhere but here (installed once, on all sessions, by storage.db.make_sessions)."""
    if event.contains(session_or_class, "before_flush", _refuse_elsewhere):
        return
    event.listen(session_or_class, "before_flush", _refuse_elsewhere)


def _refuse_elsewhere(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("write_path"):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _GUARDED) and (
            obj in session.new or obj in session.deleted or session.is_modified(obj)
        ):
            raise RuntimeError(
                f"{type(obj).__name__} may only be written through storage.write (add, update)"
            )


# ----- adding ---------------------------------------------------------------------------------------


def add(
    session: Session,
    workspace_id: int,
    items: Iterable[New],
    *,
    actor: str,
    status: Status = Status.PUBLISHED,
    now: datetime | None = None,
    on_conflict: OnConflict = "report",
    keep: bool = False,
    on_progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> Outcome:
    """Store every item not already stored; the caller commits (all of it, or nothing).

    Conflicting source details raise Conflicts after every batch is checked (so all are listed), unless
    `on_conflict="use_stored"`, which keeps the stored source as it is (an article fetched again).
    """
    now = now or utcnow()
    writer = _Writer(session, workspace_id, actor, status, now, on_conflict)
    outcome = Outcome()
    done = 0
    created: dict[str, list[int]] | None = {"figure": [], "quote": []}  # None: too many to embed here
    iterator = iter(items)
    with _writing(session), _collector_paused():
        session.flush()
        with (
            closing(writer),
            _copies_in_background(writer.bulk),
            _version_moves_once(writer.connection),
            _suspended_triggers(writer.connection) as triggers,
        ):
            size = min(batch, FIRST_BATCH)
            while chunk := list(islice(iterator, size)):
                if done:  # a bulk load: a second batch
                    triggers.suspend(outcome.added)
                    writer.look_apart()
                elif len(chunk) == size:  # perhaps a bulk load: asked before the first batch is written
                    writer.note_fresh()
                for written in writer.write(chunk):
                    outcome.added += written.created
                    outcome.already_stored += not written.created
                    if written.created and created is not None:
                        created[written.kind].append(written.id)
                    if keep:
                        outcome.written.append(written)
                if created is not None and sum(map(len, created.values())) > EMBED_INLINE:
                    created = None
                done += len(chunk)
                size = min(batch, size * 2)
                if on_progress:
                    on_progress(done)
        if created is not None:
            _embed_written(session, created)
    if writer.conflicts:
        raise Conflicts(writer.conflicts)
    return outcome


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the length of an `add`, and back on after (unless someone
    else had turned it off). An import's rows are freed by reference counting as each batch is written; what
    the collector found was no garbage, only the batch in hand and the names resolved so far, which it walked
    again and again: 3.0 s of a 200,000-row import's 29.5 s of CPU. Turning it off is process-wide, so a web
    worker's other requests go without it while an upload is stored; their cycles wait until it is back."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Migration 0018: while row 2 of library_version exists, SQLite's insert triggers skip.
_MARK = "INSERT OR IGNORE INTO library_version (id, version) VALUES (2, 0)"
_UNMARK = "DELETE FROM library_version WHERE id = 2"
_BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"


@contextmanager
def _version_moves_once(connection: Connection) -> Iterator[None]:
    """On SQLite, the library version moves once for all of an `add`, not once per row inserted: the
    marker row (migration 0018) exists only in this transaction, which holds SQLite's one write lock, so
    every other writer's changes still move it row by row. PostgreSQL's triggers move it once per
    transaction already (migration 0009)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver: Any = connection.connection.driver_connection
    if connection.exec_driver_sql(_MARK).rowcount != 1:  # an outer `add` in this transaction marked it
        yield
        return
    before = driver.total_changes
    try:
        yield
    except BaseException:
        # The caller rolls back; should it commit what was written, the version still moves.
        with suppress(DBAPIError):
            changed = driver.total_changes != before
            connection.exec_driver_sql(_UNMARK)
            if changed:
                connection.exec_driver_sql(_BUMP)
        raise
    changed = driver.total_changes != before
    connection.exec_driver_sql(_UNMARK)
    if changed:
        connection.exec_driver_sql(_BUMP)


# SQLite's per-row insert triggers whose work a bulk `add` does itself: the library version's (migrations
# 0009, 0018; _version_moves_once moves it) and the search index's (0001; filled at the end).
_SUSPENDED = (
    *(f"{table}_insert_changed" for table in (
        "sources", "entities", "entity_aliases", "topics", "statistics", "quotes", "statistic_entities",
        "statistic_topics", "quote_entities", "quote_topics", "search_documents")),
    "search_documents_ai",
)  # fmt: skip
_INDEX_NEW_DOCUMENTS = (
    "INSERT INTO search_fts (rowid, body) SELECT id, body FROM search_documents WHERE id > ?"
)


# Secondary indexes a bulk `add` on SQLite builds once at its end instead of row by row (`_Triggers`): the
# item tables' and their link tables' own, neither unique (those keep integrity) nor read by the write path
# itself (a figure's source for the duplicate check, a quote's speaker). Measured at 200,000 rows into an
# empty library: inserting figures 8.2-8.9 s of CPU with them, 4.4 s without; recreating them at the end
# 2.0 s. Deferring only the unordered ones (measure, value, period) saved less (3.0 s, 1.15 s to rebuild).
# A link table's index by entity or topic: 400,000 links took 1.55 s with it, 1.29 s building it after.
_ITEM_TABLES = ("statistics", "quotes")
_DEFERRED_INDEX_TABLES = (
    *_ITEM_TABLES,
    "statistic_entities",
    "statistic_topics",
    "quote_entities",
    "quote_topics",
)
_KEPT_INDEXES = ("ix_statistics_source_id", "ix_quotes_speaker")
# SQLite's page cache while a bulk `add` puts its indexes back (negative: in KiB, so 64 MiB).
_RESTORING_CACHE = -65536


# What a bulk `add` writes, whose row triggers PostgreSQL's bulk mode turns off and whose foreign keys it checks.
_BULK_TABLES = (
    _SOURCES, _ENTITIES, _ALIASES, _TOPICS, _STATISTICS, _QUOTES, statistic_entities, statistic_topics,
    quote_entities, quote_topics, _DOCUMENTS, _AUDIT,
)  # fmt: skip


class _Triggers:
    """Row triggers off for the rest of an `add` once it has a second batch, and back on at its end. On
    PostgreSQL, through its bulk-load mode where the role may (storage.postgres_bulk). On SQLite the
    triggers are dropped and put back; with them, once the `add` has written as many items as the tables
    held before it, the item and link tables' deferrable indexes (`_DEFERRED_INDEX_TABLES`), recreated at
    the end.

    A trigger per row was about half of a 20,000-row import's time on SQLite (even those that skip: their
    WHEN clause is a query per row). SQLite's DDL is transactional and this transaction holds SQLite's one
    write lock: no other writer can write while they are gone, readers (WAL) see the schema as committed,
    and a rollback brings them back with everything else. Put back before commit, with the search index
    given the new documents in one INSERT ... SELECT.

    Indexes: inserting row by row into an index whose keys arrive in no order (measures, values) costs a
    B-tree descent per row that grows with the table; CREATE INDEX sorts once. Rebuilding costs the whole
    table, so it waits until the `add` has written at least as much as was there: an import into an empty
    or small library defers them from its second batch, a small import into a big one never does."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dropped: list[tuple[str, str]] = []
        self.indexes: list[tuple[str, str]] = []
        self.documents_before = 0
        self.items_before: int | None = None
        self.bulk_mode: postgres_bulk.BulkMode | None = None
        self.tried_bulk_mode = False

    def suspend(self, added: int) -> None:
        """From a bulk `add`'s second batch on, before each batch: `added` items written so far."""
        if self.connection.dialect.name == "postgresql":
            if not self.tried_bulk_mode:
                self.tried_bulk_mode = True
                self.bulk_mode = postgres_bulk.BulkMode.begin(self.connection, _BULK_TABLES)
            return
        if self.connection.dialect.name != "sqlite":
            return
        if not self.dropped:
            self._drop_triggers()
        if not self.indexes:
            self._drop_indexes(added)

    def _drop_triggers(self) -> None:
        marks = ", ".join("?" * len(_SUSPENDED))
        found = self.connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",  # noqa: S608
            _SUSPENDED,
        ).all()
        self.documents_before = self.connection.exec_driver_sql(
            "SELECT coalesce(max(id), 0) FROM search_documents"
        ).scalar_one()
        for name, _ in found:
            self.connection.exec_driver_sql(f"DROP TRIGGER {name}")
        self.dropped = [(name, sql) for name, sql in found]

    def _drop_indexes(self, added: int) -> None:
        if self.items_before is None:  # counted once, before this add's second batch is written
            self.items_before = (
                sum(
                    self.connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()  # noqa: S608
                    for table in _ITEM_TABLES
                )
                - added
            )
        if added < self.items_before:
            return
        marks = ", ".join("?" * len(_DEFERRED_INDEX_TABLES))
        found = self.connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})"  # noqa: S608
            " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
            _DEFERRED_INDEX_TABLES,
        ).all()
        self.indexes = [(name, sql) for name, sql in found if name not in _KEPT_INDEXES]
        for name, _ in self.indexes:
            self.connection.exec_driver_sql(f"DROP INDEX {name}")

    def restore(self, *, failed: bool = False) -> None:
        """Triggers and indexes back; `failed`: the `add` raised, and its transaction will be rolled back."""
        if self.bulk_mode is not None:
            mode, self.bulk_mode = self.bulk_mode, None
            mode.end(check=not failed)
        if not (self.indexes or self.dropped):  # SQLite's only
            return
        with self._bigger_cache():
            for _, sql in self.indexes:
                self.connection.exec_driver_sql(sql)
            self.indexes = []
            if any(name == "search_documents_ai" for name, _ in self.dropped):
                self.connection.exec_driver_sql(_INDEX_NEW_DOCUMENTS, (self.documents_before,))
            for _, sql in self.dropped:
                self.connection.exec_driver_sql(sql)
            self.dropped = []

    @contextmanager
    def _bigger_cache(self) -> Iterator[None]:
        """SQLite's page cache at `_RESTORING_CACHE` while indexes are built and new documents indexed, then
        as it was. Each CREATE INDEX reads the whole table, from the cache instead of the log the `add`
        wrote it to, and sorts in memory up to the cache's size instead of in temporary files: with the
        default 2 MB, building a 200,000-figure import's indexes and search index took 15% longer."""
        before = int(self.connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
        self.connection.exec_driver_sql(f"PRAGMA cache_size = {_RESTORING_CACHE:d}")
        try:
            yield
        finally:
            self.connection.exec_driver_sql(f"PRAGMA cache_size = {before:d}")


@contextmanager
def _suspended_triggers(connection: Connection) -> Iterator[_Triggers]:
    triggers = _Triggers(connection)
    try:
        yield triggers
    except BaseException:
        with suppress(DBAPIError):  # the caller rolls back, which restores them anyway
            triggers.restore(failed=True)
        raise
    triggers.restore()


# The most new items one `add` embeds itself (about 30 ms a row on one thread): a form, a review, an
# article's figures, a small sheet. A bigger import embeds none of them (30 ms a row would be most of its
# time and hold its transaction for minutes) and leaves them all to `statbot migrate`; until then the word
# half of a question's search finds them (storage.hybrid), as it finds everything.
EMBED_INLINE = FIRST_BATCH


def _embed_written(session: Session, ids: dict[str, list[int]]) -> None:
    """Store the model's vector of each new or changed item with it (nothing where the model is missing)."""
    embedder = embeddings.shared()
    if embedder is None:
        return
    for kind, model in (("figure", Statistic), ("quote", Quote)):
        if ids.get(kind):
            embedding_backfill.embed_rows(session, model, ids[kind], embedder)


def backfill_embeddings(
    sessions: sessionmaker[Session],
    embedder: embeddings.Embedder,
    progress: embedding_backfill.Progress | None = None,
) -> int:
    """Embed every stored item without a vector from this model (`statbot migrate`), a batch per transaction."""
    return embedding_backfill.backfill(sessions, embedder, progress, writing=_writing)


def add_one(
    session: Session, workspace_id: int, item: New, *, actor: str, status: Status = Status.PUBLISHED,
    now: datetime | None = None, on_conflict: OnConflict = "report",
) -> tuple[Statistic | Quote, bool]:  # fmt: skip
    """One item through `add`: the stored item (new or the one already stored), and whether it is new."""
    (written,) = add(
        session, workspace_id, [item], actor=actor, status=status, now=now, on_conflict=on_conflict, keep=True
    ).written
    stored: Statistic | Quote | None = (
        session.get(Statistic, written.id) if written.kind == "figure" else session.get(Quote, written.id)
    )
    assert stored is not None
    return stored, written.created


def sources(
    session: Session, workspace_id: int, specs: Sequence[SourceSpec], *, on_conflict: OnConflict = "report"
) -> list[Source]:
    """The stored sources for these specs (created where new): for callers that cite a source by itself."""
    writer = _Writer(session, workspace_id, "", Status.PUBLISHED, utcnow(), on_conflict)
    with _writing(session):
        session.flush()
        ids = writer.resolve_sources([(None, "source", spec) for spec in specs])
    if writer.conflicts:
        raise Conflicts(writer.conflicts)
    found = [session.get(Source, ids[spec.identity]) for spec in specs]
    return [s for s in found if s is not None]


def entity(
    session: Session, workspace_id: int, name: str, *, kind: str = "organisation",
    aliases: Iterable[str] = (), owner: Entity | None = None,
) -> Entity:  # fmt: skip
    """A curated entity (the sample's): the one whose name this is, created with its kind, owner and
    aliases if none is; its missing aliases are added. A name that is only another entity's alias makes an
    entity of its own, owned by that one (as `add` does). Rows that merely name entities go through `add`."""
    key = search.phrase_key(name)
    by_alias = list(
        session.scalars(
            select(Entity)
            .join(EntityAlias, EntityAlias.entity_id == Entity.id)
            .where(EntityAlias.workspace_id == workspace_id, EntityAlias.alias == key)
            .order_by(Entity.owner_id.is_not(None), Entity.id)
        ).unique()
    )
    found = next((e for e in by_alias if search.phrase_key(e.name) == key), None) or session.scalar(
        select(Entity).where(Entity.workspace_id == workspace_id, Entity.name == name)
    )
    if found is None:
        found = Entity(
            workspace_id=workspace_id,
            name=name,
            kind=kind,
            owner=owner or (by_alias[0] if by_alias else None),
        )
        session.add(found)
    known = {alias.alias for alias in found.aliases}
    for alias in (name, *aliases):
        alias_key = search.phrase_key(alias)
        if alias_key and alias_key not in known:
            found.aliases.append(EntityAlias(workspace_id=workspace_id, alias=alias_key))
            known.add(alias_key)
    session.flush()
    return found


class _Sender:
    """PostgreSQL's COPYs sent from a thread of their own, in the order given, so that the server works on one
    batch's rows while Python builds the next (the driver waits for the server without holding the GIL).
    A failed COPY is raised by the next `drain`, and every later one is skipped: the transaction is lost."""

    def __init__(self) -> None:
        # Bounded: a writer that need not wait for the COPYs (`_Writer.look_apart`) is held to about two
        # batches ahead of them, so memory stays flat.
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=_QUEUED_COPIES)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="statbot-copy", daemon=True)
        self.thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self.jobs.put(job)

    def drain(self) -> None:
        """Wait until every COPY given so far is done; raise the first that failed."""
        self.jobs.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                if self.error is None:
                    job()
            except BaseException as error:  # handed to the thread that waits for it
                self.error = error
            finally:
                self.jobs.task_done()


@contextmanager
def _copies_in_background(bulk: _Bulk) -> Iterator[None]:
    """On PostgreSQL, an `add`'s COPYs go through a `_Sender`; any other statement on its connection (through
    SQLAlchemy, as every other query here is) first waits for them, so everything runs in the order written."""
    if not bulk.postgres:
        yield
        return
    sender = bulk.sender = _Sender()

    def wait_for_copies(*_args: Any) -> None:
        sender.drain()

    event.listen(bulk.connection, "before_cursor_execute", wait_for_copies)
    try:
        yield
        sender.drain()
    finally:
        event.remove(bulk.connection, "before_cursor_execute", wait_for_copies)
        bulk.sender = None
        sender.close()


class _Bulk:
    """Many rows into one table in one go: COPY on PostgreSQL, INSERTs of hundreds of rows each on SQLite.

    SQLAlchemy's executemany would do, but builds and converts every row's parameters (and on PostgreSQL
    sends one statement text per batch for the driver to parse): most of an import's time. New ids are
    taken before the rows are written (from the sequence, or after SQLite's first insert, which holds the
    write lock), so links, search documents and audit entries need no RETURNING round trip.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        driver = connection.connection.driver_connection
        assert driver is not None
        self.driver: Any = driver
        self.processors: dict[tuple[str, tuple[str, ...]], list[tuple[int, Any]]] = {}
        self.sender: _Sender | None = None  # an `add`'s, on PostgreSQL
        # SQLite's INSERTs, by table, columns, row count and the columns written NULL.
        self.statements: dict[tuple[str, tuple[str, ...], int, frozenset[int]], str] = {}
        self.variable_limit: int | None = None

    def insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sender is not None:
            self.sender.submit(partial(self._copy, table, columns, rows))
            return
        if self.postgres:
            self._copy(table, columns, rows)
            return
        self._insert_rows(table, columns, rows)

    def _copy(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        from psycopg.types.json import Json  # only with PostgreSQL, whose driver it is

        names = ", ".join(columns)
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        with self._as_sqlalchemy_errors(statement), self.driver.cursor().copy(statement) as copy:
            if all(isinstance(table.c[c].type, Integer) and not table.c[c].nullable for c in columns):
                # Links are whole numbers only: COPY's text format needs no escaping, so one write
                # for the batch instead of one adapted row at a time.
                line = "\t".join(["%d"] * len(columns)) + "\n"
                copy.write("".join([line % row for row in rows]))
                return
            # JSON already written as text (audit.JsonText) goes as it is, like any text.
            json_at = [i for i in json_at if any(_json_to_dump(row[i]) for row in rows)]
            if not json_at:
                for row in rows:
                    copy.write_row(row)
                return
            for row in rows:
                values = list(row)
                for i in json_at:
                    if _json_to_dump(values[i]):
                        values[i] = Json(values[i])
                copy.write_row(values)

    def _insert_rows(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Rows into SQLite many to a statement (INSERT ... VALUES (...), (...), ...): one call into SQLite
        per slice of rows, not one per row as executemany makes. A 200,000-figure import spent 5.8-6.7 s
        writing its rows this way, 7.6-8.9 s through executemany (bench/RESULTS.md)."""
        converted = self._converted(table, columns, rows)
        per = max(1, min(_ROWS_PER_INSERT, self._variable_limit() // len(columns)))
        cursor = self.driver.cursor()
        for part in _parts(converted, per):
            # A column that is None in every row of the slice is NULL in the statement's text instead of a
            # value bound per row: the driver looks for an adapter for each None it binds (two failed
            # attribute lookups, each making an exception), 3% of an import's instructions.
            nothing = (None,) * len(part)  # a tuple compare stops at a column's first value that is not None
            nulls = frozenset(i for i, cells in enumerate(zip(*part, strict=True)) if cells == nothing)
            statement = self._values_statement(table, columns, len(part), nulls)
            kept = [i for i in range(len(columns)) if i not in nulls]
            values: list[Any] = []  # none when every column is NULL
            if len(kept) > 1:  # itemgetter of one index gives the value, not a tuple of it
                values = list(chain.from_iterable(map(itemgetter(*kept), part) if nulls else part))
            elif kept:
                values = [row[kept[0]] for row in part]
            with self._as_sqlalchemy_errors(statement):
                cursor.execute(statement, values)

    def _variable_limit(self) -> int:
        """How many values one SQLite statement may bind (999 before 3.32, 32,766 since, or as built)."""
        if self.variable_limit is None:
            self.variable_limit = int(self.driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return self.variable_limit

    def _values_statement(
        self, table: Table, columns: tuple[str, ...], count: int, nulls: frozenset[int]
    ) -> str:
        """INSERT of `count` rows with NULL in the columns at `nulls`, its text made once (and compiled once:
        the driver caches statements)."""
        key = (table.name, columns, count, nulls)
        statement = self.statements.get(key)
        if statement is None:
            row = "(" + ", ".join("NULL" if i in nulls else "?" for i in range(len(columns))) + ")"
            # Table and column names come from the models, values are bound: no outside text in the SQL.
            statement = self.statements[key] = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {', '.join([row] * count)}"  # noqa: S608
            )
        return statement

    def insert_new(
        self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]], ids_from: Connection
    ) -> list[int]:
        """Insert rows that need new ids (`columns` without `id`); their ids, in order. On PostgreSQL they are
        taken from the sequence on `ids_from` (a sequence is outside any transaction, so any connection)."""
        if not rows:
            return []
        if self.postgres:
            taken = ids_from.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id'))"  # noqa: S608
                f" FROM generate_series(1, {len(rows):d})"
            )
            ids = [int(i) for i in taken.scalars()]
        else:
            marks = ", ".join("?" * len(columns))
            cursor = self.driver.cursor()
            statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            with self._as_sqlalchemy_errors(statement):
                cursor.execute(statement, self._converted(table, columns, rows[:1])[0])
            start = int(cursor.lastrowid)
            ids = list(range(start, start + len(rows)))
            rows, ids_left = rows[1:], ids[1:]
            self.insert(table, ("id", *columns), [(i, *row) for i, row in zip(ids_left, rows, strict=True)])
            return ids
        self.insert(table, ("id", *columns), [(i, *row) for i, row in zip(ids, rows, strict=True)])
        return ids

    @contextmanager
    def _as_sqlalchemy_errors(self, statement: str) -> Iterator[None]:
        """The driver's errors as SQLAlchemy raises them, so callers catch one kind whichever path wrote."""
        dbapi = self.connection.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as error:
            raise DBAPIError.instance(statement, None, error, dbapi.Error) from error

    def _converted(
        self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Values as SQLAlchemy would bind them for SQLite (dates and times as text, JSON dumped, ...).

        Column by column: an import's rows share a few periods, one `now` and many values, so each
        distinct value of a column is converted once (JSON, which is not hashable, value by value)."""
        key = (table.name, columns)
        if key not in self.processors:
            dialect = self.connection.dialect
            found = [(i, table.c[c].type._cached_bind_processor(dialect)) for i, c in enumerate(columns)]
            self.processors[key] = [(i, p) for i, p in found if p is not None]
        active = self.processors[key]
        if not active:
            return rows
        values = list(zip(*rows, strict=True))
        for i, process in active:
            column = values[i]
            if isinstance(table.c[columns[i]].type, JSON):
                values[i] = tuple([_json_bound(v, process) for v in column])
            else:
                distinct = {v: process(v) for v in set(column) if v is not None}
                values[i] = tuple(map(distinct.get, column))
        return list(zip(*values, strict=True))


def _parts(values: Sequence[_V], size: int = _IN_LIST) -> Iterator[Sequence[_V]]:
    """`values` a slice of `size` at a time (by default `_IN_LIST`, for IN (...) lists)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _chains(wanted: list[tuple[int | None, str, SourceSpec]]) -> list[tuple[int | None, str, SourceSpec]]:
    """Each (row, column, spec) with the sources it cites, cited sources first, so a new source can point
    at its citation's id."""
    pending: list[tuple[int | None, str, SourceSpec]] = []
    for row, column, spec in wanted:
        if spec.cites is None:
            pending.append((row, column, spec))
            continue
        chain: list[SourceSpec] = []
        node: SourceSpec | None = spec
        while node is not None and len(chain) < 8:
            chain.append(node)
            node = node.cites
        pending += [(row, column, s) for s in reversed(chain)]
    return pending


def _json_bound(value: Any, process: Callable[[Any], Any]) -> Any:
    """A JSON column's value as SQLite is given it: None as NULL (not JSON's null), JSON already written
    (audit.JsonText) as a plain str (the driver looks for an adapter for a subclass of str, making two
    exceptions, as it does for None), anything else dumped."""
    if value is None:
        return None
    if type(value) is audit.JsonText:
        return str.__str__(value)
    return process(value)


def _json_to_dump(value: Any) -> bool:
    """Whether a JSON column's value still has to be written as JSON: not None, not already text."""
    return value is not None and type(value) is not audit.JsonText


SOURCE_COLUMNS = (
    "workspace_id", "title", "publisher", "url", "published_on", "published_precision", "notes", "cites_id",
)  # fmt: skip
FIGURE_COLUMNS = (
    "workspace_id", "value", "unit", "value_text", "measure", "period_start", "period_end", "period_precision",
    "geography", "evidence", "notes", "base_id", "source_id", "via_source_id", "producer_id", "status",
    "status_reason", "superseded_by_id", "created_by", "created_at", "published_at",
    "status_changed_at", "embargo_until", "embargo_zone",
)  # fmt: skip
QUOTE_COLUMNS = (
    "workspace_id", "text", "speaker", "speaker_role", "speaker_org", "context", "said_on", "said_precision",
    "source_id", "via_source_id", "status", "status_reason", "created_by", "created_at", "published_at",
    "status_changed_at", "embargo_until", "embargo_zone",
)  # fmt: skip
DOCUMENT_COLUMNS = ("workspace_id", "kind", "item_id", "body")
AUDIT_COLUMNS = ("workspace_id", "item_kind", "item_id", "action", "actor", "at", "before", "after")


class _Writer:
    """What one `add` call has resolved so far (sources, entities, topics by name), and the batch writer."""

    def __init__(
        self, session: Session, workspace_id: int, actor: str, status: Status, now: datetime,
        on_conflict: OnConflict,
    ) -> None:  # fmt: skip
        self.session = session
        self.connection: Connection = session.connection()
        self.bulk = _Bulk(self.connection)
        # Where lookups that cannot depend on this add's own rows are made: the add's own connection, or from
        # its second batch on PostgreSQL another (`look_apart`), so they need not wait for its COPYs.
        self.lookups: Connection = self.connection
        self.may_look_apart = False
        self.figure_sources: set[int] = set()  # sources this add has written figures under
        self.created_sources: set[int] = set()
        self.keys: dict[str, str] = {}  # name -> search.phrase_key(name): names repeat row after row
        self.workspace_id = workspace_id
        self.actor = actor
        self.status = status
        self.now = now
        self.on_conflict = on_conflict
        self.conflicts: list[Conflict] = []
        self.source_ids: dict[tuple[Any, ...], int] = {}
        self.source_details: dict[int, SourceSpec] = {}
        self.agreed: set[tuple[str, SourceSpec, SourceSpec]] = set()  # (column, stored, new) without conflict
        self.source_names: dict[int, list[str]] = {}  # titles and publishers along its chain, for search
        self.entity_ids: dict[str, int] = {}
        self.entity_chains: dict[int, search.EntityChain] = {}  # each entity, then its owners
        self.topic_ids: dict[str, int] = {}
        self.topic_names: dict[int, str] = {}
        self.lists: dict[tuple[str, tuple[str, ...]], list[int]] = {}  # names as typed -> ids, in order
        self.entity_words: dict[tuple[str, ...], tuple[list[int], list[str], list[str]]] = {}
        self.topic_words: dict[tuple[str, ...], tuple[list[int], list[str]]] = {}

    def note_fresh(self) -> None:
        """Whether the lookups may later be made apart (`look_apart`): on PostgreSQL, where this transaction
        has written nothing before this add and reads committed rows. Another connection then sees all it
        would, but this add's own rows, which it has in hand (sources and figures) or asks of its own."""
        self.may_look_apart = self.bulk.postgres and bool(
            self.connection.exec_driver_sql(
                "SELECT txid_current_if_assigned() IS NULL"
                " AND current_setting('transaction_isolation') = 'read committed'"
            ).scalar()
        )

    def look_apart(self) -> None:
        """From an add's second batch: lookups of stored sources, their figures and new ids on a connection
        of their own, so that Python works on the next batch while the server takes this one's COPYs
        (on its own connection each such query would wait for them). No-op unless `note_fresh` allowed it."""
        if self.may_look_apart and self.lookups is self.connection:
            self.lookups = self.connection.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        """The lookups' own connection back to the pool, if `look_apart` took one."""
        if self.lookups is not self.connection:
            self.lookups.close()
            self.lookups = self.connection

    # -- resolving what items refer to, one query per kind per batch --

    def resolve_sources(self, wanted: list[tuple[int | None, str, SourceSpec]]) -> dict[tuple[Any, ...], int]:
        """(row, column, spec) -> ids by identity; conflicting details for a known link are recorded."""
        # A sheet names each source on many rows (the same spec, changes.source_spec): each (column, spec) is
        # resolved once, where first named. Only if that finds a conflict are the rows compared one by one,
        # so that each row with one is named, in order.
        first: dict[tuple[str, int], tuple[int | None, str, SourceSpec]] = {}
        for entry in wanted:
            first.setdefault((entry[1], id(entry[2])), entry)
        before = len(self.conflicts)
        self._resolve_sources(list(first.values()))
        if len(self.conflicts) > before and len(first) < len(wanted):
            del self.conflicts[before:]
            for row, column, spec in _chains(wanted):
                if spec.url:
                    self._compare(row, column, self.source_details[self.source_ids[spec.identity]], spec)
        return self.source_ids

    def _resolve_sources(self, wanted: list[tuple[int | None, str, SourceSpec]]) -> None:
        pending = _chains(wanted)
        unknown = [s for _, _, s in pending if s.identity not in self.source_ids]
        if unknown:
            self._load_sources(unknown)
        new: dict[tuple[Any, ...], SourceSpec] = {}
        for row, column, spec in pending:
            known = self.source_ids.get(spec.identity)
            if known is not None:
                if spec.url:
                    self._compare(row, column, self.source_details[known], spec)
            elif spec.identity in new:
                if spec.url:
                    self._compare(row, column, new[spec.identity], spec)
            else:
                new[spec.identity] = spec
        self._create_sources(list(new.values()))

    def _load_sources(self, specs: list[SourceSpec]) -> None:
        urls = sorted({s.url for s in specs if s.url})
        names = sorted({s.publisher for s in specs if not s.url})
        table = _SOURCES
        found: list[Any] = []
        for part in _parts(urls):
            found += self.lookups.execute(
                # `url <> ''` lets SQLite use the partial unique index on links.
                select(table).where(
                    table.c.workspace_id == self.workspace_id,
                    table.c.url != "",
                    table.c.url.in_(part),
                )
            ).all()
        for part in _parts(names):
            found += self.lookups.execute(
                select(table).where(
                    table.c.workspace_id == self.workspace_id,
                    table.c.url == "",
                    table.c.publisher.in_(part),
                )
            ).all()
        cited = {row.cites_id for row in found if row.cites_id and row.cites_id not in self.source_names}
        for row in found:
            spec = SourceSpec(
                title=row.title, publisher=row.publisher, url=row.url,
                published=PartialDate.parse_stored(row.published_on, row.published_precision), notes=row.notes,
            )  # fmt: skip
            self.source_ids.setdefault(spec.identity, row.id)
            self.source_details[row.id] = spec
        if cited or found:
            self._load_chain_names([row.id for row in found])

    def _load_chain_names(self, ids: list[int]) -> None:
        """Titles and publishers along each source's citation chain, as its search words."""
        table = _SOURCES
        rows: dict[int, Any] = {}
        frontier = set(ids)
        while frontier:
            fetched = [
                row
                for part in _parts(sorted(frontier))
                for row in self.lookups.execute(
                    select(table.c.id, table.c.title, table.c.publisher, table.c.cites_id).where(
                        table.c.id.in_(part)
                    )
                )
            ]
            rows |= {r.id: r for r in fetched}
            frontier = {r.cites_id for r in fetched if r.cites_id and r.cites_id not in rows}
        for source_id in ids:
            names: list[str] = []
            node = rows.get(source_id)
            seen: set[int] = set()
            while node is not None and node.id not in seen:
                seen.add(node.id)
                names += [node.title, node.publisher]
                node = rows.get(node.cites_id) if node.cites_id else None
            self.source_names[source_id] = names

    def _create_sources(self, specs: list[SourceSpec]) -> None:
        """New sources, cited ones first (`pending` lists each chain from its primary end)."""
        while specs:
            # A source citing one that is new in this same batch waits for the next round.
            ready: list[SourceSpec] = []
            waiting: list[SourceSpec] = []
            for spec in specs:
                cited_known = spec.cites is None or spec.cites.identity in self.source_ids
                (ready if cited_known else waiting).append(spec)
            specs = waiting
            if not ready:
                raise ValueError("a source cites itself")
            rows = []
            for spec in ready:
                day = spec.published
                cites_id = self.source_ids[spec.cites.identity] if spec.cites is not None else None
                rows.append(
                    (self.workspace_id, spec.title, spec.publisher, spec.url, day.day if day else None,
                     day.precision.value if day else None, spec.notes, cites_id)
                )  # fmt: skip
            ids = self.bulk.insert_new(_SOURCES, SOURCE_COLUMNS, rows, self.lookups)
            self.created_sources.update(ids)
            for spec, new_id, row in zip(ready, ids, rows, strict=True):
                cites_id = row[-1]
                self.source_ids[spec.identity] = new_id
                self.source_details[new_id] = spec
                self.source_names[new_id] = [spec.title, spec.publisher] + (
                    self.source_names.get(cites_id, []) if cites_id else []
                )

    def _compare(self, row: int | None, column: str, stored: SourceSpec, new: SourceSpec) -> None:
        """A link already stored with other details: a conflict (a detail the row leaves out is no conflict).
        A sheet names each source on many rows: a pair found to agree is not compared again."""
        agreed = (column, stored, new)
        if agreed in self.agreed:
            return
        before = len(self.conflicts)
        self._compare_details(row, column, stored, new)
        if len(self.conflicts) == before:
            self.agreed.add(agreed)

    def _compare_details(self, row: int | None, column: str, stored: SourceSpec, new: SourceSpec) -> None:
        prefix = "primary_source" if column == "producer" else "source"
        checks = [
            (f"{prefix}_title" if column != "producer" else "producer", stored.title, new.title),
            ("producer" if column == "producer" else f"{prefix}_publisher", stored.publisher, new.publisher),
            (f"{prefix}_date", _iso(stored.published), _iso(new.published)),
        ]
        if column == "producer":  # a producer is named by its publisher alone
            checks = [("producer", stored.publisher or stored.title, new.publisher)]
        for name, before, after in checks:
            if after and after != before and self.on_conflict == "report":
                self.conflicts.append(Conflict(row, name, before, after))

    def resolve_entities(self, names: set[str]) -> None:
        """Each name's entity: the one whose own name it is. A name that is only another entity's alias
        ("Meta" for "Meta Platforms") gets an entity of its own, owned by that one, so a row keeps the
        subject it names and searches for the other still find it; a name nobody knows, a new entity."""
        wanted = {self.key(n): n for n in names if self.key(n) not in self.entity_ids}
        wanted.pop("", None)
        if not wanted:
            return
        keys = sorted(wanted)
        found: dict[str, int] = {}
        owners: dict[str, int] = {}  # an alias's first holder: an entity without an owner, the oldest first
        for part in _parts(keys):
            rows = self.connection.execute(
                select(EntityAlias.alias, EntityAlias.entity_id, Entity.name)
                .join(Entity, Entity.id == EntityAlias.entity_id)
                .where(
                    EntityAlias.workspace_id == self.workspace_id,
                    EntityAlias.alias.in_(part),
                )
                .order_by(Entity.owner_id.is_not(None), Entity.id)
            ).all()
            for alias, entity_id, name in rows:
                owners.setdefault(alias, entity_id)
                if alias not in found and self.key(name) == alias:
                    found[alias] = entity_id
        missing = [k for k in keys if k not in found]
        if missing:
            created = self.connection.execute(
                insert(_ENTITIES).returning(_ENTITIES.c.id, sort_by_parameter_order=True),
                [
                    {
                        "workspace_id": self.workspace_id,
                        "name": wanted[k],
                        "kind": "organisation",
                        "owner_id": owners.get(k),
                    }
                    for k in missing
                ],
            ).all()
            self.connection.execute(
                insert(_ALIASES),
                [
                    {"entity_id": row.id, "workspace_id": self.workspace_id, "alias": k}
                    for k, row in zip(missing, created, strict=True)
                ],
            )
            found |= {k: row.id for k, row in zip(missing, created, strict=True)}
        self.entity_ids |= found
        self._load_entity_names(set(found.values()) - set(self.entity_chains))

    def _load_entity_names(self, ids: set[int]) -> None:
        """Each entity's name, and the names and aliases along its owners, as its search words."""
        if not ids:
            return
        entities: dict[int, Any] = {}
        aliases: dict[int, list[str]] = {}
        frontier = set(ids)
        while frontier:
            rows = self.connection.execute(
                select(Entity.id, Entity.name, Entity.owner_id).where(Entity.id.in_(frontier))
            ).all()
            entities |= {r.id: r for r in rows}
            for entity_id, alias in self.connection.execute(
                select(EntityAlias.entity_id, EntityAlias.alias)
                .where(EntityAlias.entity_id.in_(frontier))
                .order_by(EntityAlias.id)
            ):
                aliases.setdefault(entity_id, []).append(alias)
            frontier = {r.owner_id for r in rows if r.owner_id and r.owner_id not in entities}
        for entity_id in ids:
            chain: search.EntityChain = []
            node = entities.get(entity_id)
            while node is not None and len(chain) < 16:
                chain.append((node.name, aliases.get(node.id, [])))
                node = entities.get(node.owner_id) if node.owner_id else None
            self.entity_chains[entity_id] = chain

    def key(self, name: str) -> str:
        found = self.keys.get(name)
        if found is None:
            found = self.keys[name] = search.phrase_key(name)
        return found

    def resolve_topics(self, names: set[str]) -> None:
        wanted = sorted({" ".join(n.split()) for n in names} - set(self.topic_ids) - {""})
        if not wanted:
            return
        table = _TOPICS
        for part in _parts(wanted):
            rows = self.connection.execute(
                select(table.c.name, table.c.id).where(
                    table.c.workspace_id == self.workspace_id,
                    table.c.name.in_(part),
                )
            )
            self.topic_ids |= {name: topic_id for name, topic_id in rows}
        missing = [name for name in wanted if name not in self.topic_ids]
        if missing:
            created = self.connection.execute(
                insert(table).returning(table.c.name, table.c.id, sort_by_parameter_order=True),
                [{"workspace_id": self.workspace_id, "name": name} for name in missing],
            )
            self.topic_ids |= {name: topic_id for name, topic_id in created}

    # -- writing a batch --

    def write(self, chunk: list[New]) -> list[Written]:
        wanted: list[tuple[int | None, str, SourceSpec]] = []
        for item in chunk:
            wanted.append((item.row, "source", item.source))
            if item.via is not None:
                wanted.append((item.row, "via", item.via))
            if isinstance(item, NewFigure) and item.producer is not None:
                wanted.append((item.row, "producer", item.producer))
        self.resolve_sources(wanted)
        self.resolve_entities({name for item in chunk for name in item.entities})
        self.resolve_topics({name for item in chunk for name in item.topics})
        figures = [(i, item) for i, item in enumerate(chunk) if isinstance(item, NewFigure)]
        quotes = [(i, item) for i, item in enumerate(chunk) if isinstance(item, NewQuote)]
        results: list[Written | None] = [None] * len(chunk)
        for index, written in self._figures(figures) + self._quotes(quotes):
            results[index] = written
        return [r for r in results if r is not None]

    def _entity_list(self, names: tuple[str, ...]) -> list[int]:
        found = self.lists.get(("entities", names))
        if found is None:  # the same few lists of names repeat row after row
            ids = [self.entity_ids[self.key(n)] for n in names if self.key(n)]
            found = self.lists[("entities", names)] = list(dict.fromkeys(ids))
        return found

    def _topic_list(self, names: tuple[str, ...]) -> list[int]:
        found = self.lists.get(("topics", names))
        if found is None:
            ids = [self.topic_ids[" ".join(n.split())] for n in names if n.split()]
            found = self.lists[("topics", names)] = list(dict.fromkeys(ids))
        return found

    def _figures(self, figures: list[tuple[int, NewFigure]]) -> list[tuple[int, Written]]:
        if not figures:
            return []
        source_of = {i: self.source_ids[f.source.identity] for i, f in figures}
        stored = self._stored_figure_keys(set(source_of.values()))
        out: list[tuple[int, Written]] = []
        new: list[tuple[NewFigure, dict[str, Any]]] = []
        repeats: list[tuple[int, int]] = []  # (index in chunk, index in new): the same figure twice
        first: dict[tuple[Any, ...], int] = {}
        rows = [
            figure_row(f, self.workspace_id, source_of[i], self.status, self.actor, self.now)
            for i, f in figures
        ]
        keys = figure_keys(
            [f.measure for _, f in figures], [r["unit"] for r in rows], [r["period_start"] for r in rows],
            [r["period_end"] for r in rows], [f.geography for _, f in figures], [r["source_id"] for r in rows],
        )  # fmt: skip
        for (i, figure), row, figure_key_ in zip(figures, rows, keys, strict=True):
            if figure.producer is not None:
                producer_id = self.source_ids[figure.producer.identity]
                row["producer_id"] = producer_id if producer_id != source_of[i] else None
            if figure.via is not None:
                row["via_source_id"] = self.source_ids[figure.via.identity]
            # An extracted candidate without a measure cannot be matched, so is always new.
            key = figure_key_ if figure.measure else None
            if key is not None and key in stored:
                out.append((i, Written("figure", stored[key], False)))
            elif key is not None and key in first:
                repeats.append((i, first[key]))
            else:
                if key is not None:
                    first[key] = len(new)
                new.append((figure, row))
                out.append((i, Written("figure", len(new) - 1, True)))
        ids = self._insert(Statistic, [row for _, row in new])
        for (_, row), new_id in zip(new, ids, strict=True):
            row["id"] = new_id
        out = [(i, Written("figure", ids[w.id], True)) if w.created else (i, w) for i, w in out]
        out += [(i, Written("figure", ids[n], False)) for i, n in repeats]
        self._links_documents_audit("figure", new)
        return out

    def _stored_figure_keys(self, source_ids: set[int]) -> dict[tuple[Any, ...], int]:
        """The figures stored under these sources, by key. A source this add created holds only the figures
        it wrote under it (none, until it has); the others' figures stored before the add are looked up apart
        (`look_apart`), and only those the add has written under are asked of its own connection."""
        own = source_ids & self.figure_sources
        others = source_ids - self.figure_sources - self.created_sources
        self.figure_sources |= source_ids
        return self._figure_keys(self.connection, own) | self._figure_keys(self.lookups, others)

    def _figure_keys(self, connection: Connection, source_ids: set[int]) -> dict[tuple[Any, ...], int]:
        table = _STATISTICS
        keys: dict[tuple[Any, ...], int] = {}
        for part in _parts(sorted(source_ids)):  # a key names its source: no key spans two parts
            rows = connection.execute(
                select(table.c.id, table.c.measure, table.c.unit, table.c.period_start, table.c.period_end,
                       table.c.geography, table.c.source_id)
                # The sources are this workspace's, so are their figures: source_id alone keeps the planner
                # (SQLite's, without statistics) on its index rather than scanning the workspace's figures.
                .where(table.c.source_id.in_(part))
                .order_by(table.c.id)
            )  # fmt: skip
            found = rows.all()
            if not found:
                continue
            columns: list[Any] = list(zip(*[row[1:] for row in found], strict=True))
            for key, row in zip(figure_keys(*columns), found, strict=True):
                keys.setdefault(key, row.id)
        return keys

    def _quotes(self, quotes: list[tuple[int, NewQuote]]) -> list[tuple[int, Written]]:
        if not quotes:
            return []
        table = _QUOTES
        # By speaker (indexed), then the words: a quote's text may be too long for an index.
        speakers = sorted({q.speaker for _, q in quotes})
        texts = {q.text for _, q in quotes}
        stored: dict[tuple[str, str], int] = {}
        for part in _parts(speakers):  # a key names its speaker: no key spans two parts
            for found in self.connection.execute(
                select(table.c.id, table.c.text, table.c.speaker)
                .where(table.c.workspace_id == self.workspace_id, table.c.speaker.in_(part))
                .order_by(table.c.id)
            ):
                if found.text in texts:
                    stored.setdefault((found.text, found.speaker), found.id)
        out: list[tuple[int, Written]] = []
        new: list[tuple[int, NewQuote, dict[str, Any]]] = []
        repeats: list[tuple[int, tuple[str, str]]] = []
        pending: set[tuple[str, str]] = set()
        for i, quote in quotes:
            key = (quote.text, quote.speaker)
            if key in stored:
                out.append((i, Written("quote", stored[key], False)))
                continue
            if key in pending:
                repeats.append((i, key))
                continue
            pending.add(key)
            row = quote_row(
                quote,
                self.workspace_id,
                self.source_ids[quote.source.identity],
                self.status,
                self.actor,
                self.now,
            )
            if quote.via is not None:
                row["via_source_id"] = self.source_ids[quote.via.identity]
            new.append((i, quote, row))
        ids = self._insert(Quote, [row for _, _, row in new])
        by_key = {}
        for (i, quote, row), new_id in zip(new, ids, strict=True):
            row["id"] = new_id
            by_key[(quote.text, quote.speaker)] = new_id
            out.append((i, Written("quote", new_id, True)))
        out += [(i, Written("quote", by_key[key], False)) for i, key in repeats]
        self._links_documents_audit("quote", [(q, r) for _, q, r in new])
        return out

    def _insert(self, model: type[Statistic] | type[Quote], rows: list[dict[str, Any]]) -> list[int]:
        table, columns = (_STATISTICS, FIGURE_COLUMNS) if model is Statistic else (_QUOTES, QUOTE_COLUMNS)
        values = itemgetter(*columns)
        return self.bulk.insert_new(table, columns, [values(row) for row in rows], self.lookups)

    def _links_documents_audit(self, kind: Kind, written: Sequence[tuple[New, dict[str, Any]]]) -> None:
        if not written:
            return
        entity_table, topic_table, key = (
            (statistic_entities, statistic_topics, "statistic_id")
            if kind == "figure"
            else (quote_entities, quote_topics, "quote_id")
        )
        entity_links: list[tuple[Any, ...]] = []
        topic_links: list[tuple[Any, ...]] = []
        documents: list[tuple[Any, ...]] = []
        topic_lists: list[list[str]] = []
        entity_lists: list[list[str]] = []
        for item, row in written:
            entity_ids, entity_search, entity_display = self._entity_words(item.entities)
            topic_ids, topic_names = self._topic_words(item.topics)
            # (item, entity, position) made in C: a comprehension per row was a function call per row.
            entity_links += zip(repeat(row["id"]), entity_ids, range(len(entity_ids)))
            topic_links += zip(repeat(row["id"]), topic_ids, range(len(topic_ids)))
            sources = self.source_names.get(row["source_id"], [])
            if kind == "quote":  # only the outlet that reported the words, not what it cites
                sources = sources[:2]
            if row.get("producer_id"):
                sources = sources + self.source_names.get(row["producer_id"], [])
            via = self.source_details.get(row["via_source_id"]) if row.get("via_source_id") else None
            body = search.body(kind, row, topic_names, entity_search, sources, via.publisher if via else "")
            documents.append((self.workspace_id, kind, row["id"], body))
            topic_lists.append(topic_names)
            entity_lists.append(entity_display)
        # Each entry's values as JSON text, written a column at a time (audit.values_json).
        afters = audit.values_json(kind, [row for _, row in written], topic_lists, entity_lists)
        entries = [
            (self.workspace_id, kind, row["id"], "create", self.actor, self.now, None, after)
            for (_, row), after in zip(written, afters, strict=True)
        ]
        self.bulk.insert(entity_table, (key, "entity_id", "position"), entity_links)
        self.bulk.insert(topic_table, (key, "topic_id", "position"), topic_links)
        self.bulk.insert(_DOCUMENTS, DOCUMENT_COLUMNS, documents)
        self.bulk.insert(_AUDIT, AUDIT_COLUMNS, entries)

    def _entity_words(self, names: tuple[str, ...]) -> tuple[list[int], list[str], list[str]]:
        """A row's entities: their ids, their search words and their names (for the audit entry), worked out
        once per list of names (the same few lists repeat row after row; nothing here changes during an add)."""
        found = self.entity_words.get(names)
        if found is None:
            ids = self._entity_list(names)
            found = (
                ids,
                search.entity_words([self.entity_chains[e] for e in ids]),
                [self.entity_chains[e][0][0] for e in ids],
            )
            self.entity_words[names] = found
        return found

    def _topic_words(self, names: tuple[str, ...]) -> tuple[list[int], list[str]]:
        """A row's topics: their ids and their names, once per list of names."""
        found = self.topic_words.get(names)
        if found is None:
            ids = self._topic_list(names)
            found = self.topic_words[names] = (ids, [self._topic_name(t) for t in ids])
        return found

    def _topic_name(self, topic_id: int) -> str:
        if topic_id not in self.topic_names:
            self.topic_names = {v: k for k, v in self.topic_ids.items()}
        return self.topic_names[topic_id]


def _days(figure: NewFigure) -> tuple[date | None, date | None]:
    return (
        figure.period_start.day if figure.period_start else None,
        figure.period_end.day if figure.period_end else None,
    )


def _iso(day: PartialDate | None) -> str:
    return day.iso() if day else ""


# ----- the rows themselves (the period-precision rule lives here, once) ------------------------------


def period_precision(start: PartialDate | None, end: PartialDate | None) -> str | None:
    """A figure's period is stored at the precision of its end (or its start, when open-ended)."""
    known = end or start
    return known.precision.value if known else None


def figure_row(
    figure: NewFigure, workspace_id: int, source_id: int, status: Status, actor: str, now: datetime
) -> dict[str, Any]:
    state = figure.status or status
    start, end = _days(figure)
    published_at = (
        figure.published_at if figure.status is not None else (now if state is Status.PUBLISHED else None)
    )
    return {
        "workspace_id": workspace_id, "value": figure.value, "unit": figure.unit,
        "value_text": figure.value_text, "measure": figure.measure, "period_start": start, "period_end": end,
        "period_precision": period_precision(figure.period_start, figure.period_end),
        "geography": figure.geography, "evidence": figure.evidence, "notes": figure.notes,
        "base_id": figure.base_id, "source_id": source_id, "via_source_id": None, "producer_id": None,
        "status": state.value, "status_reason": "", "superseded_by_id": None,
        "created_by": actor, "created_at": now, "published_at": published_at,
        "status_changed_at": figure.status_changed_at,
        "embargo_until": figure.embargo_until, "embargo_zone": figure.embargo_zone,
    }  # fmt: skip


def quote_row(
    quote: NewQuote, workspace_id: int, source_id: int, status: Status, actor: str, now: datetime
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id, "text": quote.text, "speaker": quote.speaker,
        "speaker_role": quote.speaker_role, "speaker_org": quote.speaker_org, "context": quote.context,
        "said_on": quote.said.day if quote.said else None,
        "said_precision": quote.said.precision.value if quote.said else None,
        "source_id": source_id, "via_source_id": None, "status": status.value, "status_reason": "",
        "created_by": actor, "created_at": now, "published_at": now if status is Status.PUBLISHED else None,
        "status_changed_at": None, "embargo_until": quote.embargo_until, "embargo_zone": quote.embargo_zone,
    }  # fmt: skip


def figure_key(
    measure: str,
    unit: str,
    period_start: date | None,
    period_end: date | None,
    geography: str,
    source_id: int,
) -> tuple[Any, ...]:
    """What makes two figures the same one: measure, unit, period, place and source, ignoring case,
    punctuation and spacing in the words ("Grooming crimes" and "grooming crimes." are one figure)."""
    return (
        search.phrase_key(measure),
        unit,
        period_start,
        period_end,
        search.phrase_key(geography),
        source_id,
    )


def figure_keys(
    measures: Sequence[str],
    units: Iterable[str],
    starts: Iterable[date | None],
    ends: Iterable[date | None],
    places: Sequence[str],
    source_ids: Iterable[int],
) -> list[tuple[Any, ...]]:
    """`figure_key` of each figure, a column at a time: the words of every measure and place at once."""
    return list(
        zip(
            search.phrase_keys(measures),
            units,
            starts,
            ends,
            search.phrase_keys(places),
            source_ids,
            strict=True,
        )
    )


# ----- changing what is stored ------------------------------------------------------------------------


# Fields that go into the text the model embeds (storage.embeddings.figure_text / quote_text).
_EMBEDDED_FIELDS = frozenset(
    {
        "measure",
        "unit",
        "geography",
        "period_start",
        "period_end",
        "text",
        "speaker",
        "speaker_role",
        "speaker_org",
    }
)


def update(
    session: Session,
    item: Statistic | Quote,
    action: str,
    *,
    actor: str,
    now: datetime,
    changes: dict[str, Any] | None = None,
    replace: New | None = None,
) -> AuditEntry:
    """Apply a change to one stored item (its fields, or all its details from `replace`), re-index it and
    log it with the item before and after."""
    with _writing(session):
        before = audit.snapshot(item)
        shown_before = _shown(item)
        for name, value in (changes or {}).items():
            setattr(item, name, value)
        if replace is not None:
            _replace(session, item, replace)
        _mark_edited(item, shown_before, now)
        session.flush()
        related = ["entities", "topics", "source", "via_source"]
        session.expire(item, [*related, "producer"] if isinstance(item, Statistic) else related)
        kind: Kind = "figure" if isinstance(item, Statistic) else "quote"
        body = search.item_body(item)
        document = session.scalar(
            select(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.item_id == item.id)
        )
        if document is None:
            session.add(SearchDocument(workspace_id=item.workspace_id, kind=kind, item_id=item.id, body=body))
        elif document.body != body:
            document.body = body
        if replace is not None or set(changes or ()) & _EMBEDDED_FIELDS:
            _embed_written(session, {kind: [item.id]})
        entry = AuditEntry(
            workspace_id=item.workspace_id, item_kind=kind, item_id=item.id, action=action, actor=actor,
            at=now, before=before, after=audit.snapshot(item),
        )  # fmt: skip
        session.add(entry)
        session.flush()
    return entry


# What a person citing a figure would have copied, by the word the answers use for it.
_SHOWN_FIELDS = (
    ("value", "value"), ("unit", "value"), ("period_start", "period"), ("period_end", "period"),
    ("period_precision", "period"), ("geography", "place"),
)  # fmt: skip


def _shown(item: Statistic | Quote) -> dict[str, Any] | None:
    """A published figure's value, unit, period and place, before a change; None for anything else."""
    if not isinstance(item, Statistic) or item.published_at is None or item.status not in ANSWERABLE:
        return None
    return {name: getattr(item, name) for name, _ in _SHOWN_FIELDS}


def _mark_edited(item: Statistic | Quote, before: dict[str, Any] | None, now: datetime) -> None:
    """A published figure whose value, unit, period or place changed says so, and when (storage.edits)."""
    if before is None or not isinstance(item, Statistic):
        return
    labels = {label for name, label in _SHOWN_FIELDS if getattr(item, name) != before[name]}
    changed = [label for label in ("value", "period", "place") if label in labels]
    if changed:
        item.edited_at, item.edited_fields = now, " ".join(changed)


def set_embeddings(
    session: Session, model: type[Statistic] | type[Quote], vectors: dict[int, bytes], model_name: str
) -> None:
    """Store the vectors a model made for items (their search representation, like their search documents),
    replacing any they had. Not an edit of what the item says, so no audit entry; the library version moves
    (the vector tables' triggers), so indexes rebuild."""
    if not vectors:
        return
    table, item = vectors_of(model)
    connection = session.connection()
    connection.execute(delete(table).where(item.in_(list(vectors))))
    connection.execute(
        insert(table),
        [{item.key: item_id, "model": model_name, "vector": vector} for item_id, vector in vectors.items()],
    )


def note(
    session: Session,
    item: Statistic | Quote,
    action: str,
    *,
    actor: str,
    now: datetime,
    before: dict[str, Any],
    after: dict[str, Any],
) -> AuditEntry:
    """Log a change made beside the item, none of its fields (its series' next release): in its history."""
    with _writing(session):
        entry = AuditEntry(
            workspace_id=item.workspace_id, item_kind="figure" if isinstance(item, Statistic) else "quote",
            item_id=item.id, action=action, actor=actor, at=now, before=before, after=after,
        )  # fmt: skip
        session.add(entry)
        session.flush()
    return entry


def _replace(session: Session, item: Statistic | Quote, new: New) -> None:
    writer = _Writer(session, item.workspace_id, "", Status.PUBLISHED, utcnow(), "report")
    wanted = [(new.row, "source", new.source)]
    if isinstance(new, NewFigure) and new.producer is not None:
        wanted.append((new.row, "producer", new.producer))
    writer.resolve_sources(wanted)
    if writer.conflicts:
        raise Conflicts(writer.conflicts)
    writer.resolve_entities(set(new.entities))
    writer.resolve_topics(set(new.topics))
    source_id = writer.source_ids[new.source.identity]
    if isinstance(item, Statistic) and isinstance(new, NewFigure):
        row = figure_row(new, item.workspace_id, source_id, Status(item.status), "", utcnow())
        for name in (
            "value",
            "unit",
            "measure",
            "period_start",
            "period_end",
            "period_precision",
            "geography",
            "evidence",
            "notes",
        ):
            setattr(item, name, row[name])
        item.source_id = source_id
        producer_id = writer.source_ids[new.producer.identity] if new.producer is not None else None
        item.producer_id = producer_id if producer_id != source_id else None
        entity_table, topic_table, key = statistic_entities, statistic_topics, "statistic_id"
    elif isinstance(item, Quote) and isinstance(new, NewQuote):
        row = quote_row(new, item.workspace_id, source_id, Status(item.status), "", utcnow())
        for name in ("text", "speaker", "speaker_role", "speaker_org", "said_on", "said_precision"):
            setattr(item, name, row[name])
        item.source_id = source_id
        entity_table, topic_table, key = quote_entities, quote_topics, "quote_id"
    else:
        raise TypeError("a figure is replaced by a figure, a quote by a quote")
    session.flush()
    connection = session.connection()
    connection.execute(delete(topic_table).where(topic_table.c[key] == item.id))
    topic_ids = writer._topic_list(new.topics)
    if topic_ids:
        connection.execute(
            insert(topic_table),
            [{key: item.id, "topic_id": t, "position": n} for n, t in enumerate(topic_ids)],
        )
    if isinstance(item, Statistic):  # a quote's form has no entities: keep those it has
        connection.execute(delete(entity_table).where(entity_table.c[key] == item.id))
        entity_ids = writer._entity_list(new.entities)
        if entity_ids:
            connection.execute(
                insert(entity_table),
                [{key: item.id, "entity_id": e, "position": n} for n, e in enumerate(entity_ids)],
            )


__all__ = [
    "WRITTEN_TABLES", "Conflict", "Conflicts", "NewFigure", "NewQuote", "Outcome", "SourceSpec", "Written",
    "add", "add_one", "entity", "figure_key", "figure_keys", "guard", "period_precision", "sources", "update",
]  # fmt: skip
