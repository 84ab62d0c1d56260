"""Figures that disagree: found from what is stored, whenever asked (import, review, ingest, answers).

Two kinds, each a pair of figures that cannot both be what a press officer cites:
- *values*: the same measure, period and place with different values (or units);
- *periods*: the same figure (same producer, value and unit, and the same measure or evidence sentence)
  reported by different sources with different periods.
Nothing is stored about a conflict until an editor chooses the house figure (`HouseFigure`): a conflict is
settled while the choice covers every figure now in it, so a new disagreeing figure opens it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session, lazyload, object_session

from storage import embargo
from storage.models import ANSWERABLE, HouseFigure, Statistic, Status, utcnow
from storage.word_forms import root

LIVE = (*ANSWERABLE, Status.PENDING.value)
# Two measures say the same thing when most of the shorter one's words (by root) are in the longer one.
MEASURE_OVERLAP = 0.6
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "over",
        "than",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "with",
        "who",
        "which",
        "what",
        "when",
        "where",
        "compared",
        "previous",
        "last",
        "year",
        "years",
    ]
)
CANDIDATE_LIMIT = 400
BUCKET_LIMIT = 200


class Reason(StrEnum):
    DEFINITION = "definition"
    PERIOD = "period"
    PLACE = "place"
    ROUNDING = "rounding"
    REPORTER_ERROR = "reporter error"


EXPLAINED = {
    Reason.DEFINITION: "they may count different things under one name (a definition)",
    Reason.PERIOD: "the same release is given with different periods",
    Reason.PLACE: "the same release is given for different places",
    Reason.ROUNDING: "one is a rounded form of the other",
    Reason.REPORTER_ERROR: "one looks mistyped (a slipped digit or decimal point)",
}


class Kind(StrEnum):
    VALUES = "values"
    PERIODS = "periods"


@dataclass
class Conflict:
    """Figures that disagree, the likeliest reason, and the house figure if an editor chose one for all of them."""

    kind: Kind
    figures: list[Statistic]
    reason: Reason
    house: HouseFigure | None = None
    ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = frozenset(f.id for f in self.figures)

    @property
    def settled(self) -> bool:
        return self.house is not None

    def others(self, stat: Statistic) -> list[Statistic]:
        return [f for f in self.figures if f.id != stat.id]


# Memoised: a listing compares every pair within a bucket, and the same measure text recurs.
@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


@lru_cache(maxsize=65536)
def _roots(text: str) -> frozenset[str]:
    return frozenset(root(w) for w in _WORD.findall(text.casefold()) if w not in _STOP)


def producer(stat: Statistic) -> str:
    """Who produced the figure: its own producer, else as its reporter's source cites it ("" when not recorded)."""
    if stat.producer is not None:
        return _norm(stat.producer.publisher or stat.producer.title)
    chain = stat.source.chain()
    return _norm(chain[1].publisher or chain[1].title) if len(chain) > 1 else ""


def same_measure(a: str, b: str) -> bool:
    if _norm(a) == _norm(b):
        return True
    ra, rb = _roots(a), _roots(b)
    return bool(ra and rb) and len(ra & rb) / min(len(ra), len(rb)) >= MEASURE_OVERLAP


def _period(stat: Statistic) -> tuple[object, object]:
    return (stat.period_start, stat.period_end)


def disagree(a: Statistic, b: Statistic) -> Kind | None:
    """Whether two figures conflict, and how."""
    if a.id == b.id or a.workspace_id != b.workspace_id:
        return None
    if a.superseded_by_id == b.id or b.superseded_by_id == a.id:
        return None
    same_place = _norm(a.geography) == _norm(b.geography)
    if (
        _norm(a.measure) == _norm(b.measure)
        and _period(a) == _period(b)
        and same_place
        and (a.value != b.value or a.unit != b.unit)
    ):
        return Kind.VALUES
    if (
        a.value == b.value
        and a.unit == b.unit
        and _period(a) != _period(b)
        and a.source_id != b.source_id
        and producer(a)
        and producer(a) == producer(b)
        and (same_measure(a.measure, b.measure) or (a.evidence and _norm(a.evidence) == _norm(b.evidence)))
    ):
        return Kind.PERIODS
    return None


def _significant(value: Decimal) -> int:
    digits = value.normalize().as_tuple().digits
    return max(1, len(digits))


def _rounds_to(precise: Decimal, rounded: Decimal) -> bool:
    """Whether `rounded` is `precise` rounded to `rounded`'s own significant digits (9,500 from 9,477)."""
    if rounded == 0 or precise == 0:
        return False
    exponent = rounded.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return (
        precise.quantize(Decimal(1).scaleb(exponent)) == rounded.normalize()
        if exponent <= 0
        else (round(precise / Decimal(10) ** exponent) * Decimal(10) ** exponent == rounded)
    )


def _mistyped(a: Decimal, b: Decimal) -> bool:
    """A slipped decimal point (a factor of 10, 100, 1000) or the same digits in another order."""
    if a == 0 or b == 0:
        return False
    ratio = max(a, b) / min(abs(a), abs(b))
    if ratio in (10, 100, 1000):
        return True
    da, db = sorted(str(abs(a.normalize()))), sorted(str(abs(b.normalize())))
    return da == db


def likely_reason(a: Statistic, b: Statistic) -> Reason:
    if _period(a) != _period(b):
        return Reason.PLACE if _norm(a.geography) != _norm(b.geography) else Reason.PERIOD
    if a.unit != b.unit:
        return Reason.DEFINITION
    coarse, fine = sorted((a.value, b.value), key=_significant)
    if _significant(coarse) < _significant(fine) and _rounds_to(fine, coarse):
        return Reason.ROUNDING
    if _mistyped(a.value, b.value):
        return Reason.REPORTER_ERROR
    return Reason.DEFINITION


def _candidates(
    session: Session, workspace_id: int, stats: Sequence[Statistic], viewer: embargo.Viewer | None = None
) -> list[Statistic]:
    """Figures that might disagree with any of `stats`: the same measure, or the same value and unit.

    One query, each side on an index (ix_statistics_measure, ix_statistics_value), at most CANDIDATE_LIMIT
    rows, and without the subjects and topics answers load: an answer costs one more read."""
    if not stats:
        return []
    measures = {s.measure for s in stats}
    pairs = {(s.value, s.unit) for s in stats}
    # No ORDER BY: with one, a planner may walk the whole primary key backwards looking for rare matches.
    query = (
        select(Statistic)
        .where(
            Statistic.workspace_id == workspace_id,
            Statistic.status.in_(LIVE),
            or_(Statistic.measure.in_(measures), Statistic.value.in_({value for value, _ in pairs})),
            embargo.visible(Statistic, viewer) if viewer is not None else true(),
        )
        .options(lazyload(Statistic.entities), lazyload(Statistic.topics))
        .limit(CANDIDATE_LIMIT)
    )
    return [s for s in session.scalars(query) if s.measure in measures or (s.value, s.unit) in pairs]


def _houses(session: Session, workspace_id: int) -> list[HouseFigure]:
    return list(
        session.scalars(
            select(HouseFigure)
            .where(HouseFigure.workspace_id == workspace_id)
            .order_by(HouseFigure.id.desc())
        )
    )


def _bucket(stat: Statistic, kind: Kind) -> tuple[object, ...]:
    """Figures can disagree only within one bucket: so pairs are compared within buckets, never all pairs."""
    if kind is Kind.VALUES:
        return (_norm(stat.measure), *_period(stat), _norm(stat.geography))
    return (stat.value, stat.unit, producer(stat))


def _parts(bucket: list[Statistic], kind: Kind) -> list[list[Statistic]]:
    """A bucket as compared pair by pair; a very large one (one producer's many figures of one value) only
    within the same measure words or the same sentence, so a listing stays quick: like wording is then
    not matched, exact wording still is."""
    if kind is Kind.VALUES or len(bucket) <= BUCKET_LIMIT:
        return [bucket]
    parts: dict[tuple[str, str], list[Statistic]] = {}
    for stat in bucket:
        parts.setdefault(("measure", _norm(stat.measure)), []).append(stat)
        if stat.evidence:
            parts.setdefault(("evidence", _norm(stat.evidence)), []).append(stat)
    return list(parts.values())


def _top(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _groups(stats: Sequence[Statistic], pool: Sequence[Statistic]) -> list[Conflict]:
    """The conflicts among `pool` that involve any of `stats`: figures joined by disagreeing, per kind."""
    by_id = {s.id: s for s in pool} | {s.id: s for s in stats}
    found: list[Conflict] = []
    for kind in Kind:
        buckets: dict[tuple[object, ...], list[Statistic]] = {}
        for stat in by_id.values():
            buckets.setdefault(_bucket(stat, kind), []).append(stat)
        parent = {i: i for i in by_id}
        for bucket in buckets.values():
            for part in _parts(bucket, kind):
                for n, a in enumerate(part):
                    for b in part[n + 1 :]:
                        if disagree(a, b) is kind:
                            parent[_top(parent, a.id)] = _top(parent, b.id)
        groups: dict[int, list[Statistic]] = {}
        for stat in by_id.values():
            groups.setdefault(_top(parent, stat.id), []).append(stat)
        wanted = {s.id for s in stats}
        for members in groups.values():
            if len(members) > 1 and wanted & {m.id for m in members}:
                members.sort(key=lambda s: s.id)
                found.append(Conflict(kind, members, likely_reason(members[0], members[1])))
    return found


def _settle(conflicts: list[Conflict], houses: Sequence[HouseFigure]) -> list[Conflict]:
    for conflict in conflicts:
        for house in houses:  # newest choice first
            if house.statistic_id in conflict.ids and conflict.ids <= set(house.members):
                chosen = next(f for f in conflict.figures if f.id == house.statistic_id)
                if chosen.status in ANSWERABLE:
                    conflict.house = house
                    break
    return conflicts


def for_figures(
    session: Session,
    workspace_id: int,
    stats: Sequence[Statistic],
    *,
    whole: bool = False,
    viewer: embargo.Viewer | None = None,
) -> list[Conflict]:
    """Every conflict any of these figures is in (pending ones included, for review).

    Answers look one step out (what disagrees with a figure shown); `whole` looks a step further, so a
    group is whole when a house figure is chosen for it. Answers say who is asking (`viewer`): a figure
    under embargo they may not see is not named to them as disagreeing; review and import look at all."""
    stats = [s for s in stats if s.id is not None]
    if not stats:
        return []
    pool = _candidates(session, workspace_id, stats, viewer)
    if whole:
        shown = {s.id for s in stats}
        pool = [*pool, *_candidates(session, workspace_id, [p for p in pool if p.id not in shown], viewer)]
    groups = _groups(stats, pool)
    return _settle(groups, _houses(session, workspace_id)) if groups else []


def of_stored(stat: Statistic) -> list[Conflict]:
    """`for_figures` of one figure, in the session it was loaded in (none for a figure not stored)."""
    session = object_session(stat)
    return (
        for_figures(session, stat.workspace_id, [stat]) if session is not None and stat.id is not None else []
    )


def by_figure(conflicts: Iterable[Conflict]) -> dict[int, list[Conflict]]:
    found: dict[int, list[Conflict]] = {}
    for conflict in conflicts:
        for stat_id in conflict.ids:
            found.setdefault(stat_id, []).append(conflict)
    return found


def all_conflicts(session: Session, workspace_id: int) -> list[Conflict]:
    """Every conflict among published figures anyone may see (`/stats conflicts` is for everyone: nothing
    under embargo); candidates are measures or values that occur more than once."""
    repeated_measure = (
        select(func.lower(Statistic.measure))
        .where(Statistic.workspace_id == workspace_id, Statistic.status.in_(ANSWERABLE))
        .group_by(func.lower(Statistic.measure))
        .having(func.count() > 1)
    )
    repeated_value = (
        select(Statistic.value)
        .where(Statistic.workspace_id == workspace_id, Statistic.status.in_(ANSWERABLE))
        .group_by(Statistic.value)
        .having(func.count() > 1)
    )
    pool = list(
        session.scalars(
            select(Statistic)
            .where(
                Statistic.workspace_id == workspace_id,
                Statistic.status.in_(ANSWERABLE),
                embargo.visible(Statistic, None),
                or_(
                    func.lower(Statistic.measure).in_(repeated_measure),
                    Statistic.value.in_(repeated_value),
                ),
            )
            .order_by(Statistic.id)
        )
    )
    return _settle(_groups(pool, pool), _houses(session, workspace_id))


class NotInConflict(ValueError):
    """The figure chosen disagrees with nothing (or is not published)."""


def choose_house(
    session: Session, stat: Statistic, reason: str, *, actor: str, now: datetime | None = None
) -> tuple[HouseFigure, Conflict]:
    """Record `stat` as the house figure of the conflicts it is in, with the editor's reason."""
    if stat.status not in ANSWERABLE:
        raise NotInConflict(f"figure #{stat.id} is {stat.status}, not published")
    conflicts = for_figures(session, stat.workspace_id, [stat], whole=True)
    if not conflicts:
        raise NotInConflict(f"figure #{stat.id} disagrees with no other figure")
    members = sorted({i for c in conflicts for i in c.ids})
    house = HouseFigure(
        workspace_id=stat.workspace_id, statistic_id=stat.id, members=members, reason=reason,
        chosen_by=actor, chosen_at=now or utcnow(),
    )  # fmt: skip
    session.add(house)
    session.flush()
    for conflict in conflicts:
        conflict.house = house
    return house, conflicts[0]


def involving_after(session: Session, workspace_id: int, after_id: int) -> list[Conflict]:
    """The conflicts a batch of new figures (ids above `after_id`, an import's) brought in."""
    return [c for c in all_conflicts(session, workspace_id) if any(i > after_id for i in c.ids)]


def last_id(session: Session, workspace_id: int) -> int:
    return session.scalar(select(func.max(Statistic.id)).where(Statistic.workspace_id == workspace_id)) or 0
