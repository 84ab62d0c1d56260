"""Print the extraction precision/recall table on the gold set and the mean extraction time per article."""

from __future__ import annotations

import sys

from ingest.evaluate import GOLD, evaluate, report


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20
    print(report(evaluate(GOLD, repeats=repeats), repeats=repeats, verbose="-v" in sys.argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
