"""The weekly note to editors: which series are due (or overdue) for a newer release, by direct message.

Sent once per workspace and week from Monday 09:00 UTC, by whichever clock (or `statbot digest run`) gets
there first: the week is claimed by a unique row before anything is sent, as digest runs are, so two clocks
never send it twice. A process that dies between the claim and the messages does not lose it, as a digest
is not lost: a claim left unfinished past its lease is taken over by a later run, the editors already sent
to are recorded one by one, and each message carries metadata naming its note, so one Slack took before the
process could record it is found in that DM's history and not sent again. The link-check note
(ingest.link_check) is sent the same way, as another kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digests.deliver import CLAIM_LEASE, HISTORY_LOOKBACK, ClientFor, aware, client_for
from digests.dm import open_dm
from storage import freshness, roles
from storage.models import ANSWERABLE, Editor, Statistic, WeeklyNote
from storage.text import escape, format_value

log = logging.getLogger("statbot.weekly_note")

KIND = "freshness"
STARTS = timedelta(hours=9)  # Monday 09:00 UTC
SHOWN = 30
DUE = (freshness.State.SOON, freshness.State.DUE, freshness.State.OVERDUE)
EVENT_TYPE = "statbot_weekly_note"
__all__ = ["CLAIM_LEASE", "Outcome", "run", "send_weekly", "week_of"]

# A note's text for a workspace on a day (None: nothing to say this week), and what to do once it is sent.
TextFor = Callable[[Session, int, date], str | None]
OnSent = Callable[[Session, int, datetime], None]


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


def _claim(
    sessions: sessionmaker[Session], workspace_id: int, kind: str, week: date, now: datetime
) -> tuple[int, bool] | None:
    """(note id, whether a dead process's claim is being taken over), or None when the week is not ours."""
    with sessions() as session:
        note = WeeklyNote(workspace_id=workspace_id, kind=kind, week_of=week, claimed_at=now)
        session.add(note)
        try:
            session.commit()
            return note.id, False
        except IntegrityError:
            session.rollback()
    with sessions.begin() as session:
        # Only a claim left unfinished past its lease is taken over; the UPDATE's WHERE makes one taker win.
        taken = session.execute(
            update(WeeklyNote)
            .where(
                WeeklyNote.workspace_id == workspace_id,
                WeeklyNote.kind == kind,
                WeeklyNote.week_of == week,
                WeeklyNote.finished_at.is_(None),
                WeeklyNote.claimed_at <= now - CLAIM_LEASE,
            )
            .values(claimed_at=now)
            .returning(WeeklyNote.id)
        ).scalar_one_or_none()
    return (taken, True) if taken is not None else None


def _finish(
    sessions: sessionmaker[Session], note_id: int, detail: str, now: datetime, on_sent: OnSent | None = None
) -> None:
    with sessions.begin() as session:
        note = session.get(WeeklyNote, note_id)
        if note is None:
            return
        note.detail, note.finished_at = detail, now
        if on_sent is not None and detail.startswith("sent"):
            on_sent(session, note.workspace_id, now)


def _record_sent(sessions: sessionmaker[Session], note_id: int, sent_to: list[str]) -> None:
    with sessions.begin() as session:
        session.execute(update(WeeklyNote).where(WeeklyNote.id == note_id).values(sent_to=" ".join(sent_to)))


def run(sessions: sessionmaker[Session], client: WebClient | ClientFor, *, now: datetime) -> list[Outcome]:
    """Send this week's note to every workspace's editors that has not had it; each workspace at most once."""
    return send_weekly(sessions, client, KIND, note_text, now=now)


def send_weekly(
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    kind: str,
    text_for: TextFor,
    *,
    now: datetime,
    on_sent: OnSent | None = None,
) -> list[Outcome]:
    """Send one kind of weekly note to each workspace's editors, exactly once a week: claimed first, each
    editor recorded as they are sent, a dead process's claim taken over after the lease. `on_sent` runs in
    the transaction that records a sent note (to mark what it reported as reported)."""
    week = week_of(now)
    with sessions() as session:
        workspace_ids = list(session.scalars(select(Editor.workspace_id).distinct()))
    clients = client_for(client)
    outcomes = []
    for workspace_id in workspace_ids:
        claim = _claim(sessions, workspace_id, kind, week, now)
        if claim is None:
            outcomes.append(Outcome(workspace_id, week, "busy"))
            continue
        note_id, recovering = claim
        outcomes.append(
            _send(sessions, clients, workspace_id, week, now, note_id, recovering, text_for, kind, on_sent)
        )
    return outcomes


def _send(
    sessions: sessionmaker[Session],
    clients: ClientFor,
    workspace_id: int,
    week: date,
    now: datetime,
    note_id: int,
    recovering: bool,
    text_for: TextFor,
    kind: str,
    on_sent: OnSent | None,
) -> Outcome:
    with sessions() as session:
        text = text_for(session, workspace_id, aware(now).date())
        editors = roles.editors(session, workspace_id)
        note = session.get(WeeklyNote, note_id)
        sent_to = note.sent_to.split() if note is not None else []
    if text is None:
        _finish(sessions, note_id, "nothing due", now)
        return Outcome(workspace_id, week, "nothing due")
    client = clients(workspace_id)
    if client is None:
        _finish(sessions, note_id, "not installed", now)
        return Outcome(workspace_id, week, "not installed")
    metadata = {"event_type": EVENT_TYPE, "event_payload": {"note": note_id, "kind": kind}}
    failed = 0
    for editor in editors:
        if editor in sent_to:
            continue
        try:
            channel = str(open_dm(client, editor))
            if not (recovering and _already_sent(client, channel, note_id)):
                client.chat_postMessage(channel=channel, text=text, metadata=metadata)
        except (SlackApiError, SlackClientError, OSError) as error:
            log.error("could not send the weekly %s note to %s: %s", kind, editor, error)
            failed += 1
            continue
        sent_to.append(editor)
        _record_sent(sessions, note_id, sent_to)
    sent = sum(1 for e in editors if e in sent_to)
    _finish(sessions, note_id, f"sent to {sent} of {len(editors)} editors", now, on_sent if sent else None)
    return Outcome(workspace_id, week, "sent" if sent else "error", sent)


def _already_sent(client: WebClient, channel: str, note_id: int) -> bool:
    """Whether a dead process posted this note in this DM before recording it, found by its metadata."""
    try:
        history = client.conversations_history(
            channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
    except (SlackApiError, SlackClientError, OSError) as error:
        # Without the history we cannot tell: a note sent twice beats a note lost.
        log.warning("could not read %s's history to check weekly note %s: %s", channel, note_id, error)
        return False
    for message in history.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == EVENT_TYPE and str(payload.get("note")) == str(note_id):
            return True
    return False
