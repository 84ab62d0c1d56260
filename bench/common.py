"""What the bench scripts share: scratch databases, a realistic seeded library, servers under gunicorn.

Seeding goes through the one write path (storage.write: bulk inserts in batches), so seeded
figures are exactly what the app writes, links, search documents and audit entries included.
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, func, select, text  # noqa: E402

from storage import migrate, queries, sample, workspaces, write  # noqa: E402
from storage.db import make_engine, make_sessions, normalise_url  # noqa: E402
from storage.models import Entity, Statistic, Status  # noqa: E402
from storage.partial_date import PartialDate, Precision  # noqa: E402

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
    over 25 years; a few superseded, pending or retracted. Written through the one write path
    (storage.write), so each has its links, search document and audit entry as the app writes them."""
    started = time.perf_counter()
    with make_sessions(engine)() as session:
        meta = session.scalar(
            select(Entity).where(Entity.workspace_id == workspace_id, Entity.name == "Meta Platforms")
        )
        assert meta is not None, "the sample data names Meta Platforms"
        family = sorted(queries.family_ids(session, [meta]))
        family_names = [e.name for e in session.scalars(select(Entity).where(Entity.id.in_(family)))]
        others = [
            write.entity(session, workspace_id, f"Organisation {n}", aliases=[f"org{n}"]).name
            for n in range(OTHER_ENTITIES)
        ]
        session.commit()
        before = session.scalar(select(func.count()).select_from(Statistic)) or 0
        before_family = session.scalar(
            text(
                "SELECT count(DISTINCT statistic_id) FROM statistic_entities WHERE entity_id IN ("
                + ",".join(map(str, family))
                + ")"
            )
        )
    sources = [
        write.SourceSpec(
            publisher=PUBLISHERS[n % len(PUBLISHERS)],
            title=f"Report {n}",
            url=f"https://example.org/report/{n}",
        )
        for n in range(SOURCES)
    ]
    rng = random.Random(seed_)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    family_count = 0

    def figures() -> Iterator[write.NewFigure]:
        nonlocal family_count
        for n in range(count):
            measure = " ".join(rng.sample(WORDS, 4)) + f" measure {n}"
            year = rng.randint(2001, 2026)
            precision = Precision(rng.choice(("year", "year", "month", "day")))
            end = date(year, 12, 31) if precision is Precision.YEAR else date(year, rng.randint(1, 12), 28)
            roll = rng.random()
            status = (
                Status.SUPERSEDED if roll < 0.02 else Status.PENDING if roll < 0.04
                else Status.RETRACTED if roll < 0.05 else Status.PUBLISHED
            )  # fmt: skip
            published = (
                None if status is Status.PENDING else now - timedelta(minutes=rng.randint(1, 5 * 365 * 1440))
            )
            changed = (
                published + timedelta(days=1)
                if status in (Status.SUPERSEDED, Status.RETRACTED) and published
                else None
            )
            place = rng.choice(PLACES)
            source = rng.choice(sources)
            tagged: list[str] = []
            if n % 10 == 0:
                tagged = rng.sample(family_names, rng.choice((1, 1, 2)))
                family_count += status in (Status.PUBLISHED, Status.SUPERSEDED)
            tagged += rng.sample(others, rng.choice((1, 1, 2)))
            value = rng.randint(1, 9_999_999)
            yield write.NewFigure(
                value=Decimal(value), unit="count", value_text=f"{value:,}", measure=measure,
                period_start=PartialDate(date(year, 1, 1), precision), period_end=PartialDate(end, precision),
                geography=place, source=source, entities=tuple(tagged),
                topics=tuple(rng.sample(TOPICS, rng.choice((0, 1, 1, 2)))),
                status=status, published_at=published, status_changed_at=changed,
            )  # fmt: skip

    with make_sessions(engine)() as session:
        write.add(session, workspace_id, figures(), actor="bench", now=now, batch=2000)
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return Seeded(
        workspace_id, before + count, (before_family or 0) + family_count, time.perf_counter() - started
    )


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
