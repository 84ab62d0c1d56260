"""Print the extraction scores on a gold folder and the mean extraction time per article (goal: < 200 ms).

Usage: python -m bench.eval_extraction [GOLD_DIR] [REPEATS] [-v]
GOLD_DIR defaults to ../shared/corpus/real/articles (the real development articles).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.evaluate import evaluate, report

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real" / "articles"


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "-v"]
    gold = Path(next((a for a in args if not a.isdigit()), REAL))
    repeats = int(next((a for a in args if a.isdigit()), "20"))
    evaluation = evaluate(gold, repeats=repeats)
    print(report(evaluation, repeats=repeats, verbose="-v" in sys.argv))
    slowest = evaluation.slowest_seconds * 1000
    print(f"slowest article: {slowest:.2f} ms (goal: a typical article under 200 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
