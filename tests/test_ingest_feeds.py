"""Feeds read through the safe fetcher: entries, conditional requests, and broken or removed feeds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.feeds import FeedEntry, FeedError, new_entries, parse_feed, read_feed
from ingest.fetch import FetchError, FetchSettings
from tests.ingest_site import ETAG, LAST_MODIFIED, Site, serving

FAST = FetchSettings(connect_timeout=0.5, read_timeout=0.5, deadline=1.0, allow_loopback=True)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serving() as running:
        yield running


def test_an_rss_feed_lists_its_entries_with_links_titles_dates_and_ids(site: Site) -> None:
    result = read_feed(f"{site.url}/feed.rss", settings=FAST)
    assert not result.not_modified
    assert result.entries[0] == FeedEntry(
        link="http://example.org/news/facebook-apps",
        title="Facebook apps used in half of online child sex crimes",
        published="2021-03-04",
        id="news-1",
    )
    second = result.entries[1]
    assert second.link == f"{site.url}/news/second"  # relative links resolve against the feed
    assert second.id == second.link  # no guid: the link identifies the entry
    assert (result.etag, result.last_modified) == (ETAG, LAST_MODIFIED)


def test_an_rss_feed_asked_again_with_its_etag_has_nothing_new(site: Site) -> None:
    first = read_feed(f"{site.url}/feed.rss", settings=FAST)
    again = read_feed(
        f"{site.url}/feed.rss", etag=first.etag, last_modified=first.last_modified, settings=FAST
    )
    assert again.not_modified
    assert again.entries == []
    assert (again.etag, again.last_modified) == (ETAG, LAST_MODIFIED)
    path, headers = site.requests[-1]
    assert path == "/feed.rss"
    assert headers["If-None-Match"] == ETAG


def test_an_atom_feed_asked_again_with_last_modified_has_nothing_new(site: Site) -> None:
    first = read_feed(f"{site.url}/feed.atom", settings=FAST)
    assert [e.link for e in first.entries] == ["http://example.org/helpline"]
    assert first.entries[0].id == "urn:example:1"
    assert first.entries[0].published == "2021-03-04"
    assert first.etag is None
    again = read_feed(f"{site.url}/feed.atom", last_modified=first.last_modified, settings=FAST)
    assert again.not_modified
    assert site.requests[-1][1]["If-Modified-Since"] == LAST_MODIFIED


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/broken.rss", "that feed is broken (its XML is malformed) and has no entries statbot can read"),
        ("/not-a-feed", "that link isn't an RSS or Atom feed statbot can read"),
        ("/gone.rss", "that feed is gone (410 Gone): the site has removed it"),
    ],
)
def test_a_broken_or_removed_feed_gives_a_feed_error(site: Site, path: str, message: str) -> None:
    with pytest.raises(FeedError) as raised:
        read_feed(f"{site.url}{path}", settings=FAST)
    assert raised.value.message == message


def test_a_missing_feed_gives_the_fetch_error(site: Site) -> None:
    with pytest.raises(FetchError, match="that link gave 404 Not Found"):
        read_feed(f"{site.url}/nowhere.rss", settings=FAST)


def test_a_feed_on_a_private_address_is_refused(site: Site) -> None:
    with pytest.raises(FetchError, match="private or internal"):
        read_feed(f"{site.url}/feed.rss", settings=FetchSettings())


def test_feed_text_that_looks_like_a_url_is_parsed_not_fetched() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"http://10.0.0.1/feed.rss", url="http://example.org/feed")


def test_new_entries_skips_the_seen_ones_and_lists_oldest_first(site: Site) -> None:
    result = read_feed(f"{site.url}/feed.rss", settings=FAST)
    assert [e.title for e in new_entries(result, seen=set())] == [
        "Second story",
        "Facebook apps used in half of online child sex crimes",
    ]
    assert [e.title for e in new_entries(result, seen={"news-1"})] == ["Second story"]
