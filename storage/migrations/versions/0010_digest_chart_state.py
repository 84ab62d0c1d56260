"""digest chart state: a digest's charts are part of its delivery's recorded state

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:15:00

A digest is recorded as posted before its charts are uploaded into its thread; a process that died in
between used to lose the charts for good. The delivery now says whether charts are still to upload and how
many are done, and the next run finishes them. Deliveries posted before this migration count as done.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.add_column(sa.Column("chart_state", sa.String(10), nullable=False, server_default="none"))
        batch.add_column(sa.Column("charts_uploaded", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("charts_claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_digest_deliveries_chart_state", "digest_deliveries", ["chart_state"])


def downgrade() -> None:
    op.drop_index("ix_digest_deliveries_chart_state", table_name="digest_deliveries")
    with op.batch_alter_table("digest_deliveries") as batch:
        batch.drop_column("charts_claimed_at")
        batch.drop_column("charts_uploaded")
        batch.drop_column("chart_state")
