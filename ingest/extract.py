"""Public entry point: extract citable figures and direct quotes from one article's text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal

from ingest.discourse import Discourse
from ingest.figure_context import (
    find_measure,
    find_producer,
    is_comparison,
    named_source,
    widened_measure,
    with_hedge,
)
from ingest.figures import FigureMention, find_figures, restatements_removed, sentence_key
from ingest.measure_links import linked_measure
from ingest.numbers import parse_number
from ingest.periods import nearest_period
from ingest.places import main_place, nearest_place
from ingest.quotes import (
    AttributedQuote,
    attribute_sentence,
    attribution_lines,
    crosshead_speakers,
    find_quote_spans,
    headline_quotes,
    is_term,
    visible_text,
)
from ingest.sentences import Sentence, split_paragraphs, split_sentences


@dataclass(frozen=True)
class FigureCandidate:
    value_text: str  # exactly as written: "fifty-two percent", "9,477", "£1.2m"
    value: Decimal  # normalised number: Decimal("52"), Decimal("9477"), Decimal("1200000")
    unit: str  # one of: percent, count, gbp, usd, eur, ratio
    measure: str | None  # what was counted; None if unknown (never guessed)
    period_start: str | None  # "YYYY", "YYYY-MM" or "YYYY-MM-DD" (the precision the text gives)
    period_end: str | None
    geography: str | None  # "UK", "England and Wales", ...: its sentence's, else the article's; or None
    producer: str | None  # who produced the figure ("NSPCC"): its sentence's, else the article's; or None
    evidence: str  # the whole sentence it came from
    start: int  # character offsets of value_text in the input text
    end: int


@dataclass(frozen=True)
class QuoteCandidate:
    text: str  # the exact quoted words, without the quote marks, trailing comma removed
    speaker: str | None  # "Andy Burrows", "A Facebook spokesperson"; None if unknown
    speaker_role: str | None  # "head of child safety online policy"
    speaker_org: str | None  # "NSPCC"
    reported_by: str | None  # second-hand source: "The Independent", "ITV News"
    evidence: str  # the sentence(s) it came from
    start: int
    end: int


@dataclass(frozen=True)
class Extraction:
    figures: list[FigureCandidate]
    quotes: list[QuoteCandidate]


def extract(text: str, *, title: str | None = None) -> Extraction:
    """Figures and quotes in `text`.

    The headline (`title`, or a first line that reads like one) is not mined for figures: a headline
    figure restates a body figure, and one that appears only in the headline has no sentence to cite.
    """
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text)
    spans = find_quote_spans(text, paragraphs)
    headline = _headline_sentence(sentences, title)
    discourse = Discourse(text)
    attributed: list[AttributedQuote] = []
    figures: list[FigureCandidate] = []
    seen_sentences: set[str] = set()
    sources: list[str] = []  # producers named in sentences without figures
    for sentence in sentences:
        if headline is not None and sentence.index == headline.index:
            continue
        if _URL_LINE.fullmatch(sentence.text.strip()):
            continue  # the link line of a copied page: its numbers are IDs, not figures
        visible = visible_text(sentence, spans)
        discourse.observe(visible)
        new_quotes = attribute_sentence(sentence, spans, discourse, attributed)
        attributed.extend(new_quotes)
        if sentence_key(sentence.text) in seen_sentences:
            continue  # a caption or standfirst repeating a sentence: its figures are already listed
        seen_sentences.add(sentence_key(sentence.text))
        mentions = restatements_removed(sentence.text, find_figures(sentence.text))
        if not mentions:
            named = named_source(visible, discourse)
            if named:
                sources.append(named)
        for mention in mentions:
            start = sentence.start + mention.start
            quoted = any(q.span.start <= start < q.span.end for q in attributed)
            if quoted and any(_same_value(f, mention) for f in figures):
                continue  # a number repeated inside a quotation is the figure already listed
            figures.append(_figure(sentence, visible, mention, discourse, attributed, figures))
    speakers = [q.speaker for q in attributed if q.speaker]
    sources += [s.org or s.name for s in speakers if s.org or s.kind == "org"]
    if headline is not None:
        named = named_source(headline.text, discourse)
        sources += [named] if named else []
    figures = _with_article_producer(_once(figures), sources)
    figures = _with_article_place(figures, text)
    attributed = crosshead_speakers(attribution_lines(paragraphs, attributed, discourse), text)
    kept = [q for q in attributed if not is_term(q, text, attributed)]
    if headline is not None:
        kept = headline_quotes(headline, spans, kept, discourse) + kept
    quotes = [_quote(text, q) for q in _unique(kept)]
    return Extraction(figures, quotes)


_BULLET = re.compile(r"^\s*[•*·-]\s")
_RESTATED_OVERLAP = 0.4


def _content_words(sentence: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", sentence.lower()) if len(w) > 3}


def _once(figures: list[FigureCandidate]) -> list[FigureCandidate]:
    """One fact once: a standfirst bullet or caption restating a body sentence (same value, mostly the
    same words) is listed once, from the body sentence."""
    kept: list[FigureCandidate] = []
    for figure in figures:
        words = _content_words(figure.evidence)
        twin = next(
            (
                k
                for k in kept
                if k.unit == figure.unit
                and k.value == figure.value
                and k.evidence != figure.evidence
                and len(words & _content_words(k.evidence))
                >= _RESTATED_OVERLAP * len(words | _content_words(k.evidence))
            ),
            None,
        )
        if twin is None:
            kept.append(figure)
        elif _BULLET.match(twin.evidence) and not _BULLET.match(figure.evidence):
            kept[kept.index(twin)] = figure
    return kept


def _with_article_producer(figures: list[FigureCandidate], sources: list[str]) -> list[FigureCandidate]:
    """A figure whose sentence names no producer takes the article's main one: the organisation named as
    a source at least twice as often as any other."""
    counts = Counter([*sources, *(f.producer for f in figures if f.producer)]).most_common(2)
    if not counts or (len(counts) > 1 and counts[1][1] * 2 > counts[0][1]):
        return figures
    main = counts[0][0]
    return [f if f.producer else replace(f, producer=main) for f in figures]


_NATIONALLY = re.compile(r"\b(?:nationally|across the country|nationwide)\b", re.IGNORECASE)


def _with_article_place(figures: list[FigureCandidate], text: str) -> list[FigureCandidate]:
    """A figure whose sentence names no place takes the article's: its country for "Nationally, ...",
    otherwise the place the article is about, when one stands out (places.main_place)."""
    place, country = main_place(text), main_place(text, countries_only=True)
    placed = []
    for figure in figures:
        if figure.geography is None:
            nationally = _NATIONALLY.search(figure.evidence) is not None
            figure = replace(figure, geography=country if nationally and country else place)
        placed.append(figure)
    return placed


def _same_value(figure: FigureCandidate, mention: FigureMention) -> bool:
    return figure.unit == mention.unit and figure.value == mention.value


_URL_LINE = re.compile(r"(?:https?://|www\.)\S+")


def _unique(quotes: list[AttributedQuote]) -> list[AttributedQuote]:
    """The same words from the same speaker are one quote (headline 'Alarming' and body "alarming")."""
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for quote in quotes:
        key = (_squash(quote.text), quote.speaker.name if quote.speaker else None)
        if key not in seen:
            seen.add(key)
            unique.append(quote)
    return unique


def _headline_sentence(sentences: list[Sentence], title: str | None) -> Sentence | None:
    """The article's first line is its headline if it matches `title` or reads like one (no full stop)."""
    if not sentences:
        return None
    first = sentences[0]
    is_own_paragraph = len([s for s in sentences if s.paragraph == first.paragraph]) == 1
    if title is not None:
        return first if _squash(first.text) == _squash(title) else None
    looks_like_headline = first.text.rstrip()[-1:] not in '.!?”"' and len(first.text.split()) <= 25
    return first if is_own_paragraph and looks_like_headline and len(sentences) > 1 else None


def _squash(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _figure(
    sentence: Sentence,
    visible: str,
    mention: FigureMention,
    discourse: Discourse,
    attributed: list[AttributedQuote],
    previous: list[FigureCandidate],
) -> FigureCandidate:
    position = mention.start
    start = sentence.start + mention.start
    end = sentence.start + mention.end
    inside = next((q for q in attributed if q.span.start <= start and end <= q.span.end), None)
    producer: str | None
    if inside is not None:
        speaker = inside.speaker
        producer = (speaker.org or (speaker.name if speaker.kind == "org" else None)) if speaker else None
    else:
        producer = find_producer(visible, position, discourse)
    if producer:
        discourse.last_producer = producer
        discourse.add_org(producer)
    measure = find_measure(sentence.text, mention.start, mention.end, mention.unit)
    period_start, period_end = nearest_period(sentence.text, position, change=mention.unit == "percent")
    if is_comparison(sentence.text, mention.start):
        # "compared with 3,454 in the same period a year earlier": the baseline shares the measure of
        # the figure it is compared with, and only a period written right after it.
        earlier = [f for f in previous if f.evidence is sentence.text and f.end <= start]
        measure = earlier[-1].measure if earlier else None
        period_start, period_end = nearest_period(sentence.text[mention.end : mention.end + 12], 0)
    measure = widened_measure(sentence.text, mention.start, mention.end, measure)
    linked = linked_measure(
        sentence.text, mention.start, mention.end, mention.unit, mention.value, previous, start
    )
    measure = linked or measure
    measure = with_hedge(measure, sentence.text, mention.start, mention.unit, mention.value_text)
    return FigureCandidate(
        value_text=mention.value_text,
        value=mention.value,
        unit=mention.unit,
        measure=measure,
        period_start=period_start,
        period_end=period_end,
        geography=nearest_place(sentence.text, position),
        producer=producer,
        evidence=sentence.text,
        start=start,
        end=end,
    )


def _quote(text: str, quote: AttributedQuote) -> QuoteCandidate:
    speaker = quote.speaker
    return QuoteCandidate(
        text=quote.text,
        speaker=speaker.name if speaker else None,
        speaker_role=speaker.role if speaker else None,
        speaker_org=speaker.org if speaker else None,
        reported_by=quote.reported_by,
        evidence=quote.evidence,
        start=quote.span.start,
        end=quote.span.end,
    )


_SYMBOLS = {"gbp": "£", "usd": "$", "eur": "€"}


def value_display(candidate: FigureCandidate) -> str:
    """The normalised form people write: "52%", "9,477", "4.3 million", "£1.2m", "1 in 5", "2/3"."""
    value = candidate.value
    if candidate.unit == "percent":
        return f"{_plain(value)}%"
    if candidate.unit == "count":
        for scale, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
            if value >= scale:
                return f"{_plain(value / scale)} {word}"
        return _grouped(value)
    if candidate.unit in _SYMBOLS:
        return _SYMBOLS[candidate.unit] + _money(value)
    return _ratio(candidate.value_text, value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grouped(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    whole, _, fraction = _plain(value).partition(".")
    return f"{int(whole):,}.{fraction}"


def _money(value: Decimal) -> str:
    for scale, suffix in ((Decimal(10) ** 12, "tn"), (Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m")):
        if value >= scale:
            return f"{_plain(value / scale)}{suffix}"
    if value != value.to_integral_value():
        return f"{value:,.2f}"
    return _grouped(value)


def _ratio(value_text: str, value: Decimal) -> str:
    in_form = re.fullmatch(r"(.+?)\s+in\s+(?:every\s+)?(.+)", value_text.strip(), flags=re.IGNORECASE)
    if in_form:
        top, bottom = parse_number(in_form.group(1)), parse_number(in_form.group(2))
        if top is not None and bottom is not None:
            return f"{_plain(top)} in {_plain(bottom)}"
    for denominator in range(2, 13):
        numerator = (value * denominator).quantize(Decimal("0.001"))
        if numerator == numerator.to_integral_value() and abs(value * denominator - numerator) < Decimal(
            "0.01"
        ):
            return f"{int(numerator)}/{denominator}"
    return _plain(value)
