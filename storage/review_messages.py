"""Where each pending item's review card was posted (channel and ts), so any surface can update that card."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ReviewMessage, utcnow


def record(session: Session, workspace_id: int, kind: str, item_id: int, channel_id: str, ts: str) -> None:
    """Remember the card just posted for this item; a card posted again replaces the one remembered."""
    found = find(session, workspace_id, kind, item_id)
    if found is None:
        found = ReviewMessage(workspace_id=workspace_id, item_kind=kind, item_id=item_id)
        session.add(found)
    found.channel_id, found.ts, found.posted_at = channel_id, ts, utcnow()
    session.flush()


def find(session: Session, workspace_id: int, kind: str, item_id: int) -> ReviewMessage | None:
    return session.scalar(
        select(ReviewMessage).where(
            ReviewMessage.workspace_id == workspace_id,
            ReviewMessage.item_kind == kind,
            ReviewMessage.item_id == item_id,
        )
    )
