"""slack event receipts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_event_receipts",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_event_receipts")),
    )
    op.create_index(
        op.f("ix_slack_event_receipts_received_at"), "slack_event_receipts", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_event_receipts_received_at"), table_name="slack_event_receipts")
    op.drop_table("slack_event_receipts")
