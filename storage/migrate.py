"""Run the Alembic migrations from code, so `statbot init` and the release phase need no alembic.ini."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the full-text index to the migrations that made it: FTS5 tables, the tsvector column, its index."""
    # The clock's APScheduler job store keeps its own table in the same database.
    if type_ == "table" and name == "apscheduler_jobs":
        return False
    return not (name or "").startswith(("search_fts", "ix_search_documents_tsv")) and not (
        type_ == "column" and name == "tsv"
    )


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:  # env.py uses this connection rather than opening its own
        config.attributes["engine"] = engine
    return config


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic logs every step at INFO ("Context impl SQLiteImpl", "Will assume non-transactional DDL"),
    which `statbot init` on every `make run` would print as JSON lines; its warnings and errors still show."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _quiet_alembic():
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _quiet_alembic():
        command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration (no statbot tables)."""
    with _quiet_alembic(), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def heads() -> set[str]:
    """The revisions this code's migrations end at (one, unless branches are merged but not re-chained)."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
