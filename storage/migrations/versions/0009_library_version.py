"""library version: one counter that every change to what an answer shows moves on

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 15:40:00

Web workers keep answers they have given and reuse one only while this counter is where it was when
the answer was built. Triggers move it, so no write path (the app, an import, a bulk load, psql) can
leave a worker showing a retracted figure. On PostgreSQL the trigger is deferred to the end of the
transaction and moves the counter once per transaction: the counter's row is locked only while the
writer commits, not for all of a long import. SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import library_triggers

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Every table an answer (`/stats`, `/quote`, their corrections and suggestions) reads from.
TABLES = (
    "sources",
    "entities",
    "entity_aliases",
    "topics",
    "statistics",
    "quotes",
    "statistic_entities",
    "statistic_topics",
    "quote_entities",
    "quote_topics",
    "search_documents",
)


def upgrade() -> None:
    op.create_table(
        "library_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_version")),
    )
    op.execute("INSERT INTO library_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(library_triggers.POSTGRES_FUNCTION)
    library_triggers.create_triggers(TABLES)


def downgrade() -> None:
    library_triggers.drop_triggers(TABLES)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bump_library_version()")
    op.drop_table("library_version")
