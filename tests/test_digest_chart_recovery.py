"""A digest's charts and its CSV are part of its delivery's recorded state: a process killed (or an upload
failing) after the digest is recorded and before its files are in the thread leaves them pending, and the next
run uploads each exactly once; a digest recovered from channel history gets its chart and its CSV too."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from digests import deliver, subscriptions
from tests.commandline import STATBOT, environment
from tests.conftest import BOT_TOKEN
from tests.digests import (
    CHANNEL,
    MONDAY_BEFORE_DST,
    SUBSCRIBED,
    SUBSCRIBER,
    WEEKLY_LONDON,
    deliveries,
    posts,
    publish,
    subscribe,
)

AFTER_THE_LEASE = MONDAY_BEFORE_DST + deliver.CLAIM_LEASE + timedelta(minutes=1)


def a_series(sessions: sessionmaker[Session], home_id: int) -> None:
    """A digest with one chart: a figure published before subscribing and a newer point of the same series."""
    publish(sessions, home_id, SUBSCRIBED - timedelta(days=30), value="48", year="2025")
    subscribe(sessions, home_id)
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1), value="61", year="2026")


def a_series_with_csv(sessions: sessionmaker[Session], home_id: int) -> None:
    """As a_series, subscribed with a CSV of the figures."""
    publish(sessions, home_id, SUBSCRIBED - timedelta(days=30), value="48", year="2025")
    with sessions.begin() as session:
        subscriptions.subscribe(session, home_id, CHANNEL, "facebook", WEEKLY_LONDON, user_id=SUBSCRIBER,
                                now=SUBSCRIBED, attach_csv=True)  # fmt: skip
    publish(sessions, home_id, SUBSCRIBED + timedelta(days=1), value="61", year="2026")


def files_in_thread(standin: SlackStandIn, ts: str) -> list[str]:
    return [
        str(call.params["files"])
        for call in standin.calls("files.completeUploadExternal", ok=True)
        if call.params.get("thread_ts") == ts and call.params.get("channel_id") == CHANNEL
    ]


def charts_in_thread(standin: SlackStandIn, ts: str) -> list[str]:
    return [f for f in files_in_thread(standin, ts) if ".csv" not in f]


def csvs_in_thread(standin: SlackStandIn, ts: str) -> list[str]:
    return [f for f in files_in_thread(standin, ts) if ".csv" in f]


def test_a_chart_whose_upload_failed_is_uploaded_once_by_the_next_run(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
) -> None:
    a_series(sessions, home_id)
    standin.drop_connection_next("files.getUploadURLExternal", times=10)  # outlasts the client's retries
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "posted" and outcome.ts is not None
    assert charts_in_thread(standin, outcome.ts) == []
    [delivery] = deliveries(sessions)
    assert (delivery.state, delivery.chart_state) == ("posted", "pending")

    standin.clear()
    assert deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(minutes=1)) == []
    assert len(charts_in_thread(standin, outcome.ts)) == 1
    assert posts(standin) == []  # the digest itself is not posted again
    [delivery] = deliveries(sessions)
    assert (delivery.chart_state, delivery.charts_uploaded) == ("done", 1)

    deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(hours=1))
    assert len(charts_in_thread(standin, outcome.ts)) == 1


def test_a_digest_recovered_from_channel_history_gets_its_chart(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
    database_fails_on_recording_the_post: list[int],
) -> None:
    a_series(sessions, home_id)
    with pytest.raises(OperationalError):
        deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert len(posts(standin)) == 1
    ts = str(standin.calls("chat.postMessage")[0].response["ts"])  # type: ignore[index]
    assert charts_in_thread(standin, ts) == []

    [outcome] = deliver.run_due(sessions, client, now=AFTER_THE_LEASE)
    assert outcome.state == "recovered" and outcome.ts == ts
    assert len(posts(standin)) == 1 and len(charts_in_thread(standin, ts)) == 1
    deliver.run_due(sessions, client, now=AFTER_THE_LEASE + timedelta(hours=1))
    assert len(charts_in_thread(standin, ts)) == 1
    [delivery] = deliveries(sessions)
    assert delivery.chart_state == "done"


@pytest.mark.slow
def test_a_clock_killed_between_recording_the_digest_and_uploading_its_chart_leaves_it_to_the_next_run(
    tmp_path: Path, engine: Engine, sessions: sessionmaker[Session], home_id: int, standin: SlackStandIn
) -> None:
    a_series(sessions, home_id)
    env = environment(
        tmp_path,
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=standin.api_url,
    )
    release = standin.hang_next("files.getUploadURLExternal")
    run = [STATBOT, "digest", "run", "--now"]
    process = subprocess.Popen(
        [*run, MONDAY_BEFORE_DST.isoformat()], cwd=tmp_path, env=env, stderr=subprocess.PIPE
    )
    try:
        standin.wait_for("files.getUploadURLExternal", timeout=60)
        process.send_signal(signal.SIGKILL)  # kill -9: no handler, no cleanup
        process.wait(timeout=30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    assert len(posts(standin)) == 1
    ts = str(standin.calls("chat.postMessage")[0].response["ts"])  # type: ignore[index]
    [delivery] = deliveries(sessions)
    assert (delivery.state, delivery.chart_state, delivery.charts_uploaded) == ("posted", "pending", 0)

    # Within the lease the dead process still holds the chart; after it, the next run uploads it once.
    again = subprocess.run(
        [*run, (MONDAY_BEFORE_DST + timedelta(minutes=1)).isoformat()], cwd=tmp_path, env=env, timeout=120
    )
    assert again.returncode == 0 and charts_in_thread(standin, ts) == []
    for _ in range(2):
        later = subprocess.run([*run, AFTER_THE_LEASE.isoformat()], cwd=tmp_path, env=env, timeout=120)
        assert later.returncode == 0
    assert len(charts_in_thread(standin, ts)) == 1 and len(posts(standin)) == 1


def test_a_csv_and_chart_whose_uploads_failed_are_uploaded_once_each_by_the_next_run(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
) -> None:
    a_series_with_csv(sessions, home_id)
    standin.drop_connection_next("files.getUploadURLExternal", times=10)  # outlasts the client's retries
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "posted" and outcome.ts is not None
    assert files_in_thread(standin, outcome.ts) == []
    [delivery] = deliveries(sessions)
    assert (delivery.state, delivery.csv_state, delivery.chart_state) == ("posted", "pending", "pending")

    standin.clear()
    assert deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(minutes=1)) == []
    assert len(csvs_in_thread(standin, outcome.ts)) == 1 and len(charts_in_thread(standin, outcome.ts)) == 1
    assert posts(standin) == []  # the digest itself is not posted again
    [delivery] = deliveries(sessions)
    assert (delivery.csv_state, delivery.chart_state) == ("done", "done")

    deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(hours=1))
    assert len(files_in_thread(standin, outcome.ts)) == 2


def test_a_digest_recovered_from_channel_history_gets_its_csv(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
    database_fails_on_recording_the_post: list[int],
) -> None:
    a_series_with_csv(sessions, home_id)
    with pytest.raises(OperationalError):
        deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    ts = str(standin.calls("chat.postMessage")[0].response["ts"])  # type: ignore[index]
    assert files_in_thread(standin, ts) == []

    [outcome] = deliver.run_due(sessions, client, now=AFTER_THE_LEASE)
    assert outcome.state == "recovered" and outcome.ts == ts
    deliver.run_due(sessions, client, now=AFTER_THE_LEASE + timedelta(hours=1))
    assert len(posts(standin)) == 1 and len(csvs_in_thread(standin, ts)) == 1
    [delivery] = deliveries(sessions)
    assert delivery.csv_state == "done"


def test_a_csv_slack_refuses_for_good_is_not_tried_again(
    sessions: sessionmaker[Session],
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
) -> None:
    a_series_with_csv(sessions, home_id)
    standin.fail_next("files.completeUploadExternal", error="not_in_channel")
    [outcome] = deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST)
    assert outcome.state == "posted" and outcome.ts is not None
    [delivery] = deliveries(sessions)
    assert delivery.csv_state == "failed"
    standin.clear()
    deliver.run_due(sessions, client, now=MONDAY_BEFORE_DST + timedelta(minutes=1))
    assert csvs_in_thread(standin, outcome.ts) == []
