"""What the audit log keeps of a figure or quote, and the entry one change writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
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


class JsonText(str):
    """A JSON value already written as text: the bulk writer (storage.write) stores it as it is."""

    __slots__ = ()  # no room for a __dict__: an import makes one per entry


def values_json(
    kind: str, rows: Sequence[Mapping[str, Any]], topics: Sequence[list[str]], entities: Sequence[list[str]]
) -> list[JsonText]:
    """`json.dumps(values(...))` of each row, the same text, written a column at a time: a text column in
    one map, any other value once per distinct value (an import's rows share periods, sources, statuses and
    one time of publication), each row then one string formatting."""
    own = QUOTE_FIELDS if kind == "quote" else FIGURE_FIELDS
    names = (*own, "status", "status_reason", "source_id", "topics", "entities", "published_at")
    columns = [_encoded([row.get(name) for row in rows]) for name in own]
    columns += [_encoded([row[name] for row in rows]) for name in ("status", "status_reason", "source_id")]
    columns += [_encoded_lists(topics), _encoded_lists(entities)]
    columns.append(_encoded([row["published_at"] for row in rows]))
    # json.dumps' own separators and key order; the values are arguments, so a "%" in them is only text.
    template = "{" + ", ".join(f"{encode_basestring_ascii(name)}: %s" for name in names) + "}"
    return [JsonText(template % parts) for parts in zip(*columns, strict=True)]


def _encoded(column: list[Any]) -> list[str]:
    """Each value of a column as json.dumps writes `_json` of it."""
    if all(type(value) is str for value in column):
        return list(map(encode_basestring_ascii, column))  # json.dumps' own encoder of a str
    seen: dict[tuple[Any, ...], str] = {}
    encoded: list[str] = []
    for value in column:
        kind = type(value)
        if kind is Decimal:  # nearly all distinct, and 0 and -0 are equal keys but not the same text
            encoded.append(encode_basestring_ascii(f"{value.normalize():f}"))
            continue
        key = (kind, value, _zone(value))
        text = seen.get(key)
        if text is None:
            text = seen[key] = json.dumps(_json(value))
        encoded.append(text)
    return encoded


def _encoded_lists(lists: Sequence[list[str]]) -> list[str]:
    """Each list sorted, as json.dumps writes it, once per distinct list."""
    seen: dict[tuple[str, ...], str] = {}
    encoded: list[str] = []
    for names in lists:
        key = tuple(names)
        text = seen.get(key)
        if text is None:
            text = seen[key] = json.dumps(sorted(names))
        encoded.append(text)
    return encoded


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


def _zone(value: Any) -> Any:
    """A datetime's zone, for keys of values already written: equal instants in two zones are two texts.
    Only a datetime has one (getattr with a default raised and caught an AttributeError per other value)."""
    return value.tzinfo if isinstance(value, datetime) else None


def _json(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date | datetime):
        key = (kind, value, _zone(value))
        found = _ISO.get(key)
        if found is None:
            if len(_ISO) > 4096:
                _ISO.clear()
            found = _ISO[key] = value.isoformat()
        return found
    return value
