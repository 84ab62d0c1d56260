"""digest CSV state: a digest's CSV attachment is part of its delivery's recorded state, like its charts

Revision ID: 0019c
Revises: 0019r
Create Date: 2026-12-01 07:40:00

A CSV upload that failed (or a process that died before it) was lost for good: the CSV was best effort.
Now the delivery records it as pending with the post, and the next run uploads it once, as charts are.
Deliveries made before this migration count as having none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019c"
down_revision = "0019r"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.add_column(sa.Column("csv_state", sa.String(10), nullable=False, server_default="none"))


def downgrade() -> None:
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_column("csv_state")
