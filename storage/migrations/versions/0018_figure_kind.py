"""figure kind: search documents and audit entries name a figure "figure", as the code and the UI do

Revision ID: 0018fig
Revises: 0018a
Create Date: 2026-12-01 07:50:00

The item kind was "statistic" in the database and in code while people saw "figure". Tables and the ORM
class keep their names (statistics, Statistic); only the stored kind word changes.
"""

from __future__ import annotations

from alembic import op

revision = "0018fig"
down_revision = "0018a"
branch_labels = None
depends_on = None

COLUMNS = (("search_documents", "kind"), ("audit_entries", "item_kind"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = 'figure' WHERE {column} = 'statistic'")  # noqa: S608


def downgrade() -> None:
    for table, column in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = 'statistic' WHERE {column} = 'figure'")  # noqa: S608
