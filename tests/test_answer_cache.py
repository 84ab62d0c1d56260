"""Answers reused while the library is unchanged: never older than a fresh answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, event, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from bot.answer_cache import AnswerCache, Question
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import freshness, library_version, migrate, slack_tables, write
from storage.db import make_sessions
from storage.models import Base, HouseFigure, Quote, Statistic
from storage.partial_date import PartialDate
from tests.conftest import slack_settings
from tests.http_server import serving
from tests.slackapi.replies import message_text, slash

migration = runpy.run_path(str(Path(migrate.MIGRATIONS, "versions", "0009_library_version.py")))
# Later migrations that add tables answers read put the same triggers on them and name them in TABLES.
LATER = ("0015_freshness_and_conflicts.py", "0020vec_vectors_in_their_own_tables.py")
ANSWERED = (*migration["TABLES"], *(
    table for name in LATER for table in runpy.run_path(str(Path(migrate.MIGRATIONS, "versions", name)))["TABLES"]
))  # fmt: skip


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process runs (the app makes its own from the settings)."""
    seen: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def serve(settings: Settings) -> Any:
    return serving(create_wsgi(settings))


def ask(server: str, standin: SlackStandIn, question: str = "facebook", command: str = "/stats") -> str:
    status, reply = slash(server, standin, command, question)
    assert status == 200 and isinstance(reply, dict), reply
    return message_text(reply)


def test_a_question_asked_again_costs_one_read_of_the_library_version(
    settings: Settings, home_id: int, standin: SlackStandIn, statements: list[str]
) -> None:
    with serve(settings) as server:
        first = ask(server, standin)
        assert any("FROM statistics" in s for s in statements)
        statements.clear()
        assert ask(server, standin) == first and "*52%*" in first
        assert statements and all("library_version" in s for s in statements), statements
        statements.clear()
        quotes = ask(server, standin, "burrows", "/quote")  # another question is answered afresh
        assert "Andy Burrows" in quotes and any("FROM quotes" in s for s in statements)


def test_with_the_cache_off_every_answer_is_built_afresh(
    engine: Engine, home_id: int, standin: SlackStandIn, statements: list[str]
) -> None:
    with serve(slack_settings(engine, standin, answer_cache_mb=0)) as server:
        ask(server, standin)
        statements.clear()
        assert "*52%*" in ask(server, standin)
        assert not any("library_version" in s for s in statements)
        assert any("FROM statistics" in s for s in statements)


def test_a_change_committed_elsewhere_is_in_the_very_next_answer(
    settings: Settings, engine: Engine, home_id: int, standin: SlackStandIn
) -> None:
    """Another web worker, the clock or `statbot import` changes the library: no worker answers from before."""
    with make_sessions(engine)() as session:
        share = session.scalar(select(Statistic.id).where(Statistic.unit == "percent"))
    assert share is not None
    with serve(settings) as server:
        assert "*52%*" in ask(server, standin)
        with engine.begin() as connection:  # plain SQL, as psql or a bulk load would
            connection.execute(
                text("UPDATE statistics SET status = 'retracted' WHERE id = :id"), {"id": share}
            )
        assert "*52%*" not in ask(server, standin)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE statistics SET status = 'published' WHERE id = :id"), {"id": share}
            )
        assert "*52%*" in ask(server, standin)
        assert "*52%*" not in ask(server, standin, "zuckerberg")
        with engine.begin() as connection:  # a new alias changes what a question finds
            connection.execute(
                text("UPDATE entity_aliases SET alias = 'zuckerberg' WHERE alias = 'facebook'")
            )
        assert "*52%*" in ask(server, standin, "zuckerberg")


def test_a_change_rolled_back_leaves_the_version_alone(engine: Engine, home_id: int) -> None:
    with make_sessions(engine)() as session:
        before = library_version.current(session)
    with engine.connect() as connection:
        connection.execute(text("UPDATE statistics SET measure = measure || '!'"))
        connection.rollback()
    with make_sessions(engine)() as session:
        assert library_version.current(session) == before


def seed(engine: Engine, home_id: int, table: str) -> None:
    """A row in the tables the sample data leaves empty, for the probes to copy."""
    with make_sessions(engine)() as session:
        stat = session.scalars(select(Statistic).order_by(Statistic.id)).first()
        assert stat is not None
        if table == "series_releases":
            freshness.set_next_release(session, stat, PartialDate.parse("2027-03"), actor="U0EDITOR")
        if table in ("statistic_vectors", "quote_vectors") and not session.scalar(select(func.count()).select_from(
            Base.metadata.tables[table]
        )):  # the sample's vectors are there only where the model is installed
            item = session.scalars(select(Quote)).first() if table == "quote_vectors" else stat
            write.set_embeddings(session, type(item), {item.id: b"\x00\x00"}, "probe-model")
        if table == "house_figures":
            session.add(
                HouseFigure(workspace_id=home_id, statistic_id=stat.id, members=[stat.id], reason="r")
            )
        session.commit()


def probe_statements(engine: Engine, table: str) -> dict[str, Executable]:
    """An insert, an update and a delete on the table that break no constraint: a copy of a stored row
    (unique values changed) where rows have an id, else a stored row removed and put back (a link)."""
    reflected = Table(table, MetaData(), autoload_with=engine)
    names = [c.name for c in reflected.columns if c.name != "tsv"]  # PostgreSQL computes tsv itself
    with engine.connect() as connection:
        row = dict(connection.execute(select(*(reflected.c[n] for n in names)).limit(1)).mappings().one())
        if "id" in names:
            row["id"] = connection.scalar(text(f"SELECT max(id) + 1000 FROM {table}"))
    unique = [u["column_names"] for u in inspect(engine).get_unique_constraints(table)]
    unique += [i["column_names"] for i in inspect(engine).get_indexes(table) if i["unique"]]
    keys = {fk.parent.name for fk in reflected.foreign_keys} | {"id"}
    for columns in unique:  # one value changed per unique set: a number if it has one
        free = sorted((c for c in columns if c and c not in keys), key=lambda c: not isinstance(row[c], int))
        if free and isinstance(row[free[0]], int):
            row[free[0]] += 1_000_000
        elif free:
            row[free[0]] = f"{row[free[0]]}-probe"
    this_row = [reflected.c[n] == row[n] if row[n] is not None else reflected.c[n].is_(None) for n in names]
    insert_ = reflected.insert().values(row)
    update_ = reflected.update().where(*this_row).values({names[-1]: reflected.c[names[-1]]})
    delete_ = reflected.delete().where(*this_row)
    if "id" in names:
        return {"insert": insert_, "update": update_, "delete": delete_}
    return {"update": update_, "delete": delete_, "insert": insert_}


def test_the_version_guards_every_table_an_answer_reads() -> None:
    """A new table must be put on one side or the other: answers read it (so changes move the version), or not."""
    not_answered = {
        "workspaces", "editors", "audit_entries", "subscriptions", "digest_deliveries", "feeds",
        "slack_event_receipts", "library_version", "weekly_notes", "citation_styles", "link_checks", "shares", "review_messages", slack_tables.BOTS, slack_tables.INSTALLATIONS,
        slack_tables.OAUTH_STATES,
    }  # fmt: skip
    assert set(Base.metadata.tables) - not_answered == set(ANSWERED)


@pytest.mark.parametrize("table", ANSWERED)
def test_every_kind_of_change_to_every_table_an_answer_reads_moves_the_version(
    engine: Engine, home_id: int, table: str
) -> None:
    seed(engine, home_id, table)
    for change, statement in probe_statements(engine, table).items():
        with make_sessions(engine)() as session:
            before = library_version.current(session)
        with engine.begin() as connection:
            changed = connection.execute(statement).rowcount
        assert change == "insert" or changed == 1, f"{change} on {table} changed {changed} rows"
        with make_sessions(engine)() as session:
            after = library_version.current(session)
        assert before is not None and after == before + 1, f"{change} on {table}: {before} -> {after}"


def test_a_long_transaction_moves_the_version_once_on_postgresql(engine: Engine, home_id: int) -> None:
    with make_sessions(engine)() as session:
        before = library_version.current(session)
    with engine.begin() as connection:
        for _ in range(5):
            connection.execute(text("UPDATE statistics SET measure = measure"))
    with make_sessions(engine)() as session:
        moved = (library_version.current(session) or 0) - (before or 0)
    assert moved == (1 if engine.dialect.name == "postgresql" else 5 * 2)  # SQLite: once per row (2 rows)


# ----- the cache itself ----------------------------------------------------------------------------------
def question(text_: str, workspace_id: int = 1) -> Question:
    return Question(workspace_id, "/stats", text_, date(2026, 11, 28))


def payload(size: int) -> dict[str, Any]:
    return {"text": "x" * size}


def test_an_answer_is_given_back_only_at_the_version_it_was_built_at() -> None:
    cache = AnswerCache(10_000)
    cache.put(question("facebook"), 7, payload(10))
    assert cache.get(question("facebook"), 7) == payload(10)
    assert cache.get(question("facebook", workspace_id=2), 7) is None
    assert cache.get(question("facebook"), 8) is None
    assert cache.get(question("facebook"), 7) is None  # dropped when found stale
    assert len(cache) == 0


def test_the_least_recently_used_answers_go_first_when_the_bytes_run_out() -> None:
    cache = AnswerCache(3_000)
    for name in ("a", "b", "c"):
        cache.put(question(name), 1, payload(900))
    cache.get(question("a"), 1)  # used: "b" is now the oldest
    cache.put(question("d"), 1, payload(900))
    assert [cache.get(question(n), 1) is not None for n in "abcd"] == [True, False, True, True]
    cache.put(question("huge"), 1, payload(5_000))  # bigger than the whole cache: not kept, nothing evicted
    assert cache.get(question("huge"), 1) is None and len(cache) == 3
