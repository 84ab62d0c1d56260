"""Finding figures and quotes for a question: entities and their families, full text, near misses."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    any_,
    case,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from storage import candidates, embargo
from storage.candidates import Candidate
from storage.kinds import Kind
from storage.models import (
    ANSWERABLE,
    Entity,
    EntityAlias,
    Quote,
    SearchDocument,
    Source,
    Statistic,
    Status,
    Topic,
    quote_entities,
    statistic_entities,
)
from storage.search import WORD, matches_any, phrase_key, search_terms, ts_query, words
from storage.word_forms import root, variants

Item = TypeVar("Item", Statistic, Quote)
T = TypeVar("T")
Other = TypeVar("Other")

MAX_PHRASE_WORDS = 5
# How alike a typed word must be to a known name before we search for the name instead.
CORRECTION_CUTOFF = 0.8
SUGGESTION_CUTOFF = 0.6
COUNT_CAP = 1000
# A digest shows 30 items and counts the rest; past this many it says "and more" all the same.
DIGEST_LIMIT = 500


@dataclass
class Concept:
    """One thing a question asks for: a named entity (by any of its names) or a word (in any of its forms).

    `phrases` are the word sequences the full-text index looks for; any one of them is a match."""

    typed: str
    entities: list[Entity]
    phrases: list[list[str]]

    @cached_property
    def roots(self) -> list[frozenset[str]]:
        """Each phrase as the set of its word roots, as `relevance` compares them with an item's parts: read
        once per question, not once per candidate."""
        return [frozenset(root(w) for w in phrase) for phrase in self.phrases if phrase]

    @cached_property
    def split_roots(self) -> tuple[frozenset[str], list[frozenset[str]]]:
        """`roots` as the roots of its one-root phrases, together (one of them in a part is a match: a single
        set test), and its longer phrases (each wholly in a part)."""
        single = frozenset(r for phrase in self.roots if len(phrase) == 1 for r in phrase)
        return single, [phrase for phrase in self.roots if len(phrase) > 1]

    @property
    def shown(self) -> str:
        """How an answer names it: the entity's own name when the typed words are one of its names."""
        for entity in self.entities:
            if phrase_key(entity.name) == self.typed:
                return entity.name
        return self.entities[0].name if self.entities else self.typed


@dataclass
class Reading:
    """A question as search reads it: the things asked for, and the years the figures must be from."""

    concepts: list[Concept]
    period: tuple[date, date] | None = None
    period_text: str = ""


_YEAR = r"(?:19|20)\d\d"
_RANGE = re.compile(rf"\b({_YEAR})\s*(?:-|–|to|until)\s*({_YEAR})\b")
_FINANCIAL = re.compile(rf"\b({_YEAR})\s*[/-]\s*(\d\d)\b")
_SINGLE = re.compile(rf"\b({_YEAR})\b")


def take_period(text: str) -> tuple[tuple[date, date] | None, str, str]:
    """Years in the question ("2020", "2019-2021", "2019 to 2021", "2017/18") as a period, how to say it,
    and the question without them. A UK financial year runs April to March."""
    match = _RANGE.search(text)
    if match and int(match.group(1)) <= int(match.group(2)):
        first, last = int(match.group(1)), int(match.group(2))
        period = (date(first, 1, 1), date(last, 12, 31))
        said = f"{first} to {last}"
    else:
        match = _FINANCIAL.search(text)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            first = int(match.group(1))
            period = (date(first, 4, 1), date(first + 1, 3, 31))
            said = f"{first}/{match.group(2)}"
        else:
            match = _SINGLE.search(text)
            if match is None:
                return None, "", text
            year = int(match.group(1))
            period = (date(year, 1, 1), date(year, 12, 31))
            said = str(year)
    return period, said, (text[: match.start()] + " " + text[match.end() :]).strip()


def acronym(name: str) -> str:
    """ "Internet Watch Foundation" -> "iwf"; names of one word, or in lower case, have none."""
    initials = [w[0] for w in name.split() if w[:1].isupper()]
    return "".join(initials).casefold() if len(initials) >= 2 else ""


def organisation_names(session: Session, workspace_id: int) -> list[str]:
    """Names of the producers, reporters, speakers' organisations and entities a workspace holds (one
    statement: a question with a short word reads them on every answer)."""
    names = union(
        select(Source.publisher).where(Source.workspace_id == workspace_id),
        select(Entity.name).where(Entity.workspace_id == workspace_id),
        select(Quote.speaker_org).where(Quote.workspace_id == workspace_id),
    )
    return sorted(n for n in set(session.scalars(names)) if n)


def read(session: Session, workspace_id: int, question: str) -> Reading:
    """The concepts of a question: entity phrases (with every name of their entities), then each other word
    with its word forms and any organisation it abbreviates ("iwf" -> "Internet Watch Foundation")."""
    period, period_text, rest = take_period(question)
    groups, leftover = entity_groups(session, workspace_id, rest)
    concepts: list[Concept] = []
    for typed, entities in groups:
        phrases = [typed]
        for entity in entities:
            for name in [entity.name, *(alias.alias for alias in entity.aliases)]:
                phrase = words(name)
                if phrase and phrase not in phrases:
                    phrases.append(phrase)
        concepts.append(Concept(" ".join(typed), entities, phrases))
    short = [term for term in leftover if len(term) <= MAX_ACRONYM]
    names = organisation_names(session, workspace_id) if short else []
    # Each name's acronym once per question, not once per name and word.
    by_acronym: dict[str, list[str]] = {}
    for name in names:
        by_acronym.setdefault(acronym(name), []).append(name)
    for term in leftover:
        phrases = [[form] for form in variants(term)]
        if len(term) <= MAX_ACRONYM:
            phrases += [words(name) for name in by_acronym.get(term, [])]
        concepts.append(Concept(term, [], phrases))
    return Reading(concepts, period, period_text)


MAX_ACRONYM = 6


@dataclass
class Found(Generic[T]):
    """What a question found: the best `items` (up to the limit), how many in all, and how it was read.
    Ranking finds them as `Candidate`s (storage.candidates); the answer shows them as the models' objects."""

    items: list[T]
    total: int
    more_than_total: bool = False  # there are more than `total` (the count stops at COUNT_CAP)
    entities: list[Entity] = field(default_factory=list)
    corrected_to: str | None = None  # the question we answered instead of a misspelt one
    partial: bool = False  # no item matched every word; these match some
    suggestions: list[str] = field(default_factory=list)
    some_words: int = 0  # after the items matching every word, this many match only some of them
    reading: Reading | None = None  # how the question was read: its subjects, words and period
    about: list[bool] = field(default_factory=list)  # per concept: every full match is tagged with it
    understood: str | None = None  # a question: what it was taken to ask (storage.question.Parsed.understood)
    low_confidence: bool = False  # a question nothing matched well: these are only the closest rows

    def with_items(self, items: list[Other]) -> Found[Other]:
        """The same finding, holding `items` instead."""
        kept = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "items"}
        return Found(items=items, **kept)


def entity_phrases(session: Session, workspace_id: int, text: str) -> tuple[list[Entity], list[str]]:
    """Entities named in the text by name or alias (longest phrase first), and the words left over."""
    groups, leftover = entity_groups(session, workspace_id, text)
    found: list[Entity] = []
    for _, entities in groups:
        found += [e for e in entities if e not in found]
    return found, leftover


def entity_groups(
    session: Session, workspace_id: int, text: str
) -> tuple[list[tuple[list[str], list[Entity]]], list[str]]:
    """Each phrase of the text that names entities (longest first) with those entities, and the words left over."""
    tokens = words(text)
    grams = {
        " ".join(tokens[i : i + n]): (i, n)
        for n in range(min(MAX_PHRASE_WORDS, len(tokens)), 0, -1)
        for i in range(len(tokens) - n + 1)
    }
    if not grams:
        return [], []
    rows = session.execute(
        select(EntityAlias.alias, Entity)
        .join(Entity, Entity.id == EntityAlias.entity_id)
        .where(EntityAlias.workspace_id == workspace_id, EntityAlias.alias.in_(list(grams)))
        .order_by(Entity.id)
    ).all()
    by_alias: dict[str, list[Entity]] = {}
    for alias, entity in rows:
        by_alias.setdefault(alias, []).append(entity)
    used = [False] * len(tokens)
    groups: list[tuple[int, list[str], list[Entity]]] = []
    for alias in sorted(by_alias, key=lambda a: -grams[a][1]):
        start, length = grams[alias]
        if any(used[start : start + length]):
            continue
        used[start : start + length] = [True] * length
        groups.append((start, tokens[start : start + length], by_alias[alias]))
    leftover = " ".join(t for t, u in zip(tokens, used, strict=True) if not u)
    return [(g, e) for _, g, e in sorted(groups, key=lambda group: group[0])], search_terms(leftover)


def family_ids(session: Session, entities: Iterable[Entity]) -> set[int]:
    """The entities with everything that owns them and everything they own (Instagram -> Meta -> WhatsApp)."""
    ids = {e.id for e in entities}
    roots: set[int] = set()
    for entity in entities:
        node: Entity | None = entity
        while node is not None and node.id not in roots:
            roots.add(node.id)
            node = node.owner
    ids |= roots
    frontier = set(ids)
    while frontier:
        frontier = set(session.scalars(select(Entity.id).where(Entity.owner_id.in_(frontier)))) - ids
        ids |= frontier
    return ids


def find(
    session: Session,
    workspace_id: int,
    model: type[Item],
    question: str,
    *,
    limit: int = 20,
    viewer: embargo.Viewer | None = None,
) -> Found[Item]:
    """Answer a question with the most relevant, newest answerable items of this workspace only, that
    `viewer` may see (with none, what anyone may see: nothing under embargo)."""
    return load(
        session, model, find_candidates(session, workspace_id, model, question, limit=limit, viewer=viewer)
    )


def find_candidates(
    session: Session,
    workspace_id: int,
    model: type[Item],
    question: str,
    *,
    limit: int = 20,
    viewer: embargo.Viewer | None = None,
) -> Found[Candidate]:
    """`find`, its items as ranking read them (storage.candidates): for a caller that ranks them again and
    `load`s only those it shows."""
    seen = [embargo.visible(model, viewer)]
    found = _rank_once(session, workspace_id, model, question, limit, where=seen)
    if found.total:
        return found
    corrected, suggestions = correct(session, workspace_id, model, question)
    if corrected:
        retry = _rank_once(session, workspace_id, model, corrected, limit, where=seen)
        if retry.total:
            retry.corrected_to = corrected
            return retry
    found.suggestions = suggestions
    return found


def load(session: Session, model: type[Item], found: Found[Candidate]) -> Found[Item]:
    """`found` with its items as the models' objects (with their sources, entities and topics), in its order."""
    ids = [item.id for item in found.items]
    chosen = select(model).where(model.id.in_(ids)).options(*by_source(model))
    rows = {row.id: row for row in session.scalars(chosen).unique()} if ids else {}
    return found.with_items([rows[i] for i in ids if i in rows])


def by_source(model: type[Item]) -> list[LoaderOption]:
    """Load options for many candidates at once: their sources (each with the chain it cites, joined four deep)
    read once per distinct source, where the models' joined loading repeats every source's chain on every
    candidate's row (three sources a figure: 15 joined copies of the sources table, ~60 ms of row handling
    for 200 candidates; bench/RESULTS.md, issue 19 round 3). The same objects either way."""
    sources = [model.source, model.via_source] + ([Statistic.producer] if model is Statistic else [])
    return [selectinload(relation) for relation in sources]


def _find_once(
    session: Session,
    workspace_id: int,
    model: type[Item],
    question: str,
    limit: int,
    *,
    statuses: Sequence[str] = ANSWERABLE,
    where: Sequence[ColumnElement[bool]] = (),
    allow_partial: bool = True,
) -> Found[Item]:
    ranked = _rank_once(
        session, workspace_id, model, question, limit, statuses=statuses, where=where, allow_partial=allow_partial
    )
    return load(session, model, ranked)


def _rank_once(
    session: Session,
    workspace_id: int,
    model: type[Item],
    question: str,
    limit: int,
    *,
    statuses: Sequence[str] = ANSWERABLE,
    where: Sequence[ColumnElement[bool]] = (),
    allow_partial: bool = True,
) -> Found[Candidate]:
    """The `limit` best items as candidates (storage.candidates), ranked on what they hold."""
    kind: Kind = "figure" if model is Statistic else "quote"
    reading = read(session, workspace_id, question)
    # An empty digest topic means every new item; an empty question (or only stop words) finds nothing.
    if not reading.concepts and reading.period is None and (question.strip() or allow_partial):
        return Found(items=[], total=0)

    link = statistic_entities if model is Statistic else quote_entities
    link_item = link.c.statistic_id if model is Statistic else link.c.quote_id

    def linked(entity_ids: Iterable[int]) -> ColumnElement[bool]:
        """The item is tagged with one of these entities (a semi-join on the link table's primary key)."""
        return select(link_item).where(link_item == model.id, link.c.entity_id.in_(list(entity_ids))).exists()

    families = [family_ids(session, c.entities) if c.entities else set() for c in reading.concepts]

    def by_words() -> tuple[list[ColumnElement[bool]], list[Select[Any]]]:
        """Each concept as a condition on an item, and as its (item id, concept number) hits by text or by
        tag: built only where a statement uses them (PostgreSQL's walk does not)."""
        conditions: list[ColumnElement[bool]] = []
        hits: list[Select[Any]] = []
        for number, (concept, family) in enumerate(zip(reading.concepts, families, strict=True)):
            found_by_text = matches_any(session, workspace_id, kind, concept.phrases)
            text_match = model.id.in_(select(found_by_text.c.item_id))
            conditions.append(or_(text_match, linked(family)) if family else text_match)
            by_text = select(found_by_text.c.item_id.label("item_id"), literal(number).label("concept"))
            by_tag = select(link_item, literal(number)).where(link.c.entity_id.in_(list(family)))
            if family:  # an item once per concept it matches (SQLite takes no bracketed union inside another)
                both = union(by_text, by_tag).subquery()
                by_text = select(both.c.item_id, both.c.concept)
            hits.append(by_text)
        return conditions, hits

    concepts = len(reading.concepts)
    base = select(model.id).where(model.workspace_id == workspace_id, model.status.in_(statuses), *where)
    if reading.period is not None:
        base = base.where(*_in_period(model, reading.period))
    newest = Statistic.period_end if model is Statistic else Quote.said_on
    recency: list[ColumnElement[Any]] = [
        newest.desc().nulls_last(),
        model.published_at.desc().nulls_last(),
        model.id.desc(),
    ]
    wanted = max(CANDIDATES, limit)
    some_ids: list[int] = []
    some_count = 0
    if allow_partial and concepts > 1:
        # Items matching only some of the words come after those matching every one, and the answer says so.
        walked = None
        if session.get_bind().dialect.name == "postgresql":
            # Each concept as a test of an item's search document or tags.
            tests = [
                Test(_TSV.op("@@")(ts_query(concept.phrases)), frozenset(family))
                for concept, family in zip(reading.concepts, families, strict=True)
            ]
            walked = _newest_first(session, model, workspace_id, base, tests, newest, recency, wanted)
        complete_ids, complete_count, some_ids, some_count = walked or _every_and_some(
            session, model, base, by_words()[1], concepts, newest, wanted
        )
    else:
        conditions = by_words()[0]
        every = base.where(and_(*conditions)) if conditions else base
        complete_ids = list(session.scalars(every.order_by(*recency).limit(wanted)))
        complete_count = _count(session, every) if len(complete_ids) >= wanted else len(complete_ids)
    loaded = candidates.load(session, model, complete_ids + some_ids)
    complete, some = complete_count, some_count
    complete_set = set(complete_ids)
    entity_families = [{e.id for e in c.entities} for c in reading.concepts]
    scored = [
        (
            relevance(loaded[i], reading, entity_families, families, found_by_index=i in complete_set),
            loaded[i],
        )
        for i in complete_ids + some_ids
    ]
    # A subject named only in an item's evidence or notes (the 9,477 total "of which 52% on Facebook") is not
    # what the item is about: such an item matches that word no better than one that lacks it.
    asked = len(reading.concepts)
    demoted = sum(1 for (matched, _), item in scored if item.id in complete_set and matched < asked)
    dropped = sum(1 for (matched, _), _item in scored if matched == 0)
    scored = [pair for pair in scored if pair[0][0] > 0 or not reading.concepts]
    complete -= demoted
    some += demoted - dropped
    if not allow_partial:
        scored = [pair for pair in scored if pair[0][0] == asked]
        some = 0
    total = complete + some
    scored.sort(key=lambda pair: _order(pair[0], pair[1]))
    ranked = [item for _, item in scored]
    about = [
        bool(family) and all(_tagged(item, family) for item in ranked if item.id in complete_set)
        for family in families
    ]
    return Found(
        items=ranked[:limit],
        total=min(total, COUNT_CAP),
        more_than_total=total > COUNT_CAP,
        entities=[e for c in reading.concepts for e in c.entities],
        partial=some > 0 and complete == 0,
        some_words=some if complete else 0,
        reading=reading,
        about=about,
    )


CANDIDATES = 200
# How well a word matches each part of a figure or quote: organisations are matched as the producer first,
# then as the speaker's organisation, the reporter and the subject; a place or topic where it is stated.
WEIGHTS = {
    "producer": 6.0,
    "speaker": 6.0,
    "speaker_org": 5.0,
    "geography": 5.0,
    "topic": 4.0,
    "measure": 4.0,
    "words": 4.0,
    "role": 4.0,
    "reporter": 4.5,
    "subject": 4.0,
    "family": 2.0,
    "text": 1.0,
}


def _tagged(item: Candidate, ids: set[int]) -> bool:
    return any(e.id in ids for e in item.entities)


def _fields(item: Candidate) -> dict[str, set[str]]:
    """Each part of an item as the set of its word roots."""
    parts: dict[str, list[str | None]]
    source = item.source
    reporter = [source.publisher, source.title] + ([item.via_source.publisher] if item.via_source else [])
    if item.is_figure:
        # Its own producer; a figure stored before figures had one: what its reporter cites.
        chain = item.producer.chain() if item.producer is not None else source.chain()[1:]
        producers = [part for s in chain for part in (s.publisher, s.title)]
        parts = {
            "producer": list(producers),
            "geography": [item.geography],
            "topic": [t.name for t in item.topics],
            "measure": [item.measure],
            "reporter": list(reporter),
            "text": [item.evidence, item.notes, item.value_text],
        }
    else:
        parts = {
            "speaker": [item.speaker],
            "speaker_org": [item.speaker_org],
            "role": [item.speaker_role],
            "topic": [t.name for t in item.topics],
            "words": [item.text],
            "reporter": list(reporter),
            "text": [item.context],
        }
    # root() folds case itself, so the words need not be folded first (the roots of `words(text)`).
    return {name: {r for text in texts if text for r in map(root, WORD.findall(text))} for name, texts in parts.items()}


def relevance(
    item: Candidate,
    reading: Reading,
    named: list[set[int]],
    families: list[set[int]],
    *,
    found_by_index: bool,
) -> tuple[int, float]:
    """(how many of the question's words the item matches, how well): the best part each word matches."""
    fields = _fields(item)
    matched, score = 0, 0.0
    for concept, own, family in zip(reading.concepts, named, families, strict=True):
        best = 0.0
        single, longer = concept.split_roots
        for name, held in fields.items():
            weight = WEIGHTS[name]
            if weight > best and (not single.isdisjoint(held) or any(phrase <= held for phrase in longer)):
                best = weight
        if own and _tagged(item, own):
            best = max(best, WEIGHTS["subject"])
        elif family and _tagged(item, family):
            best = max(best, WEIGHTS["family"])
        if best == WEIGHTS["text"] and concept.entities:
            best = 0.0
        elif best == 0.0 and found_by_index and not concept.entities:
            best = WEIGHTS["text"]  # the index's own stemming found the word where ours did not
        matched += best > 0
        score += best
    return matched, score


def _order(rank: tuple[int, float], item: Candidate) -> tuple[Any, ...]:
    """Most words matched, best matched, current before superseded, citable (with a link) before not,
    newest period or saying, latest, highest id."""
    newest = (item.period_end or item.period_start) if item.is_figure else item.said_on
    # An item with no period (or day said) is as new as the report it came from.
    newest = newest or item.source.published_on
    published = item.published_at.timestamp() if item.published_at else float("-inf")
    return (
        -rank[0],
        -rank[1],
        item.status == Status.SUPERSEDED.value,
        not item.source.url,
        newest is None,
        -(newest.toordinal() if newest else 0),
        -published,
        -item.id,
    )


def _in_period(model: type[Item], period: tuple[date, date]) -> list[ColumnElement[bool]]:
    """Items whose period (or day said) overlaps the asked one; items with none are not "from 2020"."""
    start, end = period
    if model is Statistic:
        first = func.coalesce(Statistic.period_start, Statistic.period_end)
        last = func.coalesce(Statistic.period_end, Statistic.period_start)
        return [first.is_not(None), first <= end, last >= start]
    return [Quote.said_on.is_not(None), Quote.said_on >= start, Quote.said_on <= end]


_TSV: ColumnElement[Any] = literal_column("search_documents.tsv")
# The walk below looks at the newest PROBE answerable items first, and goes on (to WALK at most) only where
# enough of them match some of the words to find COUNT_CAP+1 such items within WALK.
PROBE = 500
WALK = 6000


@dataclass(frozen=True)
class Test:
    """One concept as a test of an item's search document (its words) or, with a family of entities, of its
    tags (one of them)."""

    held: ColumnElement[bool]
    family: frozenset[int]

    def tagged(
        self, model: type[Item], item: ColumnElement[int] | InstrumentedAttribute[int], *, per_item: bool
    ) -> ColumnElement[bool]:
        """`item` is tagged with one of the family. `per_item`: as a scalar subquery, one look-up of the
        item's tags, where PostgreSQL turns the semi-join in a select list into a hash of every tagged item
        (13,367 rows for Instagram's family, to test 2,341 items)."""
        link = statistic_entities if model is Statistic else quote_entities
        link_item = link.c.statistic_id if model is Statistic else link.c.quote_id
        one_of = link.c.entity_id.in_(sorted(self.family))
        if per_item:
            tags = select(func.bool_or(one_of)).where(link_item == item).scalar_subquery()
            return func.coalesce(tags, false())
        return select(link_item).where(link_item == item, one_of).exists()

    def walked(self, model: type[Item]) -> ColumnElement[bool]:
        """The test of an item outer-joined to its document (false, not NULL, where it has none)."""
        held = func.coalesce(self.held, false())
        return or_(held, self.tagged(model, model.id, per_item=True)) if self.family else held

    def of_document(self, model: type[Item]) -> ColumnElement[bool]:
        """The test as a filter of search documents."""
        if not self.family:
            return self.held
        return or_(self.held, self.tagged(model, SearchDocument.item_id, per_item=False))


def _newest_first(
    session: Session,
    model: type[Item],
    workspace_id: int,
    base: Select[Any],
    tests: list[Test],
    newest: InstrumentedAttribute[Any],
    recency: list[ColumnElement[Any]],
    wanted: int,
) -> tuple[list[int], int, list[int], int] | None:
    """What `_every_and_some` gives, without counting every match, where the question's words are common
    (PostgreSQL only; None where this way does not apply). The answer shows at most COUNT_CAP+1 of each
    total and the `wanted` newest of each list, so the answerable items are walked newest first
    (ix_statistics_answerable_newest / ix_quotes_answerable_newest give that order), each tested against
    its document and tags, until COUNT_CAP+1 matching only some words are found, and as many matching every
    word if as many come by then. Fewer of those: the documents matching every word, from the full-text
    index's intersection of the words that name no entity. Where few of the newest items match (rarer
    words), or every word names an entity, None: counting all matches is then the cheaper way
    (bench/RESULTS.md, issue 19 round 4)."""
    enough = max(COUNT_CAP + 1, wanted)
    plain = [test.held for test in tests if not test.family]
    if not plain:
        return None
    kind: Kind = "figure" if model is Statistic else "quote"
    scope = [SearchDocument.workspace_id == workspace_id, SearchDocument.kind == kind]
    concepts = sum((case((test.walked(model), 1), else_=0) for test in tests), literal(0)).label("concepts")
    walking = (
        base.outerjoin(SearchDocument, and_(SearchDocument.item_id == model.id, *scope))
        .add_columns(concepts, newest.label("newest"), model.published_at)
        .order_by(*recency)
    )
    probe = walking.limit(PROBE).subquery("probe")
    kinds = (probe.c.concepts == len(tests), and_(probe.c.concepts > 0, probe.c.concepts < len(tests)))
    near = session.execute(select(*[func.count().filter(k) for k in kinds]).select_from(probe)).one()
    # Walked only where enough of the newest items match that COUNT_CAP+1 come within WALK, as the probe's
    # share says: the walk goes as far as the longer list needs (each reads the walk's rows as it needs them).
    walked = [part for part, found in enumerate(near) if found * WALK >= enough * PROBE]
    if 1 not in walked:
        return None
    walk = walking.limit(WALK).cte("walk")
    lists = (walk.c.concepts == len(tests), and_(walk.c.concepts > 0, walk.c.concepts < len(tests)))
    parts = []
    for part in walked:
        # No ORDER BY here: it would read the whole walk; the walk's rows come newest first, and are sorted
        # again below.
        top = select(walk.c.id, walk.c.newest, walk.c.published_at).where(lists[part]).limit(wanted).subquery()
        parts.append(select(top, literal(part).label("part"), literal(0).label("total")))
        capped = select(walk.c.id).where(lists[part]).limit(enough).subquery()
        parts.append(select(null(), null(), null(), literal(part + 2), func.count()).select_from(capped))
    rows = _newest_rows(list(session.execute(union_all(*parts))))
    totals = {row.part - 2: row.total for row in rows if row.part >= 2}
    if totals[1] < enough:
        return None
    some = [row.id for row in rows if row.part == 1]
    every = [row.id for row in rows if row.part == 0]
    if totals.get(0, 0) < enough:
        every, totals[0] = _every_word(session, model, base, scope, tests, recency, wanted, enough)
    return every, min(totals[0], COUNT_CAP + 1), some, min(totals[1], COUNT_CAP + 1)


def _every_word(
    session: Session,
    model: type[Item],
    base: Select[Any],
    scope: list[ColumnElement[bool]],
    tests: list[Test],
    recency: list[ColumnElement[Any]],
    wanted: int,
    enough: int,
) -> tuple[list[int], int]:
    """The newest `wanted` answerable items matching every concept and how many do (up to `enough`), from the
    documents that do (the full-text index intersects the words naming no entity), gathered into one array:
    joined instead, the planner expects far more documents than match every word and hashes every
    answerable item to join them (190 ms for "instagram grooming", 1,850 documents)."""
    found = select(func.array_agg(SearchDocument.item_id)).where(*scope, *[t.of_document(model) for t in tests])
    # An expression, not a subquery, after ANY: one array, read once, and looked up by primary key.
    array = func.coalesce(found.scalar_subquery(), literal_column("'{}'::integer[]"))
    every = base.where(model.id == any_(array)).order_by(*recency).limit(enough).subquery()
    ids = list(session.scalars(select(every.c.id)))
    return ids[:wanted], len(ids)


def _newest_rows(rows: list[Row[Any]]) -> list[Row[Any]]:
    """Rows of (id, newest, published_at, ...) newest first, as `recency` (a union keeps no order; no date
    last; a placeholder for a missing date is only ever compared with another: the tuples differ before)."""
    return sorted(
        rows,
        key=lambda r: (r.newest is not None, r.newest or date.min, r.published_at is not None,
                       r.published_at or _EPOCH, r.id),
        reverse=True,
    )  # fmt: skip


def _every_and_some(
    session: Session,
    model: type[Item],
    base: Select[Any],
    hits: list[Select[Any]],
    asked: int,
    newest: InstrumentedAttribute[Any],
    wanted: int,
) -> tuple[list[int], int, list[int], int]:
    """The newest `wanted` items matching every one of the `asked` concepts and how many do, then the same
    for items matching only some, in one statement. Each concept's matches are read once and counted per
    item, where one query for each list and one count for each made the database build every concept's
    matches five times and test each of a workspace's items against all of them: a question of seven
    words over 100,000 figures took seconds (bench/RESULTS.md). `hits` holds one select per concept, each
    item at most once."""
    found = union_all(*hits).subquery("hits")
    # Joined before counting, so the database sees how many rows to expect (a hash join, not a probe per item).
    matched = (
        base.join(found, found.c.item_id == model.id)
        .group_by(model.id)
        .add_columns(func.count().label("concepts"), newest.label("newest"), model.published_at)
        .cte("matched")
    )
    recency = [matched.c.newest.desc().nulls_last(), matched.c.published_at.desc().nulls_last(), matched.c.id.desc()]
    parts = []
    for part, complete in enumerate((matched.c.concepts == asked, matched.c.concepts < asked)):
        top = select(matched).where(complete).order_by(*recency).limit(wanted).subquery()
        parts.append(select(top.c.id, top.c.newest, top.c.published_at, literal(part).label("part"),
                            literal(0).label("total")))  # fmt: skip
        parts.append(select(null(), null(), null(), literal(part + 2), func.count()).select_from(matched).where(complete))
    rows = list(session.execute(union_all(*parts)))
    # A union keeps no order: newest first again, as `recency` (no date last; a placeholder for a missing date
    # is only ever compared with another, since the tuples differ before it).
    rows.sort(key=lambda r: (r.newest is not None, r.newest or date.min, r.published_at is not None,
                             r.published_at or _EPOCH, r.id), reverse=True)  # fmt: skip
    every = [row.id for row in rows if row.part == 0]
    some = [row.id for row in rows if row.part == 1]
    totals = {row.part: min(row.total, COUNT_CAP + 1) for row in rows if row.part >= 2}
    return every, totals.get(2, 0), some, totals.get(3, 0)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _count(session: Session, query: Select[Any]) -> int:
    capped = query.limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def published_between(
    session: Session, workspace_id: int, model: type[Item], topic: str, after: datetime, until: datetime
) -> list[Item]:
    """Published items matching every word of a digest's topic (all items for an empty topic), approved (or
    their embargo lifted, whichever came later) after `after` and at or before `until`, best first. No
    spelling correction and no partial matches: a digest that guesses is worse than a short one."""
    shown_from = embargo.visible_from(model)
    window = [shown_from > after, shown_from <= until]
    found = _find_once(
        session, workspace_id, model, topic, DIGEST_LIMIT,
        statuses=(Status.PUBLISHED.value,), where=window, allow_partial=False,
    )  # fmt: skip
    return found.items


def corrected_between(
    session: Session, workspace_id: int, model: type[Item], topic: str, after: datetime, until: datetime
) -> list[Item]:
    """Once-published items matching a digest's topic that were retracted or superseded in the window."""
    window = [
        model.published_at.is_not(None),
        model.status_changed_at > after,
        model.status_changed_at <= until,
        # Withdrawn while still under embargo: nobody outside saw it, so there is nothing to correct.
        or_(model.embargo_until.is_(None), model.embargo_until <= model.status_changed_at),
    ]
    found = _find_once(
        session, workspace_id, model, topic, DIGEST_LIMIT,
        statuses=(Status.RETRACTED.value, Status.SUPERSEDED.value), where=window, allow_partial=False,
    )  # fmt: skip
    return found.items


def edited_between(
    session: Session, workspace_id: int, topic: str, published_by: datetime, after: datetime, until: datetime
) -> list[Statistic]:
    """Figures matching a digest's topic, published at or before `published_by` (so an earlier digest could
    have listed them), whose value, unit, period or place changed in the window (storage.edits)."""
    window = [
        Statistic.published_at <= published_by,
        Statistic.edited_at > after,
        Statistic.edited_at <= until,
    ]
    found = _find_once(
        session, workspace_id, Statistic, topic, DIGEST_LIMIT,
        statuses=(Status.PUBLISHED.value,), where=window, allow_partial=False,
    )  # fmt: skip
    return found.items


def vocabulary(session: Session, workspace_id: int, model: type[Item]) -> dict[str, str]:
    """Names a person might be reaching for, key -> shown name: an alias is shown as the words of the entity's
    own name it is ("meta" -> "Meta" of "Meta Platforms"), else as that name (an alias such as "facebook
    owned apps" is matched, never shown); then topics and, for quotes, speakers."""
    names: dict[str, str] = {}
    for alias, name in session.execute(
        select(EntityAlias.alias, Entity.name)
        .join(Entity, Entity.id == EntityAlias.entity_id)
        .where(EntityAlias.workspace_id == workspace_id)
    ):
        at = name.casefold().find(alias)
        names[alias] = (
            name[at : at + len(alias)] if at >= 0 and phrase_key(name[at : at + len(alias)]) else name
        )
    shown: list[str] = list(session.scalars(select(Topic.name).where(Topic.workspace_id == workspace_id)))
    if model is Quote:
        shown += session.scalars(
            select(Quote.speaker)
            .where(
                Quote.workspace_id == workspace_id,
                Quote.status.in_(ANSWERABLE),
                embargo.visible(Quote, None),  # a suggestion must not name an embargoed speaker
            )
            .distinct()
        )
    names.update((phrase_key(n), n) for n in shown)
    names.pop("", None)
    return names


def correct(
    session: Session, workspace_id: int, model: type[Item], question: str
) -> tuple[str | None, list[str]]:
    """A likely intended question for a misspelt one ("facebok" -> "facebook"), and near names to suggest."""
    known = vocabulary(session, workspace_id, model)
    known_words = sorted({w for name in known for w in name.split()})
    asked = search_terms(question)
    if not asked:
        return None, []
    fixed = []
    for word in asked:
        close = difflib.get_close_matches(word, known_words, n=1, cutoff=CORRECTION_CUTOFF)
        fixed.append(close[0] if close and word not in known_words else word)
    corrected = " ".join(fixed) if fixed != asked else None
    keys = difflib.get_close_matches(" ".join(asked), list(known), n=3, cutoff=SUGGESTION_CUTOFF)
    for word in asked:
        keys += difflib.get_close_matches(word, list(known), n=2, cutoff=SUGGESTION_CUTOFF)
    # Suggesting what was typed helps nobody ("No quotes match apple. Did you mean Apple?", "No figures match
    # encryption zebra. Did you mean encryption?"), nor the name of an alias typed ("nca" -> National Crime Agency).
    typed = f" {phrase_key(question)} "
    suggestions = [
        known[key] for key in keys if f" {phrase_key(known[key])} " not in typed and f" {key} " not in typed
    ]
    return corrected, list(dict.fromkeys(suggestions))[:3]
