"""PostgreSQL's bulk-load mode (storage/postgres_bulk.py): a big `add` runs without row triggers where its
role may, and still leaves nothing the foreign keys would have refused; a role that may not gets the row
checks and the same rows."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import library_version, migrate, postgres_bulk, workspaces, write
from storage.db import make_engine, make_sessions
from storage.models import Statistic, Topic

pytestmark = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def figure(n: int, *topics: str) -> write.NewFigure:
    return write.NewFigure(
        value=Decimal(n), unit="count", measure=f"bulk mode reports {n}", geography="UK",
        source=write.SourceSpec(publisher="Ofcom", title="Online Nation", url=f"https://ofcom.example/b{n % 3}"),
        entities=("Roblox",), topics=topics or ("plain",),
    )  # fmt: skip


def test_a_parent_deleted_while_a_bulk_add_runs_fails_the_add_as_the_row_check_would(
    engine: Engine, home_id: int
) -> None:
    """The add's second batch links figures to a topic stored before it; with row triggers off nothing
    locks that topic, so another session deletes it before the third batch. The check at the end finds
    the links without their topic and refuses the add, as PostgreSQL's own check would have refused
    the rows; after the rollback nothing of it is stored."""
    sessions = make_sessions(engine)
    with sessions() as session:
        write.add(session, home_id, [figure(0, "gamma")], actor="cli")
        session.commit()
        before = session.scalar(select(func.count()).select_from(Statistic))

    def rows() -> Iterator[write.NewFigure]:
        yield from (figure(1), figure(2))  # batch 1: row checks, as any small add
        yield from (figure(3, "gamma"), figure(4, "gamma"))  # batch 2: bulk mode
        with engine.begin() as other:  # before batch 3 is read
            other.execute(text("SET LOCAL lock_timeout = '10s'"))
            other.execute(text("DELETE FROM topics WHERE name = 'gamma'"))
        yield from (figure(5), figure(6))

    with sessions() as session:
        missing = r'"statistic_topics".*\(topic_id\)=\(\d+\) is not present in table "topics"'
        with pytest.raises(IntegrityError, match=missing):
            write.add(session, home_id, rows(), actor="cli", batch=2)
        session.rollback()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Statistic)) == before
        assert session.scalar(select(Topic.id).where(Topic.name == "gamma")) is None


def test_a_bulk_add_locks_the_stored_parents_it_names_until_it_commits(engine: Engine, home_id: int) -> None:
    """What the row checks would have locked, the check at the end locks: a topic stored before the add and
    first named in its bulk-mode batches cannot be deleted under it; the delete waits for the commit."""
    sessions = make_sessions(engine)
    with sessions() as session:
        write.add(session, home_id, [figure(0, "delta")], actor="cli")
        session.commit()
    with sessions() as session:
        rows = [figure(1), figure(2), figure(3, "delta"), figure(4)]
        assert write.add(session, home_id, rows, actor="cli", batch=2).added == 4
        with engine.connect() as other, pytest.raises(OperationalError, match="lock timeout"):
            other.execute(text("SET lock_timeout = '1s'"))
            other.execute(text("DELETE FROM topics WHERE name = 'delta'"))
        session.commit()


def test_a_bulk_add_puts_the_checks_back_for_the_rest_of_its_transaction(
    engine: Engine, home_id: int
) -> None:
    sessions = make_sessions(engine)
    with sessions() as session:
        outcome = write.add(session, home_id, [figure(n) for n in range(7)], actor="cli", batch=2)
        assert outcome.added == 7
        assert session.execute(text("SHOW session_replication_role")).scalar() == "origin"
        statistic = session.scalar(select(func.max(Statistic.id)))
        with pytest.raises(IntegrityError, match="fk_statistic_topics_topic_id_topics"):
            session.execute(
                text(
                    f"INSERT INTO statistic_topics (statistic_id, topic_id, position) VALUES ({statistic}, -5, 9)"
                )
            )
        session.rollback()


@pytest.fixture
def plain_role_url(postgres_url: str) -> Iterator[str]:
    """A database owned by a role that is no superuser and may not set session_replication_role, as a
    hosted PostgreSQL gives an app; dropped afterwards."""
    name = f"statbot_plain_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER'))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER "{name}"'))
    yield make_url(postgres_url).set(username=name, database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.mark.slow
def test_a_role_that_may_not_turn_triggers_off_gets_the_row_checks_and_the_same_rows(
    engine: Engine, plain_role_url: str
) -> None:
    plain = make_engine(plain_role_url)
    try:
        migrate.upgrade(plain)
        sessions = make_sessions(plain)
        with sessions() as session:
            assert not postgres_bulk.allowed(session.connection())
            home = workspaces.home(session).id
            session.commit()
            version = library_version.current(session)
        with sessions() as session:
            outcome = write.add(
                session, home, [figure(n, "plain", "other") for n in range(9)], actor="cli", batch=2
            )
            session.commit()
        assert outcome.added == 9
        with sessions() as session:
            stored = session.scalars(select(Statistic).order_by(Statistic.id)).all()
            assert [s.value for s in stored] == [Decimal(n) for n in range(9)]
            assert all([t.name for t in s.topics] == ["plain", "other"] for s in stored)
            assert library_version.current(session) == (version or 0) + 1
    finally:
        plain.dispose()


def test_a_copy_failing_in_the_background_fails_the_add_and_leaves_nothing(
    engine: Engine, home_id: int
) -> None:
    """An add's COPYs run on a thread of their own (storage.write._Sender): one that fails there (here a
    search document already stored for a figure id the add is about to take) is raised by the add as the
    driver's error, nothing of it is stored, the session works after its rollback and no thread is left."""
    sessions = make_sessions(engine)
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Statistic))
        next_id = session.execute(text("SELECT last_value + 1 FROM statistics_id_seq")).scalar_one()
        session.execute(
            text(
                "INSERT INTO search_documents (workspace_id, kind, item_id, body)"
                f" VALUES ({home_id}, 'figure', {next_id + 6}, 'in the way')"
            )
        )
        session.commit()
    with sessions() as session:
        with pytest.raises(IntegrityError, match="uq_search_documents_item"):
            write.add(session, home_id, [figure(n) for n in range(9)], actor="cli", batch=2)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Statistic)) == before
        assert not [t for t in threading.enumerate() if t.name == "statbot-copy"]


def test_a_figure_repeated_in_a_later_batch_is_found_among_the_rows_still_being_copied(
    engine: Engine, home_id: int
) -> None:
    """The duplicate check reads what earlier batches wrote, which their COPYs may still be sending: every
    other statement on the connection waits for them first."""
    sessions = make_sessions(engine)
    with sessions() as session:
        rows = [figure(n) for n in range(40)] + [figure(n) for n in range(0, 40, 3)]
        outcome = write.add(session, home_id, rows, actor="cli", batch=4)
        session.commit()
        assert (outcome.added, outcome.already_stored) == (40, 14)
        measures = session.scalars(
            select(Statistic.measure).where(Statistic.measure.like("bulk mode%"))
        ).all()
        assert len(measures) == len(set(measures)) == 40
        assert not [t for t in threading.enumerate() if t.name == "statbot-copy"]
