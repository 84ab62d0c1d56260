"""Which workspace a request belongs to; in single-workspace mode, the one home workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Workspace


class WorkspaceMismatch(Exception):
    """The database already belongs to another Slack workspace than the one the token is for."""


def home(session: Session) -> Workspace:
    """The single-workspace install's workspace, created on first use (before Slack is ever reached)."""
    workspace = session.scalar(select(Workspace).where(Workspace.is_home.is_(True)))
    if workspace is None:
        workspace = Workspace(is_home=True, name="home")
        session.add(workspace)
        session.flush()
    return workspace


def bind_home(session: Session, team_id: str, name: str = "") -> Workspace:
    """Tie the home workspace to the Slack team the bot token belongs to, once and for good.

    The data `statbot init` loaded before Slack was configured is then the data Slack sees.
    """
    workspace = home(session)
    if workspace.team_id is None:
        workspace.team_id = team_id
        workspace.name = name or workspace.name
    elif workspace.team_id != team_id:
        raise WorkspaceMismatch(
            f"This database belongs to Slack workspace {workspace.team_id}, but the bot token is for "
            f"{team_id}. Use a separate DATABASE_URL for each workspace in single-workspace mode."
        )
    return workspace


def get(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise LookupError(f"no workspace {workspace_id}")
    return workspace


def for_team(session: Session, team_id: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.team_id == team_id))


def review_channel(session: Session, workspace_id: int, default: str | None) -> str | None:
    """Where the workspace's submissions are reviewed: its own choice, else `default` (STATBOT_REVIEW_CHANNEL)."""
    workspace = session.get(Workspace, workspace_id)
    return (workspace.review_channel if workspace else None) or default


def set_review_channel(session: Session, workspace: Workspace, channel_id: str | None) -> None:
    workspace.review_channel = channel_id
    session.flush()


def install(session: Session, team_id: str, name: str = "") -> Workspace:
    """The workspace of a team installing through OAuth: its own, new or found again on a reinstall."""
    workspace = for_team(session, team_id)
    if workspace is None:
        workspace = Workspace(team_id=team_id, name=name)
        session.add(workspace)
        session.flush()
    elif name:
        workspace.name = name
    return workspace
