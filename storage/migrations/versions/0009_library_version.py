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

BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION bump_library_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: a 10,000-row import moves the counter once, not 10,000 times.
    IF current_setting('statbot.library_bumped_in', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('statbot.library_bumped_in', txid_current()::text, true);
        {BUMP};
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "library_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_version")),
    )
    op.execute("INSERT INTO library_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_library_version()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION bump_library_version()"
            )
        return
    for table in TABLES:
        for change in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_{change}_changed AFTER {change.upper()} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_truncated ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_library_version()")
    else:
        for table in TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{change}_changed")
    op.drop_table("library_version")
