"""What an article has introduced so far: people, organisations, outlets and the current producer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.lexicon import ORG_REFERENCES
from ingest.names import (
    acronym,
    is_org_like,
    is_outlet,
    is_place,
    looks_like_person,
    name_runs,
    strip_honorific,
    tidy_org,
)

_COMPANY_NOUNS = frozenset(
    {"company", "firm", "app", "platform", "tech giant", "giant", "social network", "site"}
)
_ORG_SUFFIXES = "Games|Inc|Ltd|Group|Platforms|Corporation|Corp|Studios|Entertainment|Technologies|Labs|Trust"


@dataclass(frozen=True)
class Speaker:
    """Who said something: a person, a spokesperson, an organisation, or a described anonymous person."""

    name: str
    role: str | None = None
    org: str | None = None
    kind: str = "person"  # person | spokesperson | org | described


@dataclass
class Discourse:
    """Running memory of one article, read sentence by sentence, used to resolve later references."""

    text: str
    people: list[Speaker] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    described_orgs: dict[str, str] = field(default_factory=dict)  # "charity" -> "KidSafe"
    outlets: list[str] = field(default_factory=list)
    last_person: Speaker | None = None
    last_spokesperson: Speaker | None = None
    last_speaking_org: str | None = None
    last_producer: str | None = None
    _full_names: dict[str, str | None] = field(default_factory=dict)
    _title_holders: dict[str, str | None] = field(default_factory=dict)
    _expansions: dict[str, str] | None = None

    def observe(self, visible: str) -> None:
        """Register organisations and outlets named in a sentence (quotes already blanked out)."""
        for run in name_runs(visible):
            before = visible[: run.start]
            after = visible[run.end :]
            if is_outlet(run.text) or re.match(r"\s+reported\b", after):
                self.add_outlet(self._outlet_name(run.text, before))
                continue
            descriptor = re.search(
                r"\b(charity|organisation|organization|regulator|watchdog|body|group|campaign|nonprofit|non-profit)\s+$",
                before,
            )
            if not descriptor and (is_place(run.text) or looks_like_person(run.text)):
                continue
            name = tidy_org(run.text)
            if descriptor:
                self.described_orgs[descriptor.group(1)] = name
            if descriptor or is_org_like(run.text) or " " not in name:
                self.add_org(name)

    @staticmethod
    def _outlet_name(name: str, before: str) -> str:
        # "the Independent" is written "The Independent"; acronyms ("the BBC") go without the article.
        if re.search(r"\b[Tt]he\s+$", before) and not name.isupper() and not name.startswith("The "):
            return f"The {name}"
        return name

    def add_outlet(self, name: str) -> None:
        if name in self.outlets:
            self.outlets.remove(name)
        self.outlets.append(name)

    def add_org(self, name: str) -> None:
        if name in self.orgs:
            self.orgs.remove(name)
        self.orgs.append(name)

    def add_speaker(self, speaker: Speaker) -> None:
        if speaker.kind in {"person", "described"}:
            self.people = [p for p in self.people if p.name != speaker.name] + [speaker]
            self.last_person = speaker
        elif speaker.kind == "spokesperson":
            self.last_spokesperson = speaker
        if speaker.kind in {"org", "spokesperson"} and speaker.org:
            self.last_speaking_org = speaker.org
        if speaker.org:
            self.add_org(speaker.org)

    def full_name(self, word: str) -> str | None:
        """The first full name in the article ending in `word` ("Cole" -> "Bo Cole"), else
        starting with it ("Ann" -> "Ann Lee"). Remembered per article."""
        if word not in self._full_names:
            self._full_names[word] = self._find_full_name(word)
        return self._full_names[word]

    def _find_full_name(self, word: str) -> str | None:
        # not in the headline, whose capitals ("Report Blames AppCo") are not names
        body_start = self.text.find("\n") + 1
        spots = [
            m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", self.text) if m.start() >= body_start
        ]
        ending = re.compile(r"(?<![\w’'-])([A-Z][\w’'-]+(?:\s+(?:de|van|von|da|di|le))?)\s+$")
        starting = re.compile(r"(?:\s+(?:de|van|von|da|di|le))?\s+([A-Z][\w-]+)")
        for candidates in (
            [(m.group(1), word) for at in spots if (m := ending.search(self.text[max(0, at - 40) : at]))],
            [(word, m.group(1)) for at in spots if (m := starting.match(self.text, at + len(word)))],
        ):
            for first, last in candidates:
                name = strip_honorific(f"{first} {last}")
                if looks_like_person(name) and " " in name and name not in self.orgs:
                    return name
        return None

    def title_holder(self, title: str) -> str | None:
        """ "Health Secretary" -> "Ann Lee": a person the article names with that title, or
        else the first person it reports as speaking. Remembered per article."""
        if title not in self._title_holders:
            self._title_holders[title] = self._find_title_holder(title)
        return self._title_holders[title]

    def _find_title_holder(self, title: str) -> str | None:
        escaped = re.escape(title)
        name = r"([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2})"
        for pattern in (rf"\b{escaped},?\s+{name}", rf"{name},\s+(?:the\s+)?{escaped}\b"):
            for match in re.finditer(pattern, self.text):
                candidate = strip_honorific(match.group(1))
                if looks_like_person(candidate):
                    return candidate
        for match in re.finditer(rf"{name}\s+(?:said|told|warned|added)\b", self.text):
            if looks_like_person(match.group(1)):
                return strip_honorific(match.group(1))
        return None

    def longer_name(self, org: str) -> str:
        """ "Acme" -> "Acme Games" when the article spells the organisation out in full."""
        if " " in org:
            return org
        found = re.search(rf"\b{re.escape(org)}\s+(?:{_ORG_SUFFIXES})\b", self.text)
        return found.group() if found else org

    def find_person(self, surname_or_name: str) -> Speaker | None:
        """Map "Jones", "Ms. Ruiz" or "Rob Jones" to the person introduced earlier."""
        last = surname_or_name.split()[-1]
        for person in reversed(self.people):
            if person.name == surname_or_name or person.name.split()[-1] == last:
                return person
        return None

    def resolve_org(self, phrase: str) -> str | None:
        """Resolve "the charity", "the company", "the foundation" to an organisation already named."""
        noun = re.sub(r"^(?:the|this|that|its|their)\s+", "", phrase.strip().lower())
        if noun in self.described_orgs:
            return self.described_orgs[noun]
        head = noun.split()[-1] if noun.split() else noun
        if head != noun and head in self.described_orgs:
            return self.described_orgs[head]
        if (
            head in {"watchdog", "regulator", "charity", "agency", "foundation", *_COMPANY_NOUNS}
            and head != noun
        ):
            noun = head  # "the online safety watchdog", "the photo-sharing app": the one the article named
        if noun in {"group", "organisation", "organization", "charity"}:
            for descriptor in ("nonprofit", "non-profit", "charity", "group", "organisation", "organization"):
                if descriptor in self.described_orgs:
                    return self.described_orgs[descriptor]
        for org in reversed(self.orgs):
            if noun and noun in org.lower().split():
                return org
        if noun in {"government", "police"}:
            return noun  # "the government said" names its producer well enough on its own
        if noun in _COMPANY_NOUNS:
            # A company is named by a brand: a single capitalised word that is not an acronym of a body.
            for org in reversed(self.orgs):
                if " " not in org and not is_outlet(org) and org not in self.described_orgs.values():
                    return org
        if noun in ORG_REFERENCES and self.last_producer:
            return self.last_producer
        if noun in {"watchdog", "regulator", "charity", "agency", "foundation", "organisation"}:
            # a body named in full ("Internet Watch Foundation") before a bare acronym ("AI")
            bodies = [o for o in reversed(self.orgs) if is_org_like(o) and not is_outlet(o)]
            spelt = [o for o in bodies if " " in o]
            if spelt or bodies:
                return self.canonical_org((spelt or bodies)[0])
        return None

    def canonical_org(self, name: str) -> str:
        """Prefer the acronym the article itself uses: "National Society for ... Children" -> "NSPCC"."""
        short = acronym(name)
        if len(short) >= 3 and short != name and re.search(rf"\b{re.escape(short)}\b", self.text):
            return short
        return name

    def full_org(self, name: str) -> str:
        """An organisation quoted as a whole is named in full as the article spells it out ("SOT" ->
        "Safer Online Trust"); an acronym the article never expands stays as it is."""
        if re.fullmatch(r"[A-Z]{2,6}", name):
            return self._spelt_out().get(name, name)
        return name

    def _spelt_out(self) -> dict[str, str]:
        if self._expansions is None:
            self._expansions = {}
            for run in name_runs(self.text):
                words = run.text.split()
                if "\n" in run.text:
                    continue  # a run across lines joins a byline or caption to the next line
                if len(words) >= 2 and not is_outlet(run.text):
                    # "the Safer Online Trust (SOT)" and runs whose initials make the acronym
                    self._expansions.setdefault(acronym(run.text), tidy_org(run.text))
        return self._expansions
