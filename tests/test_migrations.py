"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and undo cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

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


@pytest.mark.slow
def test_0011_merges_sources_that_share_a_link_into_the_oldest(tmp_path: object) -> None:
    """Before 0011 one link could be several sources; after it, one: references move to the oldest."""
    import uuid

    from sqlalchemy import create_engine, text

    from storage.db import make_engine, normalise_url
    from tests.conftest import PG_SERVER

    name = f"statbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [f"sqlite:///{tmp_path}/merge.db", normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}"]
    try:
        for url in urls:
            engine = make_engine(url)
            migrate.upgrade(engine, "0010")
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO workspaces (id, name, is_home, created_at) VALUES (1, '', true, CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO sources (id, workspace_id, title, publisher, url, notes) VALUES"
                        " (1, 1, 'A', 'P', 'https://x', ''), (2, 1, 'B', 'P', 'https://x', ''),"
                        " (3, 1, 'C', 'Q', '', ''), (4, 1, 'D', 'R', 'https://y', '')"
                    )
                )
                connection.execute(text("UPDATE sources SET cites_id = 2 WHERE id = 4"))
                connection.execute(
                    text(
                        "INSERT INTO statistics (id, workspace_id, value, unit, value_text, measure, geography,"
                        " evidence, notes, source_id, via_source_id, status, status_reason, created_by, created_at)"
                        " VALUES (1, 1, 1, 'count', '', 'm', '', '', '', 2, 2, 'published', '', '', CURRENT_TIMESTAMP)"
                    )
                )
            migrate.upgrade(engine)
            with engine.connect() as connection:
                assert connection.execute(text("SELECT id FROM sources ORDER BY id")).scalars().all() == [
                    1,
                    3,
                    4,
                ]
                assert connection.execute(text("SELECT source_id, via_source_id FROM statistics")).one() == (
                    1,
                    1,
                )
                assert connection.execute(text("SELECT cites_id FROM sources WHERE id = 4")).scalar() == 1
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0018a_fills_in_when_published_figures_changed_from_the_audit_log(tmp_path: object) -> None:
    """A published figure edited before 0018a says "changed on" afterwards; a pending one's edits do not count."""
    import json
    import uuid

    from sqlalchemy import create_engine, text

    from storage.db import make_engine, normalise_url
    from tests.conftest import PG_SERVER

    name = f"statbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [f"sqlite:///{tmp_path}/edits.db", normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}"]
    published = {"value": "34", "unit": "percent", "period_start": "2023-04-01", "geography": "UK", "status": "published"}
    try:
        for url in urls:
            engine = make_engine(url)
            migrate.upgrade(engine, "0016")
            as_json = "CAST(:{} AS JSON)" if engine.dialect.name == "postgresql" else ":{}"
            with engine.begin() as connection:
                _workspace_and_source(connection)
                for figure in (1, 2, 3):
                    connection.execute(text(
                        "INSERT INTO statistics (id, workspace_id, value, unit, value_text, measure, geography, evidence,"
                        " notes, source_id, status, status_reason, created_by, created_at) VALUES"
                        f" ({figure}, 1, 36, 'percent', '', 'm', 'England', '', '', 1, 'published', '', '', CURRENT_TIMESTAMP)"))
                edits = [
                    (1, "2026-11-20 10:00:00+00:00", published, published | {"value": "36", "geography": "England"}),
                    (2, "2026-11-20 10:00:00+00:00", published | {"status": "pending"}, published | {"value": "36"}),
                    (3, "2026-11-20 10:00:00+00:00", published, published | {"evidence": "checked"}),
                ]
                for item_id, at, before, after in edits:
                    connection.execute(
                        text("INSERT INTO audit_entries (workspace_id, item_kind, item_id, action, actor, at, before, after)"
                             f" VALUES (1, 'statistic', :id, 'edit', 'U0E', :at, {as_json.format('b')}, {as_json.format('a')})"),
                        {"id": item_id, "at": at, "b": json.dumps(before), "a": json.dumps(after)},
                    )  # fmt: skip
            migrate.upgrade(engine)
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT id, edited_at IS NOT NULL, edited_fields FROM statistics ORDER BY id")
                ).all()
                assert [tuple(r) for r in rows] == [(1, True, "value place"), (2, False, ""), (3, False, "")]
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0018fig_names_stored_figures_figure_and_back(tmp_path: object) -> None:
    """Search documents and audit entries written as "statistic" read "figure" after it, as the code asks."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/kind.db")
    migrate.upgrade(engine, "0016")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, name, is_home, created_at) VALUES (1, '', true, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO search_documents (workspace_id, kind, item_id, body)"
                " VALUES (1, 'statistic', 1, 'a'), (1, 'quote', 1, 'b')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO audit_entries (workspace_id, item_kind, item_id, action, actor, at)"
                " VALUES (1, 'statistic', 1, 'add', 'cli', CURRENT_TIMESTAMP)"
            )
        )

    def kinds() -> tuple[list[str], list[str]]:
        with engine.connect() as connection:
            return (
                connection.execute(text("SELECT kind FROM search_documents ORDER BY id")).scalars().all(),
                connection.execute(text("SELECT item_kind FROM audit_entries")).scalars().all(),
            )

    migrate.upgrade(engine)
    assert kinds() == (["figure", "quote"], ["figure"])
    migrate.downgrade(engine, "0016")
    assert kinds() == (["statistic", "quote"], ["statistic"])
    engine.dispose()


def test_0020voc_names_digest_content_figure_or_quote_and_back(tmp_path: object) -> None:
    """A subscription stored as "figures" (figures only) or "quotes" reads "figure" or "quote" after it."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/content.db")
    migrate.upgrade(engine, "0019c")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, name, is_home, created_at) VALUES (1, '', true, CURRENT_TIMESTAMP)"
            )
        )
        for content in ("figures", "quotes", "all"):
            connection.execute(
                text(
                    "INSERT INTO subscriptions (workspace_id, channel_id, topic, frequency, weekday, at, tz,"
                    " created_by, created_at, paused, paused_reason, content, attach_csv, last_delivered_at,"
                    " next_run_at) VALUES (1, 'C1', 'facebook', 'weekly', 0, '09:00:00', 'UTC', 'U1',"
                    " CURRENT_TIMESTAMP, false, '', :content, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"content": content},
            )

    def contents() -> list[str]:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT content FROM subscriptions ORDER BY id")).scalars())

    migrate.upgrade(engine)
    assert contents() == ["figure", "quote", "all"]
    migrate.downgrade(engine, "0019c")
    assert contents() == ["figures", "quotes", "all"]
    engine.dispose()


def test_0020vec_moves_the_stored_vectors_into_their_own_tables_and_back(tmp_path: object) -> None:
    """Vectors stored in the rows before 0020vec are in statistic_vectors and quote_vectors after it (nothing to
    embed again), the rows have no vector columns, a vector written moves the library version, and the
    downgrade puts them back in the rows; on SQLite and PostgreSQL."""
    import uuid

    from sqlalchemy import create_engine, text

    from storage.db import make_engine, normalise_url
    from tests.conftest import PG_SERVER

    name = f"statbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [f"sqlite:///{tmp_path}/vectors.db", normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}"]
    try:
        for url in urls:
            engine = make_engine(url)
            migrate.upgrade(engine, "0019c")
            with engine.begin() as connection:
                _workspace_and_source(connection)
                for figure, vector, model in ((1, b"\x01\x02", "m1"), (2, None, None), (3, b"\x03\x04", "m2")):
                    connection.execute(text(
                        "INSERT INTO statistics (id, workspace_id, value, unit, value_text, measure, geography, evidence,"
                        " notes, source_id, status, status_reason, created_by, created_at, embedding, embedding_model)"
                        f" VALUES ({figure}, 1, 36, 'percent', '', 'm', 'England', '', '', 1, 'published', '', '',"
                        " CURRENT_TIMESTAMP, :vector, :model)"), {"vector": vector, "model": model})
                connection.execute(text(
                    "INSERT INTO quotes (id, workspace_id, text, speaker, speaker_role, speaker_org, context, source_id,"
                    " status, status_reason, created_by, created_at, embedding, embedding_model) VALUES"
                    " (1, 1, 'words', 'S', '', '', '', 1, 'published', '', '', CURRENT_TIMESTAMP, :vector, 'm1')"),
                    {"vector": b"\x05\x06"})  # fmt: skip
            migrate.upgrade(engine)
            with engine.begin() as connection:
                moved = connection.execute(text("SELECT statistic_id, model, vector FROM statistic_vectors ORDER BY 1"))
                assert [tuple(r) for r in moved] == [(1, "m1", b"\x01\x02"), (3, "m2", b"\x03\x04")]
                assert [tuple(r) for r in connection.execute(text("SELECT * FROM quote_vectors"))] == [
                    (1, "m1", b"\x05\x06")
                ]
                version = connection.scalar(text("SELECT version FROM library_version WHERE id = 1"))
            assert not {"embedding", "embedding_model"} & {c["name"] for c in inspect(engine).get_columns("statistics")}
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO statistic_vectors VALUES (2, 'm1', :v)"), {"v": b"\x07\x08"})
            with engine.begin() as connection:
                assert connection.scalar(text("SELECT version FROM library_version WHERE id = 1")) == version + 1
                connection.execute(text("DELETE FROM statistics WHERE id = 3"))  # its vector goes with it
                assert connection.scalar(text("SELECT count(*) FROM statistic_vectors")) == 2
            migrate.downgrade(engine, "0019c")
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT id, embedding, embedding_model FROM statistics ORDER BY id"))
                assert [tuple(r) for r in rows] == [(1, b"\x01\x02", "m1"), (2, b"\x07\x08", "m1")]
                assert connection.scalar(text("SELECT embedding FROM quotes")) == b"\x05\x06"
            assert "statistic_vectors" not in inspect(engine).get_table_names()
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


LINK_TABLES = ("statistic_entities", "statistic_topics", "quote_entities", "quote_topics")


def _schema_of(connection: Connection, table: str) -> tuple[str, list[tuple[str, str, str]]]:
    """A SQLite table's CREATE statement, and its indexes' and triggers' (type, name, sql)."""
    created = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    extras = connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type != 'table' ORDER BY type, name",
        (table,),
    ).all()
    return created, [tuple(row) for row in extras]


def test_0022_keeps_sqlite_link_tables_without_rowid_links_triggers_and_indexes_kept(tmp_path: object) -> None:
    """Each link is stored once (in its primary key's B-tree), not in a rowid table and again in the key's
    index; the links, their triggers and their other index survive the rebuild, and downgrading undoes it."""
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/links.db")
    migrate.upgrade(engine, "0021")
    with engine.begin() as connection:
        _workspace_and_source(connection)
        connection.execute(text(
            "INSERT INTO statistics (id, workspace_id, value, unit, value_text, measure, geography, evidence,"
            " notes, source_id, status, status_reason, created_by, created_at) VALUES"
            " (1, 1, 36, 'percent', '', 'm', 'UK', '', '', 1, 'published', '', '', CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO topics (id, workspace_id, name) VALUES (1, 1, 'a'), (2, 1, 'b')"))
        connection.execute(text("INSERT INTO statistic_topics VALUES (1, 2, 0), (1, 1, 1)"))
        before = {table: _schema_of(connection, table) for table in LINK_TABLES}
    assert all("WITHOUT ROWID" not in created for created, _ in before.values())

    migrate.upgrade(engine)
    with engine.begin() as connection:
        after = {table: _schema_of(connection, table) for table in LINK_TABLES}
        for table in LINK_TABLES:
            created, extras = after[table]
            assert created.rstrip().endswith("WITHOUT ROWID"), table
            # The primary key's own index is gone (the table is that B-tree); every other index and trigger is back.
            assert extras == [e for e in before[table][1] if not e[1].startswith("sqlite_autoindex")], table
        assert connection.execute(
            text("SELECT topic_id, position FROM statistic_topics ORDER BY position")).all() == [(2, 0), (1, 1)]
        version = connection.execute(text("SELECT version FROM library_version WHERE id = 1")).scalar_one()
        connection.execute(text("DELETE FROM statistic_topics WHERE topic_id = 2"))  # the triggers still fire
        assert connection.execute(text("SELECT version FROM library_version WHERE id = 1")).scalar_one() > version
        connection.execute(text("DELETE FROM topics WHERE id = 1"))  # and the keys still cascade
        assert connection.execute(text("SELECT count(*) FROM statistic_topics")).scalar_one() == 0

    migrate.downgrade(engine, "0021")
    with engine.connect() as connection:
        assert {table: _schema_of(connection, table)[1] for table in LINK_TABLES} == {
            table: extras for table, (_, extras) in before.items()
        }
        assert all("WITHOUT ROWID" not in _schema_of(connection, table)[0] for table in LINK_TABLES)
    engine.dispose()


def _workspace_and_source(connection: Connection) -> None:
    """Workspace 1 and its source 1, which the migration tests' figures are stored under."""
    from sqlalchemy import text

    connection.execute(
        text("INSERT INTO workspaces (id, name, is_home, created_at) VALUES (1, '', true, CURRENT_TIMESTAMP)")
    )
    connection.execute(
        text("INSERT INTO sources (id, workspace_id, title, publisher, url, notes) VALUES (1, 1, 'A', 'P', '', '')")
    )
