"""What the audit log keeps of a figure or quote, and the entry one change writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from storage.models import Quote, Statistic

Item = Statistic | Quote


QUOTE_FIELDS = ("text", "speaker", "speaker_role", "speaker_org", "said_on")
FIGURE_FIELDS = (
    "value", "unit", "measure", "period_start", "period_end", "geography", "evidence", "superseded_by_id",
    "producer_id",
)  # fmt: skip


def values(kind: str, fields: Mapping[str, Any], topics: list[str], entities: list[str]) -> dict[str, Any]:
    """An item's fields (a row's columns) as the plain JSON values the audit log keeps."""
    own = QUOTE_FIELDS if kind == "quote" else FIGURE_FIELDS
    return {
        **{name: v if type(v := fields.get(name)) in _AS_IS else _json(v) for name in own},
        "status": fields["status"],
        "status_reason": fields["status_reason"],
        "source_id": fields["source_id"],
        "topics": sorted(topics),
        "entities": sorted(entities),
        "published_at": _json(fields["published_at"]),
    }


def snapshot(item: Item) -> dict[str, Any]:
    """The item as plain JSON values: what the audit log keeps before and after a change."""
    kind = "quote" if isinstance(item, Quote) else "figure"
    names = (
        *(QUOTE_FIELDS if kind == "quote" else FIGURE_FIELDS),
        "status",
        "status_reason",
        "source_id",
        "published_at",
    )
    return values(
        kind, {name: getattr(item, name) for name in names}, [t.name for t in item.topics],
        [e.name for e in item.entities],
    )  # fmt: skip


_AS_IS = frozenset({str, int, type(None)})  # most fields: nothing to convert
# An import's rows share a few periods and one time of publication: each written once. The key has the zone
# too, since equal instants in two zones are equal datetimes but not the same text.
_ISO: dict[tuple[Any, ...], str] = {}


def _json(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date | datetime):
        key = (kind, value, getattr(value, "tzinfo", None))
        found = _ISO.get(key)
        if found is None:
            if len(_ISO) > 4096:
                _ISO.clear()
            found = _ISO[key] = value.isoformat()
        return found
    return value
