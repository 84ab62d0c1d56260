"""embargoes on figures and quotes, weekly link checks, and weekly notes that survive a dead clock

Revision ID: 0018e
Revises: 0016
Create Date: 2026-12-01 07:30:00

Notes claimed before this migration are taken as finished: they were sent, or lost for good, long ago.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018e"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("statistics", "quotes"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("embargo_zone", sa.String(64), nullable=False, server_default=""))
    op.create_index("ix_statistics_embargo_until", "statistics", ["workspace_id", "embargo_until"])
    op.create_index("ix_quotes_embargo_until", "quotes", ["workspace_id", "embargo_until"])
    with op.batch_alter_table("weekly_notes") as batch:
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_to", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE weekly_notes SET finished_at = claimed_at")
    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("notified", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_link_checks_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_link_checks_source_id_sources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_checks")),
        sa.UniqueConstraint("source_id", name=op.f("uq_link_checks_source_id")),
    )
    op.create_index(op.f("ix_link_checks_workspace_id"), "link_checks", ["workspace_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_link_checks_workspace_id"), table_name="link_checks")
    op.drop_table("link_checks")
    with op.batch_alter_table("weekly_notes") as batch:
        batch.drop_column("sent_to")
        batch.drop_column("finished_at")
    op.drop_index("ix_quotes_embargo_until", table_name="quotes")
    op.drop_index("ix_statistics_embargo_until", table_name="statistics")
    for table in ("quotes", "statistics"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("embargo_zone")
            batch.drop_column("embargo_until")
