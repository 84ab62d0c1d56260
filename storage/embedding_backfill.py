"""Embedding the rows that have no vector from the current model yet: what `statbot migrate` will run.

Rows are embedded in batches, one transaction each, so a stopped backfill loses at most a batch and
the next run carries on from what is still missing (rows with no vector from the current model in
`statistic_vectors` or `quote_vectors`, which also re-embeds everything after a change of model). On PostgreSQL each batch moves
the library version once (migration 0009's trigger), so workers rebuild their vector indexes after it.
`statbot migrate` runs it through storage.write.backfill_embeddings, with a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from storage import write
from storage.embeddings import Embedder, Vectors, figure_text, quote_text
from storage.models import Quote, Statistic, vectors_of
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
    table, item = vectors_of(model)
    return ~sa.select(item).where(item == model.id, table.c.model == name).exists()


def backfill(
    sessions: sessionmaker[Session],
    embedder: Embedder,
    progress: Progress | None = None,
    writing: Callable[[Session], AbstractContextManager[None]] = lambda _session: nullcontext(),
) -> int:
    """Embed every figure and quote without a vector from `embedder`; returns how many were embedded.

    `progress` is tqdm or anything called like it (`total=`, `unit=`, `desc=`), for the progress bar;
    `writing` marks each batch's session as the write path's (storage.write.backfill_embeddings)."""
    done = 0
    for model, document in ((Statistic, figure_document), (Quote, quote_document)):
        with sessions() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(model).where(_missing(model, embedder.name)))
        bar = progress(total=total, unit="row", desc=f"embedding {model.__tablename__}") if progress else None
        for rows in _batches(sessions, model, embedder.name):
            done += _embed(sessions, model, rows, document, embedder, writing)
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


def embed_rows(session: Session, model: Any, ids: Iterable[int], embedder: Embedder) -> int:
    """Embed these rows in the caller's transaction, in batches (the write path: new and changed items)."""
    wanted = list(ids)
    document = figure_document if model is Statistic else quote_document
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = list(session.scalars(sa.select(model).where(model.id.in_(chunk))).unique())
        vectors = embedder.embed_documents([document(row) for row in rows])
        write.set_embeddings(session, model, _blobs(rows, vectors), embedder.name)
    return len(wanted)


def _embed(
    sessions: sessionmaker[Session],
    model: Any,
    ids: Iterable[int],
    document: Callable[[Any], str],
    embedder: Embedder,
    writing: Callable[[Session], AbstractContextManager[None]],
) -> int:
    with sessions.begin() as session, writing(session):
        rows = list(session.scalars(sa.select(model).where(model.id.in_(list(ids)))).unique())
        vectors = embedder.embed_documents([document(row) for row in rows])
        write.set_embeddings(session, model, _blobs(rows, vectors), embedder.name)
        return len(rows)


def _blobs(rows: list[Any], vectors: Vectors) -> dict[int, bytes]:
    return {row.id: to_blob(vector) for row, vector in zip(rows, vectors, strict=True)}
