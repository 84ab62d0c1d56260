"""Edits people must see: a published figure whose value, unit, period or place changed says so for 30 days.

The write path (storage.write.update) stamps `edited_at` and `edited_fields` on the figure; the audit log
keeps what it said before, which History shows and digests quote ("was 9,477").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry, Statistic
from storage.partial_date import PartialDate, Precision, human_period
from storage.text import format_value

# How long answers and citations say a figure changed: long enough for a campaign that cited it to hear.
SHOWN_DAYS = 30


@dataclass(frozen=True)
class Edit:
    """When a figure last changed in what a citation copies, and which of value, period and place did."""

    at: datetime
    fields: tuple[str, ...]

    @property
    def what(self) -> str:
        """ "value", "value and period" """
        return " and ".join(self.fields) if self.fields else "details"


def recent(stat: Statistic, today: date) -> Edit | None:
    """The figure's last change of value, unit, period or place, if it was less than SHOWN_DAYS ago."""
    if stat.edited_at is None:
        return None
    at = stat.edited_at if stat.edited_at.tzinfo else stat.edited_at.replace(tzinfo=UTC)
    if not at.date() <= today < at.date() + timedelta(days=SHOWN_DAYS):
        return None
    return Edit(at, tuple(stat.edited_fields.split()))


def before(session: Session, stat: Statistic, since: datetime) -> dict[str, Any] | None:
    """The figure as it stood before its first edit after `since` (what a channel was sent), from the log."""
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.workspace_id == stat.workspace_id,
            AuditEntry.item_kind == "figure",
            AuditEntry.item_id == stat.id,
            AuditEntry.action == "edit",
            AuditEntry.at > since,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    for entry in entries:
        if entry.before and entry.after and _shown(entry.before, stat) != _shown(entry.after, stat):
            return entry.before
    return None


def was(snapshot: dict[str, Any], stat: Statistic, then: dict[str, Any] | None = None) -> str:
    """What an audit snapshot said of the figure's value, period and place, where those differ from `then`
    (another snapshot) or from now: "9,477 (Oct 2019 - Sep 2020)"."""
    old, new = _shown(snapshot, stat), _shown(then if then is not None else _now(stat), stat)
    parts = [old["value"]] if old["value"] != new["value"] else []
    parts += [p for name in ("period", "place") if old[name] != new[name] and (p := old[name])]
    if not parts:
        return ""
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _now(stat: Statistic) -> dict[str, Any]:
    return {
        "value": f"{stat.value.normalize():f}", "unit": stat.unit, "geography": stat.geography,
        "period_start": stat.period_start.isoformat() if stat.period_start else None,
        "period_end": stat.period_end.isoformat() if stat.period_end else None,
    }  # fmt: skip


def _shown(snapshot: dict[str, Any], stat: Statistic) -> dict[str, str]:
    """Value, period and place of an audit snapshot as answers write them (the period at today's precision:
    the log keeps the days, not how precisely they were given)."""
    try:
        value = format_value(Decimal(str(snapshot.get("value"))), str(snapshot.get("unit") or stat.unit))
    except InvalidOperation:
        value = str(snapshot.get("value") or "")
    precision = Precision(stat.period_precision or Precision.DAY.value)
    start, end = (
        PartialDate(date.fromisoformat(day), precision) if isinstance(day, str) and day else None
        for day in (snapshot.get("period_start"), snapshot.get("period_end"))
    )
    return {"value": value, "period": human_period(start, end) or "", "place": str(snapshot.get("geography") or "")}
