"""The link fetcher and article reader against a small site on 127.0.0.1 (no other traffic)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.article import from_text, read_article
from ingest.extract import extract, value_display
from ingest.fetch import FetchError, FetchSettings, check_address, decode, fetch
from tests.ingest_site import ARTICLE_HTML, SCRIPT_TEXT, Site, serving

FAST = FetchSettings(
    connect_timeout=0.5, read_timeout=0.5, deadline=1.0, max_bytes=256 * 1024, allow_loopback=True
)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serving() as running:
        yield running


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test: refusals must happen before connecting."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a connection was attempted to {args[0]!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)


def fetch_error(url: str, settings: FetchSettings = FAST) -> str:
    with pytest.raises(FetchError) as raised:
        fetch(url, settings=settings)
    return raised.value.message


def test_an_article_page_gives_its_main_text_title_publisher_and_date(site: Site) -> None:
    article = read_article(f"{site.url}/article", settings=FAST)
    assert article.title == "Analysis Finds Facebook Apps Used in Over Half of Online Child Sex Crimes"
    assert article.publisher == "Example Ministry News"
    assert article.published == "2021-03-04"
    assert article.url == f"{site.url}/article"
    assert "fifty-two percent" in article.text
    assert "9,477" in article.text
    assert article.text.startswith(article.title)


def test_scripts_styles_and_navigation_never_reach_the_text(site: Site) -> None:
    article = read_article(f"{site.url}/article", settings=FAST)
    assert SCRIPT_TEXT not in article.text
    assert "font-family" not in article.text
    assert "hidden-style-marker" not in article.text
    assert "Copyright Example Ministry" not in article.text


def test_a_plain_text_link_is_read_as_text_with_its_headline(site: Site) -> None:
    article = read_article(f"{site.url}/article.txt", settings=FAST)
    assert article.title == "Analysis Finds Facebook Apps Used in Over Half of Online Child Sex Crimes"
    assert article.publisher == "127.0.0.1"
    assert article.published is None


def test_a_redirect_is_followed_and_the_final_address_kept(site: Site) -> None:
    response = fetch(f"{site.url}/moved", settings=FAST)
    assert response.url == f"{site.url}/article"
    assert response.status == 200


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "that link gave 404 Not Found"),
        ("/loop/a", "that link redirects too many times"),
        ("/slow", "that page took longer than 0.5 seconds"),
        ("/trickle", "that page took longer than 1 second to download"),
        ("/endless", "that page is over 256 KB"),
        ("/declared-huge", "that page is over 256 KB"),
        ("/report.pdf", "statbot reads web pages and text, not PDFs or images"),
        ("/chart.png", "statbot reads web pages and text, not PDFs or images"),
        ("/unlabelled.pdf", "statbot reads web pages and text, not PDFs or images"),
        ("/archive.zip", "that link is a application/zip file; statbot reads web pages and text"),
        ("/to-ftp", "statbot only opens http and https links"),
        ("/bomb", "that page is over 256 KB"),
        ("/brotli", "that page is compressed with br, which statbot can't read"),
    ],
)
def test_a_bad_link_gives_a_plain_specific_message(site: Site, path: str, message: str) -> None:
    assert fetch_error(f"{site.url}{path}") == message


def test_the_404_error_carries_its_status(site: Site) -> None:
    with pytest.raises(FetchError) as raised:
        fetch(f"{site.url}/missing", settings=FAST)
    assert raised.value.status == 404


def test_an_endless_body_stops_at_the_cap_quickly(site: Site) -> None:
    began = time.monotonic()
    fetch_error(f"{site.url}/endless")
    assert time.monotonic() - began < 1.0


def test_a_slow_page_gives_up_at_the_read_timeout(site: Site) -> None:
    began = time.monotonic()
    fetch_error(f"{site.url}/slow")
    assert time.monotonic() - began < 1.5


def test_the_overall_deadline_caps_a_wait_for_headers(site: Site) -> None:
    impatient = FetchSettings(read_timeout=5, deadline=0.5, allow_loopback=True)
    began = time.monotonic()
    assert fetch_error(f"{site.url}/slow", impatient) == "that link took longer than 0.5 seconds to open"
    assert time.monotonic() - began < 1.0


def test_an_html_page_read_from_a_link_gives_the_same_candidates_as_the_text(site: Site) -> None:
    article = read_article(f"{site.url}/article", settings=FAST)
    extraction = extract(article.text, title=article.title)
    assert {value_display(f) for f in extraction.figures} == {"52%", "9,477"}
    assert "Andy Burrows" in {q.speaker for q in extraction.quotes}


def test_a_local_html_file_is_read_as_a_web_page(tmp_path: Path) -> None:
    page = tmp_path / "article.html"
    page.write_text(ARTICLE_HTML, encoding="utf-8")
    article = read_article(str(page))
    assert article.url is None
    assert article.title == "Analysis Finds Facebook Apps Used in Over Half of Online Child Sex Crimes"
    assert SCRIPT_TEXT not in article.text


def test_a_redirect_loop_stops_after_five_redirects(site: Site) -> None:
    before = len(site.requests)
    fetch_error(f"{site.url}/loop/a")
    assert len(site.requests) - before == 6  # the link itself and five redirects


def test_a_gzipped_page_is_decompressed(site: Site) -> None:
    assert SCRIPT_TEXT not in read_article(f"{site.url}/article.gz", settings=FAST).text
    assert "fifty-two percent" in decode(fetch(f"{site.url}/article.gz", settings=FAST))


def test_a_latin1_page_without_a_charset_is_decoded(site: Site) -> None:
    text = decode(fetch(f"{site.url}/latin1", settings=FAST))
    assert "café" in text
    assert "£2.70" in text
    article = read_article(f"{site.url}/latin1", settings=FAST)
    assert "£2.70" in article.text


def test_bytes_that_do_not_match_the_declared_charset_give_a_clear_error(site: Site) -> None:
    with pytest.raises(FetchError, match="says its text is utf-8, but it contains bytes that are not utf-8"):
        decode(fetch(f"{site.url}/bad-utf8", settings=FAST))


def test_a_redirect_to_a_private_address_is_refused_before_connecting(site: Site) -> None:
    message = fetch_error(f"{site.url}/to-private")
    assert message == "statbot doesn't open links to private or internal addresses like 10.0.0.1"


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "localhost"])
def test_private_and_loopback_hosts_are_refused_without_any_connection(
    no_connections: None, host: str
) -> None:
    strict = FetchSettings(allow_loopback=False)
    message = fetch_error(f"http://{host}:9/anything", settings=strict)
    assert message.startswith("statbot doesn't open links to private or internal addresses like")


def test_the_test_site_itself_is_refused_when_loopback_is_not_allowed(site: Site) -> None:
    before = len(site.requests)
    fetch_error(f"{site.url}/article", settings=FetchSettings())
    assert len(site.requests) == before


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(no_connections: None, address: str) -> None:
    with pytest.raises(FetchError, match="private or internal"):
        check_address(address, 80)


def test_allowing_loopback_still_refuses_other_private_addresses(no_connections: None) -> None:
    assert check_address("127.0.0.1", 80, allow_loopback=True) == "127.0.0.1"
    with pytest.raises(FetchError):
        check_address("10.0.0.1", 80, allow_loopback=True)


def test_a_public_address_is_allowed(no_connections: None) -> None:
    assert check_address("93.184.216.34", 443) == "93.184.216.34"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "statbot only opens http and https links"),
        ("file:///etc/passwd", "statbot only opens http and https links"),
        ("http:///nohost", "that doesn't look like a web address"),
    ],
)
def test_links_that_are_not_web_addresses_are_refused(no_connections: None, url: str, message: str) -> None:
    assert fetch_error(url) == message


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="there is no file called"):
        read_article(str(tmp_path / "nope.txt"))


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Foodbank hands out record parcels\n\nThe Trussell Trust said 3m parcels went out.",
            "Foodbank hands out record parcels",
        ),
        ("The Trussell Trust said 3m parcels went out.\n\nMore text.", None),
        ("Just one line with no body", None),
    ],
)
def test_plain_text_takes_a_first_line_as_title_only_if_it_reads_like_one(
    text: str, title: str | None
) -> None:
    assert from_text(text).title == title


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(FetchError, match=r"like news\.example \(10\.1\.2\.3\)"):
        check_address("news.example", 80)


def test_an_international_name_is_looked_up_in_its_ascii_form(
    monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    looked_up: list[str] = []

    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 80))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError, match="private or internal"):
        fetch("http://bücher.example/", settings=FAST)
    assert looked_up == ["xn--bcher-kva.example"]


def test_a_refused_file_type_is_not_downloaded(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body was read")

    monkeypatch.setattr(httpx.Response, "iter_raw", no_reading)
    for path in ("/report.pdf", "/chart.png", "/archive.zip"):
        with pytest.raises(FetchError, match="statbot reads web pages and text"):
            fetch(f"{site.url}{path}", settings=FAST)


def test_a_dns_lookup_that_hangs_gives_up_at_the_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: time.sleep(2))
    began = time.monotonic()
    with pytest.raises(FetchError, match=r"looking up news\.example took longer than 0\.5 seconds"):
        fetch("http://news.example/", settings=FAST)
    assert time.monotonic() - began < 1.0


def test_text_too_long_to_extract_in_good_time_is_refused_not_cut_short() -> None:
    with pytest.raises(FetchError, match=r"that article is too long for statbot \(20,000 words"):
        from_text("Title line\n\n" + "word " * 19_998)


def fetch_in_thread(url: str, settings: FetchSettings) -> str:
    """The fetch's error message, waited for generously: a fetch still running after 30 s fails the test."""
    outcome: list[str] = []

    def run() -> None:
        try:
            fetch(url, settings=settings)
            outcome.append("fetched")
        except FetchError as error:
            outcome.append(error.message)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert outcome, "the fetch was still waiting 30 s later, with a 1 s deadline"
    return outcome[0]


def test_the_deadline_bounds_a_server_that_drips_its_headers(site: Site) -> None:
    # Each header byte comes within the read timeout; only a deadline over the whole exchange stops it.
    dripped = FetchSettings(read_timeout=0.5, deadline=1.0, allow_loopback=True)
    assert fetch_in_thread(f"{site.url}/drip-headers", dripped) == "that link took longer than 1 second to open"


@pytest.mark.parametrize("address", ["2002:a00:1::1", "2002:7f00:1::1", "fec0::1", "fec0:ffff::1"])
def test_6to4_and_site_local_ipv6_addresses_are_refused(no_connections: None, address: str) -> None:
    with pytest.raises(FetchError, match="private or internal"):
        check_address(address, 80)


def test_a_malformed_location_header_gives_a_plain_message(site: Site) -> None:
    assert fetch_error(f"{site.url}/bad-location") == "that link redirects to an address that isn't valid"


def test_a_charset_that_is_not_a_text_encoding_gives_a_plain_message(site: Site) -> None:
    with pytest.raises(FetchError, match="an encoding statbot doesn't know"):
        decode(fetch(f"{site.url}/base64", settings=FAST))
