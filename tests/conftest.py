"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the sample data, Slack stand-ins, and the
real app served over HTTP (`server`, the one app-server fixture: a module changes what it serves by overriding
`settings` or `editors`)."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import migrate, roles, sample, workspaces
from storage.db import make_engine, make_sessions, normalise_url
from storage.models import Base
from tests.http_server import serving

# Fixtures shared by several modules that live beside their helpers.
pytest_plugins = ("tests.commandline", "tests.digests", "tests.spreadsheets")

PG_SERVER = os.environ.get("STATBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEAM = "T0TEST"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
EDITOR = "U0EDITOR"

VECTORS = "STATBOT_EMBEDDING_CACHE"
_MADE_VECTORS = pytest.StashKey[str]()  # the folder this process made, to remove at the end


def pytest_configure(config: pytest.Config) -> None:
    """One folder of embedded texts for the whole run: the main process makes it before its xdist workers start,
    and they and every `statbot` process they run inherit it, so each sample or corpus row is embedded once."""
    if VECTORS not in os.environ:
        os.environ[VECTORS] = tempfile.mkdtemp(prefix="statbot-test-vectors-")
        config.stash[_MADE_VECTORS] = os.environ[VECTORS]


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_MADE_VECTORS, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop(VECTORS, None)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own on the test server, dropped afterwards. No server is an error, never a skip."""
    name = f"statbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_engines(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Engine]]:
    sqlite_path = tmp_path_factory.mktemp("db") / "statbot.db"
    engines = {"sqlite": make_engine(f"sqlite:///{sqlite_path}"), "postgresql": make_engine(postgres_url)}
    for engine in engines.values():
        migrate.upgrade(engine)
    yield engines
    for engine in engines.values():
        engine.dispose()


BUSY = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)')"
)


def wait_until_idle(engine: Engine) -> None:
    """Wait until no other session on this PostgreSQL database is mid-query or mid-transaction (work an app
    started after its ack in the previous test may still be finishing), so emptying cannot deadlock with it."""
    deadline = time.monotonic() + 30
    with engine.connect() as connection:
        if connection.scalar(BUSY):
            # A session a test dropped without closing holds its transaction open until the garbage collector
            # gets to it (a Session sits in reference cycles): collect now rather than wait for it.
            connection.rollback()
            gc.collect()
        while connection.scalar(BUSY) and time.monotonic() < deadline:
            connection.rollback()
            time.sleep(0.05)


# Every sequence back to 1, as a fresh database has them.
RESTART_SEQUENCES = text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'")


def empty(engine: Engine) -> None:
    """Delete every row, children first. On PostgreSQL this is DELETE rather than TRUNCATE: TRUNCATE makes new
    files for each of the dozens of tables and their indexes (0.4-0.6 s a test); DELETE of a test's few rows
    takes about 20 ms."""
    # The library version's one row is made by its migration and never deleted by the app.
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "library_version"]
    if engine.dialect.name == "postgresql":
        wait_until_idle(engine)
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            connection.execute(RESTART_SEQUENCES)


# The Slack surface: modules of signed requests to the real app over HTTP.
SLACK_SURFACE = "_http"


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The Slack-surface modules run on PostgreSQL, production's database, not on both: what they test (Bolt,
    signatures, Block Kit, who may do what) sits above storage, and storage's own tests run on both databases.
    It takes the surface's SQLite runs (about 200 s summed, an eighth of the suite) out of `make test`. The mark
    is added before pytest applies marks and fixture params, so a module's own choice of `engine` still wins."""
    module = metafunc.module.__name__
    if module.endswith(SLACK_SURFACE) and "engine" in metafunc.fixturenames:
        chosen = any("engine" in str(mark.args[0]) for mark in metafunc.definition.iter_markers("parametrize"))
        if not chosen:
            metafunc.definition.add_marker(pytest.mark.parametrize("engine", ["postgresql"], indirect=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, migrated_engines: dict[str, Engine]) -> Engine:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    chosen = migrated_engines[request.param]
    empty(chosen)
    return chosen


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessions(engine)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def home_id(db: Session) -> int:
    """The home workspace, bound to the test team, with the NSPCC sample data loaded."""
    workspace = workspaces.bind_home(db, TEAM)
    sample.load(db, workspace.id)
    db.commit()
    return workspace.id


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=TEAM) as server:
        yield server


def slack_settings(engine: Engine, standin: SlackStandIn, **overrides: Any) -> Settings:
    """Settings for the real app on this test database, talking to the Web API stand-in."""
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        response_url_allow_loopback=True,  # the stand-in takes replies on 127.0.0.1
        **overrides,
    )


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin)


@pytest.fixture
def editors() -> tuple[str, ...]:
    """Slack users made editors of the home workspace before `server` starts; a module overrides it."""
    return ()


@pytest.fixture
def server(request: pytest.FixtureRequest, settings: Settings, editors: tuple[str, ...]) -> Iterator[str]:
    """The real app (bot.web: Bolt behind the WSGI entry) on 127.0.0.1 port 0; yields its base URL.

    It serves `settings` (override that fixture for other settings). With a bot token (single-workspace mode)
    the home workspace is bound first, with the sample data (`home_id`), and `editors` are its editors; in
    Add-to-Slack mode (`multi_settings`) no workspace exists until a test installs one.
    """
    if settings.bot_token:
        home_id: int = request.getfixturevalue("home_id")
        if editors:
            engine: Engine = request.getfixturevalue("engine")
            with make_sessions(engine).begin() as session:
                for user in editors:
                    roles.add_editor(session, home_id, user)
    with serving(create_wsgi(settings)) as url:
        yield url


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
