"""Finding capitalised name runs and telling people, organisations, places and outlets apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lexicon import HONORIFICS, NOT_NAME_WORDS, ORG_WORDS, OUTLET_WORDS, PLACE_WORDS, ROLE_WORDS

# A capitalised token: "Burrows", "MacLeod", "O'Brien", "KidSafe", "Éire", "U.S.", "NSPCC", "Meta-owned"
_CAP_TOKEN = r"(?:[A-ZÀ-Ý][\w’'À-ÿ.-]*|&)"  # noqa: S105 - a regular expression, not a password
_CONNECTOR = r"(?:of|for|and|the|&|de|du|von|van|on|to)"
_PARTICLES = frozenset({"de", "du", "von", "van", "da", "di", "le", "la", "der", "den"})
_CONNECTORS = frozenset({"of", "for", "and", "the", "&", "de", "du", "von", "van", "on", "to"})
NAME_RUN = re.compile(rf"{_CAP_TOKEN}(?:\s+(?:{_CONNECTOR}\s+)*{_CAP_TOKEN})*")


@dataclass(frozen=True)
class NameRun:
    """A run of capitalised words with its offsets inside the string it was found in."""

    text: str
    start: int
    end: int


def name_runs(text: str) -> list[NameRun]:
    """Capitalised runs, trimmed of trailing connectors, possessives and sentence-opening words."""
    runs: list[NameRun] = []
    for match in NAME_RUN.finditer(text):
        words = [(m.group(), match.start() + m.start()) for m in re.finditer(r"\S+", match.group())]
        group: list[tuple[str, int]] = []
        for word, offset in [*words, ("", -1)]:
            # "U.K-based", "Meta-owned" describe something else; they end a run rather than join it.
            breaker = word == "" or re.search(r"-[a-z]+$", word) is not None
            if breaker:
                run = _trim(text, group)
                if run:
                    runs.append(run)
                group = []
            else:
                group.append((word, offset))
    return runs


def _trim(text: str, group: list[tuple[str, int]]) -> NameRun | None:
    # Leading words capitalised only because they open a sentence, and trailing connectors, go.
    while group and (group[0][0].lower().strip(".") in NOT_NAME_WORDS or group[0][0] == "&"):
        group = group[1:]
    while group and group[-1][0].lower() in _CONNECTORS:
        group = group[:-1]
    if not group:
        return None
    opens_sentence = re.search(r"(?:^|[.!?:]\s+|\n)\s*$", text[: group[0][1]]) is not None
    if len(group) == 1 and opens_sentence and group[0][0].endswith("ly"):
        return None  # "Locally, the council ...": an adverb capitalised only as the first word
    start = group[0][1]
    end = group[-1][1] + len(group[-1][0])
    body = re.sub(r"(?:’s|'s|’|')$", "", text[start:end]).rstrip(".-")
    if body.count(".") == 1 and body.endswith("."):
        body = body[:-1]
    return NameRun(body, start, start + len(body)) if body else None


def strip_honorific(name: str) -> str:
    """ "Dr. Marcus Lee" -> "Marcus Lee"."""
    words = name.split()
    while len(words) > 1 and words[0].lower().rstrip(".") in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def _lower_words(name: str) -> list[str]:
    return [w.lower().strip(".,’'") for w in name.split()]


def is_outlet(name: str) -> bool:
    words = _lower_words(name.removeprefix("The ").removeprefix("the "))
    return bool(words) and (words[-1] in OUTLET_WORDS or words[0] in OUTLET_WORDS)


def is_place(name: str) -> bool:
    words = _lower_words(name)
    return bool(words) and all(w in PLACE_WORDS or w == "and" for w in words)


def is_org_like(name: str) -> bool:
    """Has an organisation word, is an acronym, or mixes case like "KidSafe"."""
    words = _lower_words(name)
    if any(w in ORG_WORDS for w in words):
        return True
    bare = name.replace(".", "").replace("&", "")
    if re.fullmatch(r"[A-Z]{2,6}", bare):
        return True
    return bool(words) and any(w in PLACE_WORDS for w in words) and len(words) >= 2


def looks_like_person(name: str) -> bool:
    """Two to four capitalised words, none of them an organisation, place, role or outlet word."""
    bare = strip_honorific(name)
    words = bare.split()
    if not 2 <= len(words) <= 4:
        return False
    # "Rachel de Souza": a lowercase particle inside a name, never first or last
    if any(
        not w[0].isupper() and not (0 < i < len(words) - 1 and w in _PARTICLES) for i, w in enumerate(words)
    ):
        return False
    lowered = _lower_words(bare)
    if any(w in ORG_WORDS or w in PLACE_WORDS or w in ROLE_WORDS or w in OUTLET_WORDS for w in lowered):
        return False
    return not any(w in NOT_NAME_WORDS for w in lowered)


def acronym(name: str) -> str:
    """Initials of the capitalised words: "National Society for the Prevention of ..." -> "NSPCC"."""
    return "".join(w[0] for w in name.split() if w[0].isupper())


def tidy_org(name: str) -> str:
    """ "the U.S. Department of X" -> "US Department of X"; strips a leading article."""
    name = re.sub(r"^(?:the|The)\s+", "", name.strip())
    name = re.sub(r"\bU\.K\.?", "UK", name)
    return re.sub(r"\bU\.S\.?", "US", name)
