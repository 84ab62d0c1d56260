"""answerable newest: each workspace's answerable figures and quotes, newest first, in one index each

Revision ID: 0021
Revises: 0020vec
Create Date: 2026-12-02 01:45:00

0008's ix_statistics_newest and ix_quotes_newest lead with the status, so an answer (published or
superseded items) cannot read them in its order: PostgreSQL sorts every match instead. These partial
indexes hold only the answerable items, in the answer's order, so a question of common words walks the
newest items and stops once it has what the answer shows (storage.queries._newest_first; bench/RESULTS.md,
issue 19 round 4).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020vec"
branch_labels = None
depends_on = None

ORDERED = {
    "ix_statistics_answerable_newest": ("statistics", "period_end"),
    "ix_quotes_answerable_newest": ("quotes", "said_on"),
}
ANSWERABLE = sa.text("status IN ('published', 'superseded')")


def upgrade() -> None:
    # As 0008: PostgreSQL sorts NULLs first on DESC unless told; SQLite sorts them last and rejects the words.
    nulls_last = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    for name, (table, newest) in ORDERED.items():
        op.create_index(
            name,
            table,
            [
                "workspace_id",
                sa.text(f"{newest} DESC{nulls_last}"),
                sa.text(f"published_at DESC{nulls_last}"),
                sa.text("id DESC"),
            ],
            postgresql_where=ANSWERABLE,
            sqlite_where=ANSWERABLE,
        )


def downgrade() -> None:
    for name, (table, _) in ORDERED.items():
        op.drop_index(name, table_name=table)
