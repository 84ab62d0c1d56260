"""Extraction time per article on the real development articles (goal: a typical article under 200 ms).

Usage: python bench/extract_speed.py [GOLD_DIR ...] [--repeats N]
Defaults to ../shared/corpus/real/articles beside the repository. Prints the median, 95th percentile
and slowest article (each the median of N runs) and exits 1 when the median is over the goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ingest.article import from_text
from ingest.extract import extract

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real" / "articles"
GOAL_MS = 200.0


def article_times(folder: Path, repeats: int) -> list[tuple[float, str, int]]:
    """(milliseconds, name, characters) per article, each the median of `repeats` runs."""
    times = []
    for path in sorted(folder.glob("*.txt")):
        article = from_text(path.read_text(encoding="utf-8"))
        runs = []
        for _ in range(repeats):
            began = time.perf_counter()
            extract(article.text, title=article.title)
            runs.append((time.perf_counter() - began) * 1000)
        times.append((statistics.median(runs), path.stem, len(article.text)))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[REAL])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    times = [t for folder in args.folders for t in article_times(folder, args.repeats)]
    if not times:
        print(f"no articles found in {', '.join(map(str, args.folders))}", file=sys.stderr)
        return 2
    values = sorted(t[0] for t in times)
    median = statistics.median(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    slowest = max(times)
    print(f"{len(times)} articles, {args.repeats} runs each")
    print(
        f"median {median:.2f} ms · 95th percentile {p95:.2f} ms · slowest {slowest[0]:.2f} ms ({slowest[1]}, {slowest[2]:,} characters)"
    )
    print(f"goal: a typical article under {GOAL_MS:.0f} ms: {'met' if median < GOAL_MS else 'NOT met'}")
    return 0 if median < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
