"""`statbot digest run` and `statbot digest preview` as processes, and the clock's scheduler, against the stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.app import make_client
from bot.cli import main
from bot.config import Settings
from bot.local_slack import SlackStandIn
from digests import subscriptions
from storage.models import DigestDelivery, Subscription, utcnow
from tests.conftest import BOT_TOKEN
from tests.digests import MONDAY_BEFORE_DST, SUBSCRIBED, WEEKLY_LONDON, posts, publish


def environment(engine: Engine, standin: SlackStandIn) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": standin.api_url,
    }


def subscribe_channels(sessions: sessionmaker[Session], workspace_id: int, count: int) -> None:
    with sessions.begin() as session:
        for n in range(count):
            subscriptions.subscribe(
                session, workspace_id, f"C{n:08d}", "facebook", WEEKLY_LONDON, user_id="U0SUB", now=SUBSCRIBED
            )


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_digest_run_processes_started_at_once_post_each_due_digest_once(
    engine: Engine,
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    tmp_path: Path,
) -> None:
    subscribe_channels(sessions, home_id, 30)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))
    command = [sys.executable, "-m", "bot.cli", "digest", "run", "--now", MONDAY_BEFORE_DST.isoformat()]
    env = environment(engine, standin)
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results

    posted = standin.calls("chat.postMessage", ok=True)
    assert len(posted) == 30
    assert len({call.params["channel"] for call in posted}) == 30
    with sessions() as session:
        states = list(session.scalars(select(DigestDelivery.state)))
    assert sorted(states) == ["posted"] * 30


def test_digest_preview_prints_what_would_be_posted(
    engine: Engine,
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = utcnow()
    with sessions.begin() as session:
        made = subscriptions.subscribe(
            session,
            home_id,
            "C0PREVIEW",
            "facebook",
            WEEKLY_LONDON,
            user_id="U0SUB",
            now=now - timedelta(days=1),
        )
        subscription_id = made.id
    publish(sessions, home_id, now - timedelta(hours=1))
    monkeypatch.chdir(tmp_path)
    for name, value in environment(engine, standin).items():
        monkeypatch.setenv(name, value)

    assert main(["digest", "preview", str(subscription_id)]) == 0
    out = capsys.readouterr().out
    assert "New figures" in out and "*61%* of grooming offences" in out
    assert standin.calls("chat.postMessage") == []
    assert main(["digest", "preview", "999"]) == 1


def test_the_clock_keeps_a_stored_job_per_subscription_and_sends_a_due_digest(
    engine: Engine, sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn
) -> None:
    now = utcnow()
    subscribe_channels(sessions, home_id, 2)
    with sessions.begin() as session:
        session.execute(
            update(Subscription).values(
                last_delivered_at=now - timedelta(hours=1), next_run_at=now - timedelta(minutes=1)
            )
        )
    publish(sessions, home_id, now - timedelta(minutes=30))
    client = make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))
    scheduler = clock.configure(BackgroundScheduler(), engine, sessions, client)
    scheduler.start()
    try:
        standin.wait_for("chat.postMessage", count=2, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(scheduler.get_jobs(jobstore="default")) < 2:
            time.sleep(0.1)
        jobs = {job.id: job for job in scheduler.get_jobs(jobstore="default")}
        assert set(jobs) == {"digest-1", "digest-2"}
        assert jobs["digest-1"].misfire_grace_time == 6 * 3600 and jobs["digest-1"].coalesce
        # A subscription made later by a web process is picked up by the next resync.
        with sessions.begin() as session:
            subscriptions.subscribe(
                session, home_id, "C0LATER", "meta", WEEKLY_LONDON, user_id="U0SUB", now=now
            )
        clock.resync()
        assert "digest-3" in {job.id for job in scheduler.get_jobs(jobstore="default")}
    finally:
        scheduler.shutdown(wait=True)
        scheduler.remove_all_jobs()
    assert len(standin.calls("chat.postMessage", ok=True)) == 2
    assert "apscheduler_jobs" in inspect(engine).get_table_names()
    assert len(posts(standin, "C00000000")) == 1
