"""What an article has introduced so far: people, organisations, outlets and the current producer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.lexicon import ORG_REFERENCES
from ingest.names import acronym, is_org_like, is_outlet, is_place, looks_like_person, name_runs, tidy_org


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
        if speaker.kind == "person":
            self.people = [p for p in self.people if p.name != speaker.name] + [speaker]
            self.last_person = speaker
        elif speaker.kind == "spokesperson":
            self.last_spokesperson = speaker
        if speaker.kind in {"org", "spokesperson"} and speaker.org:
            self.last_speaking_org = speaker.org
        if speaker.org:
            self.add_org(speaker.org)

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
        if noun in {"group", "organisation", "organization", "charity"}:
            for descriptor in ("nonprofit", "non-profit", "charity", "group", "organisation", "organization"):
                if descriptor in self.described_orgs:
                    return self.described_orgs[descriptor]
        for org in reversed(self.orgs):
            if noun and noun in org.lower().split():
                return org
        if noun in {"government", "police"}:
            return noun  # "the government said" names its producer well enough on its own
        if noun in {"company", "firm", "app", "platform", "tech giant", "social network"}:
            # A company is named by a brand: a single capitalised word that is not an acronym of a body.
            for org in reversed(self.orgs):
                if " " not in org and not is_outlet(org) and org not in self.described_orgs.values():
                    return org
        if noun in ORG_REFERENCES and self.last_producer:
            return self.last_producer
        return None

    def canonical_org(self, name: str) -> str:
        """Prefer the acronym the article itself uses: "National Society for ... Children" -> "NSPCC"."""
        short = acronym(name)
        if len(short) >= 3 and short != name and re.search(rf"\b{re.escape(short)}\b", self.text):
            return short
        return name
