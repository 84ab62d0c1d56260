"""vectors in their own tables: each figure's and quote's sentence vector moves out of its row

Revision ID: 0020vec
Revises: 0020voc
Create Date: 2026-12-01 10:30:00

Migration 0014 stored the vector (768 bytes of float16) and its model's name in `statistics` and
`quotes`. Answers never read them, but every query that ranks or counts figures reads the rows they
widened: at 100,000 figures the heap was 116 MB, near PostgreSQL's default shared_buffers, and a
question's word search read 20,000 pages from outside it (bench/RESULTS.md, issue 19's latency).
`statistic_vectors` and `quote_vectors` hold them now, one row per item, deleted with it; the vectors
stored are copied, so `statbot migrate` embeds nothing again. On PostgreSQL a dropped column's bytes stay
in every row until the table is rewritten, so both tables are rewritten here (CLUSTER on the primary key:
it takes the table's lock for a few seconds at 100,000 rows, like any rewrite). Answers read the new
tables' vectors through the library version, so they get 0009's triggers (on SQLite, 0018's form).

Every answer also counts the dates its figures' series hold (storage.series.dates_held), by the measure
case-folded: `ix_statistics_measure` holds it as typed, so that was a scan of every figure (110 ms at
100,000); `ix_statistics_measure_folded` holds it folded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import library_triggers

revision = "0020vec"
down_revision = "0020voc"
branch_labels = None
depends_on = None

# Tables answers read that this migration adds (0009's TABLES holds the rest).
TABLES = ("statistic_vectors", "quote_vectors")
# item table, its vectors' table, the column naming the item
MOVES = (("statistics", "statistic_vectors", "statistic_id"), ("quotes", "quote_vectors", "quote_id"))
BUMP = "UPDATE library_version SET version = version + 1 WHERE id = 1"
UNLESS_BULK = "WHEN NOT EXISTS (SELECT 1 FROM library_version WHERE id = 2)"  # as 0018


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # an earlier migration's writes in this transaction leave 0009's deferred triggers pending,
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")  # and PostgreSQL alters no table with events pending
    for items, vectors, item in MOVES:
        op.create_table(
            vectors,
            sa.Column(item, sa.Integer(), nullable=False),
            sa.Column("model", sa.String(60), nullable=False),
            sa.Column("vector", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(
                [item], [f"{items}.id"], name=op.f(f"fk_{vectors}_{item}_{items}"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint(item, name=op.f(f"pk_{vectors}")),
        )
        copy = f"SELECT id, embedding_model, embedding FROM {items} WHERE embedding_model IS NOT NULL"  # noqa: S608
        op.execute(f"INSERT INTO {vectors} ({item}, model, vector) {copy} AND embedding IS NOT NULL")
        # Both databases drop a column in place (SQLite since 3.35): no batch copy, so the table keeps
        # its triggers and indexes as they are.
        op.execute(f"ALTER TABLE {items} DROP COLUMN embedding")
        op.execute(f"ALTER TABLE {items} DROP COLUMN embedding_model")
        if postgres:
            op.execute(f"CLUSTER {items} USING pk_{items}")
            op.execute(f"ALTER TABLE {items} SET WITHOUT CLUSTER")
            op.execute(f"ANALYZE {items}")
            op.execute(f"ANALYZE {vectors}")
        _triggers(vectors, postgres)
    op.create_index("ix_statistics_measure_folded", "statistics", ["workspace_id", sa.text("lower(measure)")])
    if postgres:
        op.execute("SET CONSTRAINTS ALL DEFERRED")


def _triggers(table: str, postgres: bool) -> None:
    if postgres:
        library_triggers.create_triggers([table])
        return
    op.execute(
        f"CREATE TRIGGER {table}_insert_changed AFTER INSERT ON {table} {UNLESS_BULK} BEGIN {BUMP}; END"
    )
    for change in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER {table}_{change}_changed AFTER {change.upper()} ON {table} BEGIN {BUMP}; END"
        )


def downgrade() -> None:
    op.drop_index("ix_statistics_measure_folded", "statistics")
    for items, vectors, item in MOVES:
        op.add_column(items, sa.Column("embedding", sa.LargeBinary(), nullable=True))
        op.add_column(items, sa.Column("embedding_model", sa.String(60), nullable=True))
        for column, stored in (("embedding", "vector"), ("embedding_model", "model")):
            held = f"SELECT {stored} FROM {vectors} WHERE {vectors}.{item} = {items}.id"  # noqa: S608
            op.execute(f"UPDATE {items} SET {column} = ({held})")  # noqa: S608
        library_triggers.drop_triggers([vectors])
        op.drop_table(vectors)
