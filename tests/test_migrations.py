"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and undo cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage import migrate
from storage.migrate import include_object
from storage.models import Base


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_the_full_text_index_exists_where_each_database_keeps_it(engine: Engine) -> None:
    inspector = inspect(engine)
    if engine.dialect.name == "postgresql":
        assert "tsv" in {c["name"] for c in inspector.get_columns("search_documents")}
        assert "ix_search_documents_tsv" in {i["name"] for i in inspector.get_indexes("search_documents")}
    else:
        assert "search_fts" in inspector.get_table_names()


def test_downgrade_to_nothing_and_back_up_again(tmp_path: object) -> None:
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/cycle.db")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert "statistics" in inspect(engine).get_table_names()
