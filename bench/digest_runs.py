"""Build and post the digests of 1,000 subscriptions over 100,000 stored figures into the Slack stand-in.

    .venv/bin/python bench/digest_runs.py                      # SQLite in a temporary file
    .venv/bin/python bench/digest_runs.py --postgres postgresql://postgres@127.0.0.1:5432/test

Prints the seconds taken and how many posts the stand-in received, which must equal the number due.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import make_client
from bot.config import Settings
from bot.local_slack import SlackStandIn
from digests import deliver, subscriptions
from digests.schedule import Schedule
from storage import migrate, workspaces, write
from storage.db import make_engine, make_sessions, normalise_url
from storage.models import Status, Subscription
from storage.partial_date import PartialDate, Precision
from tests.conftest import BOT_TOKEN

WORDS = [
    "housing",
    "energy",
    "poverty",
    "schools",
    "hospitals",
    "prisons",
    "asylum",
    "wages",
    "rents",
    "pensions",
    "benefits",
    "childcare",
    "broadband",
    "transport",
    "water",
    "flooding",
    "policing",
    "courts",
    "disability",
    "carers",
    "loneliness",
    "obesity",
    "smoking",
    "alcohol",
    "gambling",
    "debt",
    "homelessness",
    "apprenticeships",
    "tuition",
    "nurses",
    "doctors",
    "dentists",
    "waiting",
    "ambulances",
    "libraries",
    "parks",
    "pollution",
    "recycling",
    "emissions",
    "insulation",
    "heating",
    "tenancy",
    "evictions",
    "food",
    "banks",
    "refugees",
    "literacy",
    "vaccination",
    "screening",
    "dementia",
    "adoption",
    "fostering",
]
RUN_AT = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in London
SUBSCRIBED = RUN_AT - timedelta(days=6)  # the Tuesday before


def fill(url: str, figures: int, subscriptions_wanted: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessions(engine)
    rng = random.Random(4)
    with sessions.begin() as session:
        workspace = workspaces.bind_home(session, "T0TEST")
        workspace_id = workspace.id
    source = write.SourceSpec(publisher="Bench Office", url="https://example.org/")

    def generated() -> Iterator[write.NewFigure]:
        for n in range(figures):
            word = WORDS[n % len(WORDS)]
            # A series every so often: the same measure and place, a year apart.
            series = n % 500 == 0
            yield write.NewFigure(
                value=Decimal(rng.randint(1, 99)),
                unit="percent",
                measure=f"{word} indicator {n // len(WORDS) if not series else 'series'}",
                period_end=PartialDate(datetime(2026 - (n // 500) % 2, 12, 31).date(), Precision.YEAR),
                geography="UK",
                source=source,
                status=Status.PUBLISHED,
                # Sixty days of approvals; the last six fall in the digests' window.
                published_at=RUN_AT - timedelta(seconds=rng.randint(60, 60 * 86400)),
            )

    # Through the one write path, as every figure is written (rows, links, search documents, audit).
    with sessions.begin() as session:
        write.add(session, workspace_id, generated(), actor="bench", now=SUBSCRIBED)
    schedule = Schedule("weekly", 0, datetime(2000, 1, 1, 9, 0).time(), "Europe/London")
    with sessions.begin() as session:
        for n in range(subscriptions_wanted):
            subscriptions.subscribe(
                session,
                workspace_id,
                f"C{n:08d}",
                WORDS[n % len(WORDS)],
                schedule,
                user_id="U0BENCH",
                now=SUBSCRIBED,
            )
    if engine.dialect.name == "postgresql":
        # Fresh bulk-loaded tables have no statistics yet; without them the planner picks nested loops.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()


def build_all(url: str) -> tuple[int, float]:
    """Build (and render, without posting) the digest of every subscription due at RUN_AT, as the
    clock would just before posting; returns how many were built and the seconds taken."""
    engine = make_engine(url)
    with make_sessions(engine)() as session:
        due = deliver.due_subscription_ids(session, RUN_AT)
        started = time.perf_counter()
        for subscription_id in due:
            subscription = session.get(Subscription, subscription_id)
            assert subscription is not None
            assert deliver.preview(session, subscription, RUN_AT) is not None
        seconds = time.perf_counter() - started
    engine.dispose()
    return len(due), seconds


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--figures", type=int, default=100_000)
    parser.add_argument("--subscriptions", type=int, default=1_000)
    args = parser.parse_args()

    admin = None
    if args.postgres:
        name = f"statbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = normalise_url(args.postgres).rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    try:
        started = time.perf_counter()
        fill(url, args.figures, args.subscriptions)
        print(f"filled {args.figures:,} figures and {args.subscriptions:,} subscriptions in "
              f"{time.perf_counter() - started:.1f} s ({make_engine(url).dialect.name})")  # fmt: skip
        engine = make_engine(url)
        sessions = make_sessions(engine)
        with sessions() as session:
            due = len(deliver.due_subscription_ids(session, RUN_AT))
        with SlackStandIn() as standin:
            client = make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))
            started = time.perf_counter()
            outcomes = deliver.run_due(sessions, client, now=RUN_AT)
            seconds = time.perf_counter() - started
            posts = len(standin.calls("chat.postMessage", ok=True))
            uploads = len([u for u in standin.uploads() if u.completed])
            problems = standin.violations
        states: dict[str, int] = {}
        for outcome in outcomes:
            states[outcome.state] = states.get(outcome.state, 0) + 1
        print(f"due: {due:,}; outcomes: {states}")
        print(f"built and posted in {seconds:.1f} s ({seconds / max(due, 1) * 1000:.0f} ms a digest)")
        print(
            f"posts the stand-in received: {posts:,}; charts uploaded: {uploads}; Block Kit problems: {len(problems)}"
        )
        engine.dispose()
        return 0 if posts == due and not problems else 1
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
