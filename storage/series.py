"""A series held: the answerable figures that measure the same thing in the same place in the same unit, at
their periods' ends (what a chart draws; digests.build and storage.freshness key series the same way)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import embargo
from storage.models import ANSWERABLE, Statistic


def key_of(stat: Statistic) -> str | None:
    """The series a figure belongs to; None for a figure with no period end (it cannot be placed in time)."""
    if stat.period_end is None:
        return None
    return f"{stat.measure.casefold()}|{stat.geography.casefold()}|{stat.unit}"


def _of_measures(
    session: Session, workspace_id: int, measures: set[str], viewer: embargo.Viewer | None
) -> list[Statistic]:
    # Found by measure (lower-cased, as the freshness index reads it), then kept by their whole key.
    return list(
        session.scalars(
            select(Statistic).where(
                Statistic.workspace_id == workspace_id,
                Statistic.status.in_(ANSWERABLE),
                Statistic.period_end.is_not(None),
                func.lower(Statistic.measure).in_(sorted(measures)),
                embargo.visible(Statistic, viewer),
            )
        ).unique()
    )


def dates_held(
    session: Session, workspace_id: int, stats: Iterable[Statistic], viewer: embargo.Viewer | None = None
) -> dict[str, int]:
    """How many period ends each of these figures' series holds that `viewer` may see (None: anyone), in one
    query of four columns for all of them."""
    keys = {key for stat in stats if (key := key_of(stat)) is not None}
    if not keys:
        return {}
    rows = session.execute(
        select(Statistic.measure, Statistic.geography, Statistic.unit, Statistic.period_end)
        .distinct()
        .where(
            Statistic.workspace_id == workspace_id,
            Statistic.status.in_(ANSWERABLE),
            Statistic.period_end.is_not(None),
            func.lower(Statistic.measure).in_(sorted({key.split("|", 1)[0] for key in keys})),
            embargo.visible(Statistic, viewer),
        )
    )
    ends: dict[str, set[date]] = {}
    for measure, geography, unit, end in rows:
        key = f"{measure.casefold()}|{geography.casefold()}|{unit}"
        if key in keys and end is not None:
            ends.setdefault(key, set()).add(end)
    return {key: len(found) for key, found in ends.items()}


def held(
    session: Session, workspace_id: int, stat: Statistic, viewer: embargo.Viewer | None = None
) -> list[Statistic]:
    """Every answerable figure of `stat`'s series that `viewer` may see (None: anyone), oldest period first (a
    correction after what it corrects)."""
    key = key_of(stat)
    if key is None:
        return []
    points = [p for p in _of_measures(session, workspace_id, {key.split("|", 1)[0]}, viewer) if key_of(p) == key]
    return sorted(points, key=lambda p: (p.period_end or date.min, p.id))
