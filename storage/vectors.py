"""Each web worker's in-memory vector index, one per workspace and kind, kept by the library version.

PostgreSQL without extensions and SQLite cannot search vectors, so a worker reads a workspace's stored
vectors once (the `statistic_vectors` and `quote_vectors` tables of migration 0020vec, float16 bytes)
and searches them with numpy.
The index is rebuilt when the library version (storage/library_version.py, the counter the answer
cache already reads once per request) has moved: a figure added, edited or retracted by anyone, from
any process, is searched on the next request after its commit. Memory is bounded like the answer
cache's: least recently used workspaces are dropped first.

A worker holds the vectors as int8, each row scaled by its own largest component (a float32 scale per
row): 100,000 figures at 384 dimensions are 39 MB, where float16 would be 77 MB and float32 154 MB, and
a web worker must stay under 200 MB with the model loaded. On the question set the int8 ranking is the
float16 ranking (bench/question_retrieval.py). The rows are read from the database in pages through one
server-side cursor and quantised into arrays allocated once at the size counted first (`from_pages`),
so the float16 bytes of a whole workspace, or its rows as Python objects, are never held at once. numpy
has no fast int8 or float16 product, so the search turns blocks of rows into float32 as it goes, in one
3 MB buffer.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.embeddings import Vectors
from storage.kinds import Kind
from storage.models import ANSWERABLE, Quote, Statistic, vectors_of

logger = logging.getLogger(__name__)

# Rows turned to float32 at a time, in one buffer reused: 3 MB at 384 dimensions. It was 16,384 rows, a new
# 24 MB array per block: once glibc had freed one, it served the next ones from the thread's heap and kept
# the 24 MB there after the search (bench/RESULTS.md, the memory of a served worker).
BLOCK = 2_048
CHUNK = 1_024  # rows read at a time while an index is built: 4,096 raised the peak by 27 MB, no faster

Quantised = npt.NDArray[np.int8]

_MODELS: dict[Kind, type[Statistic] | type[Quote]] = {"figure": Statistic, "quote": Quote}


def to_blob(vector: Vectors) -> bytes:
    """A vector as the column stores it: little-endian float16."""
    return np.asarray(vector, dtype="<f2").tobytes()


def from_blobs(blobs: Sequence[bytes], dimensions: int, *, cast: bool = True) -> Vectors:
    """Stored vectors back as one (n, dimensions) float16 array; a blob of the wrong size is refused.
    With `cast` False, a read-only view of the joined bytes (little-endian float16), not a copy."""
    expected = dimensions * 2
    for blob in blobs:
        if len(blob) != expected:
            raise ValueError(f"a stored vector has {len(blob)} bytes, not {expected}: re-run statbot migrate")
    joined = np.frombuffer(b"".join(blobs), dtype="<f2").reshape(len(blobs), dimensions)
    return joined.astype(np.float16) if cast else joined


def quantise(vectors: Vectors) -> tuple[Quantised, npt.NDArray[np.float32]]:
    """int8 rows and the scale that turns each back: row ~= int8 row * scale."""
    x = np.array(vectors, dtype=np.float32)  # a copy: quantised in place below
    out = np.empty(x.shape, dtype=np.int8)
    return out, _quantise_into(x, out)


def _quantise_into(x: npt.NDArray[np.float32], out: Quantised) -> npt.NDArray[np.float32]:
    """`quantise` of float32 rows `x`, overwritten as it goes, into `out`; returns the scales."""
    largest = np.abs(x).max(axis=1) if len(x) else np.zeros(0, dtype=np.float32)
    scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
    np.divide(x, scale[:, None], out=x)
    np.rint(x, out=x)
    out[...] = x
    return scale


def top_k(
    vectors: Vectors | Quantised,
    query: Vectors,
    k: int,
    scale: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Positions and cosine scores of the k rows nearest to `query` (all unit length), best first;
    `scale` is given with int8 rows (see `quantise`)."""
    if len(vectors) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    q = np.asarray(query, dtype=np.float32)
    scores = np.empty(len(vectors), dtype=np.float32)
    work = np.empty((min(BLOCK, len(vectors)), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(vectors), BLOCK):
        block = work[: len(vectors[start : start + BLOCK])]
        block[...] = vectors[start : start + BLOCK]
        np.matmul(block, q, out=scores[start : start + len(block)])
    if scale is not None:
        scores *= scale
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    order = best[np.argsort(-scores[best], kind="stable")]
    return order.astype(np.int64), scores[order]


@dataclass(frozen=True)
class VectorIndex:
    """One workspace's vectors of one kind ("figure" or "quote"), int8 with a scale per row, and the
    row ids they belong to."""

    ids: npt.NDArray[np.int64]
    vectors: Quantised
    scale: npt.NDArray[np.float32]

    @classmethod
    def of(cls, ids: npt.NDArray[np.int64], vectors: Vectors) -> VectorIndex:
        return cls(ids, *quantise(vectors))

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes + self.scale.nbytes)

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """(row id, cosine) of the k nearest rows, best first."""
        positions, scores = top_k(self.vectors, query, k, self.scale)
        return [(int(self.ids[p]), float(s)) for p, s in zip(positions, scores, strict=True)]


def vector_rows(kind: Kind, workspace_id: int, model: str) -> sa.Select[tuple[int, bytes | None]]:
    """(item id, stored vector) of one workspace's answerable items (published or superseded) with a vector
    from `model`, by id: the one place that says where the vectors are stored (their own table, 0020vec;
    the item's row only for workspace and status)."""
    table = _MODELS[kind].__table__
    vectors_table, item = vectors_of(_MODELS[kind])
    return (
        sa.select(item, vectors_table.c.vector)
        .select_from(vectors_table.join(table, item == table.c.id))
        .where(
            table.c.workspace_id == workspace_id,
            table.c.status.in_(ANSWERABLE),
            vectors_table.c.model == model,
        )
        .order_by(item)
    )


def load_index(connection: sa.Connection | Session, workspace_id: int, kind: Kind, model: str, dimensions: int) -> VectorIndex:
    """The index of `vector_rows`, streamed from one query into arrays allocated once."""
    if isinstance(connection, Session):
        connection = connection.connection()
    rows = vector_rows(kind, workspace_id, model)
    # Counted first so the index is allocated once and filled in place: the pages' temporaries then reuse
    # the same memory instead of leaving the heap in pieces around a growing index.
    counting = rows.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)
    count = connection.scalar(counting) or 0
    # One query, read in pages (a server-side cursor on PostgreSQL): paging by id instead made the
    # database scan and sort the workspace once per page (4 s against 1 s at 100,000 rows). Core rows of
    # two columns only: no ORM objects, and no row of the workspace is held beyond its page.
    result = connection.execute(rows.execution_options(stream_results=True, yield_per=CHUNK))
    try:
        index = from_pages(result.partitions(CHUNK), count, dimensions)
    finally:
        result.close()
    _trim_heap()
    return index


def from_pages(pages: Iterable[Sequence[Sequence[Any]]], count: int, dimensions: int) -> VectorIndex:
    """An index of the first `count` (id, stored vector) rows of `pages` (rows beyond it, added since the
    count, wait for the next version), quantised page by page straight into arrays of that size: what
    `VectorIndex.of` gives for all the rows at once, without ever holding them all as float16 or float32."""
    ids = np.empty(count, dtype=np.int64)
    vectors = np.empty((count, dimensions), dtype=np.int8)
    scales = np.empty(count, dtype=np.float32)
    work = np.empty((0, dimensions), dtype=np.float32)  # one page as float32, reused by every page
    filled = 0
    for page in pages:
        rows = page[: count - filled]
        if not rows:
            break
        n = len(rows)
        if n > len(work):
            work = np.empty((n, dimensions), dtype=np.float32)
        x = work[:n]
        x[...] = from_blobs([bytes(row[1] or b"") for row in rows], dimensions, cast=False)
        ids[filled : filled + n] = [row[0] for row in rows]
        scales[filled : filled + n] = _quantise_into(x, vectors[filled : filled + n])
        filled += n
    return VectorIndex(ids[:filled], vectors[:filled], scales[:filled])


def _trim_heap() -> None:
    """Give the pages' freed memory back to the system (glibc keeps it otherwise; a worker's resident
    size is what its platform bills and kills on). Elsewhere this does nothing."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class VectorIndexes:
    """Indexes a worker holds, each valid for one library version; safe across a worker's threads.

    `get` returns the held index while the version is the one it was built at, and otherwise builds it
    again with `build` (one build at a time per workspace and kind; other threads asking for the same
    one wait for it rather than read the same rows twice).

    `get_or_stale` does not make the question wait for a rebuild (about a second at 100,000 figures)
    when an index of an older version is held: it returns that one and rebuilds in a background
    thread. That is safe for the answer only because answers read their rows from the database by id
    with the status filter: a row retracted since is dropped there, and a row added since is missed
    by the dense half only until the rebuild ends (the word search still finds it). `build` must then
    open its own connection, since it runs in another thread. The price is memory: during a rebuild
    the worker holds two indexes (78 MB at 100,000 figures instead of 39), where `get` lets the old
    one go before building. Wiring chooses; bench/RESULTS.md has both costs."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._held: OrderedDict[tuple[int, str], tuple[int, VectorIndex]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[tuple[int, str], threading.Lock] = {}

    def get(self, workspace_id: int, kind: Kind, version: int, build: Callable[[], VectorIndex]) -> VectorIndex:
        key = (workspace_id, kind)
        held = self._lookup(key, version)
        if held is not None:
            return held
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            held = self._lookup(key, version)  # another thread may have built it meanwhile
            if held is not None:
                return held
            index = build()
            self._put(key, version, index)
            return index

    def get_or_stale(
        self, workspace_id: int, kind: Kind, version: int, build: Callable[[], VectorIndex]
    ) -> tuple[VectorIndex, bool]:
        """The index for `version`, or the one held for an older version while a fresh one is built;
        the flag says whether it is current. With nothing held, this builds and waits, as `get` does."""
        key = (workspace_id, kind)
        with self._lock:
            entry = self._held.get(key)
        if entry is None or entry[0] == version:
            return self.get(workspace_id, kind, version, build), True
        thread = threading.Thread(target=self._rebuild, args=(key, version, build), daemon=True)
        thread.start()
        return entry[1], False

    def _rebuild(self, key: tuple[int, str], version: int, build: Callable[[], VectorIndex]) -> None:
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        if not building.acquire(blocking=False):
            return  # a rebuild is already under way
        try:
            with self._lock:
                entry = self._held.get(key)
                if entry is not None and entry[0] >= version:
                    return  # built meanwhile, as new or newer
            index = build()
            with self._lock:
                entry = self._held.get(key)
                if entry is not None and entry[0] > version:
                    return
            self._put(key, version, index)
        except Exception:  # a failed rebuild leaves the old index; the next question tries again
            logger.exception("rebuilding the vector index of workspace %s (%s) failed", *key)
        finally:
            building.release()

    def __len__(self) -> int:
        return len(self._held)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _lookup(self, key: tuple[int, str], version: int) -> VectorIndex | None:
        with self._lock:
            entry = self._held.get(key)
            if entry is None:
                return None
            if entry[0] != version:
                self._drop(key)
                return None
            self._held.move_to_end(key)
            return entry[1]

    def _put(self, key: tuple[int, str], version: int, index: VectorIndex) -> None:
        with self._lock:
            if key in self._held:
                self._drop(key)
            if index.nbytes > self.max_bytes:
                return  # too big to keep: it was still used for this request
            self._held[key] = (version, index)
            self._bytes += index.nbytes
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._held)))

    def _drop(self, key: tuple[int, str]) -> None:
        _, index = self._held.pop(key)
        self._bytes -= index.nbytes
