"""Finding direct quotations (straight or curly, partial or multi-paragraph) and who said them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.attribution import SPEECH_VERB, parse_speaker
from ingest.discourse import Discourse, Speaker
from ingest.names import is_outlet, name_runs
from ingest.sentences import (
    CLOSE_QUOTES,
    OPEN_QUOTES,
    SINGLE_OPEN,
    STRAIGHT_QUOTE,
    Paragraph,
    Sentence,
    is_single_close,
    is_single_open,
)


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation's marks (open..close) and inner words (start..end) in the article text."""

    open_at: int
    close_at: int  # offset just after the closing mark, or the paragraph end for a continuation
    start: int
    end: int
    paragraph: int
    closed: bool


def find_quote_spans(text: str, paragraphs: list[Paragraph]) -> list[QuoteSpan]:
    """Quotations of two words or more; an unclosed quote runs to the end of its paragraph."""
    spans: list[QuoteSpan] = []
    for paragraph in paragraphs:
        open_at: int | None = None
        single = False  # the open quotation uses ‘single’ curly marks
        for offset, char in enumerate(paragraph.text):
            position = paragraph.start + offset
            if open_at is None:
                if char in OPEN_QUOTES + STRAIGHT_QUOTE or is_single_open(paragraph.text, offset):
                    open_at, single = position, char == SINGLE_OPEN
            elif (single and is_single_close(paragraph.text, offset)) or (
                not single and char in CLOSE_QUOTES + STRAIGHT_QUOTE
            ):
                _add(spans, text, open_at, position + 1, paragraph.index, closed=True)
                open_at = None
        if open_at is not None:
            _add(spans, text, open_at, paragraph.end, paragraph.index, closed=False)
    return spans


def _add(
    spans: list[QuoteSpan], text: str, open_at: int, close_at: int, paragraph: int, *, closed: bool
) -> None:
    start = open_at + 1
    end = close_at - 1 if closed else close_at
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    if len(text[start:end].split()) >= 2:
        spans.append(QuoteSpan(open_at, close_at, start, end, paragraph, closed))


@dataclass(frozen=True)
class AttributedQuote:
    span: QuoteSpan
    speaker: Speaker | None
    reported_by: str | None
    evidence: str


def visible_text(sentence: Sentence, spans: list[QuoteSpan]) -> str:
    """The sentence with quoted words blanked (same length), so rules only read the narration."""
    chars = list(sentence.text)
    for span in spans:
        for position in range(max(span.open_at, sentence.start), min(span.close_at, sentence.end)):
            chars[position - sentence.start] = " "
    return "".join(chars)


def attribute_sentence(
    sentence: Sentence,
    spans: list[QuoteSpan],
    discourse: Discourse,
    previous: list[AttributedQuote],
) -> list[AttributedQuote]:
    """Attribute the quotes that open in this sentence; also remember people named in the narration."""
    mine = [s for s in spans if sentence.start <= s.open_at < sentence.end]
    visible = visible_text(sentence, spans)
    _remember_subjects(visible, mine, sentence, discourse)
    reported = _reported_by(visible, discourse)
    results: list[AttributedQuote] = []
    for number, span in enumerate(mine):
        seg_start = mine[number - 1].close_at if number else sentence.start
        seg_end = mine[number + 1].open_at if number + 1 < len(mine) else sentence.end
        before = sentence.text[seg_start - sentence.start : span.open_at - sentence.start]
        after = sentence.text[min(span.close_at, sentence.end) - sentence.start : seg_end - sentence.start]
        speaker = _speaker(span, before, after, sentence, discourse, previous, results)
        if speaker:
            discourse.add_speaker(speaker)
        outlet = reported or _carried_outlet(speaker, span, previous + results)
        evidence = _evidence(sentence, span)
        results.append(AttributedQuote(span, speaker, outlet, evidence))
    return results


def _speaker(
    span: QuoteSpan,
    before: str,
    after: str,
    sentence: Sentence,
    discourse: Discourse,
    previous: list[AttributedQuote],
    same_sentence: list[AttributedQuote],
) -> Speaker | None:
    after_first = bool(re.match(r"\s*[,—–-]", after)) or sentence.text[
        : span.close_at - sentence.start
    ].rstrip('”"').rstrip().endswith((",", "?", "!"))
    attempts = (_after, _before) if after_first else (_before, _after)
    for attempt in attempts:
        speaker = attempt(before if attempt is _before else after, discourse)
        if speaker:
            return speaker
    if same_sentence:
        return same_sentence[-1].speaker
    if previous:
        last = previous[-1]
        continues = not last.span.closed and last.span.paragraph == span.paragraph - 1
        same_paragraph = last.span.paragraph == span.paragraph
        opens_sentence = sentence.text.lstrip()[:1] in OPEN_QUOTES + STRAIGHT_QUOTE + SINGLE_OPEN
        if continues or (same_paragraph and opens_sentence):
            return last.speaker
    if sentence.text.lstrip()[:1] in OPEN_QUOTES + STRAIGHT_QUOTE + SINGLE_OPEN and discourse.last_person:
        return discourse.last_person
    return None


def _after(text: str, discourse: Discourse) -> Speaker | None:
    """', Andy Burrows, head of ..., told the outlet.'  or  ', said Dr Helen Marsh, Ofcom's director'."""
    # The sentence splitter already ended the sentence; a ". " left inside is an abbreviation ("Dr. Lee").
    text = re.split(r";", text, maxsplit=1)[0].rstrip(" .")
    according = re.match(r"\s*,?\s*according to\s+(.+)$", text)
    if according:
        source = according.group(1)
        return None if is_outlet(source.removeprefix("the ")) else parse_speaker(source, discourse)
    verb = SPEECH_VERB.search(text)
    if not verb:
        return None
    subject = text[: verb.start()]
    if len(subject.split()) > 14:
        return None
    if subject.strip(" ,"):
        return parse_speaker(subject, discourse)
    return parse_speaker(re.split(r"\s+(?:that|in a|in an|to the)\b", text[verb.end() :])[0], discourse)


def _before(text: str, discourse: Discourse) -> Speaker | None:
    """'Priya Shah, chief executive of the charity Safer Screens, said: ' or 'Rob Jones warned that'."""
    verbs = list(SPEECH_VERB.finditer(text))
    for verb in reversed(verbs):
        subject = text[: verb.start()]
        subject = re.split(r";\s", subject)[-1]
        speaker = parse_speaker(subject, discourse)
        if speaker:
            return speaker
        inverted = parse_speaker(re.split(r"[:,]", text[verb.end() :])[0], discourse)
        if inverted and text[verb.end() :].strip().endswith(":"):
            return inverted
    subject_verb = re.match(r"\s*(.*?)\s+(?:insists?|believes?|hopes?)\b", text)
    if subject_verb:
        return parse_speaker(subject_verb.group(1), discourse)
    return None


def _reported_by(visible: str, discourse: Discourse) -> str | None:
    """ "told the BBC", "told the outlet", "according to ITV News" -> the outlet."""
    told = re.search(
        r"\b(?:told|speaking to|in an interview with|wrote in)\s+(the\s+)?"
        r"([A-Za-z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)",
        visible,
    )
    if told:
        target = told.group(2).rstrip(".")
        if target.lower() in {
            "outlet",
            "newspaper",
            "paper",
            "broadcaster",
            "publication",
            "programme",
            "station",
        }:
            return discourse.outlets[-1] if discourse.outlets else None
        if is_outlet(target) or target in discourse.outlets or f"The {target}" in discourse.outlets:
            return f"The {target}" if f"The {target}" in discourse.outlets else target
    according = re.search(r"\baccording to\s+(?:the\s+)?([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)", visible)
    if according and is_outlet(according.group(1).rstrip(".")):
        return according.group(1).rstrip(".")
    return None


def _carried_outlet(speaker: Speaker | None, span: QuoteSpan, earlier: list[AttributedQuote]) -> str | None:
    """The same speaker's last quote, if recent, was given to the same outlet."""
    if speaker is None:
        return None
    for quote in reversed(earlier):
        if quote.speaker and quote.speaker.name == speaker.name:
            return quote.reported_by if span.paragraph - quote.span.paragraph <= 2 else None
    return None


def _remember_subjects(visible: str, mine: list[QuoteSpan], sentence: Sentence, discourse: Discourse) -> None:
    """ "Dr. Alan Pierce, a psychologist ..., said the true number ..." introduces a later "he"."""
    if mine:
        return
    for verb in SPEECH_VERB.finditer(visible):
        subject = re.split(r";\s", visible[: verb.start()])[-1]
        if not subject.strip() or len(subject.split()) > 20:
            continue
        speaker = parse_speaker(subject, discourse)
        if speaker and speaker.kind in {"person", "org", "spokesperson"}:
            if speaker.kind == "org" and speaker.org and not any(r.text for r in name_runs(subject)):
                continue
            discourse.add_speaker(speaker)
            return


def _evidence(sentence: Sentence, span: QuoteSpan) -> str:
    return sentence.text
