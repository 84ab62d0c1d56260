"""The typed tables: workspaces, sources and their citation chain, entities, topics, figures and quotes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage import slack_tables
from storage.partial_date import PartialDate, Precision

# Stable constraint names, so Alembic migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Status(StrEnum):
    """Where a figure or quote is in its life: only published (and superseded) ones are ever answered."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    RETRACTED = "retracted"
    SUPERSEDED = "superseded"


ANSWERABLE = (Status.PUBLISHED.value, Status.SUPERSEDED.value)


class Workspace(Base):
    """A Slack workspace; every stored row belongs to exactly one."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None until the single-workspace install learns its team from Slack (auth.test).
    team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_home: Mapped[bool] = mapped_column(default=False)
    # Where submissions from non-editors are posted for review (a channel id); None falls back to settings.
    review_channel: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Source(Base):
    """A publication or data set; `cites` points one step nearer the primary source.

    One link is one source in a workspace; a source without a link is its publisher, title and date
    (migration 0011 makes the indexes that hold both rules; storage.write resolves sources by them).
    """

    __tablename__ = "sources"
    __table_args__ = (
        Index("uq_sources_url", "workspace_id", "url", unique=True, sqlite_where=text("url <> ''"),
              postgresql_where=text("url <> ''")),
        Index("uq_sources_unlinked_dated", "workspace_id", "publisher", "title", "published_on",
              "published_precision", unique=True, sqlite_where=text("url = '' AND published_on IS NOT NULL"),
              postgresql_where=text("url = '' AND published_on IS NOT NULL")),
        Index("uq_sources_unlinked_undated", "workspace_id", "publisher", "title", unique=True,
              sqlite_where=text("url = '' AND published_on IS NULL"),
              postgresql_where=text("url = '' AND published_on IS NULL")),
        Index("ix_sources_publisher", "workspace_id", "publisher"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    publisher: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    published_on: Mapped[date | None] = mapped_column(Date)
    published_precision: Mapped[str | None] = mapped_column(String(5))
    notes: Mapped[str] = mapped_column(Text, default="")
    cites_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))

    cites: Mapped[Source | None] = relationship(remote_side=[id], lazy="joined", join_depth=4)

    @property
    def published(self) -> PartialDate | None:
        return _partial(self.published_on, self.published_precision)

    def chain(self) -> list[Source]:
        """This source, then each source it cites in turn, ending at the primary source."""
        seen: list[Source] = []
        node: Source | None = self
        while node is not None and node not in seen:
            seen.append(node)
            node = node.cites
        return seen

    @property
    def label(self) -> str:
        return self.publisher or self.title or "unnamed source"


class Entity(Base):
    """An organisation or product (Meta, Instagram, NSPCC); `owner` makes families like Meta's apps."""

    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="organisation")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))

    owner: Mapped[Entity | None] = relationship(remote_side=[id])
    aliases: Mapped[list[EntityAlias]] = relationship(back_populates="entity", cascade="all, delete-orphan")


class EntityAlias(Base):
    """Another name for an entity, stored folded to lower case for matching ("meta platforms")."""

    __tablename__ = "entity_aliases"
    __table_args__ = (
        UniqueConstraint("entity_id", "alias"),
        Index("ix_entity_aliases_lookup", "workspace_id", "alias"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    alias: Mapped[str] = mapped_column(String(200))

    entity: Mapped[Entity] = relationship(back_populates="aliases")


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


statistic_entities = Table(
    "statistic_entities",
    Base.metadata,
    Column("statistic_id", ForeignKey("statistics.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The order the item's list was typed in: exports and answers give it back that way on every database.
    Column("position", Integer, nullable=False, default=0, server_default="0"),
    sqlite_with_rowid=False,  # each link stored once, in its key's B-tree (migration 0022)
)
statistic_topics = Table(
    "statistic_topics",
    Base.metadata,
    Column("statistic_id", ForeignKey("statistics.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The order the item's list was typed in: exports and answers give it back that way on every database.
    Column("position", Integer, nullable=False, default=0, server_default="0"),
    sqlite_with_rowid=False,  # each link stored once, in its key's B-tree (migration 0022)
)
quote_entities = Table(
    "quote_entities",
    Base.metadata,
    Column("quote_id", ForeignKey("quotes.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The order the item's list was typed in: exports and answers give it back that way on every database.
    Column("position", Integer, nullable=False, default=0, server_default="0"),
    sqlite_with_rowid=False,  # each link stored once, in its key's B-tree (migration 0022)
)
quote_topics = Table(
    "quote_topics",
    Base.metadata,
    Column("quote_id", ForeignKey("quotes.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
    # The order the item's list was typed in: exports and answers give it back that way on every database.
    Column("position", Integer, nullable=False, default=0, server_default="0"),
    sqlite_with_rowid=False,  # each link stored once, in its key's B-tree (migration 0022)
)


# Each figure's and quote's sentence vector (little-endian float16 bytes) and the model that made it, for
# questions in plain words (storage/embeddings.py, storage/vectors.py): written by storage.write.set_embeddings,
# filled in by `statbot migrate`. In tables of their own since migration 0020vec: inline in `statistics`, 770
# bytes a row tripled the heap every ranking query reads, and answers never read them (bench/RESULTS.md).
statistic_vectors = Table(
    "statistic_vectors",
    Base.metadata,
    Column("statistic_id", ForeignKey("statistics.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(60), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)
quote_vectors = Table(
    "quote_vectors",
    Base.metadata,
    Column("quote_id", ForeignKey("quotes.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(60), nullable=False),
    Column("vector", LargeBinary, nullable=False),
)


class Statistic(Base):
    """One citable figure: a value, what was counted, when and where, and who produced and reported it."""

    __tablename__ = "statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    unit: Mapped[str] = mapped_column(String(10))
    value_text: Mapped[str] = mapped_column(String(100), default="")  # as the source wrote it
    measure: Mapped[str] = mapped_column(String(500))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    period_precision: Mapped[str | None] = mapped_column(String(5))
    geography: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The figure this one is a share of ("52% of the 9,477 offences").
    base_id: Mapped[int | None] = mapped_column(ForeignKey("statistics.id"))
    # Who reported it; its `cites` chain leads to who produced it unless `producer_id` says.
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    # Who produced the figure, when not the reporter: two figures from one article keep their own.
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    # Where we read the report, when that is not the reporter itself (a blog quoting The Independent).
    via_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    status: Mapped[str] = mapped_column(String(12), default=Status.PUBLISHED.value)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("statistics.id"))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # When `status` last changed after publication (retracted, superseded): digests list these as corrections.
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # An embargo: until this instant (UTC) only editors and whoever added the item see it; the zone it was
    # given in is kept for display. Lifting early sets it to the moment of lifting, so the next digest has it.
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    embargo_zone: Mapped[str] = mapped_column(String(64), default="")
    # When its value, unit, period or place last changed after publication, and which of those ("period
    # value"): answers say "changed on" for 30 days and digests list it under Corrections (storage.edits).
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    edited_fields: Mapped[str] = mapped_column(String(40), default="", server_default="")

    source: Mapped[Source] = relationship(foreign_keys=[source_id], lazy="joined")
    via_source: Mapped[Source | None] = relationship(foreign_keys=[via_source_id], lazy="joined")
    producer: Mapped[Source | None] = relationship(foreign_keys=[producer_id], lazy="joined")
    base: Mapped[Statistic | None] = relationship(foreign_keys=[base_id], remote_side=[id])
    superseded_by: Mapped[Statistic | None] = relationship(foreign_keys=[superseded_by_id], remote_side=[id])
    entities: Mapped[list[Entity]] = relationship(
        secondary=statistic_entities, lazy="selectin", order_by=statistic_entities.c.position
    )
    topics: Mapped[list[Topic]] = relationship(
        secondary=statistic_topics, lazy="selectin", order_by=statistic_topics.c.position
    )

    @property
    def period(self) -> tuple[PartialDate | None, PartialDate | None]:
        return _partial(self.period_start, self.period_precision), _partial(
            self.period_end, self.period_precision
        )


class Quote(Base):
    """Words someone said, exactly, with who said them, in what role, and who reported them."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str] = mapped_column(String(200))
    speaker_role: Mapped[str] = mapped_column(String(300), default="")
    speaker_org: Mapped[str] = mapped_column(String(200), default="")
    # How it was said, in the reporter's words ("told The Independent", "warned ... according to ITV News").
    context: Mapped[str] = mapped_column(Text, default="")
    said_on: Mapped[date | None] = mapped_column(Date)
    said_precision: Mapped[str | None] = mapped_column(String(5))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    via_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    status: Mapped[str] = mapped_column(String(12), default=Status.PUBLISHED.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # When `status` last changed after publication (retracted, superseded): digests list these as corrections.
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # An embargo: until this instant (UTC) only editors and whoever added the item see it; the zone it was
    # given in is kept for display. Lifting early sets it to the moment of lifting, so the next digest has it.
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    embargo_zone: Mapped[str] = mapped_column(String(64), default="")

    source: Mapped[Source] = relationship(foreign_keys=[source_id], lazy="joined")
    via_source: Mapped[Source | None] = relationship(foreign_keys=[via_source_id], lazy="joined")
    entities: Mapped[list[Entity]] = relationship(
        secondary=quote_entities, lazy="selectin", order_by=quote_entities.c.position
    )
    topics: Mapped[list[Topic]] = relationship(
        secondary=quote_topics, lazy="selectin", order_by=quote_topics.c.position
    )

    @property
    def said(self) -> PartialDate | None:
        return _partial(self.said_on, self.said_precision)


def vectors_of(model: type[Statistic] | type[Quote]) -> tuple[Table, Column[int]]:
    """The table holding the vectors of figures or quotes, and its column naming the item."""
    if model is Statistic:
        return statistic_vectors, statistic_vectors.c.statistic_id
    return quote_vectors, quote_vectors.c.quote_id


# Answers list the newest first (storage.queries): these indexes hold each workspace's items of one status
# in exactly that order, so a question about a large family reads the first few rows instead of sorting
# them all. PostgreSQL needs NULLS LAST spelt out; SQLite sorts NULLs last on DESC by itself and refuses
# the words in an index, so migration 0007 leaves them out there (create the schema by migrating).
Index(
    "ix_statistics_newest",
    Statistic.workspace_id,
    Statistic.status,
    Statistic.period_end.desc().nulls_last(),
    Statistic.published_at.desc().nulls_last(),
    Statistic.id.desc(),
)
# A digest looks up the earlier points of each new figure's series (same measure, place and unit).
Index("ix_statistics_measure", Statistic.workspace_id, Statistic.measure)
# Series, freshness and conflicts compare measures case-folded: every answer looks up its figures' series so.
Index("ix_statistics_measure_folded", Statistic.workspace_id, func.lower(Statistic.measure))
# Conflicts look up the same value reported by other sources (storage.conflicts).
Index("ix_statistics_value", Statistic.workspace_id, Statistic.value)
# The write path finds a batch's figures already stored by their sources, and quotes by their speakers.
Index("ix_statistics_source_id", Statistic.source_id)
Index("ix_quotes_speaker", Quote.workspace_id, Quote.speaker)
# Every answer reads when the workspace's next embargo lifts (storage.embargo), beside the library version.
Index("ix_statistics_embargo_until", Statistic.workspace_id, Statistic.embargo_until)
Index("ix_quotes_embargo_until", Quote.workspace_id, Quote.embargo_until)
Index(
    "ix_quotes_newest",
    Quote.workspace_id,
    Quote.status,
    Quote.said_on.desc().nulls_last(),
    Quote.published_at.desc().nulls_last(),
    Quote.id.desc(),
)
# The same order over only the answerable items (migration 0021): a question of common words walks it newest
# first and stops once it has what the answer shows (storage.queries._newest_first).
Index(
    "ix_statistics_answerable_newest",
    Statistic.workspace_id,
    Statistic.period_end.desc().nulls_last(),
    Statistic.published_at.desc().nulls_last(),
    Statistic.id.desc(),
    postgresql_where=Statistic.status.in_(ANSWERABLE),
    sqlite_where=Statistic.status.in_(ANSWERABLE),
)
Index(
    "ix_quotes_answerable_newest",
    Quote.workspace_id,
    Quote.said_on.desc().nulls_last(),
    Quote.published_at.desc().nulls_last(),
    Quote.id.desc(),
    postgresql_where=Quote.status.in_(ANSWERABLE),
    sqlite_where=Quote.status.in_(ANSWERABLE),
)


class SearchDocument(Base):
    """The text a figure or quote is found by; the database's own full-text index sits on `body`.

    SQLite keeps an FTS5 table in step with this one by triggers; PostgreSQL a generated
    `tsvector` column with a GIN index. Both are created by the migrations, not by this model.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "item_id", name="uq_search_documents_item"),
        Index("ix_search_documents_scope", "workspace_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    kind: Mapped[str] = mapped_column(String(10))  # "figure" or "quote"
    item_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)


def _partial(day: date | None, precision: str | None) -> PartialDate | None:
    if day is None:
        return None
    return PartialDate(day, Precision(precision or Precision.DAY.value))


class SeriesRelease(Base):
    """When a series (same measure, place and unit) is next expected to be released: a date, never recomputed.

    `after_period_end` is the end of the series' latest period when the date was set: a figure with a later
    period means the release came, and the date no longer warns."""

    __tablename__ = "series_releases"
    __table_args__ = (UniqueConstraint("workspace_id", "series_key", name="uq_series_releases_series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    series_key: Mapped[str] = mapped_column(String(800))
    expected_on: Mapped[date] = mapped_column(Date)
    expected_precision: Mapped[str] = mapped_column(String(5))
    after_period_end: Mapped[date | None] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(32), default="")
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def expected(self) -> PartialDate:
        return PartialDate(self.expected_on, Precision(self.expected_precision))


class HouseFigure(Base):
    """The figure an editor chose among disagreeing ones (`members`, as they stood), and why."""

    __tablename__ = "house_figures"
    __table_args__ = (Index("ix_house_figures_workspace", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    statistic_id: Mapped[int] = mapped_column(ForeignKey("statistics.id", ondelete="CASCADE"))
    # The ids of the figures it was chosen over, as "12 40 41" (plain text compares equal on every database).
    member_ids: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    chosen_by: Mapped[str] = mapped_column(String(32), default="")
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def members(self) -> list[int]:
        return [int(i) for i in self.member_ids.split()]

    @members.setter
    def members(self, ids: list[int]) -> None:
        self.member_ids = " ".join(str(i) for i in sorted(set(ids)))


class WeeklyNote(Base):
    """A weekly note to a workspace's editors, claimed before it is sent so two clocks send it once; a claim
    never finished (its process died) is taken over after a lease, and `sent_to` says who already has it."""

    __tablename__ = "weekly_notes"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "week_of", name="uq_weekly_notes_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    kind: Mapped[str] = mapped_column(String(20))
    week_of: Mapped[date] = mapped_column(Date)  # the Monday (UTC) of the week
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_to: Mapped[str] = mapped_column(Text, default="")  # editors' user ids, space-separated


class LinkCheck(Base):
    """The last weekly check of a source's link: whether it is gone or no longer holds its figures' evidence
    sentences, and the problem editors were last told about (so one problem is flagged once)."""

    __tablename__ = "link_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), unique=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))  # ok, gone, evidence missing, unreachable
    http_status: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text, default="")  # what the note says; "" when all is well
    notified: Mapped[str] = mapped_column(Text, default="")  # the problem editors were last told about


class Share(Base):
    """One place a figure or quote was shared or copied: the channel, the bot's message there if it posted
    one (`message_ts`), who and when. A retraction tells `shared_by` and notes it on that message."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_item", "workspace_id", "item_kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    item_kind: Mapped[str] = mapped_column(String(10))  # "figure" or "quote"
    item_id: Mapped[int] = mapped_column(Integer)
    how: Mapped[str] = mapped_column(String(12))  # "answer" (Share in channel), "item" (Share this one), "citation"
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # The question of a shared answer, so its message can be shown again with a note.
    command: Mapped[str] = mapped_column(String(10), default="")
    asked: Mapped[str] = mapped_column(Text, default="")
    shared_by: Mapped[str] = mapped_column(String(32))
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the retraction or supersession was told, and what came of it ("sent", or Slack's error).
    noticed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice: Mapped[str] = mapped_column(String(60), default="")


class Editor(Base):
    """A person who may publish, approve, correct and retract in a workspace."""

    __tablename__ = "editors"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(32), default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """One change to a figure or quote: who did what, when, and the item before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_item", "workspace_id", "item_kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    item_kind: Mapped[str] = mapped_column(String(10))  # "figure" or "quote"
    item_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(32), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DeliveryState(StrEnum):
    CLAIMED = "claimed"  # a process has taken this run and may be posting it now
    POSTED = "posted"
    EMPTY = "empty"  # nothing new: nothing posted, the marker moved on
    SKIPPED = "skipped"  # missed by more than the grace period; the next digest covers its items
    FAILED = "failed"  # Slack refused for good (not_in_channel, ...); the subscription was paused


class ChartState(StrEnum):
    """A posted digest's charts (and, as csv_state, its CSV), uploaded into its thread after the post is
    recorded."""

    NONE = "none"  # no series to chart
    PENDING = "pending"  # charts still to upload (charts_uploaded of them are done)
    DONE = "done"
    FAILED = "failed"  # Slack refused them for good (the channel is gone, or statbot left it)


class Subscription(Base):
    """A channel's digest of newly published figures on a topic, on a schedule in local time."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_channel", "workspace_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(200), default="")
    frequency: Mapped[str] = mapped_column(String(10))
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[time] = mapped_column(Time)
    tz: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paused: Mapped[bool] = mapped_column(default=False)
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    # "all", "figure" (figures only) or "quote" (quotes only); and whether a CSV of the figures comes too.
    content: Mapped[str] = mapped_column(String(10), default="all", server_default="all")
    attach_csv: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Items published after this instant and up to a run's time are new for the next digest (UTC).
    last_delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    deliveries: Mapped[list[DigestDelivery]] = relationship(
        back_populates="subscription", cascade="all, delete-orphan", passive_deletes=True
    )


class DigestDelivery(Base):
    """One run of a subscription; the unique (subscription, run_at) row is what makes a run happen once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "run_at", name="uq_digest_deliveries_run"),
        Index("ix_digest_deliveries_chart_state", "chart_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), default=DeliveryState.CLAIMED.value)
    # The items covered: published after window_start, up to and including window_end.
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")
    # Charts are recorded as pending with the post, so a run that dies before uploading them is finished later.
    chart_state: Mapped[str] = mapped_column(String(10), default=ChartState.NONE.value, server_default="none")
    charts_uploaded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The CSV of its figures (a subscription's attach_csv), uploaded first, in the same ChartState terms.
    csv_state: Mapped[str] = mapped_column(String(10), default=ChartState.NONE.value, server_default="none")
    # Who is uploading its files (CSV and charts): a lease, like the delivery's own claim, so two processes
    # never upload twice.
    charts_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    subscription: Mapped[Subscription] = relationship(back_populates="deliveries")


class Feed(Base):
    """An RSS or Atom feed a workspace follows; its new entries are read like articles sent by hand."""

    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("workspace_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500), default="")
    added_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # HTTP validators from the last poll, sent back so an unchanged feed costs one 304.
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    seen: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")


class SlackEventReceipt(Base):
    """An Events API event already taken on, by Slack's `event_id`: Slack's retries of it are acked and skipped."""

    __tablename__ = "slack_event_receipts"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class CitationStyle(Base):
    """A workspace's own template for one citation form ("short" or "long"); none stored means the default."""

    __tablename__ = "citation_styles"
    __table_args__ = (UniqueConstraint("workspace_id", "form", name="uq_citation_styles_workspace_form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    form: Mapped[str] = mapped_column(String(10))
    template: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(32), default="")
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewMessage(Base):
    """Where a pending item's review card was posted, so a decision taken anywhere (the card's own buttons,
    the App Home tab, an edit) updates that card; one per item, the latest posted."""

    __tablename__ = "review_messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "item_kind", "item_id", name="uq_review_messages_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    item_kind: Mapped[str] = mapped_column(String(10))  # "figure" or "quote"
    item_id: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LibraryVersion(Base):
    """One counter that database triggers (migration 0009) move whenever anything an answer shows changes."""

    __tablename__ = "library_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


# slack-sdk's installation and OAuth state tables live in the same database, made by the same migrations.
slack_tables.define(Base.metadata)
