"""citation styles: a workspace's own templates for the short and long citation forms

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-01 04:55:00

`/stats citation-style short|long <template>` keeps one template per form and workspace; with none stored
the default is used. Answers never read this table (a citation is built when it is asked for), so it is
not one the library version guards.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citation_styles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(10), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_citation_styles_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_styles")),
        sa.UniqueConstraint("workspace_id", "form", name="uq_citation_styles_workspace_form"),
    )


def downgrade() -> None:
    op.drop_table("citation_styles")
