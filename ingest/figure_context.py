"""Who produced a figure and what it counts, read from the figure's own sentence."""

from __future__ import annotations

import re

from ingest.attribution import SPEECH_VERB, parse_speaker
from ingest.discourse import Discourse
from ingest.lexicon import ORG_REFERENCES, STUDY_REFERENCES
from ingest.names import (
    is_org_like,
    is_outlet,
    is_place,
    looks_like_person,
    name_runs,
    strip_honorific,
    tidy_org,
)

_PRODUCER_VERBS = (
    r"(?:found|finds|said|says|estimated|estimates|revealed|reveals|reported|showed|shows|show|counted|"
    r"calculated|published|analysed|analyzed|recorded|warned)"
)
_STUDY = "|".join(sorted(STUDY_REFERENCES, key=len, reverse=True))
_ORG_REF = "|".join(sorted(ORG_REFERENCES, key=len, reverse=True))
_DESCRIPTOR = re.compile(
    r"\b(?:charity|organisation|organization|regulator|watchdog|body|group|campaign|think tank|nonprofit|"
    r"non-profit)\s+(?=[A-Z])"
)


def find_producer(visible: str, position: int, discourse: Discourse) -> str | None:
    """The organisation that produced the figure at `position`, from this sentence only; None if unstated."""
    for finder in (_according_to, _data_by, _org_study, _org_verb, _reference, _speaker_org, _org_subject):
        producer = finder(visible, position, discourse)
        if producer:
            return discourse.canonical_org(tidy_org(producer))
    return None


def named_source(visible: str, discourse: Discourse) -> str | None:
    """An organisation a sentence without figures names as a source ("according to X", "a survey by X",
    "X's analysis", "X found"), for telling which organisation an article's figures come from."""
    for finder in (_according_to, _data_by, _org_study, _org_verb):
        producer = finder(visible, 0, discourse)
        if producer and (is_org_like(producer) or producer in discourse.orgs or producer.isupper()):
            return discourse.canonical_org(tidy_org(producer))
    return None


def _org_from(phrase: str, discourse: Discourse) -> str | None:
    """The organisation a short phrase names: "the charity KidSafe", "Ofcom", "the network"."""
    phrase = phrase.strip()
    described = _DESCRIPTOR.search(phrase)
    if described:
        runs = name_runs(phrase[described.end() :])
        if runs:
            return runs[0].text
    reference = re.match(
        rf"(?:the|this|its)\s+(?:\w+\s+)?({_ORG_REF}|{_STUDY})\b", phrase, flags=re.IGNORECASE
    )
    runs = [r for r in name_runs(phrase) if not is_outlet(r.text) and not is_place(r.text)]
    if runs:
        # "a report by Attendance First": after "by"/"from" a name is the producer unless it is a
        # person the article has introduced, whose organisation is then the producer.
        person = (
            discourse.find_person(strip_honorific(runs[0].text)) if looks_like_person(runs[0].text) else None
        )
        return person.org if person else runs[0].text
    if reference:
        noun = reference.group(1).lower()
        return discourse.last_producer if noun in STUDY_REFERENCES else discourse.resolve_org(noun)
    return None


def _according_to(visible: str, position: int, discourse: Discourse) -> str | None:
    for match in re.finditer(r"\baccording to\s+([^,.;]+)", visible, flags=re.IGNORECASE):
        source = match.group(1)
        by = re.search(r"\b(?:from|by)\s+(.+)$", source)
        if by:
            return _org_from(by.group(1), discourse)
        if is_outlet(re.sub(r"^the\s+", "", source)):
            continue
        return _org_from(source, discourse)
    return None


def _data_by(visible: str, position: int, discourse: Discourse) -> str | None:
    pattern = rf"\b(?:{_STUDY})\b[^,.;]{{0,40}}?\b(?:from|by)\s+([^,.;]+)"
    for match in re.finditer(pattern, visible, flags=re.IGNORECASE):
        org = _org_from(match.group(1), discourse)
        if org:
            return org
    return None


_STUDY_NOUNS = "|".join(sorted(STUDY_REFERENCES - {"researchers", "data", "figures"}, key=len, reverse=True))
# "a new Harbour Institute survey", "the Lantern Trust's analysis", "NSPCC figures"
_ORG_STUDY = re.compile(
    rf"(?P<org>(?:[A-Z][\w&.’'-]*\s+)*[A-Z][\w&.’'-]*?)(?:['’]s)?\s+(?:new\s+|latest\s+|own\s+)?"
    rf"(?:{_STUDY_NOUNS}|data|figures)\b"
)


def _org_study(visible: str, position: int, discourse: Discourse) -> str | None:
    for match in _ORG_STUDY.finditer(visible):
        runs = name_runs(match.group("org"))
        if not runs:
            continue
        name = tidy_name(runs[-1].text)
        if is_outlet(name) or is_place(name) or looks_like_person(strip_honorific(name)):
            continue
        if is_org_like(name) or name in discourse.orgs or name.isupper():
            return name
    return None


def _org_verb(visible: str, position: int, discourse: Discourse) -> str | None:
    candidates: list[tuple[int, str]] = []
    for verb in re.finditer(rf"\b(?:also\s+)?{_PRODUCER_VERBS}\b", visible):
        before = visible[: verb.start()].rstrip()
        runs = name_runs(before)
        if not runs or runs[-1].end < len(before) - 1:
            continue
        run = runs[-1]
        if is_outlet(run.text) or is_place(run.text):
            continue
        bare = strip_honorific(run.text)
        if looks_like_person(bare) or (" " not in bare and discourse.find_person(bare)):
            continue
        candidates.append((abs(verb.start() - position), run.text))
    return min(candidates)[1] if candidates else None


def _reference(visible: str, position: int, discourse: Discourse) -> str | None:
    ref = rf"(?:the|this|these|its|their)\s+(?:[\w’'-]+\s+){{0,3}}?({_ORG_REF}|{_STUDY})"
    patterns = [
        rf"\b{ref}(?:['’]s)?\s+(?:also\s+)?{_PRODUCER_VERBS}\b",
        rf"\b(?:according to|in|from)\s+{ref}\b",
        rf"^{ref}\b(?:['’]s)?(?=.*\b{_PRODUCER_VERBS}\b)",
    ]
    for pattern in patterns:
        match = re.search(pattern, visible, flags=re.IGNORECASE)
        if match:
            noun = match.group(1).lower()
            return discourse.last_producer if noun in STUDY_REFERENCES else discourse.resolve_org(noun)
    if re.search(rf"\bit\s+(?:also\s+)?{_PRODUCER_VERBS}\b", visible, flags=re.IGNORECASE):
        return discourse.last_producer
    return None


def _speaker_org(visible: str, position: int, discourse: Discourse) -> str | None:
    for verb in SPEECH_VERB.finditer(visible):
        subject = re.split(r"[,;]\s", visible[: verb.start()])[-1]
        if not subject.strip() or len(subject.split()) > 10:
            continue
        speaker = parse_speaker(subject, discourse)
        if speaker and speaker.org:
            return speaker.org
    return None


_OWN_ACTION = (
    r"(?:will|would|has|have|had|is|was|plans to|spent|spends|spend|gave|gives|provided|provides|awarded|"
    r"funded|invested|invests|committed|allocated|pledged|raised|set aside|announced)"
)
# What happens to an organisation is not its own figure: "AppCo has received a fine", "AppCo was
# used in 26%" make it the figure's subject, not its producer.
_DONE_TO = re.compile(
    r"\s*(?:(?:is|was|were|are|has been|have been|had been|being)\s+(?:\w+ly\s+)?\w+(?:ed|en)\b|"
    r"(?:has|have|had)\s+(?:\w+ly\s+)?(?:received|got|faced|been|lost|suffered|paid)\b)"
)


def _org_subject(visible: str, position: int, discourse: Discourse) -> str | None:
    """ "The council will spend £2.3 million": an organisation reporting its own money or action."""
    match = re.match(rf"\s*(?:The\s+)?(.+?)\s+(?:also\s+)?{_OWN_ACTION}\b", visible)
    if not match or match.end() > position or _DONE_TO.match(visible, match.end(1)):
        return None
    subject = match.group(1)
    if re.fullmatch(rf"(?:{_ORG_REF})", subject.lower()):
        return discourse.resolve_org(subject.lower())
    runs = name_runs(visible[: match.end(1) + 1])
    if (
        len(runs) == 1
        and runs[0].text == tidy_name(subject)
        and (is_org_like(subject) or subject in discourse.orgs)
    ):
        return subject
    return None


def tidy_name(text: str) -> str:
    return re.sub(r"(?:’s|'s)$", "", text.strip())


_STOP_WORDS = (
    "a an the of to in on at by for from with and or but is are was were be been being had has have do does "
    "did will would could should may might can that this these those their its his her our your they them "
    "it we you he she who which what than as so such not no more most less almost nearly over under about "
    "around some just also up down per into out there here"
)
_STOP = frozenset(_STOP_WORDS.split())
_CLAUSE_END = re.compile(
    r"\s*(?:,(?!\d{3})|[;:()“”\"]|\s[–—-]\s|(?<!\b[A-Z])\.(?:\s|$)|\b(?:despite|because|although|whereas)\b|\band\s+(?=(?:another|a\s+further)\b|[£$€]?\d)|\baccording to\b|\bcompared with\b|\bup from\b|\bdown from\b|\bwhich\b|"
    r"\band that\b|\b(?:found|showed|shows|said|says|estimated)\s+that\b|"
    r"\b(?:the|a)\s+\w+\s+(?:said|found|estimated)\b|\b(?:it|she|he|they)\s+(?:said|estimated|found)\b)"
)
_PERIODISH = re.compile(
    r"\b(?:in\s+(?:just|only)\s+(?:a|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:years?|months?)|"
    r"(?:in|during)\s+the\s+(?:two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(?:years?|months?)|"
    r"(?:in|during)\s+the\s+(?:first|second|latter)\s+(?:half|quarter)\b|"
    r"(?:from\s+)?(?:between|since|during|in|on|from|over)\s+(?:the\s+)?(?:year|\d+|january|february|march|april|may|june|"
    r"july|august|september|october|november|december|past|last|previous|same))\b.*$",
    re.IGNORECASE,
)


_CHANGE = re.compile(r"\b(?:rose|risen|rise|increased|fell|dropped|jumped|grew|climbed|soared)\s+(?:by\s+)?$")
_COMPARISON = re.compile(r"\b(?:up from|down from|compared with|compared to|against|versus)\s+$")


def is_comparison(sentence: str, start: int) -> bool:
    """ "up from 890", "compared with 3,454": a baseline figure that shares the previous figure's measure."""
    return _COMPARISON.search(sentence[:start]) is not None


# "* Schools are safe: 61%, Wales 58%": a survey statement, then the shares who agreed
_STATEMENT_THEN_FIGURES = re.compile(r"^\s*(?:[*•·-]\s*)?(?P<statement>[^:]{8,120}):\s+")


def find_measure(sentence: str, start: int, end: int, unit: str) -> str | None:
    """What the figure counts, as a phrase from its sentence; None when nothing sensible is found."""
    statement = _STATEMENT_THEN_FIGURES.match(sentence)
    if statement and unit == "percent" and start >= statement.end() and len(sentence) - statement.end() <= 60:
        return _tidy(statement.group("statement"))
    change = _CHANGE.search(sentence[:start])
    if change:
        # "Calls to the helpline rose by 25 per cent": the measure is the rise in the subject.
        subject = re.split(r"[,;:]\s", sentence[: change.start()])[-1].strip()
        subject = re.sub(r"^(?:the number of|the total of)\s+", "", subject, flags=re.IGNORECASE)
        if len(subject.split()) >= 2:
            return _tidy(f"rise in {subject}")
    if is_comparison(sentence, start):
        return None
    bracketed = bracketed_measure(sentence, start, end)
    if bracketed:
        return bracketed
    worth = _WORTH.search(sentence[:start])
    if worth and unit in {"gbp", "usd", "eur"}:
        thing = re.sub(r"^(?:including|includes|such as)\s+(?:\w+ing\s+)?", "", worth.group("thing").strip())
        if len(measure_tokens(thing)) >= _MIN_MEASURE_WORDS:
            return _tidy(thing)
    answered = _answered(sentence[end:])
    if answered and unit in {"percent", "ratio", "count"}:
        return answered
    after = sentence[end:]
    after = re.sub(r"^\s*\)", "", after)  # "Almost half (47%) of parents": the figure sits in brackets
    clause = _CLAUSE_END.split(after, maxsplit=1)[0]
    # "of" as a word only: "offences" must not lose its first letters ("fences")
    clause = re.sub(r"^\s*(?:of\s+(?:these|those|them)\b|of\b)\s*", "", clause)
    trimmed = _PERIODISH.sub("", clause).strip()
    # "a day in Scotland" says how often and where, not what: it does not count as a measure.
    counted = re.sub(
        r"\b(?:a|an|per|each)\s+(?:year|month|week|day|hour)\b|\bin\s+(?:the\s+)?[A-Z][\w.]*", "", trimmed
    )
    words = [w for w in re.findall(r"[\w’'-]+", counted.lower()) if w not in _STOP]
    if len(words) >= 2 or (words and unit in {"count", "percent", "ratio"}):
        return _tidy(f"{_doer(sentence[:start])} {trimmed}")
    # Nothing after the number ("rose to 83,840", "would cost £3.4bn a year"): use the clause before it.
    before = re.split(r"[,;:]\s", sentence[:start])[-1]
    before = re.sub(
        r"\b(?:rose|risen|increased|fell|dropped|jumped|grew|up|down)\s+(?:by|to)?\s*$", "rise ", before
    )
    before = re.sub(
        r"^(?:the number of|the total of)\s+", "", without_reporting(before.strip()), flags=re.IGNORECASE
    )
    phrase = _tidy(f"{before} {trimmed}")
    return phrase or None


# "a Winter Heating Grant worth £150": the money is what the thing before is worth
_WORTH = re.compile(
    r"(?:^|,(?!\d{3})\s|[;:]\s|\s[–—-]\s|[“”\"(])(?P<thing>[^,;:“”\"()]{3,80}?)\s+(?:worth|valued at|totalling|totaling|costing)\s+$",
    re.IGNORECASE,
)
# "nearly a third said that money worries kept them awake": the share who said it
_SAID = re.compile(
    r"^\s*\)?\s*(?P<who>(?:of\s+)?[^,;:()“”\"]{0,60}?)\s*\b(?P<verb>said|say|says|reported|agreed|admitted|told)\s+"
    r"(?:that\s+)?(?P<what>.+)$",
    re.IGNORECASE,
)


def _answered(after: str) -> str | None:
    said = _SAID.match(after)
    if not said or re.search(r"\b(?:it|he|she|they|the\s+\w+)$", said.group("who").strip(), re.IGNORECASE):
        return None  # "... 25,000, the charity said": an attribution, not the people counted
    what = re.split(
        r"[;()“”\"]|\s[–—-]\s|(?<!\b[A-Z])\.(?:\s|$)|,(?!\d{3})\s", said.group("what"), maxsplit=1
    )[0]
    who = re.sub(r"^of\s+", "", said.group("who").strip())
    phrase = _tidy(f"{who} {said.group('verb')} {what}")
    return phrase if len(measure_tokens(phrase)) >= _MIN_MEASURE_WORDS + 1 else None


# "the agency has seen a 9% increase in ...", "AppCo has received a £2m fine": the figure is the object
# of a verb, and who did what is part of what it measures.
_OBJECT_OF = re.compile(
    r"\b((?:an?|the)\s+(?:record\s+|further\s+|total\s+of\s+)?|(?:to\s+)?(?:pay|refund|spend|invest|raise|repay)\s+|\w+\s+for\s+)(?:(?:more than|over|around|about|almost|nearly|up to|at least|some)\s+)?$",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(r"\b(?:has|have|had|was|were|is|are|will|would)\b|\w+ed\b", re.IGNORECASE)


def _doer(before: str) -> str:
    article = _OBJECT_OF.search(before)
    if not article:
        return ""
    verb_kept = article.group(1).strip().split()[-1].lower() not in {
        "a",
        "an",
        "the",
        "record",
        "further",
        "of",
    }
    clause = re.split(
        r",(?!\d{3})\s|[;:]\s|\s[–—-]\s|[“”\"(]", before[: article.end(1) if verb_kept else article.start()]
    )[-1]
    clause = without_reporting(clause.strip())
    return clause if _VERB_BEFORE.search(clause) and len(clause.split()) <= 12 else ""


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(' ,.;:-“”"')


def measure_tokens(text: str | None) -> set[str]:
    """Content words for comparing measures: lowercased, stopwords dropped, a plural 's' removed."""
    if not text:
        return set()
    tokens = set()
    for word in re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")):
        if word in _STOP or word == "s":
            continue
        tokens.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return tokens


_CLAUSE_BOUND = re.compile(r",(?!\d{3})|[;:()“”\"]|\s[–—-]\s")  # not the comma inside "10,000"
_MIN_MEASURE_WORDS = 2


def widened_measure(sentence: str, start: int, end: int, measure: str | None) -> str | None:
    """A measure of fewer than three content words ("people", "UK") says too little to check: use
    the clause around the figure, or failing that the eight words either side of it."""
    if len(measure_tokens(measure)) >= _MIN_MEASURE_WORDS:
        return measure
    left = max([m.end() for m in _CLAUSE_BOUND.finditer(sentence[:start])] + [0])
    right_bound = _CLAUSE_BOUND.search(sentence, end)
    right = right_bound.start() if right_bound else len(sentence)
    clause = _tidy(f"{sentence[left:start]} {sentence[end:right]}")
    if len(measure_tokens(clause)) >= _MIN_MEASURE_WORDS:
        return clause
    window = " ".join(sentence[:start].split()[-8:] + sentence[end:].split()[:8])
    return _tidy(window) or measure


_HEDGE = re.compile(
    r"(?:\b(?P<hedge>more than|over|around|about|almost|nearly|up to|at least|close to|some|only|just over|"
    r"just under|under|fewer than|less than)\s+)?(?:(?:an?|the)\s+)?$",
    re.IGNORECASE,
)
_WORDED_RATIO = re.compile(r"[a-z]", re.IGNORECASE)
# "between 59% and 63%": the upper bound is the value, and the measure says so
_RANGE = re.compile(
    r"\bbetween\s+(?P<low>[£$€]?[\d.,]+\s?(?:%|per\s?cent|percent)?)\s+and\s+$", re.IGNORECASE
)


def with_hedge(measure: str | None, sentence: str, start: int, unit: str, value_text: str) -> str | None:
    """The annotation convention: a hedge before the number stays in the measure, in brackets ("(more
    than)"), and so does a fraction or multiplier written in words ("(almost half)", "(one in eight)")
    and a range whose upper bound is the value ("(range 41% to 44%; upper bound recorded)")."""
    if measure is None:
        return None
    ranged = _RANGE.search(sentence[:start])
    if ranged:
        note = f"range {ranged.group('low')} to {value_text}; upper bound recorded"
        return measure if note.lower() in measure.lower() else f"{measure} ({note})"
    hedge = _HEDGE.search(sentence[:start])
    words = hedge.group("hedge") if hedge and hedge.group("hedge") else None
    worded = unit == "ratio" and _WORDED_RATIO.search(value_text) is not None
    note = " ".join(w for w in (words, value_text if worded else None) if w)
    if words:  # "has quadrupled to more than": the hedge moves into the brackets
        measure = re.sub(rf"\s+(?:to\s+)?{re.escape(words)}$", "", measure, flags=re.IGNORECASE)
    if not note or f"({note.lower()})" in measure.lower():
        return measure
    return f"{measure} ({note.lower()})"


_REPORTING = re.compile(
    r"^.*?\b(?:found|finds|shows?|showed|revealed|reveals|said|says|suggests?|indicates?)\s+(?:that\s+)?",
    re.IGNORECASE,
)


def without_reporting(clause: str) -> str:
    """ "Its analysis found most clips were violent": what was found, not who found it."""
    stripped = _REPORTING.sub("", clause, count=1)
    return stripped if len(measure_tokens(stripped)) >= _MIN_MEASURE_WORDS else clause


_CLAUSE_START = re.compile(r",(?!\d{3})\s|[;:]\s|\s[–—-]\s|\band\s+(?!(?:the\s+)?[A-Z])|\bbut\s+|^")


def bracketed_measure(sentence: str, start: int, end: int) -> str | None:
    """ "servers in France (40%)", "one in three (33%) did not reply": a figure in brackets measures the
    words before the bracket (back to the clause start) and the predicate after it."""
    before = sentence[:start]
    if not re.search(r"\(\s*$", before) or not re.match(r"\s*\)", sentence[end:]):
        return None
    lead = before.rstrip()[:-1].rstrip()
    starts = [m.end() for m in _CLAUSE_START.finditer(lead)]
    lead = without_reporting(lead[max(starts) :]) if starts else lead
    after = re.sub(r"^\s*\)", "", sentence[end:])
    after = re.split(r"\s+and\s+|\s+but\s+", _CLAUSE_END.split(after, maxsplit=1)[0], maxsplit=1)[0]
    after = _PERIODISH.sub("", after)
    phrase = _tidy(f"{lead} {after}")
    return phrase if len(measure_tokens(phrase)) >= _MIN_MEASURE_WORDS else None
