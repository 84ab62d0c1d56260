"""edits and shares: when a published figure's value, unit, period or place last changed; where items were shared

Revision ID: 0018a
Revises: 0018e
Create Date: 2026-12-01 07:10:00

`statistics.edited_at` and `edited_fields` are set by the write path (storage.write.update) when a published
figure's value, unit, period or place changes: answers and citations say "changed on DATE" for 30 days, and
digests list the change under Corrections. Both live on `statistics`, which the library version already
guards (plain ALTER TABLE on both databases, so 0009's triggers stay). Earlier edits are filled in from the
audit log. `shares` records where a figure or quote was shared or copied (channel, the bot's message if it
posted one, who, when), so a retraction can be told to those people and noted on those messages. Answers
never read it, so it is not a table the library version guards.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018a"
down_revision = "0018e"
branch_labels = None
depends_on = None

# What "changed" means to someone citing a figure, as the audit log names the fields (storage.audit).
SHOWN = (("value", "value"), ("unit", "value"), ("period_start", "period"), ("period_end", "period"),
         ("geography", "place"))  # fmt: skip


def upgrade() -> None:
    op.add_column("statistics", sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("statistics", sa.Column("edited_fields", sa.String(40), nullable=False, server_default=""))
    op.create_index("ix_statistics_edited_at", "statistics", ["edited_at"])
    op.create_table(
        "shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(12), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("command", sa.String(10), nullable=False),
        sa.Column("asked", sa.Text(), nullable=False),
        sa.Column("shared_by", sa.String(32), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice", sa.String(60), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name=op.f("fk_shares_workspace_id_workspaces")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )  # fmt: skip
    op.create_index("ix_shares_item", "shares", ["workspace_id", "item_kind", "item_id"])
    _edits_from_the_audit_log()


def _edits_from_the_audit_log() -> None:
    """Each published figure's latest edit of its value, unit, period or place, from the audit log."""
    bind = op.get_bind()
    latest: dict[int, tuple[datetime, list[str]]] = {}
    for item_id, at, before, after in bind.execute(
        sa.text(
            "SELECT item_id, at, before, after FROM audit_entries"
            " WHERE item_kind = 'statistic' AND action = 'edit' ORDER BY at, id"
        )
    ):
        old, new = _json(before), _json(after)
        if old.get("status") not in ("published", "superseded"):
            continue
        labels = {label for name, label in SHOWN if old.get(name) != new.get(name)}
        fields: list[str] = [label for label in ("value", "period", "place") if label in labels]
        if fields:
            latest[item_id] = (at, fields)
    for item_id, (at, changed) in latest.items():
        bind.execute(
            sa.text("UPDATE statistics SET edited_at = :at, edited_fields = :fields WHERE id = :id"),
            {"at": at, "fields": " ".join(changed), "id": item_id},
        )


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}


def downgrade() -> None:
    op.drop_index("ix_shares_item", table_name="shares")
    op.drop_table("shares")
    op.drop_index("ix_statistics_edited_at", table_name="statistics")
    # Plain ALTER TABLE (SQLite >= 3.35): a batch copy would drop 0009's triggers on statistics.
    op.execute("ALTER TABLE statistics DROP COLUMN edited_fields")
    op.execute("ALTER TABLE statistics DROP COLUMN edited_at")
