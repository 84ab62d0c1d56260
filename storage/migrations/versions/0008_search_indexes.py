"""search indexes: each workspace's figures and quotes of one status, newest first

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:00:00

Replaces ix_statistics_answerable (workspace_id, status, period_end) and ix_quotes_answerable
(workspace_id, status), which these extend, so `/stats facebook` on a million figures reads its
answers in index order instead of sorting every figure of Meta's family. ix_statistics_measure finds
the earlier points of a digest's series without reading every figure.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ORDERED = {
    "ix_statistics_newest": ("statistics", "period_end"),
    "ix_quotes_newest": ("quotes", "said_on"),
}


def upgrade() -> None:
    # PostgreSQL sorts NULLs first on DESC unless told; SQLite sorts them last and rejects NULLS LAST here.
    nulls_last = " NULLS LAST" if op.get_bind().dialect.name == "postgresql" else ""
    for name, (table, newest) in ORDERED.items():
        op.create_index(
            name,
            table,
            [
                "workspace_id",
                "status",
                sa.text(f"{newest} DESC{nulls_last}"),
                sa.text(f"published_at DESC{nulls_last}"),
                sa.text("id DESC"),
            ],
        )
    op.create_index("ix_statistics_measure", "statistics", ["workspace_id", "measure"])
    op.drop_index("ix_statistics_answerable", table_name="statistics")
    op.drop_index("ix_quotes_answerable", table_name="quotes")


def downgrade() -> None:
    op.create_index("ix_quotes_answerable", "quotes", ["workspace_id", "status"])
    op.create_index("ix_statistics_answerable", "statistics", ["workspace_id", "status", "period_end"])
    op.drop_index("ix_statistics_measure", table_name="statistics")
    for name, (table, _) in ORDERED.items():
        op.drop_index(name, table_name=table)
