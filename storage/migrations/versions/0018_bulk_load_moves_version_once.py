"""bulk load: on SQLite, the write path's bulk inserts move the library version once, not once per row

Revision ID: 0018
Revises: 0018fig
Create Date: 2026-12-01 07:45:00

Migration 0009's SQLite triggers move the counter on every row; an import of 20,000 figures writes about
140,000 rows into the tables answers read, and those counter updates were about 15% of its time. The
insert triggers now skip while a bulk load is marked: `storage.write.add` inserts the marker (row 2 of
`library_version`) in its own transaction, writes, deletes the marker and moves the counter once. The
marker never commits and SQLite has one writer at a time, so no other writer ever sees it: every other
insert, update and delete moves the counter as before. PostgreSQL's triggers already move it once per
transaction (0009) and are left alone.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0018fig"
branch_labels = None
depends_on = None

# The tables storage.write.add inserts into that 0009 put triggers on.
TABLES = (
    "sources", "entities", "entity_aliases", "topics", "statistics", "quotes", "statistic_entities",
    "statistic_topics", "quote_entities", "quote_topics", "search_documents",
)  # fmt: skip
BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"
# Row 2 of library_version exists only inside a bulk load's transaction.
UNLESS_BULK = "WHEN NOT EXISTS (SELECT 1 FROM library_version WHERE id = 2)"


def _insert_triggers(condition: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_insert_changed")
        op.execute(
            f"CREATE TRIGGER {table}_insert_changed AFTER INSERT ON {table} {condition} BEGIN {BUMP}; END"
        )


def upgrade() -> None:
    _insert_triggers(UNLESS_BULK)


def downgrade() -> None:
    _insert_triggers("")
