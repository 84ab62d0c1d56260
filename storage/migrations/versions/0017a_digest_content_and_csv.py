"""digest content and CSV: a subscription may hold figures only or quotes only, and attach a CSV of its figures

Revision ID: 0017a
Revises: 0014
Create Date: 2026-12-01 05:00:00

Monthly digests and personal (direct-message) digests need no column: "monthly" fits `frequency` and a
personal digest is one whose channel is the subscriber's DM with statbot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017a"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("content", sa.String(10), nullable=False, server_default="all"))
        batch.add_column(sa.Column("attach_csv", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("attach_csv")
        batch.drop_column("content")
