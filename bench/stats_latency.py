"""Time `/stats facebook` end to end over HTTP: signed requests to `statbot serve` (gunicorn) on 127.0.0.1.

    python bench/stats_latency.py                    # sample data only, SQLite
    python bench/stats_latency.py --figures 100000   # plus generated figures
    python bench/stats_latency.py --figures 100000 --postgres postgresql://postgres@127.0.0.1:5432/test

Generated figures are tagged with a spread of entities (a tenth with Meta's family) and share one
source, so the question has many candidates to rank, as a real library would.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, select, text  # noqa: E402

from storage import library, migrate, sample, workspaces  # noqa: E402
from storage.db import make_engine, make_sessions, normalise_url  # noqa: E402
from storage.models import Entity, SearchDocument, Statistic, statistic_entities  # noqa: E402
from tests.slackapi.signing import post, signed_headers, slash_command_body  # noqa: E402
from tests.slackapi.standin import SlackStandIn  # noqa: E402

SECRET = "bench-secret"
TEAM = "T0TEST"
WORDS = [
    "children",
    "online",
    "abuse",
    "reports",
    "police",
    "schools",
    "poverty",
    "housing",
    "safety",
    "harm",
    "grooming",
    "images",
]


def generate(engine: Engine, workspace_id: int, count: int) -> None:
    """Insert `count` figures in bulk (Core inserts), with search documents and entity links."""
    with make_sessions(engine)() as session:
        others = [library.entity(session, workspace_id, f"Organisation {n}") for n in range(200)]
        source = library.source(session, workspace_id, publisher="Bench Statistics", title="Generated")
        session.commit()
        meta_family = list(session.scalars(select(Entity.id).where(Entity.workspace_id == workspace_id)))[:5]
        other_ids = [entity.id for entity in others]
        source_id = source.id
    rng = random.Random(7)
    batch = 5000
    with engine.begin() as connection:
        next_id = (
            connection.execute(select(Statistic.id).order_by(Statistic.id.desc()).limit(1)).scalar() or 0
        ) + 1
        for start in range(0, count, batch):
            figures, documents, links = [], [], []
            for n in range(start, min(start + batch, count)):
                figure_id = next_id + n
                measure = " ".join(rng.sample(WORDS, 4)) + f" measure {n}"
                year = rng.randint(2005, 2025)
                figures.append(
                    {
                        "id": figure_id,
                        "workspace_id": workspace_id,
                        "value": rng.randint(1, 99_999),
                        "unit": "count",
                        "value_text": "",
                        "measure": measure,
                        "period_start": date(year, 1, 1),
                        "period_end": date(year, 12, 1),
                        "period_precision": "month",
                        "geography": "UK",
                        "evidence": "",
                        "notes": "",
                        "source_id": source_id,
                        "status": "published",
                        "status_reason": "",
                        "created_by": "bench",
                        "published_at": None,
                    }
                )
                entity = rng.choice(meta_family) if n % 10 == 0 else rng.choice(other_ids)
                links.append({"statistic_id": figure_id, "entity_id": entity})
                documents.append(
                    {
                        "workspace_id": workspace_id,
                        "kind": "statistic",
                        "item_id": figure_id,
                        "body": f"{measure}\nUK\nBench Statistics",
                    }
                )
            connection.execute(insert(Statistic.__table__), figures)
            connection.execute(insert(statistic_entities), links)
            connection.execute(insert(SearchDocument.__table__), documents)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--figures", type=int, default=0, help="generated figures on top of the sample")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--question", default="facebook")
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a scratch database is made on it")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="statbot-bench-"))
    scratch = None
    if args.postgres:
        scratch = f"statbot_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(args.postgres), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = normalise_url(args.postgres).rsplit("/", 1)[0] + f"/{scratch}"
    else:
        url = f"sqlite:///{folder}/bench.db"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with make_sessions(engine)() as session:
            workspace = workspaces.bind_home(session, TEAM)
            sample.load(session, workspace.id)
            session.commit()
            workspace_id = workspace.id
        started = time.perf_counter()
        generate(engine, workspace_id, args.figures)
        print(
            f"database: {engine.dialect.name}, figures: {args.figures + 2:,} (generated in {time.perf_counter() - started:.1f} s)"
        )
        run_server(engine.url.render_as_string(hide_password=False), folder, args)
    finally:
        engine.dispose()
        if scratch:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))


def run_server(url: str, folder: Path, args: argparse.Namespace) -> None:
    with SlackStandIn(team_id=TEAM) as standin:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": standin.api_url,
            "STATBOT_LOG_LEVEL": "WARNING",
        }
        statbot = str(Path(sys.executable).with_name("statbot"))
        server = subprocess.Popen(
            [statbot, "serve", "--port", str(port), "--workers", "1"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).close()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            samples = []
            for n in range(args.requests + 10):
                body = slash_command_body(
                    "/stats", args.question, team_id=TEAM, response_url=standin.response_url()
                )
                started = time.perf_counter()
                status, _, raw = post(f"{base}/slack/events", body, signed_headers(body, SECRET))
                elapsed = (time.perf_counter() - started) * 1000
                assert status == 200 and "figure" in raw, (status, raw[:200])
                if n >= 10:  # the first requests warm the worker's caches and connection pool
                    samples.append(elapsed)
            print(
                f"/stats {args.question} over HTTP, {len(samples)} requests: p50 {percentile(samples, 0.5):.1f} ms, "
                f"p99 {percentile(samples, 0.99):.1f} ms, mean {statistics.mean(samples):.1f} ms, "
                f"max {max(samples):.1f} ms"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
