"""What the bench scripts share: scratch databases, a realistic seeded library, servers under gunicorn.

Seeding writes rows straight into the tables (COPY on PostgreSQL, executemany on SQLite) with
search documents and entity links, the same shapes the app writes, so a million figures take
a minute or two rather than an hour through the ORM.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, func, select, text  # noqa: E402

from storage import library, migrate, queries, sample, workspaces  # noqa: E402
from storage.db import make_engine, make_sessions, normalise_url  # noqa: E402
from storage.models import Entity, Statistic  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
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
    "offences",
    "referrals",
    "helpline",
    "teenagers",
    "parents",
    "moderation",
    "accounts",
    "removals",
    "complaints",
]
PLACES = ["UK", "England", "Wales", "Scotland", "Northern Ireland", "EU", "US", "worldwide"]
PUBLISHERS = ["BBC News", "The Guardian", "ITV News", "The Independent", "Sky News", "Ofcom", "ONS"]
OTHER_ENTITIES = 300
SOURCES = 400
TOPICS = ["online safety", "child protection", "encryption", "age verification", "moderation"]


# --- scratch databases ------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(backend: str, folder: Path, postgres: str = DEFAULT_POSTGRES) -> Iterator[str]:
    """A URL to a new empty database (a SQLite file in `folder`, or `statbot_bench_*` on the server),
    dropped afterwards."""
    if backend == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"statbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(postgres).rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- a realistic library ----------------------------------------------------------------------


@dataclass
class Seeded:
    workspace_id: int
    figures: int  # stored figures in all, the sample's included
    family: int  # figures linked to Meta's family (what `/stats facebook` finds)
    seconds: float


def prepare(url: str) -> tuple[Engine, int]:
    """Migrate, bind the home workspace and load the sample data; returns the engine and workspace id."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_sessions(engine)() as session:
        workspace = workspaces.bind_home(session, TEAM)
        sample.load(session, workspace.id)
        session.commit()
        return engine, workspace.id


def seed(engine: Engine, workspace_id: int, count: int, *, seed_: int = 7) -> Seeded:
    """Add `count` figures to the workspace: a tenth about Meta's family (some named directly, some
    through Instagram or WhatsApp), the rest spread over 300 other organisations; 400 sources; periods
    over 25 years; a few superseded, pending or retracted. Each has its search document and links."""
    started = time.perf_counter()
    with make_sessions(engine)() as session:
        meta = session.scalar(
            select(Entity).where(Entity.workspace_id == workspace_id, Entity.name == "Meta Platforms")
        )
        assert meta is not None, "the sample data names Meta Platforms"
        family = sorted(queries.family_ids(session, [meta]))
        names = {e.id: e.name for e in session.scalars(select(Entity).where(Entity.id.in_(family)))}
        others = [
            library.entity(session, workspace_id, f"Organisation {n}", aliases=[f"org{n}"])
            for n in range(OTHER_ENTITIES)
        ]
        sources = [
            library.source(
                session,
                workspace_id,
                publisher=PUBLISHERS[n % len(PUBLISHERS)],
                title=f"Report {n}",
                url=f"https://example.org/report/{n}",
            )
            for n in range(SOURCES)
        ]
        topics = [library.topic(session, workspace_id, name) for name in TOPICS]
        session.commit()
        names |= {e.id: e.name for e in others}
        other_ids = [e.id for e in others]
        source_rows = [(s.id, s.publisher, s.title) for s in sources]
        topic_rows = [(t.id, t.name) for t in topics]
        first_id = (session.scalar(select(func.max(Statistic.id))) or 0) + 1
        first_document = (session.scalar(text("SELECT max(id) FROM search_documents")) or 0) + 1
        before = session.scalar(select(func.count()).select_from(Statistic)) or 0
        before_family = session.scalar(
            text(
                "SELECT count(DISTINCT statistic_id) FROM statistic_entities WHERE entity_id IN ("
                + ",".join(map(str, family))
                + ")"
            )
        )

    rng = random.Random(seed_)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    figures: list[tuple[Any, ...]] = []
    links: list[tuple[int, int]] = []
    topic_links: list[tuple[int, int]] = []
    documents: list[tuple[Any, ...]] = []
    family_count = 0
    for n in range(count):
        figure_id = first_id + n
        measure = " ".join(rng.sample(WORDS, 4)) + f" measure {n}"
        year = rng.randint(2001, 2026)
        precision = rng.choice(("year", "year", "month", "day"))
        end = date(year, 12, 31) if precision == "year" else date(year, rng.randint(1, 12), 28)
        start = date(year, 1, 1)
        roll = rng.random()
        status = (
            "superseded"
            if roll < 0.02
            else "pending"
            if roll < 0.04
            else "retracted"
            if roll < 0.05
            else "published"
        )
        published = None if status == "pending" else now - timedelta(minutes=rng.randint(1, 5 * 365 * 1440))
        changed = (
            published + timedelta(days=1) if status in ("superseded", "retracted") and published else None
        )
        place = rng.choice(PLACES)
        source_id, publisher, title = rng.choice(source_rows)
        if n % 10 == 0:
            tagged = rng.sample(family, rng.choice((1, 1, 2)))
            family_count += status in ("published", "superseded")
        else:
            tagged = []
        tagged += rng.sample(other_ids, rng.choice((1, 1, 2)))
        value = rng.randint(1, 9_999_999)
        figures.append(
            (figure_id, workspace_id, value, "count", f"{value:,}", measure, start, end, precision, place,
             "", "", source_id, status, "", "bench", now, published, changed)
        )  # fmt: skip
        links += [(figure_id, entity) for entity in tagged]
        chosen_topics = rng.sample(topic_rows, rng.choice((0, 1, 1, 2)))
        topic_links += [(figure_id, topic_id) for topic_id, _ in chosen_topics]
        body = "\n".join(
            [measure, f"{value:,}", place, *(name for _, name in chosen_topics), *(names[e] for e in tagged),
             title, publisher]
        )  # fmt: skip
        documents.append((first_document + n, workspace_id, "statistic", figure_id, body))

    columns = (
        "id, workspace_id, value, unit, value_text, measure, period_start, period_end, period_precision,"
        " geography, evidence, notes, source_id, status, status_reason, created_by, created_at,"
        " published_at, status_changed_at"
    )
    tables = [
        (f"statistics ({columns})", figures),
        ("statistic_entities (statistic_id, entity_id)", links),
        ("statistic_topics (statistic_id, topic_id)", topic_links),
        ("search_documents (id, workspace_id, kind, item_id, body)", documents),
    ]
    if engine.dialect.name == "postgresql":
        _copy(engine, tables)
    else:
        _insert_many(engine, tables)
    return Seeded(
        workspace_id, before + count, (before_family or 0) + family_count, time.perf_counter() - started
    )


def _copy(engine: Engine, tables: Sequence[tuple[str, list[tuple[Any, ...]]]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for target, rows in tables:
            with cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        for table in ("statistics", "search_documents"):
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _insert_many(engine: Engine, tables: Sequence[tuple[str, list[tuple[Any, ...]]]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for target, rows in tables:
            marks = ",".join("?" * len(rows[0])) if rows else ""
            for start in range(0, len(rows), 50_000):
                cursor.executemany(f"INSERT INTO {target} VALUES ({marks})", rows[start : start + 50_000])
        raw.commit()
    finally:
        raw.close()


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes: the children of its arbiter."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def peak_memory_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the workers, in MB."""
        peaks = [0.0]
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(argv: list[str], port: int, env: dict[str, str], cwd: Path, workers: int) -> Server:
    """Start a server listening on 127.0.0.1:`port`; wait until /healthz answers and every worker is up."""
    process = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{server.base}/healthz", timeout=2).close()  # noqa: S310
            if len(server.worker_pids()) >= workers:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{argv} did not answer on {server.base}")


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
