"""`statbot ingest` and `statbot eval`: candidates from one article for a person to check, and the gold-set scores."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ingest.article import Article
from ingest.evaluate import GoldError, evaluate, goals_missed, report
from ingest.extract import Extraction, FigureCandidate, QuoteCandidate, value_display
from ingest.fetch import FetchError, FetchSettings
from ingest.pipeline import candidates

FIGURE_LABELS = (
    ("value", "as written"),
    ("normalised", "normalised"),
    ("unit", "unit"),
    ("measure", "measure"),
    ("period", "period"),
    ("place", "place"),
    ("producer", "producer"),
    ("evidence", "evidence"),
)
QUOTE_LABELS = (
    ("words", "words"),
    ("speaker", "speaker"),
    ("role", "role"),
    ("org", "org"),
    ("reported_by", "reported by"),
)


def add_parsers(commands: Any) -> None:
    """Add `ingest` and `eval` to the `statbot` subcommands."""
    ingest = commands.add_parser("ingest", help="list the figures and quotes in an article file or link")
    ingest.add_argument("source", metavar="FILE|URL")
    ingest.add_argument("--json", action="store_true", help="print the candidates as JSON")
    ingest.add_argument(
        "--submit",
        action="store_true",
        help="store them for review (pending) and post them to the review channel when Slack is configured",
    )
    ingest.add_argument(
        "--team", metavar="T123", help="with --submit: the Slack team whose workspace reviews them"
    )
    scores = commands.add_parser("eval", help="score extraction on a gold folder (precision/recall)")
    scores.add_argument(
        "--gold",
        type=Path,
        metavar="DIR",
        help="folder of <slug>.txt articles with <slug>.gold.json annotations, e.g. ../shared/corpus/real/articles",
    )
    scores.add_argument(
        "--check", action="store_true", help="exit 1 when a score is below the extraction goals"
    )
    scores.add_argument("--repeats", type=int, default=5, help="extraction runs per article for the timing")
    scores.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    scores.add_argument(
        "--search",
        action="store_true",
        help="score search instead: import ../shared/corpus/real into a scratch database and ask its queries",
    )
    scores.add_argument(
        "--questions",
        type=Path,
        metavar="FILE",
        help="with --search: also score these plain-language questions (e.g. tests/eval/questions.json), dev set",
    )
    scores.add_argument(
        "--held-out", action="store_true", help="with --questions: score the held-out questions too (once, at the end)"
    )
    scores.add_argument(
        "--database-url", help="with --search: an empty database to use (default: a temporary SQLite file)"
    )


def run(args: argparse.Namespace, fetching: FetchSettings | None = None) -> int:
    """`eval`, or `ingest` of a file or a link (fetched as `fetching` says: the configured deadline)."""
    if args.command == "eval":
        if args.gold is None:
            print("statbot eval: give --gold DIR (extraction) or --search (search)", file=sys.stderr)
            return 2
        try:
            evaluation = evaluate(args.gold, repeats=args.repeats)
        except GoldError as error:
            print(f"statbot eval: {error}", file=sys.stderr)
            return 2
        print(report(evaluation, repeats=args.repeats, verbose=args.verbose))
        return 1 if args.check and goals_missed(evaluation.overall) else 0
    try:
        found = candidates(args.source, settings=fetching)
    except FetchError as error:
        print(f"statbot couldn't read {args.source}: {error.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(found.article, found.extraction), indent=2, ensure_ascii=False))
    else:
        print(describe(found.article, found.extraction))
    return 0


def figure_fields(figure: FigureCandidate) -> dict[str, str | None]:
    return {
        "value": figure.value_text,
        "normalised": value_display(figure),
        "unit": figure.unit,
        "measure": figure.measure,
        "period": _period(figure.period_start, figure.period_end),
        "place": figure.geography,
        "producer": figure.producer,
        "evidence": figure.evidence,
    }


def quote_fields(quote: QuoteCandidate) -> dict[str, str | None]:
    return {
        "words": quote.text,
        "speaker": quote.speaker,
        "role": quote.speaker_role,
        "org": quote.speaker_org,
        "reported_by": quote.reported_by,
    }


def as_json(article: Article, extraction: Extraction) -> dict[str, Any]:
    return {
        "article": {
            "title": article.title,
            "publisher": article.publisher,
            "published": article.published,
            "url": article.url,
        },
        "figures": [
            {**figure_fields(f), "period_start": f.period_start, "period_end": f.period_end}
            for f in extraction.figures
        ],
        "quotes": [{**quote_fields(q), "evidence": q.evidence} for q in extraction.quotes],
    }


def describe(article: Article, extraction: Extraction) -> str:
    """Plain text for a person to check; a blank field is left blank, never filled in."""
    lines = [
        f"title:      {article.title or ''}",
        f"publisher:  {article.publisher or ''}",
        f"published:  {article.published or ''}",
        f"url:        {article.url or ''}",
        "",
        f"{len(extraction.figures)} figure(s) to check",
    ]
    for number, figure in enumerate(extraction.figures, 1):
        lines.append(f"\n[figure {number}]")
        lines.extend(_rows(figure_fields(figure), FIGURE_LABELS))
    lines.append(f"\n{len(extraction.quotes)} quote(s) to check")
    for number, quote in enumerate(extraction.quotes, 1):
        lines.append(f"\n[quote {number}]")
        lines.extend(_rows(quote_fields(quote), QUOTE_LABELS))
    return "\n".join(lines)


def _rows(fields: dict[str, str | None], labels: tuple[tuple[str, str], ...]) -> list[str]:
    width = max(len(label) for _, label in labels) + 1
    return [f"  {(label + ':').ljust(width)} {fields[key] or ''}".rstrip() for key, label in labels]


def _period(start: str | None, end: str | None) -> str | None:
    if start is None and end is None:
        return None
    if start == end or end is None:
        return start
    return f"until {end}" if start is None else f"{start} to {end}"
