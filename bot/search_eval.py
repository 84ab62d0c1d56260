"""Scoring search on the real development set: which gold rows each answer shows, recall@10 and nDCG@10.

The corpus (`../shared/corpus/real/`) is read where it lies, never copied: `figures.csv`, `quotes.csv` and
`queries.json`. An answer shows a figure row when one of its items shows the row's value (as statbot
writes it), what was counted and the row's link; it shows a quote row when an item shows the quote's words.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from commands.text import escape, format_value

K = 10
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
# How much of a quote's words an item must show: long quotes are clipped in answers.
QUOTE_PREFIX = 150
LOW_CONFIDENCE = ":warning: No stored"  # how commands.reply begins the low-confidence notice


@dataclass(frozen=True)
class Query:
    command: str
    text: str
    relevant: frozenset[str]  # "figures:N" / "quotes:N", N the 1-based data row
    today: date | None = None  # the day it is asked on ("last year" depends on it); None: the real today


@dataclass
class AsOf:
    """The app's clock during an evaluation (`Settings.today`): each question is answered as of its own day."""

    day: date | None = None

    def __call__(self) -> date:
        return self.day or date.today()


@dataclass
class Scored:
    query: Query
    shown: list[str | None]  # the gold row each shown item is, in order (None: not a gold row)
    intro: str  # the answer's first line, as a person reads it

    @property
    def warned(self) -> bool:
        """The answer said nothing stored answers it well (storage.hybrid's low-confidence notice)."""
        return self.intro.startswith(LOW_CONFIDENCE)

    @property
    def found(self) -> set[str]:
        return {row for row in self.shown[:K] if row in self.query.relevant}

    @property
    def recall(self) -> float:
        wanted = min(len(self.query.relevant), K)
        return len(self.found) / wanted if wanted else 0.0

    @property
    def ndcg(self) -> float:
        ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(self.query.relevant), K) + 1))
        seen: set[str] = set()
        gained = 0.0
        for rank, row in enumerate(self.shown[:K], 1):
            if row in self.query.relevant and row not in seen:
                seen.add(row)
                gained += 1 / math.log2(rank + 1)
        return gained / ideal if ideal else 0.0


@dataclass
class Report:
    scored: list[Scored] = field(default_factory=list)

    @property
    def judged(self) -> list[Scored]:
        return [s for s in self.scored if s.query.relevant]

    @property
    def recall(self) -> float:
        return sum(s.recall for s in self.judged) / len(self.judged)

    @property
    def ndcg(self) -> float:
        return sum(s.ndcg for s in self.judged) / len(self.judged)

    @property
    def unwanted(self) -> list[Scored]:
        """Queries that should find nothing but found something, without saying it matched nothing well."""
        return [s for s in self.scored if not s.query.relevant and s.shown and not s.warned]

    @property
    def negatives(self) -> list[Scored]:
        return [s for s in self.scored if not s.query.relevant]

    @property
    def false_alarms(self) -> list[Scored]:
        """Answerable queries whose answer said nothing matched well."""
        return [s for s in self.judged if s.warned]


def corpus_missing(corpus: Path = CORPUS) -> str | None:
    """Why the evaluation cannot run here, or None."""
    for name in ("figures.csv", "quotes.csv", "queries.json"):
        if not (corpus / name).is_file():
            return f"the real development corpus is not at {corpus} (no {name})"
    return None


def load_queries(corpus: Path = CORPUS) -> list[Query]:
    raw = json.loads((corpus / "queries.json").read_text(encoding="utf-8"))
    return [Query(q["command"], q["text"], frozenset(q["relevant"])) for q in raw]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


Matcher = Callable[[str, str], bool]  # (item's mrkdwn, item's plain text) -> is it this row


def figure_matcher(row: dict[str, str]) -> Matcher:
    value = format_value(Decimal(row["value"]), row["unit"])
    url, measure = row["source_url"], " ".join(row["measure"].split())

    def shows(mrkdwn: str, plain: str) -> bool:
        return f"*{value}*" in mrkdwn and (not url or f"<{url}|" in mrkdwn) and measure in plain

    return shows


def quote_matcher(row: dict[str, str]) -> Matcher:
    words = escape(row["text"])
    # The words between the quote marks, whole when short (so "on steroids" is not found inside a longer quote).
    needle = f"“{words}”" if len(words) <= QUOTE_PREFIX else f"“{words[:QUOTE_PREFIX]}"

    def shows(mrkdwn: str, plain: str) -> bool:
        return needle in mrkdwn.replace("\n>", "\n")

    return shows


def matchers(corpus: Path = CORPUS) -> dict[str, dict[str, Matcher]]:
    """Each gold row's matcher, by command: /stats answers show figures, /quote answers quotes."""
    figures = read_rows(corpus / "figures.csv")
    quotes = read_rows(corpus / "quotes.csv")
    return {
        "/stats": {f"figures:{n}": figure_matcher(row) for n, row in enumerate(figures, 1)},
        "/quote": {f"quotes:{n}": quote_matcher(row) for n, row in enumerate(quotes, 1)},
    }


def items_of(payload: dict[str, Any] | None) -> tuple[str, list[str]]:
    """The answer's first line and each item's mrkdwn (items are separated by dividers)."""
    if not payload:
        return "", []
    intro, items, current = "", [], None
    for block in payload.get("blocks") or []:
        kind = block.get("type")
        if kind == "divider":
            if current is not None:
                items.append(current)
            current = ""
            continue
        texts = [block["text"]["text"]] if block.get("text") else []
        texts += [e.get("text", "") for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
        if current is None:
            intro = intro or " ".join(texts)
        else:
            current += "\n" + "\n".join(texts)
    if current is not None:
        items.append(current)
    return intro, items


def score(query: Query, payload: dict[str, Any] | None, rows: dict[str, Matcher]) -> Scored:
    intro, items = items_of(payload)
    shown: list[str | None] = []
    for mrkdwn in items:
        plain = html.unescape(mrkdwn)
        hits = [key for key, shows in rows.items() if shows(mrkdwn, plain)]
        # One item is one row; prefer a wanted row not yet credited when several look alike.
        pick = next((h for h in hits if h in query.relevant and h not in shown), None)
        shown.append(pick or (hits[0] if hits else None))
    return Scored(query=query, shown=shown, intro=html.unescape(intro.replace("*", "")))


def load_questions(path: Path) -> tuple[list[Query], list[Query]]:
    """A question file (the shape of queries.json plus `held_out`): the development questions and the held-out ones."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    dev: list[Query] = []
    held: list[Query] = []
    for q in raw:
        today = date.fromisoformat(q["today"]) if q.get("today") else None
        (held if q.get("held_out") else dev).append(
            Query(q["command"], q["text"], frozenset(q["relevant"]), today)
        )
    return dev, held


def evaluate(
    ask: Callable[[str, date | None], dict[str, Any] | None],
    corpus: Path = CORPUS,
    queries: list[Query] | None = None,
) -> Report:
    """Ask every query (`ask` sends "/stats words" through the app as of the query's day, None for the real
    today, and returns the payload) and score it; the real set's queries.json unless `queries` are given."""
    rows = matchers(corpus)
    report = Report()
    for query in load_queries(corpus) if queries is None else queries:
        payload = ask(f"{query.command} {query.text}", query.today)
        report.scored.append(score(query, payload, rows[query.command]))
    return report


def totals(report: Report) -> str:
    return f"recall@{K} {report.recall:.3f}  nDCG@{K} {report.ndcg:.3f}"


def describe(report: Report, what: str = "queries") -> str:
    lines = [f"search on {len(report.scored)} {what} ({len(report.judged)} with relevant rows), k={K}"]
    for s in report.scored:
        asked = f"{s.query.command} {s.query.text}"
        if s.query.relevant:
            wanted = min(len(s.query.relevant), K)
            lines.append(
                f"  {asked:<40} recall@{K} {s.recall:.2f}  nDCG@{K} {s.ndcg:.2f}  "
                f"({len(s.found)}/{wanted}; {len(s.shown)} shown)"
            )
        else:
            answer = (
                "found nothing"
                if not s.shown
                else "said nothing matched well"
                if s.warned
                else f"found {s.intro}"
            )
            lines.append(f"  {asked:<40} should find nothing; {answer}")
    if report.negatives:
        said = len(report.negatives) - len(report.unwanted)
        lines.append(
            f"nothing-to-find {what}: {said} of {len(report.negatives)} found nothing or said so; "
            f"answerable {what} that said nothing matched well: {len(report.false_alarms)} of {len(report.judged)}"
        )
    lines.append(totals(report))
    if report.unwanted:
        lines.append(f"{len(report.unwanted)} {what} that should find nothing found something")
    return "\n".join(lines)
