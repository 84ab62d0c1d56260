"""Reading a speaker phrase ("Andy Burrows, head of ... for the NSPCC", "a spokesperson for the company")."""

from __future__ import annotations

import re

from ingest.discourse import Discourse, Speaker
from ingest.lexicon import HONORIFICS, ROLE_WORDS, SPEECH_VERBS, SPOKESPERSON_WORDS
from ingest.names import (
    is_org_like,
    is_outlet,
    is_place,
    looks_like_person,
    name_runs,
    strip_honorific,
    tidy_org,
)

SPEECH_VERB = re.compile(r"\b(" + "|".join(sorted(SPEECH_VERBS, key=len, reverse=True)) + r")\b")
_SPOKES = "|".join(sorted(SPOKESPERSON_WORDS, key=len, reverse=True))
_SPOKESPERSON = re.compile(
    rf"\b(?:[Aa]n?|[Tt]he|[Oo]ne)\s+(?P<pre>(?:[A-Z][\w’'&.-]*\s+(?:(?:for|of|and|&)\s+)*)*)"
    rf"(?P<ref>(?:department|company|council|charity|government|ministry|agency|police|force|firm)\s+)?"
    rf"(?P<word>{_SPOKES})\b(?:\s+(?:for|from|at|of)\s+(?P<post>(?:the\s+)?(?:[a-z][\w-]*\s+){{0,2}}[\w’'&.-]+(?:\s+(?:(?:for|of|and|&)\s+)*[A-Z][\w’'&.-]*)*))?"
)
_PRONOUNS = {"he", "she"}
_NAME_FROM_ORG = re.compile(
    r"\s+(?:from|of|at)\s+(?:the\s+)?([A-Z][\w’'&.-]*(?:\s+(?:of|for|and|&)?\s*[A-Z][\w’'&.-]*)*)"
)
_PREPOSITION_ORG = re.compile(
    r"(?:^|\s+)(?:for|at|of|with)\s+(?:the\s+)?"
    r"(?:(?:charity|organisation|organization|group|nonprofit|non-profit|campaign group)\s+)?(?=[A-Z])"
)


def parse_speaker(phrase: str, discourse: Discourse) -> Speaker | None:
    """Who a speaker phrase names, resolved against what the article has introduced; None if unclear."""
    phrase = _clean(phrase)
    if not phrase:
        return None
    lowered = phrase.lower()
    if lowered in _PRONOUNS:
        return discourse.last_person
    if lowered == "it":
        org = discourse.last_speaking_org or discourse.last_producer
        return Speaker(org, None, org, "org") if org else None
    titled = re.fullmatch(r"(?:[Tt]he\s+)?((?:[A-Z][\w’'-]*\s+)*[A-Z][\w’'-]*)", phrase)
    if titled and titled.group(1).split()[-1].lower() in ROLE_WORDS:
        # "the Health Secretary said": the person the article gives that title to
        holder = discourse.title_holder(titled.group(1))
        if holder:
            return Speaker(holder, titled.group(1), None, "person")
    if re.fullmatch(rf"(?:the|this)\s+(?:{_SPOKES})", lowered):
        return discourse.last_spokesperson
    spokes = _SPOKESPERSON.search(phrase)
    person = _person(phrase, discourse)
    if person and (spokes is None or phrase.find(person.name.split()[-1]) < spokes.start()):
        return person
    if spokes:
        return _spokesperson(spokes, discourse)
    return _organisation_or_description(phrase, discourse)


def _clean(phrase: str) -> str:
    phrase = re.sub(r"[“”\"]", " ", phrase)
    phrase = re.sub(r"\b(?:also|later|previously|then|further|in a statement|separately)\b", " ", phrase)
    phrase = re.sub(r"^[\s,;:—–-]*(?:and|but|while|as)?\s*", "", phrase)
    phrase = re.sub(r"(?:,?\s*(?:who|which|adding|emphasi[sz]ing|according)\b.*)$", "", phrase)
    phrase = re.sub(
        r"(?:\s+(?:is|are|was|were|has|have|had|will|would|been|has been|have been))+\s*$", "", phrase
    )
    return re.sub(r"\s+", " ", phrase).strip(" ,;:.")


def _spokesperson(match: re.Match[str], discourse: Discourse) -> Speaker:
    word = match.group("word")
    pre = (match.group("pre") or "").strip()
    post = (match.group("post") or "").strip()
    ref = (match.group("ref") or "").strip()
    org: str | None = None
    if ref and not pre:
        org = discourse.resolve_org(ref)
    elif pre and not is_place(pre):
        org = tidy_org(pre)
    elif post:
        if post[:1].isupper() or re.match(r"the\s+[A-Z]", post):
            org = tidy_org(post)
        else:
            # "for the company told the Independent": the shortest reference that resolves
            words = post.split()
            first = 2 if words[0].lower() in {"the", "this", "its", "their"} else 1
            org = next(
                (
                    o
                    for n in range(first, len(words) + 1)
                    if (o := discourse.resolve_org(" ".join(words[:n])))
                ),
                None,
            )
    else:
        org = discourse.last_speaking_org
    if org:
        org = discourse.canonical_org(org)
    # The organisation speaks: "an AppCo spokesperson" is AppCo (role and name of the person unknown).
    if not org:
        return Speaker(f"A {word}", None, None, "spokesperson")
    full = discourse.full_org(org)
    return Speaker(full, None, full, "spokesperson")


def _person(phrase: str, discourse: Discourse) -> Speaker | None:
    for run in reversed(name_runs(phrase)):
        if re.search(r"\b(?:of|for|at|with|from|by)\s+(?:the\s+)?$", phrase[: run.start]):
            continue  # "director of Safe Futures": a name after a preposition is an organisation
        words = run.text.split()
        role_at = max((i for i, w in enumerate(words) if _bare_word(w) in ROLE_WORDS), default=-1)
        # "Schools Minister for Wales Dame Ann Example": an honorific starts the name.
        titled = [i for i, w in enumerate(words) if i > 0 and w.lower().rstrip(".") in _TITLE_HONORIFICS]
        if titled and titled[-1] > role_at:
            role_at = titled[-1] - 1
        name_words = words[role_at + 1 :]
        if not name_words:
            continue
        name = " ".join(name_words)
        start = run.start + run.text.rindex(name)
        if looks_like_person(name) and name not in discourse.orgs:
            bare = strip_honorific(name)
            known = discourse.find_person(bare)
            role, org = _descriptor_around(phrase, start, start + len(name), words[: role_at + 1], discourse)
            if known and known.name == bare and role is None and org is None:
                return known
            partner = _joint_partner(phrase, run.start, discourse)
            if partner:
                return Speaker(f"{partner} and {bare}", role, org, "person")
            return Speaker(bare, role, org, "person")
        if len(name_words) <= 2 and name_words[-1][:1].isupper():
            known = discourse.find_person(strip_honorific(name))
            honorific_only = len(name_words) == 2 and name_words[0].lower().rstrip(".") in HONORIFICS
            if len(name_words) == 1 or honorific_only:
                if known:
                    return known
                # "said Cole" when the article introduced "Bo Cole" without quoting him
                full = discourse.full_name(name_words[-1])
                if full:
                    return Speaker(full, None, None, "person")
                # "said Sam, a senior researcher at the charity": a one-word name with a role beside it
                end = run.start + len(run.text)
                role, org = _descriptor_around(phrase, run.start, end, [], discourse)
                if len(name_words) == 1 and role and re.match(r"\s*,", phrase[end:]):
                    return Speaker(name_words[0], role, org, "person")
    return None


_TITLE_HONORIFICS = frozenset({"dame", "sir", "dr", "lord", "lady", "baroness", "prof", "professor", "sen"})


def _joint_partner(phrase: str, start: int, discourse: Discourse) -> str | None:
    """ "Agency chair Ann Lee and commissioner Bo Cole said": the first of two names."""
    joined = re.search(
        r"([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2})\s+and\s+(?:[a-z][\w-]*\s+){0,3}$", phrase[:start]
    )
    if joined and looks_like_person(joined.group(1)) and joined.group(1) not in discourse.orgs:
        return strip_honorific(joined.group(1))
    return None


def _descriptor_around(
    phrase: str, start: int, end: int, role_prefix: list[str], discourse: Discourse
) -> tuple[str | None, str | None]:
    """Role and organisation from words before the name or an appositive after it."""
    after = phrase[end:]
    appositive = re.match(r"\s*,\s*(?:\d{1,3}\s*,\s*)?([^,]+)", after)
    if appositive:
        role, org = parse_descriptor(appositive.group(1), discourse)
        if role or org:
            return role, org
    role, org = _descriptor_before(phrase, start, role_prefix, discourse)
    # "Peter Wanless from the NSPCC said": an organisation right after the name, never a place ("of Leeds").
    belongs = _NAME_FROM_ORG.match(after)
    if org is None and belongs:
        named = tidy_org(belongs.group(1))
        if is_org_like(named):  # not any capitalised word: the discourse takes "Leeds" for an organisation
            org = discourse.canonical_org(named)
    return role, org


def _descriptor_before(
    phrase: str, start: int, role_prefix: list[str], discourse: Discourse
) -> tuple[str | None, str | None]:
    """Role and organisation from the words before the name."""
    if len(role_prefix) > 0:
        # "National Crime Agency Director Rob Jones": org words then a title, all capitalised.
        title_words = [w for w in role_prefix if _bare_word(w) in ROLE_WORDS]
        first_title = role_prefix.index(title_words[0])
        # "the UK's National Crime Agency Director": the possessive place is not part of the name.
        org_text = re.sub(r"^[^ ]+(?:’s|'s)(?:\s+|$)", "", " ".join(role_prefix[:first_title]))
        if org_text and " " not in org_text and not is_org_like(org_text) and org_text not in discourse.orgs:
            # "Home Secretary", "Science Secretary": one plain word before a title is part of it
            return " ".join(role_prefix), None
        return " ".join(role_prefix[first_title:]), (
            discourse.canonical_org(tidy_org(org_text)) if org_text else None
        )
    before = phrase[:start].rstrip()
    lead = re.search(r"([^,]*?)[,\s]*$", before)
    if lead and lead.group(1).strip():
        return parse_descriptor(lead.group(1), discourse)
    return None, None


def parse_descriptor(text: str, discourse: Discourse) -> tuple[str | None, str | None]:
    """ "head of child safety online policy for the NSPCC" -> (role, "NSPCC"); "Ofcom's director of X"."""
    text = re.sub(r"^(?:an?|the)\s+", "", text.strip(" ,."), flags=re.IGNORECASE)
    text = re.sub(r"\s+who\b.*$", "", text)
    if not text:
        return None, None
    # "Ofcom's director of X", "the foundation's director": the owner is a name or a one-word reference.
    possessive = re.match(
        r"^(?:[Tt]he\s+)?([A-ZÀ-Ý][^\s]*(?:\s+[A-ZÀ-Ý&][^\s]*){0,5}|[a-z]+)(?:’s|'s)\s+(.+)$", text
    )
    if possessive:
        owner, role = possessive.group(1), possessive.group(2)
        org = tidy_org(owner) if owner[:1].isupper() else discourse.resolve_org(owner)
        return _role(role), (discourse.canonical_org(org) if org else None)
    split = _PREPOSITION_ORG.search(text)
    if split:
        org = tidy_org(text[split.end() :])
        return _role(text[: split.start()]), discourse.canonical_org(org)
    # "KidSafe chief executive": capitalised organisation then a lowercase title.
    leading = re.match(r"^((?:[A-ZÀ-Ý][\w’'&.-]*\s+)+)([a-z].*)$", text)
    if leading and _role(leading.group(2)):
        return _role(leading.group(2)), discourse.canonical_org(tidy_org(leading.group(1)))
    return _role(text), None


def _role(text: str) -> str | None:
    text = text.strip(" ,.")
    words = text.lower().split()
    return text if words and any(w in ROLE_WORDS for w in words) and len(words) <= 8 else None


def _organisation_or_description(phrase: str, discourse: Discourse) -> Speaker | None:
    reference = re.fullmatch(r"(?:[Tt]he|[Tt]his)\s+([a-z][a-z ]*)", phrase)
    if reference:
        org = discourse.resolve_org(reference.group(1))
        return Speaker(discourse.full_org(org), None, discourse.full_org(org), "org") if org else None
    described = re.fullmatch(r"(?:one|a|an)\s+((?:[\w-]+\s*){1,5})", phrase, flags=re.IGNORECASE)
    if described and not any(w[:1].isupper() for w in described.group(1).split()):
        return Speaker(f"a {described.group(1).strip()}", None, None, "described")
    runs = [r for r in name_runs(phrase) if not is_outlet(r.text) and not is_place(r.text)]
    if runs:
        candidate = runs[-1].text
        if is_org_like(candidate) or " " not in candidate or candidate in discourse.orgs:
            org = discourse.full_org(discourse.canonical_org(discourse.longer_name(tidy_org(candidate))))
            return Speaker(org, None, org, "org")
    return None


def _bare_word(word: str) -> str:
    """ "Secretary" -> "secretary", "Ofcom's" -> "ofcom" (a possessive off, never a leading "s")."""
    return word.lower().removesuffix("’s").removesuffix("'s").strip("’'")
