"""review messages: where each pending item's review card was posted

Revision ID: 0019r
Revises: 0018
Create Date: 2026-12-01 07:30:00

A decision taken from the App Home tab (or an edit opened there) had no message to update: only a press on
the card itself carried the card's channel and ts. Storing them lets every surface update the card. Cards
posted before this migration are still updated when pressed in the channel, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019r"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_review_messages_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_messages")),
        sa.UniqueConstraint("workspace_id", "item_kind", "item_id", name="uq_review_messages_item"),
    )


def downgrade() -> None:
    op.drop_table("review_messages")
