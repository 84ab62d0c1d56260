"""Finding direct quotations (straight or curly, partial or multi-paragraph) and who said them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest.attribution import SPEECH_VERB, parse_speaker
from ingest.discourse import Discourse, Speaker
from ingest.names import is_outlet, looks_like_person, name_runs
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
    """Every quoted span (one word or more); an unclosed quote runs to the end of its paragraph.

    One- and two-word spans include labels ("doomscrolling", "screen time"); `is_term` tells them apart
    once the sentence has been read for a speaker.
    """
    spans: list[QuoteSpan] = []
    for paragraph in paragraphs:
        open_at: int | None = None
        single = False  # the open quotation uses ‘single’ curly marks
        for offset, char in enumerate(paragraph.text):
            position = paragraph.start + offset
            if open_at is None:
                if char in OPEN_QUOTES + STRAIGHT_QUOTE or is_single_open(paragraph.text, offset):
                    open_at, single = position, char in SINGLE_OPEN + "'"
            elif (single and is_single_close(paragraph.text, offset)) or (
                not single and char in CLOSE_QUOTES + STRAIGHT_QUOTE
            ):
                _add(spans, text, open_at, position + 1, paragraph.index, closed=True)
                open_at = None
            elif (not single and char in OPEN_QUOTES) or (single and is_single_open(paragraph.text, offset)):
                # A second opening mark of the same kind: the first quotation was never closed (a
                # typo or a cut), so it ends here and a new one starts; they are not one span.
                _add(spans, text, open_at, position, paragraph.index, closed=False)
                open_at = position
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
    if text[start:end].strip(" .,;:!?'’‘\"“”"):
        spans.append(QuoteSpan(open_at, close_at, start, end, paragraph, closed))


@dataclass(frozen=True)
class AttributedQuote:
    span: QuoteSpan
    speaker: Speaker | None
    reported_by: str | None
    evidence: str
    text: str  # the quoted words


# A label in quote marks rather than words someone said: "so-called 'X'", "'X', or ...", "X or 'Y'".
_LABEL_BEFORE = re.compile(r"(?:so-called|known as|dubbed|termed|referred to as|\bor)\s*$", re.IGNORECASE)
_LABEL_AFTER = re.compile(r"^[\s,]*(?:or\b|as it is)", re.IGNORECASE)
SHORT_QUOTE_WORDS = 3


def is_term(quote: AttributedQuote, text: str, quotes: list[AttributedQuote]) -> bool:
    """A short quoted fragment that names a thing nobody is reported as saying ('doomscrolling', "screen
    time", survey answers such as "quite concerned" or "several times a day")."""
    span = quote.span
    if len(quote.text.split()) > SHORT_QUOTE_WORDS:
        return False
    line_start = text.rfind("\n", 0, span.open_at) + 1
    line_end = text.find("\n", span.close_at)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    if line.strip().strip("“”\"‘’'") == quote.text.strip():
        return False  # a crosshead that is only a quotation
    before = text[line_start : span.open_at]
    after = text[span.close_at : span.close_at + 20]
    if _LABEL_BEFORE.search(before) or _LABEL_AFTER.match(after):
        return True
    same = [q for q in quotes if q.text.lower().strip(" .,") == quote.text.lower().strip(" .,")]
    if len(same) >= 3:
        return True  # a label the article keeps using
    if re.search(r"[a-z][A-Z]", quote.text):
        return True  # a handle or product name ("GameMaster99")
    if re.fullmatch(r"\w+(?:tion|sion|ism)", quote.text.strip(" .,")):
        return True  # a single abstract noun in marks names a thing ("radicalisation" cases)
    return quote.speaker is None


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
        words = discourse.text[span.start : span.end]
        results.append(AttributedQuote(span, speaker, outlet, evidence, words))
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
    agent = re.match(r"[\s,]*by\s+(.+)$", after)
    if agent and re.search(
        r"\b(?:described|called|branded|labelled|dubbed)\s+(?:as\s+)?(?:an?\s+)?$", before
    ):
        # passive: 'called a "national disgrace" by the Bishop of Example, Ann Lee'
        speaker = parse_speaker(agent.group(1).rstrip(" ."), discourse)
        if speaker:
            return speaker
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
    introduced = _colon_introduction(span, discourse)
    if introduced:
        return introduced
    dialogue = _dialogue_turn(span, previous)
    if dialogue:
        return dialogue
    if previous:
        last = previous[-1]
        continues = not last.span.closed and last.span.paragraph == span.paragraph - 1
        same_paragraph = last.span.paragraph == span.paragraph
        opens_sentence = sentence.text.lstrip()[:1] in OPEN_QUOTES + STRAIGHT_QUOTE + SINGLE_OPEN + "'"
        if continues or (same_paragraph and opens_sentence):
            return last.speaker
    if (
        sentence.text.lstrip()[:1] in OPEN_QUOTES + STRAIGHT_QUOTE + SINGLE_OPEN + "'"
        and discourse.last_person
    ):
        return discourse.last_person
    return None


def _colon_introduction(span: QuoteSpan, discourse: Discourse) -> Speaker | None:
    """ "Home Secretary Jane Doe said:" ending the line before a quotation that opens a paragraph."""
    lead = discourse.text[: span.open_at]
    line_start = lead.rfind("\n") + 1
    if lead[line_start:].strip():
        return None  # the quotation does not open its paragraph
    intro = lead.rstrip()
    if not intro.endswith(":"):
        return None
    line = intro[intro.rfind("\n") + 1 :]
    line = re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)[-1]
    return _before(line + " ", discourse)


def _dialogue_turn(span: QuoteSpan, previous: list[AttributedQuote]) -> Speaker | None:
    """A question-and-answer exchange (A, B, A, B in consecutive paragraphs): the next turn is A's."""
    turns = [q for q in previous if q.span.paragraph >= span.paragraph - 4]
    if len(turns) < 4 or any(q.speaker is None for q in turns[-4:]):
        return None
    a, b, c, d = (q.speaker.name for q in turns[-4:] if q.speaker)
    if a == c and b == d and a != b and turns[-1].span.paragraph == span.paragraph - 1:
        return turns[-2].speaker
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
    # "were accused of": the subject of a passive is not the speaker
    verbs = [
        v
        for v in SPEECH_VERB.finditer(text)
        if not re.search(r"\b(?:been|being|was|were|is|are|be)\s+$", text[: v.start()])
    ]
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
        if speaker and speaker.kind in {"person", "org", "spokesperson", "described"}:
            if speaker.kind == "org" and speaker.org and not any(r.text for r in name_runs(subject)):
                continue
            discourse.add_speaker(speaker)
            return


def _evidence(sentence: Sentence, span: QuoteSpan) -> str:
    return sentence.text


_HEADLINE_VERB = re.compile(r"\b(?:reports?|says?|warns?|calls?|urges?|slams?|admits?|sees?|claims?)\b")


def headline_quotes(
    headline: Sentence, spans: list[QuoteSpan], body: list[AttributedQuote], discourse: Discourse
) -> list[AttributedQuote]:
    """Quoted words in the headline, given to whoever the story gives them to: a body quote with the
    same words, the subject of a headline verb ("Charity reports 'alarming' rise"), or else the
    story's most quoted speaker. Labels in quote marks are left out as in the body."""
    found: list[AttributedQuote] = []
    visible = visible_text(headline, spans)
    for span in spans:
        if not headline.start <= span.open_at < headline.end:
            continue
        words = discourse.text[span.start : span.end]
        same = [q for q in body if q.text.lower().strip(" .,") == words.lower().strip(" .,")]
        if same:
            continue  # listed once, from the body
        speaker: Speaker | None = None
        wider = [q for q in body if words.lower().strip(" .,") in q.text.lower() and q.speaker]
        if wider:
            speaker = wider[0].speaker  # the headline quotes part of a body quotation
        verb = _HEADLINE_VERB.search(visible[: span.open_at - headline.start])
        if verb and speaker is None:
            speaker = parse_speaker(visible[: verb.start()], discourse)
        if speaker is None:
            speaker = _main_speaker(body)
        quote = AttributedQuote(span, speaker, None, headline.text, words)
        if speaker is not None and not is_term(quote, discourse.text, body + found + [quote]):
            found.append(quote)
    return found


def _main_speaker(quotes: list[AttributedQuote]) -> Speaker | None:
    counts: dict[str, int] = {}
    first: dict[str, Speaker] = {}
    for quote in quotes:
        if quote.speaker is not None:
            counts[quote.speaker.name] = counts.get(quote.speaker.name, 0) + 1
            first.setdefault(quote.speaker.name, quote.speaker)
    if not counts:
        return None
    best = max(counts, key=lambda name: counts[name])
    return first[best]


def _is_attribution_line(paragraph: Paragraph) -> bool:
    """ "Ann Lee, SOT" or "Bo Cole from the Safer Online Trust." under a quote."""
    line = paragraph.text.strip().rstrip(".")
    if re.search(r"[“”\"‘]", line) or SPEECH_VERB.search(line) or len(line.split()) > 14:
        return False
    lead = re.match(
        r"(?:[—–-]\s*)?([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2})(?:\s*,\s*|\s+(?:from|of|at)\s+|$)", line
    )
    return lead is not None and looks_like_person(lead.group(1))


def attribution_lines(
    paragraphs: list[Paragraph], quotes: list[AttributedQuote], discourse: Discourse
) -> list[AttributedQuote]:
    """Quotations signed by a line of their own under them, and pull quotes set without marks above
    such a line: the line names the speaker."""
    quotes = list(quotes)
    for number, paragraph in enumerate(paragraphs):
        if number == 0 or not _is_attribution_line(paragraph):
            continue
        speaker = parse_speaker(paragraph.text.strip().lstrip("—–- ").rstrip("."), discourse)
        if speaker is None:
            continue
        above = paragraphs[number - 1]
        marked = [q for q in quotes if q.span.paragraph == above.index]
        repeats = any(
            _squash(q.text) in _squash(above.text) or _squash(above.text) in _squash(q.text) for q in quotes
        )
        if not marked and len(above.text.split()) >= 5 and not repeats:
            span = QuoteSpan(above.start, above.end, above.start, above.end, above.index, closed=True)
            quotes.append(AttributedQuote(span, speaker, None, above.text, above.text))
            continue
        # the quotation paragraphs just above without a speaker of their own take this one
        index = above.index
        while True:
            unsigned = [q for q in quotes if q.span.paragraph == index and q.speaker is None]
            if not unsigned:
                break
            quotes = [replace(q, speaker=speaker) if q in unsigned else q for q in quotes]
            index -= 1
    quotes.sort(key=lambda q: q.span.start)
    return quotes


def crosshead_speakers(quotes: list[AttributedQuote], text: str) -> list[AttributedQuote]:
    """A crosshead that is only a quotation ('Complacency') belongs to the story's main speaker."""
    main = _main_speaker(quotes)
    result = []
    for quote in quotes:
        line_start = text.rfind("\n", 0, quote.span.open_at) + 1
        line_end = text.find("\n", quote.span.close_at)
        line = text[line_start : line_end if line_end >= 0 else len(text)].strip()
        if quote.speaker is None and main and line.strip("“”\"‘’'") == quote.text.strip():
            quote = replace(quote, speaker=main)
        result.append(quote)
    return result


def _squash(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("’", "'")).split())
