"""A bulk add's lookups between batches (stored sources, the figures under them, new ids): on PostgreSQL
they are made on a connection of their own from the second batch, so that they need not wait for the
batch's COPYs. Whatever connection asks, the add finds everything it would have found on its own: what
this transaction wrote before it, what it wrote itself in earlier batches, what was stored before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session

from storage import write
from storage.models import Source, Statistic

BATCH = 3  # a bulk add of a few rows: its first batch, then batches written as an import's are


def figure(n: int, url: str | None = None, title: str = "Lookups") -> write.NewFigure:
    return write.NewFigure(
        value=Decimal(n), unit="count", measure=f"lookups case {n}", geography="UK",
        source=write.SourceSpec(publisher="Ofcom", title=title, url=url or f"https://lookups.example/{n}"),
        entities=("Roblox",), topics=("grooming",),
    )  # fmt: skip


def _figures_under(session: Session, url: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Statistic)
            .join(Source, Statistic.source_id == Source.id)
            .where(Source.url == url)
        )
        or 0
    )


def test_a_bulk_add_finds_the_source_its_transaction_wrote_before_it(db: Session, home_id: int) -> None:
    # Uncommitted, so only the add's own connection sees it: the add must not look for it elsewhere.
    (before,) = write.sources(db, home_id, [figure(0, "https://lookups.example/earlier").source])
    rows = [figure(n) for n in range(1, 8)] + [figure(8, "https://lookups.example/earlier")]
    outcome = write.add(db, home_id, rows, actor="cli", batch=BATCH, keep=True)
    db.commit()
    assert (outcome.added, outcome.already_stored) == (8, 0)
    assert db.get_one(Statistic, outcome.written[-1].id).source_id == before.id
    assert db.scalar(select(func.count()).select_from(Source).where(Source.url.like("%/earlier"))) == 1


def test_a_figure_an_add_wrote_in_one_batch_is_already_stored_in_a_later_one(
    db: Session, home_id: int
) -> None:
    stored = write.add(db, home_id, [figure(0, "https://lookups.example/stored-source")], actor="cli")
    db.commit()
    assert stored.added == 1
    again = [
        figure(1, "https://lookups.example/stored-source"),
        figure(2, "https://lookups.example/new-source"),
    ]
    # Batch 1 writes figures 1 and 2 (under a source stored before and one it creates); batch 3 repeats them.
    rows = [*again, *(figure(n) for n in range(3, 7)), *again]
    outcome = write.add(db, home_id, rows, actor="cli", batch=BATCH)
    db.commit()
    assert (outcome.added, outcome.already_stored) == (6, 2)
    assert _figures_under(db, "https://lookups.example/stored-source") == 2
    assert _figures_under(db, "https://lookups.example/new-source") == 1


def test_a_figure_stored_before_a_bulk_add_is_already_stored_in_its_later_batches(
    db: Session, home_id: int
) -> None:
    write.add(db, home_id, [figure(5), figure(6)], actor="cli")
    db.commit()
    outcome = write.add(db, home_id, [figure(n) for n in range(7, 14)] + [figure(5), figure(6)], actor="cli",
                        batch=BATCH)  # fmt: skip
    db.commit()
    assert (outcome.added, outcome.already_stored) == (7, 2)
    assert (
        db.scalar(select(func.count()).select_from(Statistic).where(Statistic.measure.like("lookups%"))) == 9
    )


@contextmanager
def _lookups_of_sources(engine: Engine) -> Iterator[list[Connection]]:
    """The connection each lookup of stored sources is made on."""
    seen: list[Connection] = []

    def note(connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT sources.id") and "sources.url IN" in statement:
            seen.append(connection)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_on_postgresql_a_bulk_adds_later_lookups_are_apart_and_their_connection_given_back(
    engine: Engine, db: Session, home_id: int
) -> None:
    own = db.connection()
    with _lookups_of_sources(engine) as seen:
        write.add(db, home_id, [figure(n) for n in range(9)], actor="cli", batch=BATCH)
    assert seen[0] is own and seen[1:] and all(c is not own for c in seen[1:])
    assert engine.pool.checkedout() == 1  # the session's own
    db.rollback()

    # After a write in this transaction, every lookup is made on its own connection.
    write.sources(db, home_id, [figure(100).source])
    own = db.connection()
    with _lookups_of_sources(engine) as seen:
        write.add(db, home_id, [figure(n) for n in range(10, 19)], actor="cli", batch=BATCH)
    assert len(seen) == 3 and all(c is own for c in seen)
    db.rollback()

    # An add that fails part way gives the lookups' connection back too.
    rows = [figure(n) for n in range(20, 27)] + [figure(27, "https://lookups.example/20", "Other title")]
    with pytest.raises(write.Conflicts):
        write.add(db, home_id, rows, actor="cli", batch=BATCH)
    assert engine.pool.checkedout() == 1
    db.rollback()
