"""The weekly note to editors: which series are due (or overdue) for a newer release, by direct message.

Sent once per workspace and week from Monday 09:00 UTC, by whichever clock (or `statbot digest run`) gets
there first: the week is claimed by a unique row before anything is sent, as digest runs are, so two clocks
never send it twice. A process that dies between the claim and the messages loses that week's note (it is
a reminder; the answers warn all the same).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.deliver import ClientFor, aware, client_for
from digests.dm import send_dm
from storage import freshness, roles
from storage.models import ANSWERABLE, Editor, Statistic, WeeklyNote
from storage.text import escape, format_value

log = logging.getLogger("statbot.weekly_note")

KIND = "freshness"
STARTS = timedelta(hours=9)  # Monday 09:00 UTC
SHOWN = 30
DUE = (freshness.State.SOON, freshness.State.DUE, freshness.State.OVERDUE)


@dataclass(frozen=True)
class Outcome:
    workspace_id: int
    week_of: date
    state: str  # "sent", "nothing due", "busy" (claimed already), "not installed", "error"
    sent_to: int = 0


def week_of(now: datetime) -> date:
    """The Monday of the note's week: a week runs from Monday 09:00 UTC to the next."""
    moment = aware(now) - STARTS
    return moment.date() - timedelta(days=moment.weekday())


def _latest_figure(session: Session, workspace_id: int, key: str) -> Statistic | None:
    measure = key.split("|", 1)[0]
    found = [
        s
        for s in session.scalars(
            select(Statistic).where(
                Statistic.workspace_id == workspace_id,
                Statistic.status.in_(ANSWERABLE),
                func.lower(Statistic.measure) == measure,
            )
        )
        if freshness.key_of(s) == key
    ]
    return max(found, key=lambda s: (s.period_end or date.min, s.id), default=None)


def note_text(session: Session, workspace_id: int, today: date) -> str | None:
    """The note, or None when nothing is due in the coming week or overdue."""
    due = [r for r in freshness.all_releases(session, workspace_id, today) if r.state in DUE]
    if not due:
        return None
    lines = [
        f"*Figures due for a newer release* (week of {today:%d %b %Y}). Check for the new release, then add it:"
    ]
    for release in due[:SHOWN]:
        stat = _latest_figure(session, workspace_id, release.key)
        what = (
            f"#{stat.id} {format_value(stat.value, stat.unit)} {escape(stat.measure)}"
            + (f" ({escape(stat.geography)})" if stat.geography else "")
            if stat is not None
            else escape(release.key.split("|", 1)[0])
        )
        when = release.expected.human()
        state = {
            freshness.State.OVERDUE: f"was due {when}: overdue",
            freshness.State.DUE: f"due {when}",
            freshness.State.SOON: f"expected {when}",
        }[release.state]
        lines.append(f"• {what}: {state}")
    if len(due) > SHOWN:
        lines.append(f"…and {len(due) - SHOWN} more.")
    lines.append("Set a new date with `/stats expected-update ID 2027-03` once a release is in.")
    return "\n".join(lines)


def _claim(sessions: sessionmaker[Session], workspace_id: int, week: date, now: datetime) -> bool:
    with sessions() as session:
        session.add(WeeklyNote(workspace_id=workspace_id, kind=KIND, week_of=week, claimed_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def _record(sessions: sessionmaker[Session], workspace_id: int, week: date, detail: str) -> None:
    with sessions() as session:
        note = session.scalar(
            select(WeeklyNote).where(
                WeeklyNote.workspace_id == workspace_id, WeeklyNote.kind == KIND, WeeklyNote.week_of == week
            )
        )
        if note is not None:
            note.detail = detail
            session.commit()


def run(sessions: sessionmaker[Session], client: WebClient | ClientFor, *, now: datetime) -> list[Outcome]:
    """Send this week's note to every workspace's editors that has not had it; each workspace at most once."""
    week = week_of(now)
    with sessions() as session:
        workspace_ids = list(session.scalars(select(Editor.workspace_id).distinct()))
    clients = client_for(client)
    outcomes = []
    for workspace_id in workspace_ids:
        if not _claim(sessions, workspace_id, week, now):
            outcomes.append(Outcome(workspace_id, week, "busy"))
            continue
        outcomes.append(_send(sessions, clients, workspace_id, week, now))
    return outcomes


def _send(
    sessions: sessionmaker[Session], clients: ClientFor, workspace_id: int, week: date, now: datetime
) -> Outcome:
    with sessions() as session:
        text = note_text(session, workspace_id, aware(now).date())
        editors = roles.editors(session, workspace_id)
    if text is None:
        _record(sessions, workspace_id, week, "nothing due")
        return Outcome(workspace_id, week, "nothing due")
    client = clients(workspace_id)
    if client is None:
        _record(sessions, workspace_id, week, "not installed")
        return Outcome(workspace_id, week, "not installed")
    sent = 0
    for editor in editors:
        try:
            send_dm(client, editor, text)
            sent += 1
        except (SlackApiError, SlackClientError, OSError) as error:
            log.error("could not send the weekly note to %s: %s", editor, error)
    _record(sessions, workspace_id, week, f"sent to {sent} of {len(editors)} editors")
    return Outcome(workspace_id, week, "sent" if sent else "error", sent)
