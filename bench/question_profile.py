"""Where a `/stats` answer's time goes, statement by statement (issue 19's latency goal).

    .venv/bin/python bench/question_profile.py postgresql://postgres@127.0.0.1:5432/bench_19lat \
        ["how many grooming offences were recorded on Instagram last year?" ...] [--repeat 20] [--explain]

Answers each text in this process as a web worker does (bot.questions.answer on the read-only engine, the
model and a vector index held, the answer cache off), after one warm-up answer that loads the model and
builds the index. Prints, per text, the answer's wall and CPU time, then every SQL statement it issued:
how many times, total and mean time, rows returned. With --explain, each distinct statement is run once
more under EXPLAIN (ANALYZE, BUFFERS) with the parameters it was last sent, and the plan printed. The
database is one seeded by bench/questions_served.py --database NAME.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, select

from bot.app import DENSE_THREADS
from bot.questions import answer
from storage import embeddings
from storage.db import make_engine, read_only
from storage.hybrid import Dense
from storage.models import Workspace
from storage.vectors import VectorIndexes

TEXTS = [
    "how many grooming offences were recorded on Instagram last year?",
    "what share of children in Wales saw harmful content online?",
    "facebook",
]


@dataclass
class Statement:
    calls: int = 0
    seconds: float = 0.0
    rows: int = 0
    parameters: Any = None
    first: int = 0  # order of its first call


@dataclass
class Recorder:
    statements: dict[str, Statement] = field(default_factory=lambda: defaultdict(Statement))
    started: dict[int, float] = field(default_factory=dict)
    order: int = 0
    recording: bool = False

    def reset(self) -> None:
        self.statements.clear()
        self.order = 0

    def attach(self, engine: Engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            self.started[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            took = time.perf_counter() - self.started.pop(id(cursor), time.perf_counter())
            if not self.recording:
                return
            held = self.statements[statement]
            if not held.calls:
                self.order += 1
                held.first = self.order
            held.calls += 1
            held.seconds += took
            held.rows += max(cursor.rowcount, 0)
            held.parameters = parameters


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("texts", nargs="*")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    engine = make_engine(args.url)
    reading = read_only(engine)
    with engine.connect() as connection:
        workspace_id = connection.scalar(select(Workspace.id).order_by(Workspace.id).limit(1))
    embedder = embeddings.shared()
    # As a web worker holds it (bot.app._dense): the question's vector search beside its word search.
    pool = ThreadPoolExecutor(DENSE_THREADS, thread_name_prefix="dense")
    dense = Dense(embedder, VectorIndexes(64 * 1024 * 1024), pool) if embedder is not None else None
    recorder = Recorder()
    recorder.attach(reading)
    for text in args.texts or TEXTS:
        answer(reading, workspace_id, "/stats", text, dense=dense)  # warm-up: model, index, caches
        recorder.reset()
        recorder.recording = True
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            answer(reading, workspace_id, "/stats", text, dense=dense)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        recorder.recording = False
        sql_seconds = sum(s.seconds for s in recorder.statements.values())
        print(f"\n## {text!r}: {1000 * wall / args.repeat:.1f} ms wall, {1000 * cpu / args.repeat:.1f} ms CPU "
              f"per answer (this process); SQL {1000 * sql_seconds / args.repeat:.1f} ms")  # fmt: skip
        print("| # | calls/answer | ms/answer | rows/call | statement |")
        print("|---:|---:|---:|---:|---|")
        for statement, held in sorted(recorder.statements.items(), key=lambda pair: pair[1].first):
            short = " ".join(statement.split())[:160]
            print(f"| {held.first} | {held.calls / args.repeat:.0f} | {1000 * held.seconds / args.repeat:.2f} | "
                  f"{held.rows / held.calls:.0f} | `{short}` |")  # fmt: skip
        if args.explain:
            with engine.connect() as connection:
                for statement, held in sorted(recorder.statements.items(), key=lambda pair: -pair[1].seconds)[
                    :8
                ]:
                    plan = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, held.parameters
                    ).scalars()
                    print(
                        f"\n### statement {held.first} ({1000 * held.seconds / held.calls:.2f} ms a call)\n"
                    )
                    print(" ".join(statement.split()))
                    print("\n".join(plan))
                connection.rollback()


if __name__ == "__main__":
    main()
