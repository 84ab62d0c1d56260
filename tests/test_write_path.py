"""One write path: nothing but storage.write writes figures, quotes, their links, search documents or audit
entries; single items and batches go through the same function; a batch is all or nothing."""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from storage import audit, changes, library_version, write
from storage.models import AuditEntry, SearchDocument, Statistic, Status

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "commands", "storage", "intake", "digests", "ingest", "bench")
MODELS = {"Statistic", "Quote", "SearchDocument", "AuditEntry"}
TABLES = {"statistic_entities", "statistic_topics", "quote_entities", "quote_topics", "statistic_vectors",
          "quote_vectors"}  # fmt: skip
# What storage.write offers: a new public writer must be added here on purpose, never by accident.
WRITERS = {
    "add",
    "add_one",
    "update",
    "note",
    "sources",
    "entity",
    "guard",
    "backfill_embeddings",
    "set_embeddings",
}


def _writes(tree: ast.AST) -> list[str]:
    """Lines that build a guarded row or run insert/update/delete on a guarded table or model."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in MODELS:
                found.append(f"{node.lineno}: {name}(...)")
            # The statement's target is a table or model (`update(Statistic)`), never a query: a set's
            # `names.update(session.scalars(select(Quote.speaker_org)))` only reads.
            if (
                name in ("insert", "update", "delete")
                and node.args
                and not isinstance(node.args[0], ast.Call)
            ):
                target = ast.unparse(node.args[0])
                if any(word in target for word in MODELS | TABLES | {"__table__"}):
                    found.append(f"{node.lineno}: {name}({target})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = " ".join(node.value.lower().split())
            for table in write.WRITTEN_TABLES:
                if any(f"{verb} {table}" in text for verb in ("insert into", "update", "delete from")):
                    found.append(f"{node.lineno}: SQL on {table}")
    return found


def test_nothing_but_storage_write_writes_the_item_tables() -> None:
    offenders = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ("storage/write.py", "storage/models.py") or "/migrations/" in relative:
                continue
            if found := _writes(ast.parse(path.read_text(encoding="utf-8"))):
                offenders[relative] = found
    assert offenders == {}, f"write figures and quotes through storage.write only: {offenders}"


def test_the_scan_finds_a_second_writer() -> None:
    """The scan above cannot pass by seeing nothing: each way of writing is caught."""
    sneaky = (
        "session.add(Statistic(measure='x'))\n"
        "session.execute(insert(statistic_topics), rows)\n"
        "connection.exec_driver_sql('INSERT INTO search_documents (body) VALUES (1)')\n"
        "session.execute(update(AuditEntry).values(actor='x'))\n"
    )
    assert len(_writes(ast.parse(sneaky))) == 4
    reading = "names.update(session.scalars(select(Quote.speaker_org).distinct()))\n"
    assert _writes(ast.parse(reading)) == []


def test_storage_write_offers_one_function_per_kind_of_write() -> None:
    public = {
        name for name, value in vars(write).items()
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == write.__name__
        and not isinstance(value, type)
    }  # fmt: skip
    # Pure: they build rows and keys only.
    helpers = {"figure_key", "figure_keys", "period_precision", "figure_row", "quote_row"}
    assert public - helpers == WRITERS


def test_orm_writes_from_elsewhere_are_refused(db: Session, home_id: int) -> None:
    # A figure whose status the change really changes: with no order, PostgreSQL may hand back any row.
    stat = db.scalars(
        select(Statistic)
        .where(Statistic.workspace_id == home_id, Statistic.status != Status.RETRACTED.value)
        .order_by(Statistic.id)
    ).first()
    assert stat is not None
    stat.status = Status.RETRACTED.value
    with pytest.raises(RuntimeError, match=r"only be written through storage\.write"):
        db.flush()
    db.rollback()
    db.add(SearchDocument(workspace_id=home_id, kind="figure", item_id=999, body="sneaked in"))
    with pytest.raises(RuntimeError, match=r"only be written through storage\.write"):
        db.flush()
    db.rollback()


# Batches of 500 in the bulk-add tests below, so their 1,200 rows make three (the default is larger).
BATCH = 500


def figure(n: int, **changed: object) -> write.NewFigure:
    fields: dict[str, object] = {
        "value": Decimal(n), "unit": "count", "measure": f"reports number {n}", "geography": "UK",
        "source": write.SourceSpec(publisher="Ofcom", title="Online Nation", url=f"https://ofcom.example/{n % 3}"),
        "entities": ("Roblox", "Meta"), "topics": ("grooming", "online safety"),
    }  # fmt: skip
    return write.NewFigure(**(fields | changed))  # type: ignore[arg-type]


def test_the_cyclic_collector_is_off_while_an_add_writes_and_as_it_was_after(
    db: Session, home_id: int
) -> None:
    import gc

    seen: list[bool] = []

    def note(_done: int) -> None:
        seen.append(gc.isenabled())

    assert gc.isenabled()
    write.add(
        db, home_id, [figure(n, measure=f"collector {n}") for n in range(3)], actor="cli", on_progress=note
    )
    assert seen == [False] and gc.isenabled()
    bad = write.SourceSpec(publisher="Ofcom", title="Other", url="https://ofcom.example/0")
    with pytest.raises(write.Conflicts):  # a failed add turns it back on too
        write.add(db, home_id, [figure(7, measure="collector 7", source=bad)], actor="cli", on_progress=note)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()  # someone else's choice is left as it was
    try:
        write.add(db, home_id, [figure(8, measure="collector 8")], actor="cli", on_progress=note)
        assert not gc.isenabled()
    finally:
        gc.enable()
    db.rollback()


def test_a_single_item_and_a_batch_write_the_same_rows(db: Session, home_id: int) -> None:
    one, created = write.add_one(db, home_id, figure(1), actor="U0ONE")
    batch = write.add(db, home_id, [figure(2), figure(3)], actor="U0MANY", keep=True)
    db.commit()
    assert created and batch.added == 2
    stored = [one, *(db.get_one(Statistic, w.id) for w in batch.written)]
    for stat in stored:
        assert len(stat.entities) == 2 and stat.entities[0].name == "Roblox"  # in the order named
        assert [t.name for t in stat.topics] == ["grooming", "online safety"]
        document = db.scalars(
            select(SearchDocument).where(SearchDocument.kind == "figure", SearchDocument.item_id == stat.id)
        ).one()
        assert "Roblox" in document.body and "grooming" in document.body and "Ofcom" in document.body
        (entry,) = changes.history(db, home_id, "figure", stat.id)
        assert entry.action == "create" and entry.after is not None
        assert entry.after["topics"] == ["grooming", "online safety"]
    assert [changes.history(db, home_id, "figure", s.id)[0].actor for s in stored] == [
        "U0ONE",
        "U0MANY",
        "U0MANY",
    ]


def test_an_adds_batches_double_from_the_first_up_to_the_largest(
    db: Session, home_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # So that an import checked in a second process starts its second batch without waiting for a whole one.
    monkeypatch.setattr(write, "FIRST_BATCH", 2)
    done: list[int] = []
    outcome = write.add(db, home_id, [figure(n) for n in range(20)], actor="cli", batch=8, on_progress=done.append)
    assert outcome.added == 20
    assert done == [2, 6, 14, 20]  # batches of 2, 4, 8 and the last 6
    db.rollback()


def test_the_same_item_twice_in_one_batch_is_stored_once(db: Session, home_id: int) -> None:
    outcome = write.add(db, home_id, [figure(5), figure(5, value=Decimal(6))], actor="cli", keep=True)
    assert (outcome.added, outcome.already_stored) == (1, 1)
    assert outcome.written[0].id == outcome.written[1].id


@pytest.mark.slow
def test_a_batch_failing_part_way_leaves_nothing(engine: Engine, home_id: int) -> None:
    from storage.db import make_sessions

    sessions = make_sessions(engine)
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
        version = library_version.current(session)
    with sessions() as session, pytest.raises(write.Conflicts):
        # Row 700 (the second batch) names a stored link with another title.
        rows = [figure(n, row=n + 1) for n in range(699)]
        rows.append(
            figure(
                1000,
                row=700,
                source=write.SourceSpec(publisher="Ofcom", title="Other", url="https://ofcom.example/0"),
            )
        )
        write.add(session, home_id, rows, actor="cli", batch=BATCH)
        session.commit()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert library_version.current(session) == version


def test_an_import_moves_the_library_version_once_and_other_writers_still_move_it(
    engine: Engine, home_id: int
) -> None:
    """PostgreSQL: a deferred trigger, once per transaction (migration 0009), and from the second batch on
    row triggers off (storage.postgres_bulk), which moves it itself, once. SQLite: the row triggers skip
    while the write path has marked its bulk load (migration 0018), are dropped in its transaction from the
    second batch on (storage.write._Triggers), and it moves the version itself, once."""
    from storage.db import make_sessions

    sessions = make_sessions(engine)

    def version() -> int:
        with sessions() as session:
            return library_version.current(session) or 0

    before = version()
    with sessions() as session:
        write.add(
            session, home_id, [figure(n) for n in range(1200)], actor="cli", batch=BATCH
        )  # three batches
        session.commit()
    assert version() == before + 1
    with sessions() as session:  # nothing new: nothing moves
        assert (
            write.add(session, home_id, [figure(n) for n in range(1200)], actor="cli", batch=BATCH).added == 0
        )
        session.commit()
    assert version() == before + 1
    with engine.begin() as connection:  # the mark is gone: any other write moves it as before
        connection.execute(
            text("UPDATE statistics SET measure = measure WHERE id = (SELECT min(id) FROM statistics)")
        )
        connection.execute(text(f"INSERT INTO topics (workspace_id, name) VALUES ({home_id}, 'probe')"))
    assert version() == before + (2 if engine.dialect.name == "postgresql" else 3)


def _triggers(session: Session) -> list[tuple[str, str]]:
    if session.get_bind().dialect.name != "sqlite":
        return []
    return [
        tuple(row)
        for row in session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        )
    ]  # type: ignore[misc]


@pytest.mark.slow
def test_every_batch_of_a_bulk_add_is_found_by_search_and_the_triggers_come_back(
    engine: Engine, home_id: int
) -> None:
    """On SQLite a bulk add drops its row triggers from its second batch on and does their work itself:
    the first, middle and last batches are all found by word search, and after it (committed or rolled
    back) the schema is as before and an ordinary write is indexed as before."""
    from storage import queries
    from storage.db import make_sessions

    sessions = make_sessions(engine)
    with sessions() as session:
        triggers = _triggers(session)
    words = {0: "aardvarkish", 650: "bandicootish", 1199: "capybarish"}
    with sessions() as session:
        rows = [figure(n, measure=f"{words.get(n, 'plain')} reports {n} bulkcase") for n in range(1200)]
        write.add(session, home_id, rows, actor="cli", batch=BATCH)
        session.commit()
    with sessions() as session:
        assert _triggers(session) == triggers
        for n, word in words.items():
            found = queries.find(session, home_id, Statistic, word)
            assert [item.value for item in found.items] == [Decimal(n)], word
        with pytest.raises(write.Conflicts):  # rolled back after its triggers were dropped
            bad = write.SourceSpec(publisher="Ofcom", title="Other", url="https://ofcom.example/0")
            write.add(session, home_id, [*rows[:700], figure(5000, source=bad)], actor="cli", batch=BATCH)
        session.rollback()
    with sessions() as session:
        assert _triggers(session) == triggers
        write.add_one(session, home_id, figure(6000, measure="dromedaryish reports"), actor="cli")
        session.commit()
        assert [i.value for i in queries.find(session, home_id, Statistic, "dromedaryish").items] == [6000]


def _schema(session: Session) -> list[tuple[str, str, str]]:
    return [
        tuple(row)
        for row in session.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY type, name"))
    ]  # type: ignore[misc]


@pytest.mark.slow
def test_a_bulk_add_into_a_small_library_builds_the_item_indexes_at_its_end(
    engine: Engine, home_id: int
) -> None:
    """On SQLite a bulk add that writes more figures than were stored drops the figures' deferrable indexes
    inside its transaction and recreates them before it ends: afterwards (committed or rolled back) the
    schema is as before, and the indexes hold the new rows (SQLite's integrity check agrees)."""
    from storage.db import make_sessions

    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps its indexes")
    sessions = make_sessions(engine)
    with sessions() as session:
        schema = _schema(session)
        cache = session.execute(text("PRAGMA cache_size")).scalar_one()
    with sessions() as session:
        present: list[str] = []  # after each batch, whether the index is there
        connection = session.connection()

        def seen(*_args: object) -> None:
            present.extend(n for (n,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name = 'ix_statistics_measure'"))  # fmt: skip

        rows = [figure(n, measure=f"indexcase {n} reports") for n in range(1200)]
        write.add(session, home_id, rows, actor="cli", batch=BATCH, on_progress=seen)
        assert present == ["ix_statistics_measure"]  # there after the first batch only
        # Built with a bigger page cache, which is as it was after.
        assert session.execute(text("PRAGMA cache_size")).scalar_one() == cache
        session.commit()
    with sessions() as session:
        assert _schema(session) == schema
        assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        plan = " ".join(
            str(row[-1])
            for row in session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM statistics WHERE workspace_id = :w AND measure = 'x'"
                ),
                {"w": home_id},
            )
        )
        assert "ix_statistics_measure" in plan
        with pytest.raises(write.Conflicts):  # 1,200 stored: this one drops them from its third batch on
            more = [figure(n, measure=f"indexcase more {n}") for n in range(3000)]
            bad = write.SourceSpec(publisher="Ofcom", title="Other", url="https://ofcom.example/0")
            write.add(session, home_id, [*more, figure(9000, source=bad)], actor="cli", batch=BATCH)
        assert session.execute(text("PRAGMA cache_size")).scalar_one() == cache
        session.rollback()
    with sessions() as session:
        assert _schema(session) == schema


@pytest.mark.slow
def test_a_bulk_add_within_sqlites_limit_on_bound_values_writes_every_row(
    engine: Engine, home_id: int
) -> None:
    """SQLite rows go many to an INSERT, as many as the build lets one statement bind (999 before 3.32):
    under a limit of 30 values (one figure, ten links, seven documents a statement) every row, link,
    search document and audit entry of a 1,234-figure add is written, each slice's short remainder too."""
    import sqlite3

    from storage import queries
    from storage.db import make_sessions

    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL COPYs")
    with make_sessions(engine)() as session:
        driver = session.connection().connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        before = driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)
        try:
            rows = [figure(n, measure=f"limitcase {n} reports") for n in range(1233)]
            rows.append(figure(1233, measure="limitcase okapiish reports"))
            outcome = write.add(session, home_id, rows, actor="cli", batch=BATCH, keep=True)
        finally:
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
        session.commit()
        assert outcome.added == 1234
        ids = [w.id for w in outcome.written]
        for name, where, each in (
            ("statistic_entities", "statistic_id", 2),
            ("statistic_topics", "statistic_id", 2),
            ("search_documents", "kind = 'figure' AND item_id", 1),
        ):
            counted = session.execute(
                text(f"SELECT count(*) FROM {name} WHERE {where} BETWEEN :a AND :b"),
                {"a": min(ids), "b": max(ids)},
            ).scalar_one()
            assert counted == 1234 * each, name
        logged = session.scalar(
            select(func.count()).where(AuditEntry.item_kind == "figure", AuditEntry.item_id.in_(ids))
        )
        assert logged == 1234
        last = session.get_one(Statistic, ids[-1])
        assert [e.name for e in last.entities] == ["Roblox", "Meta"] and last.value == 1233
        assert [i.value for i in queries.find(session, home_id, Statistic, "okapiish").items] == [1233]


@pytest.mark.slow
def test_a_bulk_add_stores_null_and_non_null_cells_of_one_column_as_given(
    engine: Engine, home_id: int
) -> None:
    """Where every row of a slice has nothing in a column, SQLite's INSERT says NULL instead of binding each
    None; a column with a value in some rows binds them all: each figure keeps its own producer and via."""
    from storage.db import make_sessions

    producer = write.SourceSpec(publisher="Ofcom research", title="Online Nation data")
    via = write.SourceSpec(publisher="A blog", url="https://blog.example/via")
    rows = [
        figure(
            n, measure=f"nullcase {n} reports", **({"producer": producer, "via": via} if n % 3 == 0 else {})
        )
        for n in range(1200)
    ]
    with make_sessions(engine)() as session:
        outcome = write.add(session, home_id, rows, actor="cli", batch=BATCH, keep=True)
        session.commit()
        stored = {
            s.id: s for s in session.scalars(select(Statistic).where(Statistic.measure.like("nullcase %")))
        }
        for n, written in enumerate(outcome.written):
            stat = stored[written.id]
            assert stat.value == n
            assert (stat.producer is not None, stat.via_source is not None) == (n % 3 == 0, n % 3 == 0), n
            assert stat.base_id is None and stat.superseded_by_id is None and stat.embargo_until is None
        # A create has no "before": SQL's NULL, not JSON's null written as text.
        with_before = session.execute(
            text("SELECT count(*) FROM audit_entries WHERE action = 'create' AND before IS NOT NULL")
        ).scalar_one()
        assert with_before == 0


def _die_during_bulk_add(url: str, home_id: int) -> None:
    """In a child process: an `add` whose process ends in its third batch, its triggers dropped, nothing run after."""
    import os

    from storage.db import make_engine, make_sessions

    def rows():  # type: ignore[no-untyped-def]
        for n in range(1500):
            if n == 1100:
                os._exit(3)
            yield figure(n, measure=f"crashcase reports {n}")

    with make_sessions(make_engine(url))() as session:
        write.add(session, home_id, rows(), actor="cli", batch=BATCH)


@pytest.mark.slow
def test_a_process_dying_in_a_bulk_add_leaves_the_triggers_and_nothing_else(
    engine: Engine, home_id: int
) -> None:
    """SQLite drops the triggers inside the import's transaction: a process killed before it puts them back
    leaves the database as it was, triggers included, because the drop was never committed."""
    import multiprocessing

    from storage.db import make_sessions

    sessions = make_sessions(engine)
    with sessions() as session:
        triggers = _triggers(session)
        count = session.scalar(select(func.count()).select_from(Statistic))
    child = multiprocessing.get_context("fork").Process(
        target=_die_during_bulk_add, args=(engine.url.render_as_string(hide_password=False), home_id)
    )
    child.start()
    child.join(120)
    assert child.exitcode == 3
    with sessions() as session:
        assert _triggers(session) == triggers
        assert session.scalar(select(func.count()).select_from(Statistic)) == count
        write.add_one(session, home_id, figure(7000, measure="emuish reports"), actor="cli")
        session.commit()
        from storage import queries

        assert [i.value for i in queries.find(session, home_id, Statistic, "emuish").items] == [7000]


AUDIT_ROWS = [
    {"value": Decimal("52"), "unit": "percent", "measure": "plain", "period_start": date(2019, 10, 1),
     "period_end": date(2020, 9, 30), "geography": "UK", "evidence": "", "superseded_by_id": None,
     "producer_id": 7, "status": "published", "status_reason": "", "source_id": 3,
     "published_at": datetime(2026, 12, 2, 9, 30, tzinfo=UTC)},
    {"value": Decimal("-0"), "unit": "count", "measure": 'quotes " and \\ back\nslash\t«ü» 😀 %s %(x)s',
     "period_start": None, "period_end": None, "geography": None, "evidence": "\x01", "superseded_by_id": 12,
     "producer_id": None, "status": "pending", "status_reason": "why", "source_id": 4, "published_at": None},
    {"value": Decimal("0"), "unit": "count", "measure": "zero", "period_start": date(2019, 10, 1),
     "period_end": date(2020, 9, 30), "geography": "UK", "evidence": "", "superseded_by_id": None,
     "producer_id": 7, "status": "published", "status_reason": "", "source_id": 3,
     "published_at": datetime(2026, 12, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))},
    {"value": Decimal("52.000000"), "unit": "gbp", "measure": "scaled", "period_start": date(2019, 10, 1),
     "period_end": date(2020, 9, 30), "geography": "UK", "evidence": "", "superseded_by_id": None,
     "producer_id": 7, "status": "published", "status_reason": "", "source_id": 3,
     "published_at": datetime(2026, 12, 2, 9, 30)},
    {"value": Decimal("1E+3"), "unit": "usd", "measure": "exponent", "period_start": datetime(2020, 1, 1, 5),
     "period_end": date(2020, 9, 30), "geography": "", "evidence": "", "superseded_by_id": None,
     "producer_id": True, "status": "published", "status_reason": "", "source_id": 1.5,
     "published_at": datetime(2026, 12, 2, 9, 30, tzinfo=UTC)},
]  # fmt: skip
AUDIT_QUOTE = {"text": "words", "speaker": "Ann", "speaker_role": None, "speaker_org": "NSPCC",
               "said_on": date(2021, 3, 26), "status": "published", "status_reason": "", "source_id": 9,
               "published_at": None}  # fmt: skip


def test_audit_values_written_as_json_text_a_column_at_a_time_are_json_dumps_of_each_rows_values() -> None:
    topics = [["grooming", "encryption"], [], ["zéro", "Zebra", "apple"], ["grooming", "encryption"], ["x"]]
    entities = [["Meta"], ["Roblox", "Meta"], [], ["Meta"], ["ü"]]
    texts = audit.values_json("figure", AUDIT_ROWS, topics, entities)
    assert texts == [
        json.dumps(audit.values("figure", row, t, e))
        for row, t, e in zip(AUDIT_ROWS, topics, entities, strict=True)
    ]
    assert texts[1] != texts[2]  # -0 and 0 are equal numbers, but not the same text
    assert audit.values_json("quote", [AUDIT_QUOTE], [["encryption"]], [[]]) == [
        json.dumps(audit.values("quote", AUDIT_QUOTE, ["encryption"], []))
    ]


def test_a_bulk_add_stores_each_audit_entry_as_json_values_not_as_a_string(db: Session, home_id: int) -> None:
    outcome = write.add(db, home_id, [figure(n) for n in range(3)], actor="cli", keep=True)
    db.commit()
    for written in outcome.written:
        stat = db.get_one(Statistic, written.id)
        (entry,) = changes.history(db, home_id, "figure", stat.id)
        assert isinstance(entry.after, dict)
        snapshot = audit.snapshot(stat)
        assert {k: v for k, v in entry.after.items() if k != "published_at"} == {
            k: v for k, v in snapshot.items() if k != "published_at"
        }
        assert entry.after["published_at"] is not None


def test_every_row_naming_a_stored_link_with_other_details_is_a_conflict_in_row_order(
    db: Session, home_id: int
) -> None:
    """A batch resolves each source once; when that finds a conflict, every row with it is still named."""
    link = "https://ofcom.example/nation"
    stored = write.SourceSpec(title="Online Nation", publisher="Ofcom", url=link)
    write.add(db, home_id, [figure(0, source=stored)], actor="cli")
    db.commit()
    other = write.SourceSpec(title="Online Nation 2", publisher="Ofcom", url=link)
    items = [figure(n, source=other if n % 2 else stored, row=n + 1) for n in range(1, 8)]
    items.append(
        figure(9, source=write.SourceSpec(title="Online Nation 2", publisher="Ofcom", url=link), row=10)
    )
    with pytest.raises(write.Conflicts) as raised:
        write.add(db, home_id, items, actor="cli")
    db.rollback()
    assert [(c.row, c.column, c.stored, c.new) for c in raised.value.conflicts] == [
        (row, "source_title", "Online Nation", "Online Nation 2") for row in (2, 4, 6, 8, 10)
    ]


ODD_WORDS = [
    "", " ", "Grooming crimes.", "grooming  crimes", "  Sexual/illicit image offences (2020) ", "snake_case and-dash",
    "£5m on 'Facebook-owned' apps", "Ärzte in Köln", "ﬁnance ＵＫ", "İstanbul", "ß STRASSE", "tab\there", "line\nbreak",
    "\r\n", "%", "50% of $5", "…", "a\u200bb", "Meta Platforms, Inc.", "x" * 300,
]  # fmt: skip


def test_phrase_keys_a_column_at_a_time_are_phrase_key_of_each() -> None:
    from storage import search

    ascii_only = [t for t in ODD_WORDS if t.isascii() and "\n" not in t]
    every_ascii = [f"{c}a{c}{c}b {c} c{c}" for c in map(chr, range(128)) if c != "\n"]
    every_ascii.append("".join(c for c in map(chr, range(128)) if c != "\n"))
    for texts in (ODD_WORDS, ascii_only, ascii_only[:1], [], ["Grooming crimes.", "UK"] * 3, every_ascii):
        assert search.phrase_keys(texts) == [search.phrase_key(t) for t in texts], texts


def test_figure_keys_a_column_at_a_time_are_figure_key_of_each() -> None:
    day = date(2020, 9, 30)
    rows = [(m, "count", None if n % 2 else day, day, ODD_WORDS[-n - 1], n) for n, m in enumerate(ODD_WORDS)]
    columns = [list(c) for c in zip(*rows, strict=True)]
    assert write.figure_keys(*columns) == [write.figure_key(*row) for row in rows]  # type: ignore[arg-type]
