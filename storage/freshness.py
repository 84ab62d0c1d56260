"""How old a figure's data is, and when its series is next expected: stored dates compared with today.

A series is the figures that measure the same thing in the same place in the same unit (as digests define
it). An editor sets the date the next release is expected; nothing is recomputed as days pass. The date
stops warning once a figure of the series with a later period is stored: that release has come.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from storage import embargo, write
from storage.models import ANSWERABLE, AuditEntry, SeriesRelease, Statistic, Status, utcnow
from storage.partial_date import PartialDate, Precision, human_period

# A release this close is "due soon" in the weekly note; within its month (or on its day) it is "due".
SOON_DAYS = 7
MAX_MONTHS = 240
_MONTHS = re.compile(r"^\d{1,3}$")
LIVE = (*ANSWERABLE, Status.PENDING.value)


class State(StrEnum):
    EXPECTED = "expected"  # set, and not yet near
    SOON = "soon"  # within SOON_DAYS
    DUE = "due"  # today falls in the expected month (or is the expected day)
    OVERDUE = "overdue"  # past it, and no newer figure of the series stored
    ARRIVED = "arrived"  # a figure with a later period is stored


def series_key(measure: str, geography: str, unit: str) -> str:
    """The series a figure belongs to: same measure, place and unit (digests.build.series_key, with no period)."""
    return f"{measure.casefold()}|{(geography or '').casefold()}|{unit}"


def key_of(stat: Statistic) -> str:
    return series_key(stat.measure, stat.geography, stat.unit)


def months_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class BadWhen(ValueError):
    """What an editor typed is neither a number of months nor a month or day."""


def parse_when(text: str, stat: Statistic) -> PartialDate:
    """`12` (months after the figure's period ends), `2027-03` or `2027-03-15`, as the date expected."""
    text = text.strip()
    if _MONTHS.match(text):
        months = int(text)
        if not 1 <= months <= MAX_MONTHS:
            raise BadWhen(f"months must be between 1 and {MAX_MONTHS}")
        end = stat.period[1] or stat.period[0]
        if end is None:
            raise BadWhen("this figure has no period to count months from: give a date such as 2027-03")
        return PartialDate(months_after(end.last_day, months), Precision.MONTH)
    try:
        when = PartialDate.parse(text)
    except ValueError:
        raise BadWhen(f"{text!r} is neither months nor a date such as 2027-03") from None
    if when.precision is Precision.YEAR:
        raise BadWhen("say the month at least, e.g. 2027-03")
    return when


@dataclass(frozen=True)
class Release:
    """A series' expected release as it stands today."""

    key: str
    expected: PartialDate
    state: State
    latest_end: date | None

    def line(self, shown: Callable[[PartialDate], str] = PartialDate.human) -> str | None:
        """The warning an answer shows, or None when there is nothing to say; `shown` writes the date
        (answers pass Slack's date formatting, so a day is read in each reader's own locale)."""
        when = shown(self.expected)
        if self.state is State.OVERDUE:
            return f":warning: *A newer release was due {when}* and is not stored yet: check for it before citing"
        if self.state is State.DUE:
            return f":hourglass: *A newer release is due {when}*: check for it before citing"
        if self.state is State.SOON:
            return f":hourglass: A newer release is expected {when}"
        if self.state is State.EXPECTED:
            return f"Next release expected {when}"
        return None


def state(expected: PartialDate, after_end: date | None, latest_end: date | None, today: date) -> State:
    if after_end is not None and latest_end is not None and latest_end > after_end:
        return State.ARRIVED
    if today > expected.last_day:
        return State.OVERDUE
    if today >= expected.day:
        return State.DUE
    if (expected.day - today).days <= SOON_DAYS:
        return State.SOON
    return State.EXPECTED


def _latest_ends(
    session: Session, workspace_id: int, keys: set[str], viewer: embargo.Viewer | None = None
) -> dict[str, date]:
    """Each series' latest period end among answerable figures (one query for all of them); answers count
    only what their reader may see (a newer release under embargo has not arrived for them)."""
    measures = {key.split("|", 1)[0] for key in keys}
    rows = session.execute(
        select(Statistic.measure, Statistic.geography, Statistic.unit, func.max(Statistic.period_end))
        .where(
            Statistic.workspace_id == workspace_id,
            Statistic.status.in_(ANSWERABLE),
            func.lower(Statistic.measure).in_(measures),
            embargo.visible(Statistic, viewer) if viewer is not None else true(),
        )
        .group_by(Statistic.measure, Statistic.geography, Statistic.unit)
    )
    latest: dict[str, date] = {}
    for measure, geography, unit, end in rows:
        key = series_key(measure, geography, unit)
        if key in keys and end is not None and (key not in latest or end > latest[key]):
            latest[key] = end
    return latest


def releases(
    session: Session,
    workspace_id: int,
    stats: Iterable[Statistic],
    today: date,
    viewer: embargo.Viewer | None = None,
) -> dict[str, Release]:
    """The expected releases of these figures' series, by series key; series with no date are left out."""
    keys = {key_of(stat) for stat in stats}
    if not keys:
        return {}
    rows = list(
        session.scalars(
            select(SeriesRelease).where(
                SeriesRelease.workspace_id == workspace_id, SeriesRelease.series_key.in_(keys)
            )
        )
    )
    return _as_releases(session, workspace_id, rows, today, viewer)


def _as_releases(
    session: Session,
    workspace_id: int,
    rows: Sequence[SeriesRelease],
    today: date,
    viewer: embargo.Viewer | None = None,
) -> dict[str, Release]:
    latest = _latest_ends(session, workspace_id, {row.series_key for row in rows}, viewer) if rows else {}
    return {
        row.series_key: Release(
            row.series_key,
            row.expected,
            state(row.expected, row.after_period_end, latest.get(row.series_key), today),
            latest.get(row.series_key),
        )
        for row in rows
    }


def all_releases(session: Session, workspace_id: int, today: date) -> list[Release]:
    rows = list(session.scalars(select(SeriesRelease).where(SeriesRelease.workspace_id == workspace_id)))
    return sorted(_as_releases(session, workspace_id, rows, today).values(), key=lambda r: r.expected.day)


def set_next_release(
    session: Session, stat: Statistic, when: PartialDate | None, *, actor: str, now: datetime | None = None
) -> SeriesRelease | None:
    """Set (or with None clear) when the figure's series is next expected, logged on the figure's history."""
    now = now or utcnow()
    key = key_of(stat)
    row = session.scalar(
        select(SeriesRelease).where(
            SeriesRelease.workspace_id == stat.workspace_id, SeriesRelease.series_key == key
        )
    )
    before = {"next_release": row.expected.iso() if row else None}
    if when is None:
        if row is not None:
            session.delete(row)
        row = None
    else:
        latest = _latest_ends(session, stat.workspace_id, {key}).get(key)
        ends = [d for d in (latest, stat.period_end) if d is not None]
        if row is None:
            row = SeriesRelease(workspace_id=stat.workspace_id, series_key=key)
            session.add(row)
        row.expected_on, row.expected_precision = when.day, when.precision.value
        row.after_period_end = max(ends) if ends else None
        row.set_by, row.set_at = actor, now
    session.flush()
    after = {"next_release": when.iso() if when else None}
    write.note(session, stat, "expected_update", actor=actor, now=now, before=before, after=after)
    return row


def age_in_words(end: date, today: date) -> str:
    """How old data ending on `end` is today: "6 years old", "1 year old", "5 months old"."""
    months = (today.year - end.year) * 12 + today.month - end.month - (1 if today.day < end.day else 0)
    if months < 0:
        return "not over yet"
    if months < 1:
        return "less than a month old"
    if months < 12:
        return f"{months} month{'s' if months != 1 else ''} old"
    years = months // 12
    return f"{years} year{'s' if years != 1 else ''} old"


def period_line(stat: Statistic, today: date) -> str | None:
    """ "data from Oct 2019 - Sep 2020, 6 years old"; None when the figure gives no period."""
    start, end = stat.period
    shown = human_period(start, end)
    if shown is None:
        return None
    last = end or start
    assert last is not None
    prefix = "data from" if start and end and start != end else "data for" if start == end else "data"
    return f"{prefix} {shown}, {age_in_words(last.last_day, today)}"


def history_detail(entry: AuditEntry) -> str:
    """How `/stats history` describes a change of the expected release."""
    after = (entry.after or {}).get("next_release")
    return f" (next release {after})" if after else " (next release cleared)"
