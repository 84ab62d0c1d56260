"""Who may publish and decide in a workspace: its editors."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Editor

# A Slack user id: U (or W, in Enterprise Grid) then capital letters and digits.
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def is_user_id(text: str) -> bool:
    return bool(USER_ID.match(text))


def is_editor(session: Session, workspace_id: int, user_id: str) -> bool:
    found = session.scalar(
        select(Editor.id).where(Editor.workspace_id == workspace_id, Editor.user_id == user_id)
    )
    return found is not None


def editors(session: Session, workspace_id: int) -> list[str]:
    return list(
        session.scalars(select(Editor.user_id).where(Editor.workspace_id == workspace_id).order_by(Editor.id))
    )


def add_editor(session: Session, workspace_id: int, user_id: str, added_by: str = "") -> bool:
    """Make someone an editor; False if they already were."""
    if is_editor(session, workspace_id, user_id):
        return False
    session.add(Editor(workspace_id=workspace_id, user_id=user_id, added_by=added_by))
    session.flush()
    return True


def remove_editor(session: Session, workspace_id: int, user_id: str) -> bool:
    """Remove someone's editor role; False if they were not one."""
    result = session.execute(
        delete(Editor).where(Editor.workspace_id == workspace_id, Editor.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
