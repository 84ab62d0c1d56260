"""one link, one source; a producer per figure; list order kept

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 04:20:00

- Sources: one link is one source per workspace; a source without a link is its publisher, title and
  date. The old identity (publisher, title, link) let one link be several sources and let a dated
  "The Independent, 2021-03" fold into an undated "The Independent". Sources already sharing a link
  are merged into the oldest first (their figures and quotes then cite it), so the new index can hold.
- statistics.producer_id: who produced a figure, so two figures from one article keep their own
  producer (before, both took the article's `cites`).
- position on the entity and topic links: lists come back in the order typed on every database.
- Indexes for the write path's per-batch lookups: figures by source, quotes by speaker,
  sources without a link by publisher.

SQLite cannot drop a table's unique constraint in place, so `sources` is rebuilt (batch mode; the
migration environment turns foreign keys off around it) and its library-version triggers of 0009
are made again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import library_triggers

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LINKS = ("statistic_entities", "statistic_topics", "quote_entities", "quote_topics")
REFERENCES = (
    ("statistics", "source_id"), ("statistics", "via_source_id"), ("quotes", "source_id"),
    ("quotes", "via_source_id"), ("sources", "cites_id"),
)  # fmt: skip


def _merge_sources_sharing_a_link() -> None:
    """Point every reference to a later source with an earlier one's link at the earliest, then drop it."""
    earliest = (
        "(SELECT min(k.id) FROM sources k JOIN sources dup ON k.workspace_id = dup.workspace_id"
        " AND k.url = dup.url WHERE dup.id = {table}.{column})"
    )
    later = (
        "SELECT d.id FROM sources d WHERE d.url <> '' AND d.id > (SELECT min(k.id) FROM sources k"
        " WHERE k.workspace_id = d.workspace_id AND k.url = d.url)"
    )
    for table, column in REFERENCES:  # constants: no outside text reaches these statements
        target = earliest.format(table=table, column=column)
        op.execute(f"UPDATE {table} SET {column} = {target} WHERE {column} IN ({later})")  # noqa: S608
    op.execute(f"DELETE FROM sources WHERE id IN (SELECT id FROM ({later}) AS doomed)")  # noqa: S608


def _source_indexes() -> None:
    where = {
        "uq_sources_url": ("url <> ''", ["workspace_id", "url"]),
        "uq_sources_unlinked_dated": (
            "url = '' AND published_on IS NOT NULL",
            ["workspace_id", "publisher", "title", "published_on", "published_precision"],
        ),
        "uq_sources_unlinked_undated": (
            "url = '' AND published_on IS NULL",
            ["workspace_id", "publisher", "title"],
        ),
    }
    for name, (condition, columns) in where.items():
        op.create_index(
            name, "sources", columns, unique=True,
            sqlite_where=sa.text(condition), postgresql_where=sa.text(condition),
        )  # fmt: skip


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _merge_sources_sharing_a_link()
    if sqlite:
        with op.batch_alter_table("sources", recreate="always") as batch_op:
            batch_op.drop_constraint("uq_sources_identity", type_="unique")
        library_triggers.create_sqlite_triggers("sources")
        # Added in place: a column with a REFERENCES clause and no default is allowed by ALTER TABLE.
        op.execute(
            "ALTER TABLE statistics ADD COLUMN producer_id INTEGER"
            " CONSTRAINT fk_statistics_producer_id_sources REFERENCES sources (id)"
        )
    else:
        # The merge's updates queue the library version's deferred trigger events, and PostgreSQL will not
        # alter a table with events pending: fire them now.
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
        op.drop_constraint("uq_sources_identity", "sources", type_="unique")
        op.add_column("statistics", sa.Column("producer_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_statistics_producer_id_sources", "statistics", "sources", ["producer_id"], ["id"]
        )
    _source_indexes()
    # The write path looks up a batch's stored figures by source and quotes by speaker.
    op.create_index("ix_statistics_source_id", "statistics", ["source_id"])
    op.create_index("ix_sources_publisher", "sources", ["workspace_id", "publisher"])
    op.create_index("ix_quotes_speaker", "quotes", ["workspace_id", "speaker"])
    for table in LINKS:
        op.add_column(table, sa.Column("position", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_quotes_speaker", "quotes")
    op.drop_index("ix_statistics_source_id", "statistics")
    op.drop_index("ix_sources_publisher", "sources")
    for table in LINKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("position")
    for name in ("uq_sources_url", "uq_sources_unlinked_dated", "uq_sources_unlinked_undated"):
        op.drop_index(name, "sources")
    # Figures keep the sources they cite; a producer per figure has nowhere to go and is dropped.
    if sqlite:
        with op.batch_alter_table("statistics") as batch_op:
            batch_op.drop_column("producer_id")
        library_triggers.create_sqlite_triggers("statistics", if_not_exists=True)
        with op.batch_alter_table("sources", recreate="always") as batch_op:
            batch_op.create_unique_constraint(
                "uq_sources_identity", ["workspace_id", "publisher", "title", "url"]
            )
        library_triggers.create_sqlite_triggers("sources", if_not_exists=True)
    else:
        op.drop_constraint("fk_statistics_producer_id_sources", "statistics", type_="foreignkey")
        op.drop_column("statistics", "producer_id")
        op.create_unique_constraint(
            "uq_sources_identity", "sources", ["workspace_id", "publisher", "title", "url"]
        )
