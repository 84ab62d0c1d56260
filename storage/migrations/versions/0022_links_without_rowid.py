"""links without rowid: SQLite keeps each figure's and quote's entity and topic links once

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 16:00:00

A link table's primary key is its two ids. In an ordinary SQLite table each link was stored twice: in the
table (under a hidden rowid nobody reads) and in the primary key's own index. WITHOUT ROWID makes the table
that index: a 200,000-figure import's file is 295 MB instead of 309, and each link goes into two B-trees (the
table and its entity or topic index) instead of three (bench/RESULTS.md, issue 15's tenth round; the time it
saves was within that machine's noise). An item's links are read by the same key as before.

SQLite cannot change this in place: each table is rebuilt by its own recipe (a new table, the rows copied,
the old one dropped, the new one renamed), and its other index and the library version's triggers, dropped
with the old table, are made again from the text SQLite kept of them. PostgreSQL has no rowid: nothing
changes there.
"""

from __future__ import annotations

import re

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("statistic_entities", "statistic_topics", "quote_entities", "quote_topics")
WITHOUT_ROWID = " WITHOUT ROWID"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, WITHOUT_ROWID)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, "")


def _rebuild(table: str, options: str) -> None:
    """`table` made again with `options` after its column list, its rows, indexes and triggers kept."""
    connection = op.get_bind()
    created = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    # Its own indexes and triggers (the primary key's automatic index has no SQL: SQLite makes it).
    extras = (
        connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL"
            " ORDER BY type, name",
            (table,),
        )
        .scalars()
        .all()
    )
    columns = created[: created.rindex(")") + 1]  # what comes after the column list is the options
    new = f"{table}_rebuilt"
    named, count = re.subn(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {new} (", columns)
    if count != 1:
        raise RuntimeError(f"unexpected definition of {table}: {created[:80]!r}")
    op.execute(named + options)
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608 (names from this module)
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    for sql in extras:
        op.execute(sql)
