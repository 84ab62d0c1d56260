"""A workspace's own citation templates, one per form; none stored means the default."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import CitationStyle, utcnow


def templates(session: Session, workspace_id: int) -> dict[str, str]:
    """The workspace's templates by form ("short", "long"); a form not in it uses the default."""
    rows = session.scalars(select(CitationStyle).where(CitationStyle.workspace_id == workspace_id))
    return {row.form: row.template for row in rows}


def set_template(session: Session, workspace_id: int, form: str, template: str, set_by: str) -> None:
    row = session.scalar(
        select(CitationStyle).where(CitationStyle.workspace_id == workspace_id, CitationStyle.form == form)
    )
    if row is None:
        session.add(CitationStyle(workspace_id=workspace_id, form=form, template=template, set_by=set_by))
    else:
        row.template, row.set_by, row.set_at = template, set_by, utcnow()
    session.flush()


def reset(session: Session, workspace_id: int, form: str | None = None) -> None:
    """Back to the default for one form, or for both."""
    statement = delete(CitationStyle).where(CitationStyle.workspace_id == workspace_id)
    if form is not None:
        statement = statement.where(CitationStyle.form == form)
    session.execute(statement)
