"""Read an RSS or Atom feed through the safe fetcher, remembering ETag/Last-Modified so a poll is cheap."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as defused_fromstring

from ingest.fetch import FEED_TYPES, FetchError, FetchSettings, fetch


class FeedError(FetchError):
    """A feed is gone or isn't a feed; the message is for the person who added it."""


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str | None
    published: str | None  # "YYYY-MM-DD" as the feed gives it (published, else updated)
    id: str  # the entry's guid/id, else its link: what a poller remembers as seen


@dataclass(frozen=True)
class FeedResult:
    url: str  # after redirects: a poller should store this if the feed has moved
    entries: list[FeedEntry]  # empty when nothing changed since the last poll
    not_modified: bool
    etag: str | None  # send these back on the next poll
    last_modified: str | None


def read_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    settings: FetchSettings | None = None,
) -> FeedResult:
    try:
        response = fetch(url, accept=FEED_TYPES, settings=settings, etag=etag, last_modified=last_modified)
    except FetchError as error:
        if error.status == 410:
            raise FeedError("that feed is gone (410 Gone): the site has removed it", status=410) from None
        raise
    if response.not_modified:
        return FeedResult(
            response.url, [], True, etag or response.etag, last_modified or response.last_modified
        )
    return FeedResult(
        response.url,
        parse_feed(response.body, url=response.url, content_type=response.content_type),
        False,
        response.etag,
        response.last_modified,
    )


# A declaration anywhere in the bytes, in ASCII-compatible encodings or UTF-16: what the byte scan refuses
# when expat itself could not read the document (feedparser converts such bodies to UTF-8 and tries again).
_DECLARATION = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_WIDE_DECLARATION = re.compile("<!\\s*(doctype|entity)", re.IGNORECASE)


def refuse_declarations(body: bytes) -> None:
    """FeedError if the feed declares a DTD or entities: nested entities crash older expat (CVE-2024-8176).

    The bytes are parsed with defusedxml first (no DTD, no entities, no external references); a body that
    isn't well-formed XML is left to feedparser's forgiving parser, after a byte scan for declarations.
    """
    try:
        defused_fromstring(body, forbid_dtd=True)
        return
    except DefusedXmlException:
        refused = True
    except (ParseError, ValueError):
        refused = _DECLARATION.search(body) is not None or any(
            _WIDE_DECLARATION.search(body.decode(codec, errors="ignore"))
            for codec in ("utf-16-le", "utf-16-be")
        )
    if refused:
        raise FeedError("that feed declares a DTD or entities, which statbot refuses to read for safety")


def parse_feed(body: bytes, *, url: str, content_type: str = "application/xml") -> list[FeedEntry]:
    """Entries with a link, from feed bytes already fetched (feedparser is never given a URL to open)."""
    refuse_declarations(body)
    import feedparser  # here, not at import: a web worker that reads no feed never loads it

    parsed = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url, "content-type": content_type}
    )
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("that link isn't an RSS or Atom feed statbot can read")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        entries.append(
            FeedEntry(
                link=str(link),
                title=str(entry["title"]).strip() or None if entry.get("title") else None,
                published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                id=str(entry.get("id") or link),
            )
        )
    # feedparser salvages what it can from malformed XML; that is only useful if it found linked entries.
    if parsed.get("bozo") and not entries:
        raise FeedError("that feed is broken (its XML is malformed) and has no entries statbot can read")
    return entries


def _date(parsed: Any) -> str | None:
    if not isinstance(parsed, time.struct_time):
        return None
    return time.strftime("%Y-%m-%d", parsed)


def new_entries(result: FeedResult, seen: Collection[str]) -> list[FeedEntry]:
    """Entries a poller hasn't handled yet, oldest first as feeds list newest first."""
    return [entry for entry in reversed(result.entries) if entry.id not in seen]
