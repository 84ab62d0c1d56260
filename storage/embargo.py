"""Embargoes: a figure or quote hidden from everyone but editors and whoever added it until an instant.

The instant is stored in UTC (`embargo_until`) with the zone it was given in (`embargo_zone`), for display.
Who sees what is one rule, `visible`, applied by every reading route (answers, the App Home, exports,
digests, citations, mentions); with no viewer given, the strictest one applies (anyone at all), so a
route that forgets to say who is asking hides embargoed items rather than showing them. Lifting early
sets the instant to the moment of lifting: the item's visibility starts then, which is what digests count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session

from storage import roles
from storage.models import ANSWERABLE, LibraryVersion, Quote, Statistic, utcnow

Item = Statistic | Quote
FORMAT = "`2027-01-15 09:00 Europe/London` (a date, a 24-hour time and a time zone; UTC if none)"
_TYPED = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?(?:\s+(\S+))?\s*$")


class Invalid(ValueError):
    """An embargo that cannot be read; the message says how to write one."""


@dataclass(frozen=True)
class Embargo:
    until: datetime  # UTC
    zone: str

    def human(self) -> str:
        """The instant in the zone it was given in: "15 Jan 2027 09:00 Europe/London"."""
        local = self.until.astimezone(_zone(self.zone))
        return f"{local:%d %b %Y %H:%M} {self.zone}"

    def typed(self) -> str:
        """As a person types it, and `parse` reads it back: "2027-01-15 09:00 Europe/London"."""
        local = self.until.astimezone(_zone(self.zone))
        return f"{local:%Y-%m-%d %H:%M} {self.zone}"


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and when: editors see every embargoed item, anyone else only their own. The default
    is anyone at all (a shared answer, a digest, an export)."""

    user_id: str = ""
    editor: bool = False
    now: datetime = field(default_factory=utcnow)


def viewer(session: Session | Connection, workspace_id: int, user_id: str | None, now: datetime) -> Viewer:
    if not user_id:
        return Viewer(now=now)
    if isinstance(session, Session):
        return Viewer(user_id, roles.is_editor(session, workspace_id, user_id), now)
    with Session(session) as bound:
        return Viewer(user_id, roles.is_editor(bound, workspace_id, user_id), now)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Invalid(
            f"{name!r} is not a time zone; use one like Europe/London or America/New_York"
        ) from error


def parse(typed: str, now: datetime | None = None) -> Embargo:
    """`2027-01-15 09:00 Europe/London` (or `2027-01-15T09:00`, or a date alone: midnight) as an Embargo;
    one already past (when `now` is given) is refused."""
    found = _TYPED.match(typed or "")
    if found is None:
        raise Invalid(f"an embargo is written like {FORMAT}, not {typed.strip()!r}")
    day_text, time_text, zone_name = found.groups()
    try:
        day = date.fromisoformat(day_text)
        hour, minute = (int(part) for part in (time_text or "00:00").split(":"))
        at = time(hour, minute)
    except ValueError as error:
        raise Invalid(f"{typed.strip()!r} is not a real date and time; write it like {FORMAT}") from error
    zone = zone_name or "UTC"
    until = datetime.combine(day, at, tzinfo=_zone(zone)).astimezone(UTC)
    if now is not None and until <= now:
        raise Invalid(f"{Embargo(until, zone).human()} has already passed")
    return Embargo(until, zone)


def of(item: Item) -> Embargo | None:
    """The item's embargo, whether or not it has lifted."""
    if item.embargo_until is None:
        return None
    return Embargo(_aware(item.embargo_until), item.embargo_zone or "UTC")


def active(item: Item, now: datetime) -> Embargo | None:
    """The item's embargo while it holds."""
    embargo = of(item)
    return embargo if embargo is not None and embargo.until > now else None


def hidden(item: Item, seen_by: Viewer | None) -> bool:
    """Whether this viewer may not see the item yet."""
    seen_by = seen_by or Viewer()
    if active(item, seen_by.now) is None or seen_by.editor:
        return False
    return not (seen_by.user_id and item.created_by == seen_by.user_id)


def visible(model: type[Statistic] | type[Quote], seen_by: Viewer | None) -> ColumnElement[bool]:
    """The rule as SQL: items not embargoed, lifted by now, or (for that viewer) their own; all for editors."""
    seen_by = seen_by or Viewer()
    if seen_by.editor:
        return true()
    allowed = or_(model.embargo_until.is_(None), model.embargo_until <= seen_by.now)
    if seen_by.user_id:
        allowed = or_(allowed, model.created_by == seen_by.user_id)
    return allowed


def visible_from(model: type[Statistic] | type[Quote]) -> ColumnElement[Any]:
    """When everyone could first see the item: published, or its embargo lifted, whichever is later
    (what a digest's "since the last one" counts)."""
    return case(
        (
            and_(model.embargo_until.is_not(None), model.embargo_until > model.published_at),
            model.embargo_until,
        ),
        else_=model.published_at,
    )


def _soonest() -> list[Any]:
    return [
        select(func.min(model.embargo_until))
        .where(
            model.workspace_id == bindparam("workspace_id"),
            model.embargo_until > bindparam("now"),
            model.status.in_(ANSWERABLE),
        )
        .scalar_subquery()
        for model in (Statistic, Quote)
    ]


# Built once, at import: they run before every answer (beside the library version), so are not built anew.
_NEXT_LIFT = select(*_soonest())
_VERSION_AND_NEXT_LIFT = select(LibraryVersion.version, *_soonest()).where(LibraryVersion.id == 1)


def next_lift(connection: Session | Connection, workspace_id: int, now: datetime) -> datetime | None:
    """The next instant an answerable item of the workspace stops being embargoed, if any is."""
    row = connection.execute(_NEXT_LIFT, {"workspace_id": workspace_id, "now": now}).one()
    return min((_aware(t) for t in row if t is not None), default=None)


def version_and_next_lift(
    connection: Session | Connection, workspace_id: int, now: datetime
) -> tuple[int | None, datetime | None]:
    """The library version and the next embargo's lift, in one read: what a kept answer is valid for."""
    row = connection.execute(_VERSION_AND_NEXT_LIFT, {"workspace_id": workspace_id, "now": now}).one_or_none()
    if row is None:
        return None, next_lift(connection, workspace_id, now)
    return row[0], min((_aware(t) for t in row[1:] if t is not None), default=None)


def sees_more(connection: Session | Connection, seen_by: Viewer, workspace_id: int) -> bool:
    """Whether this viewer sees an embargoed item anyone else would not (then their answers are their own)."""
    if seen_by.editor:
        return True
    if not seen_by.user_id:
        return False
    own = [
        select(model.id)
        .where(
            model.workspace_id == workspace_id,
            model.embargo_until > seen_by.now,
            model.created_by == seen_by.user_id,
            model.status.in_(ANSWERABLE),
        )
        .exists()
        for model in (Statistic, Quote)
    ]
    return bool(connection.execute(select(or_(*own))).scalar())


def note(item: Item, now: datetime) -> str | None:
    """What an editor (or the item's author) is told beside an embargoed item they can see."""
    embargo = active(item, now)
    if embargo is None:
        return None
    return f":lock: Embargoed until {embargo.human()}: only editors and whoever added it see it until then."


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
