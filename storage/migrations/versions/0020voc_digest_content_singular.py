"""digest content in the one kind vocabulary: a subscription's `content` says "figure" or "quote" (or "all")

Revision ID: 0020voc
Revises: 0019c
Create Date: 2026-12-01 10:30:00

Until now it held the plurals "figures" and "quotes" while every other stored kind (search documents,
shares, audit entries, review messages) said "figure" or "quote". The column keeps its name and size.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020voc"
down_revision = "0019c"
branch_labels = None
depends_on = None

_SINGULAR = {"figures": "figure", "quotes": "quote"}


def _rename(pairs: dict[str, str]) -> None:
    subscriptions = sa.table("subscriptions", sa.column("content", sa.String(10)))
    for old, new in pairs.items():
        op.execute(subscriptions.update().where(subscriptions.c.content == old).values(content=new))


def upgrade() -> None:
    _rename(_SINGULAR)


def downgrade() -> None:
    _rename({new: old for old, new in _SINGULAR.items()})
