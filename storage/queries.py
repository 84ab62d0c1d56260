"""Finding figures and quotes for a question: entities and their families, full text, near misses."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from storage.models import (
    ANSWERABLE,
    Entity,
    EntityAlias,
    Quote,
    Statistic,
    Status,
    Topic,
    quote_entities,
    statistic_entities,
)
from storage.search import Kind, matches, phrase_key, search_terms, words

Item = TypeVar("Item", Statistic, Quote)

MAX_PHRASE_WORDS = 5
# How alike a typed word must be to a known name before we search for the name instead.
CORRECTION_CUTOFF = 0.8
SUGGESTION_CUTOFF = 0.6
COUNT_CAP = 1000
# A digest shows 30 items and counts the rest; past this many it says "and more" all the same.
DIGEST_LIMIT = 500


@dataclass
class Found(Generic[Item]):
    """What a question found: the best `items` (up to the limit), how many in all, and how it was read."""

    items: list[Item]
    total: int
    more_than_total: bool = False  # there are more than `total` (the count stops at COUNT_CAP)
    entities: list[Entity] = field(default_factory=list)
    corrected_to: str | None = None  # the question we answered instead of a misspelt one
    partial: bool = False  # no item matched every word; these match some
    suggestions: list[str] = field(default_factory=list)


def entity_phrases(session: Session, workspace_id: int, text: str) -> tuple[list[Entity], list[str]]:
    """Entities named in the text by name or alias (longest phrase first), and the words left over."""
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
    ).all()
    by_alias: dict[str, list[Entity]] = {}
    for alias, entity in rows:
        by_alias.setdefault(alias, []).append(entity)
    used = [False] * len(tokens)
    found: list[Entity] = []
    for alias in sorted(by_alias, key=lambda a: -grams[a][1]):
        start, length = grams[alias]
        if any(used[start : start + length]):
            continue
        used[start : start + length] = [True] * length
        found += [e for e in by_alias[alias] if e not in found]
    leftover = " ".join(t for t, u in zip(tokens, used, strict=True) if not u)
    return found, search_terms(leftover)


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
    session: Session, workspace_id: int, model: type[Item], question: str, *, limit: int = 20
) -> Found[Item]:
    """Answer a question with the most relevant, newest answerable items of this workspace only."""
    found = _find_once(session, workspace_id, model, question, limit)
    if found.total:
        return found
    corrected, suggestions = correct(session, workspace_id, model, question)
    if corrected:
        retry = _find_once(session, workspace_id, model, corrected, limit)
        if retry.total:
            retry.corrected_to = corrected
            return retry
    found.suggestions = suggestions
    return found


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
    kind: Kind = "statistic" if model is Statistic else "quote"
    entities, leftover = entity_phrases(session, workspace_id, question)
    # An empty digest topic means every new item; an empty question (or only stop words) finds nothing.
    if not entities and not leftover and (question.strip() or allow_partial):
        return Found(items=[], total=0)

    link = statistic_entities if model is Statistic else quote_entities
    link_item = link.c.statistic_id if model is Statistic else link.c.quote_id

    def linked(entity_ids: Iterable[int]) -> ColumnElement[bool]:
        """The item is tagged with one of these entities (a semi-join on the link table's primary key)."""
        return select(link_item).where(link_item == model.id, link.c.entity_id.in_(list(entity_ids))).exists()

    query: Select[int] = select(model.id).where(model.workspace_id == workspace_id, *where)
    # Items naming an entity asked about come before those reached through its family (Meta for Instagram).
    named: ColumnElement[bool] | None = None
    if entities:
        named = linked(e.id for e in entities)
        query = query.where(linked(family_ids(session, entities)))
    partial = False
    fts = None
    if leftover:
        fts = matches(session, workspace_id, kind, leftover)
        if (
            allow_partial
            and not entities
            and not _exists(
                session, query.where(model.status.in_(statuses)).join(fts, fts.c.item_id == model.id)
            )
        ):
            fts = matches(session, workspace_id, kind, leftover, any_term=True)
            partial = True
        query = query.join(fts, fts.c.item_id == model.id)

    # Counting every match of a broad question costs more than ranking them; past the cap, "1,000+" will do.
    answerable = query.where(model.status.in_(statuses))
    capped = answerable.limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0

    # The order: named before family, best text match, superseded after the figures that replaced them,
    # then the newest period, the latest approval and the highest id.
    newest = Statistic.period_end if model is Statistic else Quote.said_on
    recency: list[ColumnElement[Any]] = [
        newest.desc().nulls_last(),
        model.published_at.desc().nulls_last(),
        model.id.desc(),
    ]
    current = [s for s in statuses if s != Status.SUPERSEDED.value]
    superseded = [s for s in statuses if s == Status.SUPERSEDED.value]
    ranked: list[int] = []
    if fts is not None:
        # Text matches are ranked by score, so there is no index order to follow: rank the matches.
        order: list[ColumnElement[Any]] = []
        if named is not None:
            order.append(case((named, 0), else_=1))
        order += [fts.c.score.desc(), case((model.status == Status.SUPERSEDED.value, 1), else_=0), *recency]
        ranked = list(session.scalars(answerable.order_by(*order).limit(limit)))
    else:
        # Rank in slices that each follow an index (workspace, status, newest first): named then family,
        # current then superseded. A slice stops at the few rows still wanted, so a family of 100,000
        # figures costs as little as one of ten.
        for by_name in [named, ~named] if named is not None else [None]:
            for group in (current, superseded):
                wanted = limit - len(ranked)
                if not group or wanted <= 0:
                    continue
                status = model.status == group[0] if len(group) == 1 else model.status.in_(group)
                piece = query.where(status) if by_name is None else query.where(status, by_name)
                ranked += session.scalars(piece.order_by(*recency).limit(wanted))
    # Load the few winners whole: sorting thousands of candidates with their sources joined on is what
    # made large libraries slow.
    loaded = {item.id: item for item in session.scalars(select(model).where(model.id.in_(ranked))).unique()}
    items = [loaded[item_id] for item_id in ranked]
    return Found(
        items=items,
        total=min(total, COUNT_CAP),
        more_than_total=total > COUNT_CAP,
        entities=entities,
        partial=partial and total > 0,
    )


def published_between(
    session: Session, workspace_id: int, model: type[Item], topic: str, after: datetime, until: datetime
) -> list[Item]:
    """Published items matching every word of a digest's topic (all items for an empty topic), approved
    after `after` and at or before `until`, best first. No spelling correction and no partial matches:
    a digest that guesses is worse than a short one."""
    window = [model.published_at > after, model.published_at <= until]
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
    ]
    found = _find_once(
        session, workspace_id, model, topic, DIGEST_LIMIT,
        statuses=(Status.RETRACTED.value, Status.SUPERSEDED.value), where=window, allow_partial=False,
    )  # fmt: skip
    return found.items


def _exists(session: Session, query: Select[Any]) -> bool:
    return session.scalar(select(query.limit(1).exists())) or False


def vocabulary(session: Session, workspace_id: int, model: type[Item]) -> dict[str, str]:
    """Names a person might be reaching for (entities, aliases, topics; speakers for quotes), key -> shown name."""
    names: dict[str, str] = {}
    for alias, name in session.execute(
        select(EntityAlias.alias, Entity.name)
        .join(Entity, Entity.id == EntityAlias.entity_id)
        .where(EntityAlias.workspace_id == workspace_id)
    ):
        names[alias] = _shown_alias(alias, name)
    shown: list[str] = list(session.scalars(select(Topic.name).where(Topic.workspace_id == workspace_id)))
    if model is Quote:
        shown += session.scalars(
            select(Quote.speaker)
            .where(Quote.workspace_id == workspace_id, Quote.status.in_(ANSWERABLE))
            .distinct()
        )
    names.update((phrase_key(n), n) for n in shown)
    names.pop("", None)
    return names


def _shown_alias(alias: str, name: str) -> str:
    """An alias as the entity's own name writes it ("meta" in "Meta Platforms" -> "Meta"), else capitalised."""
    at = name.casefold().find(alias)
    if at >= 0:
        return name[at : at + len(alias)]
    return alias.upper() if len(alias) <= 4 else alias.title()


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
    return corrected, list(dict.fromkeys(known[key] for key in keys))[:3]
