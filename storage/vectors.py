"""Each web worker's in-memory vector index, one per workspace and kind, kept by the library version.

PostgreSQL without extensions and SQLite cannot search vectors, so a worker reads a workspace's stored
vectors once (the `embedding` columns of migration 0014, float16 bytes) and searches them with numpy.
The index is rebuilt when the library version (storage/library_version.py, the counter the answer
cache already reads once per request) has moved: a figure added, edited or retracted by anyone, from
any process, is searched on the next request after its commit. Memory is bounded like the answer
cache's: least recently used workspaces are dropped first.

A worker holds the vectors as int8, each row scaled by its own largest component (a float32 scale per
row): 100,000 figures at 384 dimensions are 39 MB, where float16 would be 77 MB and float32 154 MB, and
a web worker must stay under 200 MB with the model loaded. On the question set the int8 ranking is the
float16 ranking (bench/question_retrieval.py). The rows are read from the database in chunks, so the
float16 bytes of a whole workspace are never held at once. numpy has no fast int8 or float16 product,
so the search turns blocks of rows into float32 as it goes (a few MB at a time).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.embeddings import Vectors
from storage.models import ANSWERABLE, Quote, Statistic

BLOCK = 16_384  # rows turned to float32 at a time: 24 MB at 384 dimensions
CHUNK = 8_192  # rows read from the database at a time while an index is built

Quantised = npt.NDArray[np.int8]

_MODELS: dict[str, type[Statistic] | type[Quote]] = {"figures": Statistic, "quotes": Quote}


def to_blob(vector: Vectors) -> bytes:
    """A vector as the column stores it: little-endian float16."""
    return np.asarray(vector, dtype="<f2").tobytes()


def from_blobs(blobs: Sequence[bytes], dimensions: int) -> Vectors:
    """Stored vectors back as one (n, dimensions) float16 array; a blob of the wrong size is refused."""
    expected = dimensions * 2
    for blob in blobs:
        if len(blob) != expected:
            raise ValueError(f"a stored vector has {len(blob)} bytes, not {expected}: re-run statbot migrate")
    joined = b"".join(blobs)
    return np.frombuffer(joined, dtype="<f2").reshape(len(blobs), dimensions).astype(np.float16)


def quantise(vectors: Vectors) -> tuple[Quantised, npt.NDArray[np.float32]]:
    """int8 rows and the scale that turns each back: row ~= int8 row * scale."""
    x = np.asarray(vectors, dtype=np.float32)
    largest = np.abs(x).max(axis=1) if len(x) else np.zeros(0, dtype=np.float32)
    scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
    return np.rint(x / scale[:, None]).astype(np.int8), scale


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
    for start in range(0, len(vectors), BLOCK):
        block = vectors[start : start + BLOCK].astype(np.float32)
        scores[start : start + len(block)] = block @ q
    if scale is not None:
        scores *= scale
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    order = best[np.argsort(-scores[best], kind="stable")]
    return order.astype(np.int64), scores[order]


@dataclass(frozen=True)
class VectorIndex:
    """One workspace's vectors of one kind ("figures" or "quotes"), int8 with a scale per row, and the
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


def load_index(connection: sa.Connection | Session, workspace_id: int, kind: str, model: str, dimensions: int) -> VectorIndex:
    """The answerable rows (published or superseded) of one workspace with a vector from `model`, in one query."""
    table = _MODELS[kind]
    result = connection.execute(
        sa.select(table.id, table.embedding)
        .where(
            table.workspace_id == workspace_id,
            table.status.in_(ANSWERABLE),
            table.embedding_model == model,
        )
        .order_by(table.id)
        .execution_options(stream_results=True, yield_per=CHUNK)
    )
    ids: list[npt.NDArray[np.int64]] = []
    vectors: list[Quantised] = []
    scales: list[npt.NDArray[np.float32]] = []
    for rows in result.partitions(CHUNK):
        ids.append(np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)))
        quantised, scale = quantise(from_blobs([bytes(row[1] or b"") for row in rows], dimensions))
        vectors.append(quantised)
        scales.append(scale)
    if not ids:
        return VectorIndex(np.zeros(0, np.int64), np.zeros((0, dimensions), np.int8), np.zeros(0, np.float32))
    return VectorIndex(np.concatenate(ids), np.concatenate(vectors), np.concatenate(scales))


class VectorIndexes:
    """Indexes a worker holds, each valid for one library version; safe across a worker's threads.

    `get` returns the held index while the version is the one it was built at, and otherwise builds it
    again with `build` (one build at a time per workspace and kind; other threads asking for the same
    one wait for it rather than read the same rows twice)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._held: OrderedDict[tuple[int, str], tuple[int, VectorIndex]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[tuple[int, str], threading.Lock] = {}

    def get(self, workspace_id: int, kind: str, version: int, build: Callable[[], VectorIndex]) -> VectorIndex:
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
