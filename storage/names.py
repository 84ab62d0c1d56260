"""Stored names that start with or contain what someone is typing: the type-ahead of the add and edit forms."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Entity, EntityAlias, Topic

Kind = Literal["entities", "topics"]
SHOWN = 20


def _like(typed: str) -> str:
    """A LIKE pattern for text containing `typed`, with LIKE's own characters taken literally."""
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(session: Session, workspace_id: int, kind: Kind, typed: str, limit: int = SHOWN) -> list[str]:
    """This workspace's entity (by name or alias) or topic names containing `typed`, names starting with it
    first, then shortest; a name typed as an alias ("Facebook") finds the entity it names."""
    typed = " ".join(typed.split())
    if not typed:
        return []
    pattern = _like(typed)
    if kind == "topics":
        names = session.scalars(
            select(Topic.name).where(
                Topic.workspace_id == workspace_id, Topic.name.ilike(pattern, escape="\\")
            )
        )
    else:
        names = session.scalars(
            select(Entity.name)
            .outerjoin(EntityAlias, EntityAlias.entity_id == Entity.id)
            .where(
                Entity.workspace_id == workspace_id,
                or_(Entity.name.ilike(pattern, escape="\\"), EntityAlias.alias.ilike(pattern, escape="\\")),
            )
        )
    folded = typed.casefold()
    unique = sorted(set(names), key=lambda n: (not n.casefold().startswith(folded), len(n), n.casefold()))
    return unique[:limit]
