"""What the App Home tab lists: the newest published items, and what waits for review (all, or one person's)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import embargo
from storage.models import Quote, Statistic, Status

Item = TypeVar("Item", Statistic, Quote)


def newest_published(
    session: Session, workspace_id: int, kind: type[Item], limit: int, viewer: embargo.Viewer | None = None
) -> list[Item]:
    """The most recently published items of one kind that `viewer` may see, newest first."""
    return list(
        session.scalars(
            select(kind)
            .where(
                kind.workspace_id == workspace_id,
                kind.status == Status.PUBLISHED.value,
                embargo.visible(kind, viewer),
            )
            .order_by(kind.published_at.desc().nulls_last(), kind.id.desc())
            .limit(limit)
        )
    )


def pending(session: Session, workspace_id: int, created_by: str | None = None) -> list[Statistic | Quote]:
    """Figures and quotes waiting for review, oldest first; only `created_by`'s when given."""
    found: list[Statistic | Quote] = []
    for kind in (Statistic, Quote):
        query = select(kind).where(kind.workspace_id == workspace_id, kind.status == Status.PENDING.value)
        if created_by is not None:
            query = query.where(kind.created_by == created_by)
        found += session.scalars(query.order_by(kind.created_at, kind.id))
    return sorted(found, key=lambda item: (item.created_at, item.id))
