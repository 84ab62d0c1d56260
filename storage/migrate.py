"""Run the Alembic migrations from code, so `statbot init` and the release phase need no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
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


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py uses this connection rather than opening its own.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
