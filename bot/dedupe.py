"""Slack's retries of an event act once.

Slack sends an Events API request again (with `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`) when we took
longer than 3 seconds or answered with an error; a file import that takes four seconds would otherwise run
twice. Before any listener runs, the event's `event_id` is claimed with an INSERT into
`slack_event_receipts`: the first request to claim it acts, a repeat is acknowledged and skipped. If the
listeners fail, the claim is released (`release`, from the app's error handler) so a later retry can act.
Receipts older than a day are deleted now and then; Slack stops retrying after minutes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import SlackEventReceipt, utcnow

log = logging.getLogger("statbot.events")

KEEP_FOR = timedelta(days=1)
PRUNE_EVERY = timedelta(minutes=10)


def event_id_of(body: dict[str, Any]) -> str | None:
    """The id Slack gives an Events API delivery (the same on every retry); None for anything else."""
    if body.get("type") != "event_callback":
        return None
    event_id = body.get("event_id")
    return str(event_id) if event_id else None


class EventReceipts:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._pruned_at: datetime | None = None
        self._lock = threading.Lock()

    def claim(self, event_id: str, team_id: str) -> bool:
        """True for the first request carrying this event id; False when one already claimed it."""
        now = utcnow()
        try:
            with self.sessions.begin() as session:
                session.add(SlackEventReceipt(event_id=event_id, team_id=team_id, received_at=now))
        except IntegrityError:
            return False
        self._prune(now)
        return True

    def _prune(self, now: datetime) -> None:
        with self._lock:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
                return
            self._pruned_at = now
        try:
            with self.sessions.begin() as session:
                session.execute(
                    delete(SlackEventReceipt).where(SlackEventReceipt.received_at < now - KEEP_FOR)
                )
        except SQLAlchemyError as error:  # pruning can wait for the next time
            log.warning("could not prune old event receipts (%s)", error.__class__.__name__)


def release(sessions: sessionmaker[Session], body: dict[str, Any]) -> None:
    """Forget that this event was taken on, because its listeners failed: Slack's next retry may act."""
    event_id = event_id_of(body)
    if event_id is None:
        return
    try:
        with sessions.begin() as session:
            session.execute(delete(SlackEventReceipt).where(SlackEventReceipt.event_id == event_id))
        log.info("released event %s after a failure; a retry from Slack may act on it", event_id)
    except SQLAlchemyError as error:
        log.error("could not release event %s (%s): Slack's retries of it will be skipped",
                  event_id, error.__class__.__name__)  # fmt: skip


def register(app: App, sessions: sessionmaker[Session]) -> EventReceipts:
    receipts = EventReceipts(sessions)

    def act_once(req: BoltRequest, resp: BoltResponse, next: Callable[[], None]) -> BoltResponse | None:
        event_id = event_id_of(req.body)
        if event_id is None:
            next()
            return None
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        reason = (req.headers.get("x-slack-retry-reason") or [""])[0]
        try:
            first = receipts.claim(event_id, str(req.body.get("team_id") or ""))
        except SQLAlchemyError as error:
            # Without the receipt we cannot know whether it was handled; Slack will send it again later.
            log.error("could not record event %s (%s); answering 503 so Slack retries",
                      event_id, error.__class__.__name__)  # fmt: skip
            return BoltResponse(status=503, body="")
        if not first:
            log.info(
                "skipped event %s: already taken on (Slack retry %s, reason %s)",
                event_id,
                retry,
                reason or "-",
            )
            return BoltResponse(status=200, body="")
        next()
        return None

    app.use(act_once)
    return receipts
