"""Print the extraction precision/recall table on the gold set and the mean extraction time per article."""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.evaluate import evaluate, format_table

GOLD = Path(__file__).resolve().parent.parent / "tests" / "gold" / "articles"


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    evaluation = evaluate(GOLD, repeats=repeats)
    print(format_table(evaluation))
    print()
    milliseconds = evaluation.seconds_per_article * 1000
    print(f"mean extraction time per article: {milliseconds:.2f} ms (mean of {repeats} runs)")
    if "-v" in sys.argv:
        print("\n".join(evaluation.overall.misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
