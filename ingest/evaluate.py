"""Scoring extraction against the gold-annotated articles: precision, recall and per-field accuracy.

Matching rules (kept deliberately simple so the numbers are easy to audit):
* Quote spans match when their texts are equal after normalisation (case, quote/apostrophe style,
  punctuation and whitespace ignored), or, failing that, have a character similarity of at least 0.95.
* Speakers match when their word sets are equal after dropping honorifics and the words
  a/an/the/for/of/and ("A spokesperson for the DWP" == "A DWP spokesperson"); None matches None.
* Figures match when unit and value are equal (ratios within 0.005: gold rounds them to two places).
  Each gold item matches at most one prediction. Field accuracy is measured over matched figures only,
  and only for fields the gold item has (the real corpus has no `value_text` or `reported_by`):
  - period_start / period_end: exact string equality (None == None counts as correct); `period` is
    both at once;
  - geography, producer: equal after normalisation (case, dots, a leading "the"), or the same words in
    another order ("Leeds University" == "University of Leeds"); a producer also matches its acronym
    ("National Society for the Prevention of Cruelty to Children" == "NSPCC");
  - measure: Dice overlap of content words >= 0.5, i.e. 2|G∩P| / (|G|+|P|) >= 0.5, where content
    words are lowercased alphanumeric tokens minus stopwords, with a plural "s" removed.

A gold folder holds `<slug>.txt` (line 1 the headline, then the body; the real corpus puts the URL on
line 2) and `<slug>.gold.json` (`{"figures": [...], "quotes": [...]}`, optionally `"split"`). The text
is read the way `statbot ingest FILE` reads it, so the scores are what a reviewer would get.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from ingest.article import from_text
from ingest.extract import Extraction, FigureCandidate, QuoteCandidate, extract
from ingest.figure_context import measure_tokens
from ingest.lexicon import HONORIFICS
from ingest.names import acronym

FIGURE_FIELDS = ("measure", "period", "period_start", "period_end", "geography", "producer")
QUOTE_FIELDS = ("speaker", "speaker_role", "speaker_org", "reported_by")
GOLD_SUFFIX = ".gold.json"
# Issue 16's goals on real articles: (label, score attribute, lowest acceptable value)
GOALS = (
    ("quote span precision", "quote_precision", 0.95),
    ("quote span recall", "quote_recall", 0.90),
    ("speaker accuracy", "speaker_accuracy", 0.85),
    ("figure value+unit precision", "figure_precision", 0.85),
    ("figure value+unit recall", "figure_recall", 0.90),
    ("measure word overlap", "measure_accuracy", 0.80),
)


@dataclass(frozen=True)
class GoldArticle:
    """One annotated article: its text, headline and the figures and quotes a careful reader lists."""

    name: str
    split: str
    text: str
    title: str
    figures: list[dict[str, Any]]
    quotes: list[dict[str, Any]]


class GoldError(Exception):
    """The gold folder is missing or malformed; the message says what to fix."""


def load_gold(directory: Path) -> list[GoldArticle]:
    """Every `<slug>.gold.json` in `directory` with its `<slug>.txt`."""
    if not directory.is_dir():
        raise GoldError(f"there is no gold folder at {directory}")
    articles = []
    for annotation in sorted(directory.glob(f"*{GOLD_SUFFIX}")):
        slug = annotation.name.removesuffix(GOLD_SUFFIX)
        source = directory / f"{slug}.txt"
        if not source.is_file():
            raise GoldError(f"{annotation.name} has no article {source.name} beside it")
        try:
            data = json.loads(annotation.read_text(encoding="utf-8"))
            figures, quotes = data["figures"], data["quotes"]
        except (ValueError, KeyError, TypeError) as error:
            raise GoldError(f"{annotation.name} is not a gold file ({error})") from None
        article = from_text(source.read_text(encoding="utf-8"))
        split = data.get("split", "all") if isinstance(data, dict) else "all"
        articles.append(GoldArticle(slug, split, article.text, article.title or "", figures, quotes))
    if not articles:
        raise GoldError(f"{directory} holds no *{GOLD_SUFFIX} files")
    return articles


@dataclass
class Score:
    """Counts behind the precision/recall table, added up over articles."""

    quotes_gold: int = 0
    quotes_found: int = 0
    quotes_matched: int = 0
    figures_gold: int = 0
    figures_found: int = 0
    figures_matched: int = 0
    quote_fields: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUOTE_FIELDS, 0))
    figure_fields: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURE_FIELDS, 0))
    # how many matched items the gold annotates each field for (the denominator of its accuracy)
    quote_field_totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUOTE_FIELDS, 0))
    figure_field_totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURE_FIELDS, 0))
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in (
            "quotes_gold",
            "quotes_found",
            "quotes_matched",
            "figures_gold",
            "figures_found",
            "figures_matched",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key in QUOTE_FIELDS:
            self.quote_fields[key] += other.quote_fields[key]
            self.quote_field_totals[key] += other.quote_field_totals[key]
        for key in FIGURE_FIELDS:
            self.figure_fields[key] += other.figure_fields[key]
            self.figure_field_totals[key] += other.figure_field_totals[key]
        self.misses.extend(other.misses)

    @staticmethod
    def _ratio(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @property
    def quote_precision(self) -> float:
        return self._ratio(self.quotes_matched, self.quotes_found)

    @property
    def quote_recall(self) -> float:
        return self._ratio(self.quotes_matched, self.quotes_gold)

    @property
    def speaker_accuracy(self) -> float:
        return self.quote_field_accuracy("speaker")

    @property
    def figure_precision(self) -> float:
        return self._ratio(self.figures_matched, self.figures_found)

    @property
    def figure_recall(self) -> float:
        return self._ratio(self.figures_matched, self.figures_gold)

    @property
    def measure_accuracy(self) -> float:
        return self.figure_field_accuracy("measure")

    def quote_field_accuracy(self, name: str) -> float:
        return self._ratio(self.quote_fields[name], self.quote_field_totals[name])

    def figure_field_accuracy(self, name: str) -> float:
        return self._ratio(self.figure_fields[name], self.figure_field_totals[name])


def normalise_quote(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def quotes_match(gold: str, found: str) -> bool:
    a, b = normalise_quote(gold), normalise_quote(found)
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.95


def _words(name: str | None) -> frozenset[str]:
    if name is None:
        return frozenset()
    words = re.sub(r"[^\w\s&-]", " ", name.lower().replace("’", "'")).split()
    return frozenset(w for w in words if w not in {"a", "an", "the", "for", "of", "and", *HONORIFICS})


_SPOKES_WORDS = frozenset({"spokesperson", "spokesman", "spokeswoman", "representative"})


def speakers_match(gold: str | None, found: str | None) -> bool:
    """Same words; or the same organisation, spelt out or as its acronym ("SOT"), with or without
    "spokesperson" (the invented set says "A KidSafe spokesperson", the real set "KidSafe")."""
    if gold is None or found is None:
        return gold is found
    if _words(gold) == _words(found):
        return True
    a, b = _words(gold) - _SPOKES_WORDS, _words(found) - _SPOKES_WORDS
    if a and a == b:
        return True
    if len(a) != 1 and len(b) != 1:
        return False
    return names_match(_without_spokes(gold), _without_spokes(found))


def _without_spokes(name: str) -> str:
    words = [w for w in re.sub(r"[^\w\s&'’-]", " ", name).split() if w.lower() not in _SPOKES_WORDS]
    if words and words[0].lower() in {"a", "an", "the"}:
        words = words[1:]
    return " ".join(words)


def _tidy_name(name: str) -> str:
    name = re.sub(r"^the\s+", "", name.strip().lower().replace("’", "'"))
    return re.sub(r"[.\s]+", " ", name.replace("u.s.", "us").replace("u.k.", "uk")).strip()


_PLACE_ALIASES = {"united kingdom": "uk", "britain": "uk", "united states": "us", "america": "us"}


def names_match(gold: str | None, found: str | None) -> bool:
    """Organisations, outlets and places: normalised equality, or one is the other's acronym."""
    if gold is None or found is None:
        return gold is found
    a, b = _tidy_name(gold), _tidy_name(found)
    a, b = _PLACE_ALIASES.get(a, a), _PLACE_ALIASES.get(b, b)
    if a == b or _name_words(a) == _name_words(b):
        return True
    return acronym(found).lower() == a.replace(" ", "") or acronym(gold).lower() == b.replace(" ", "")


def _name_words(name: str) -> frozenset[str]:
    """ "University of Leeds" and "Leeds University": the same words in another order."""
    words = re.sub(r"'s\b", "", name).split()
    return frozenset(w for w in words if w not in {"of", "for", "the", "and", "&"})


def measures_match(gold: str | None, found: str | None) -> bool:
    if gold is None or found is None:
        return gold is found
    g, f = measure_tokens(gold), measure_tokens(found)
    return bool(g or f) and 2 * len(g & f) / (len(g) + len(f)) >= 0.5


def _values_match(gold: dict[str, Any], found: FigureCandidate) -> bool:
    if gold["unit"] != found.unit:
        return False
    tolerance = Decimal("0.005") if found.unit == "ratio" else Decimal(0)
    return abs(Decimal(str(gold["value"])) - found.value) <= tolerance


def _gold_value(gold: dict[str, Any]) -> str:
    return str(gold.get("value_text") or f"{gold['value']} {gold['unit']}")


def score_article(article: GoldArticle, result: Extraction) -> Score:
    score = Score(
        quotes_gold=len(article.quotes),
        quotes_found=len(result.quotes),
        figures_gold=len(article.figures),
        figures_found=len(result.figures),
    )
    unused_quotes: list[QuoteCandidate] = list(result.quotes)
    for gold in article.quotes:
        match = next((q for q in unused_quotes if quotes_match(gold["text"], q.text)), None)
        if match is None:
            score.misses.append(f"{article.name}: missed quote {gold['text'][:60]!r}")
            continue
        unused_quotes.remove(match)
        score.quotes_matched += 1
        for name in QUOTE_FIELDS:
            if name not in gold:
                continue
            same = speakers_match if name in {"speaker", "speaker_role"} else names_match
            ok = same(gold[name], getattr(match, name))
            score.quote_field_totals[name] += 1
            score.quote_fields[name] += ok
            if not ok:
                score.misses.append(
                    f"{article.name}: quote {gold['text'][:30]!r} {name} "
                    f"gold={gold[name]!r} found={getattr(match, name)!r}"
                )
    score.misses.extend(f"{article.name}: extra quote {q.text[:60]!r}" for q in unused_quotes)
    unused_figures: list[FigureCandidate] = list(result.figures)
    for gold in article.figures:
        found = next(
            (f for f in unused_figures if _values_match(gold, f) and f.value_text == gold.get("value_text")),
            None,
        )
        found = found or next((f for f in unused_figures if _values_match(gold, f)), None)
        if found is None:
            score.misses.append(f"{article.name}: missed figure {_gold_value(gold)!r}")
            continue
        unused_figures.remove(found)
        score.figures_matched += 1
        gold_period = (gold["period_start"], gold["period_end"])
        found_period = (found.period_start, found.period_end)
        checks = {
            "measure": (measures_match(gold["measure"], found.measure), gold["measure"], found.measure),
            "period": (gold_period == found_period, gold_period, found_period),
            "period_start": (gold["period_start"] == found.period_start, None, None),
            "period_end": (gold["period_end"] == found.period_end, None, None),
            "geography": (
                names_match(gold["geography"], found.geography),
                gold["geography"],
                found.geography,
            ),
            "producer": (names_match(gold["producer"], found.producer), gold["producer"], found.producer),
        }
        for name, (ok, wanted, got) in checks.items():
            score.figure_field_totals[name] += 1
            score.figure_fields[name] += ok
            if not ok and name not in {"period_start", "period_end"}:
                score.misses.append(
                    f"{article.name}: figure {_gold_value(gold)!r} {name} gold={wanted!r} found={got!r}"
                )
    score.misses.extend(
        f"{article.name}: extra figure {f.value_text!r} in {f.evidence[:60]!r}" for f in unused_figures
    )
    return score


@dataclass
class Evaluation:
    """Scores per split ("dev", "heldout") and overall, plus the time spent extracting."""

    by_split: dict[str, Score]
    overall: Score
    seconds_per_article: float
    slowest_seconds: float = 0.0


def evaluate(directory: Path, *, repeats: int = 1) -> Evaluation:
    articles = load_gold(directory)
    by_split: dict[str, Score] = {}
    overall = Score()
    elapsed = slowest = 0.0
    for article in articles:
        began = time.perf_counter()
        for _ in range(max(repeats, 1)):
            result = extract(article.text, title=article.title or None)
        took = (time.perf_counter() - began) / max(repeats, 1)
        elapsed += took
        slowest = max(slowest, took)
        score = score_article(article, result)
        by_split.setdefault(article.split, Score()).add(score)
        overall.add(score)
    return Evaluation(by_split, overall, elapsed / len(articles) if articles else 0.0, slowest)


def format_table(evaluation: Evaluation) -> str:
    """A plain-text table: one column per split and one for all articles."""
    splits = sorted(evaluation.by_split.items()) if len(evaluation.by_split) > 1 else []
    columns = [*splits, ("all", evaluation.overall)]
    rows: list[tuple[str, list[str]]] = [
        (
            "quotes gold / found / matched",
            [f"{s.quotes_gold}/{s.quotes_found}/{s.quotes_matched}" for _, s in columns],
        ),
        ("quote span precision", [f"{s.quote_precision:.3f}" for _, s in columns]),
        ("quote span recall", [f"{s.quote_recall:.3f}" for _, s in columns]),
        *[
            (f"quote {name} accuracy", [f"{s.quote_field_accuracy(name):.3f}" for _, s in columns])
            for name in QUOTE_FIELDS
        ],
        (
            "figures gold / found / matched",
            [f"{s.figures_gold}/{s.figures_found}/{s.figures_matched}" for _, s in columns],
        ),
        ("figure value+unit precision", [f"{s.figure_precision:.3f}" for _, s in columns]),
        ("figure value+unit recall", [f"{s.figure_recall:.3f}" for _, s in columns]),
        *[
            (f"figure {name} accuracy", [f"{s.figure_field_accuracy(name):.3f}" for _, s in columns])
            for name in FIGURE_FIELDS
        ],
    ]
    width = max(len(label) for label, _ in rows)
    header = " " * width + "".join(f"{name:>14}" for name, _ in columns)
    lines = [header] + [
        label.ljust(width) + "".join(f"{cell:>14}" for cell in cells) for label, cells in rows
    ]
    return "\n".join(lines)


def goals_missed(score: Score) -> list[str]:
    """The goals `score` falls short of, as "speaker accuracy 0.640 < 0.85"."""
    return [
        f"{label} {getattr(score, attribute):.3f} < {goal}"
        for label, attribute, goal in GOALS
        if getattr(score, attribute) < goal
    ]


def report(evaluation: Evaluation, *, repeats: int, verbose: bool = False) -> str:
    """The table, the mean extraction time per article and, if `verbose`, every miss."""
    milliseconds = evaluation.seconds_per_article * 1000
    lines = [
        format_table(evaluation),
        "",
        f"mean extraction time per article: {milliseconds:.2f} ms (mean of {repeats} runs)",
    ]
    missed = goals_missed(evaluation.overall)
    lines.append("goals: all met" if not missed else "goals not met: " + "; ".join(missed))
    misses = evaluation.overall.misses
    if verbose:
        lines.extend(["", f"{len(misses)} miss(es):", *misses])
    elif misses:
        lines.extend(["", f"{len(misses)} miss(es); the first 20 (-v lists all):", *misses[:20]])
    return "\n".join(lines)
