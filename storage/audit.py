"""What the audit log keeps of a figure or quote, and the entry one change writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storage.models import AuditEntry, Quote, Statistic

Item = Statistic | Quote


def snapshot(item: Item) -> dict[str, Any]:
    """The item as plain JSON values: what the audit log keeps before and after a change."""
    common = {
        "status": item.status,
        "status_reason": item.status_reason,
        "source_id": item.source_id,
        "topics": sorted(topic.name for topic in item.topics),
        "entities": sorted(entity.name for entity in item.entities),
        "published_at": _json(item.published_at),
    }
    if isinstance(item, Quote):
        return {
            "text": item.text,
            "speaker": item.speaker,
            "speaker_role": item.speaker_role,
            "speaker_org": item.speaker_org,
            "said_on": _json(item.said_on),
            **common,
        }
    return {
        "value": _json(item.value),
        "unit": item.unit,
        "measure": item.measure,
        "period_start": _json(item.period_start),
        "period_end": _json(item.period_end),
        "geography": item.geography,
        "evidence": item.evidence,
        "superseded_by_id": item.superseded_by_id,
        **common,
    }


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def entry(item: Item, action: str, actor: str, before: dict[str, Any] | None, now: datetime) -> AuditEntry:
    return AuditEntry(
        workspace_id=item.workspace_id,
        item_kind="quote" if isinstance(item, Quote) else "statistic",
        item_id=item.id,
        action=action,
        actor=actor,
        at=now,
        before=before,
        after=snapshot(item),
    )
