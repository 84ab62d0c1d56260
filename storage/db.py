"""Engines and sessions: one place that knows how to connect to SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept Heroku's `postgres://` and plain `postgresql://`, and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine that checks connections before use, so a restarted database is picked up again."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # Bolt answers on worker threads and the clock runs jobs on its own: share the file.
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A server that does not answer must not hold a reply past Slack's 3 s: 2 s is libpq's minimum.
    kwargs.setdefault("connect_args", {"connect_timeout": 2})
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that refuse ORM writes of figures, quotes, search documents and audit entries made
    anywhere but storage.write (the one write path)."""
    from storage import write  # storage.write needs the models; this module must not

    sessions = sessionmaker(engine, expire_on_commit=False)
    write.guard(sessions)
    return sessions


def read_only(engine: Engine) -> Engine:
    """The engine for work that never writes, on the same pool without a transaction: no BEGIN and ROLLBACK
    round trips around an answer. Each statement sees the latest commits, as under READ COMMITTED."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")
