"""The clock process: an APScheduler job per subscription wakes at its run; the database decides what is posted.

Jobs live in APScheduler's SQLAlchemyJobStore in the statbot database, but they are only alarms: each one
runs `deliver.run_subscription`, which claims the run in the digest_deliveries table, so a second clock,
a job fired twice or a `statbot digest run` beside it cannot post a digest twice. A resync every minute
adds jobs for subscriptions made by the web processes, drops removed or paused ones, and sweeps for any
run that is due but whose job did not fire (the clock was down, a job misfired past its grace).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import notices, posting
from bot.config import Settings, fetch_settings
from digests import deliver, subscriptions, weekly_note
from digests.build import schedule_of
from digests.deliver import ClientFor, client_for
from digests.dm import send_dm
from digests.trigger import ScheduleTrigger
from ingest import feed_poll, link_check
from ingest.fetch import FetchSettings
from ingest.pipeline import Candidates
from storage.models import utcnow

log = logging.getLogger("statbot.clock")
feed_log = logging.getLogger("statbot.feeds")

JOB_PREFIX = "digest-"
RESYNC_SECONDS = 60
FEED_POLL_MINUTES = 10
WEEKLY_NOTE_MINUTES = 15
LINK_CHECK_MINUTES = 60
# Retraction notices are sent at once by the process that retracts; this pass finishes what one left undone.
NOTICE_MINUTES = 5


@dataclass(frozen=True)
class Runtime:
    scheduler: BaseScheduler
    sessions: sessionmaker[Session]
    client: WebClient | ClientFor  # each workspace's client
    grace: timedelta


# Stored jobs are a function reference and arguments (they must pickle), so what they run with, the
# process's database sessions and Slack client, is set here once, when the clock is configured.
_runtime: list[Runtime] = []


def fire(subscription_id: int) -> None:
    """A subscription's job: deliver whatever of its runs is due now."""
    runtime = _runtime[-1]
    for outcome in deliver.run_subscription(
        runtime.sessions, runtime.client, subscription_id, now=utcnow(), grace=runtime.grace
    ):
        log.info("digest %s at %s: %s", outcome.subscription_id, outcome.run_at, outcome.state)


def resync() -> None:
    """Make the jobs match the subscriptions table, then deliver anything due that no job delivered."""
    runtime = _runtime[-1]
    sync_jobs(runtime.scheduler, runtime.sessions, runtime.grace)
    for outcome in deliver.run_due(runtime.sessions, runtime.client, now=utcnow(), grace=runtime.grace):
        log.info("digest %s at %s (sweep): %s", outcome.subscription_id, outcome.run_at, outcome.state)


def sync_jobs(scheduler: BaseScheduler, sessions: sessionmaker[Session], grace: timedelta) -> int:
    """Add, update and remove subscription jobs to match the table; returns how many jobs there are."""
    with sessions() as session:
        wanted = {f"{JOB_PREFIX}{s.id}": (s.id, schedule_of(s)) for s in subscriptions.active(session)}
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            job.remove()
    for job_id, (subscription_id, schedule) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is not None and getattr(job.trigger, "schedule", None) == schedule:
            continue
        scheduler.add_job(
            fire,
            ScheduleTrigger(schedule),
            args=[subscription_id],
            id=job_id,
            name=f"digest {subscription_id}",
            replace_existing=True,
            misfire_grace_time=int(grace.total_seconds()),
            coalesce=True,
            max_instances=1,
        )
    return len(wanted)


def configure(
    scheduler: BaseScheduler,
    engine: Engine,
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    grace: timedelta = deliver.GRACE,
) -> BaseScheduler:
    """Give a scheduler the job store, the runtime its jobs use, the subscription jobs and the resync."""
    _runtime.append(Runtime(scheduler, sessions, client, grace))
    scheduler.configure(jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone="UTC")
    # The resync is not stored: each clock process runs its own, and one starts at once.
    scheduler.add_jobstore("memory", alias="local")
    scheduler.add_job(
        resync, "interval", seconds=RESYNC_SECONDS, id="resync", jobstore="local", next_run_time=utcnow()
    )
    return scheduler


def _every(scheduler: BaseScheduler, job: Callable[[], object], minutes: int, job_id: str) -> None:
    """A housekeeping job of this process (the local store): run now, then every `minutes`; runs missed while
    one was still going are folded into one, never run side by side."""
    scheduler.add_job(
        job, "interval", minutes=minutes, id=job_id, jobstore="local",
        next_run_time=utcnow(), coalesce=True, max_instances=1,
    )  # fmt: skip


def add_feed_polling(scheduler: BaseScheduler, poll: Callable[[], int]) -> None:
    """Read followed feeds every few minutes; each feed itself is read at most hourly (`poll_feeds`)."""
    _every(scheduler, poll, FEED_POLL_MINUTES, "feeds")


def poll_feeds(
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> int:
    """Read every feed not read in the last hour (ingest/feed_poll.py); new articles are posted for review."""
    slack = _FeedSlack(sessions, settings, client_for(client))  # a token is looked up once a workspace
    return feed_poll.poll_feeds(sessions, slack, fetch_settings(settings), settings.feed_budget, now=now)


@dataclass(frozen=True)
class _FeedSlack:
    """What the feed poll asks of Slack, through each workspace's client."""

    sessions: sessionmaker[Session]
    settings: Settings
    clients: ClientFor

    def installed(self, workspace_id: int) -> bool:
        return self.clients(workspace_id) is not None

    def publish(self, found: Candidates, workspace_id: int, user: str) -> None:
        posting.publish(
            found, sessions=self.sessions, settings=self.settings, client=self.clients(workspace_id),
            workspace_id=workspace_id, user=user,
        )  # fmt: skip

    def tell(self, workspace_id: int, user: str, text: str) -> None:
        client = self.clients(workspace_id)
        if client is None:
            return
        try:
            send_dm(client, user, text)
        except SlackApiError as error:
            feed_log.warning("could not tell %s: %s", user, error.response.get("error"))


def add_weekly_note(
    scheduler: BaseScheduler, sessions: sessionmaker[Session], client: WebClient | ClientFor
) -> None:
    """Every few minutes, send the weekly note to editors if this week's is not claimed yet (digests.weekly_note)."""

    def send() -> None:
        for outcome in weekly_note.run(sessions, client, now=utcnow()):
            if outcome.state != "busy":
                log.info("weekly note for workspace %s: %s", outcome.workspace_id, outcome.state)

    _every(scheduler, send, WEEKLY_NOTE_MINUTES, "weekly-note")


def check_links_and_tell(
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    *,
    now: datetime,
    settings: FetchSettings = link_check.SETTINGS,
    pause: float = link_check.PAUSE,
) -> list[weekly_note.Outcome]:
    """Check the links due (each a week after its last check), then send this week's link note to editors if
    it is not claimed yet: exactly once a week, as the freshness note is, each problem reported once."""
    checked = link_check.run(sessions, now=now, settings=settings, pause=pause)
    if checked:
        log.info("checked %s source links", len(checked))
    return weekly_note.send_weekly(
        sessions, client, link_check.KIND, link_check.note_text, now=now, on_sent=link_check.mark_reported
    )


def add_link_checks(
    scheduler: BaseScheduler,
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    settings: FetchSettings = link_check.SETTINGS,
) -> None:
    """Every hour, check the links whose last check is a week old, and send the week's link note once."""

    def check() -> None:
        for outcome in check_links_and_tell(sessions, client, now=utcnow(), settings=settings):
            if outcome.state != "busy":
                log.info("link note for workspace %s: %s", outcome.workspace_id, outcome.state)

    _every(scheduler, check, LINK_CHECK_MINUTES, "link-checks")


def add_retraction_notices(
    scheduler: BaseScheduler, sessions: sessionmaker[Session], client: WebClient | ClientFor
) -> None:
    """Every few minutes, send retraction notices a process left untold (bot.notices)."""

    def send() -> None:
        if sent := notices.tell_everywhere(sessions, client, now=utcnow()):
            log.info("retraction notices left over: %s sent", sent)

    _every(scheduler, send, NOTICE_MINUTES, "retraction-notices")


def run(
    engine: Engine,
    sessions: sessionmaker[Session],
    client: WebClient | ClientFor,
    grace: timedelta,
    poll_feeds: Callable[[], int] | None = None,
    fetching: FetchSettings | None = None,
) -> None:
    scheduler = configure(BlockingScheduler(), engine, sessions, client, grace)
    if poll_feeds is not None:
        add_feed_polling(scheduler, poll_feeds)
    add_weekly_note(scheduler, sessions, client)
    add_link_checks(scheduler, sessions, client, fetching or link_check.SETTINGS)
    add_retraction_notices(scheduler, sessions, client)
    log.info("clock started; missed runs are sent within %s", grace)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("clock stopped")
