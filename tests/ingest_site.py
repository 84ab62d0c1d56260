"""A small web site on 127.0.0.1 port 0 for the fetcher tests: articles, errors, traps and feeds."""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SCRIPT_TEXT = "trackVisitorSecretlyNow"
GOLD = Path(__file__).resolve().parent / "gold" / "articles"
NSPCC = (GOLD / "nspcc-facebook-apps-2021.txt").read_text(encoding="utf-8")
NSPCC_TITLE, _, NSPCC_BODY = NSPCC.partition("\n")

ARTICLE_HTML = f"""<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{NSPCC_TITLE} | Example Ministry</title>
<meta property="og:title" content="{NSPCC_TITLE}">
<meta property="og:site_name" content="Example Ministry News">
<meta property="article:published_time" content="2021-03-04T09:00:00Z">
<style>body {{ font-family: serif; }} .hidden-style-marker {{ color: red; }}</style>
<script>var tracker = "{SCRIPT_TEXT}"; window.track(tracker);</script>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>{NSPCC_TITLE}</h1>
{"".join(f"<p>{escape(p.strip())}</p>" for p in NSPCC_BODY.split(chr(10)) if p.strip())}
<script>document.write("{SCRIPT_TEXT}");</script>
</article>
<footer>Copyright Example Ministry</footer>
</body></html>"""

LATIN1_HTML = (
    "<html><head><title>Caf\u00e9 prices</title></head><body><article>"
    "<p>The caf\u00e9 on the high street said a school lunch now costs \u00a32.70, up from \u00a32.30 "
    "last year, according to the council's own figures for the \u00e9cole partnership.</p>"
    "<p>Parents told the na\u00efve reporter that the r\u00e9sum\u00e9 of costs was worrying.</p>"
    "</article></body></html>"
).encode("latin-1")

ETAG = '"feed-v1"'
LAST_MODIFIED = "Wed, 03 Mar 2021 10:00:00 GMT"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example Ministry</title><link>http://example.org/</link>
<item><title>Facebook apps used in half of online child sex crimes</title>
<link>http://example.org/news/facebook-apps</link><guid isPermaLink="false">news-1</guid>
<pubDate>Thu, 04 Mar 2021 09:00:00 GMT</pubDate></item>
<item><title>Second story</title><link>/news/second</link>
<pubDate>Fri, 05 Mar 2021 09:00:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Atom</title><id>urn:example</id>
<updated>2021-03-04T09:00:00Z</updated>
<entry><title>Helpline calls rise</title><id>urn:example:1</id>
<link href="http://example.org/helpline"/><updated>2021-03-04T09:00:00Z</updated></entry>
</feed>"""

# Newest first, as feeds list them; every article drips its headers for a minute.
DRIP_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Slow news</title>
<item><title>Third</title><link>/drip/3</link></item>
<item><title>Second</title><link>/drip/2</link></item>
<item><title>First</title><link>/drip/1</link></item>
</channel></rss>"""

BROKEN_FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Oops</title><item><title>half"


@dataclass
class Site:
    url: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


Route = Callable[[BaseHTTPRequestHandler], None]


def _send(
    handler: BaseHTTPRequestHandler, status: int, content_type: str | None, body: bytes, **headers: str
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(target: str) -> Route:
    return lambda h: _send(h, 302, "text/plain", b"", Location=target)


def _slow(h: BaseHTTPRequestHandler) -> None:
    time.sleep(2)
    _send(h, 200, "text/html", b"<p>too late</p>")


def _trickle(h: BaseHTTPRequestHandler) -> None:
    """Each byte arrives well within the read timeout, but the whole page never finishes in time."""
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    for _ in range(40):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.1)


def _drip_headers(h: BaseHTTPRequestHandler) -> None:
    """A header byte every 50 ms, each well within any read timeout, for a minute: headers never end."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Drip: ")
    closing: threading.Event = getattr(h.server, "closing", threading.Event())
    for _ in range(1200):
        if closing.is_set():  # the test is over: hang up rather than hold its threads for a minute
            break
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.05)
    h.close_connection = True


def _endless(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    chunk = b"all work and no play " * 3000
    while True:  # until the client hangs up
        h.wfile.write(chunk)


def _declared_huge(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(10 * 1024**3))
    h.end_headers()
    h.wfile.write(b"<p>start</p>")


def _conditional(body: bytes, content_type: str, **validators: str) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        etag = validators.get("ETag")
        modified = validators.get("Last_Modified")
        if (etag and h.headers.get("If-None-Match") == etag) or (
            modified and h.headers.get("If-Modified-Since") == modified
        ):
            h.send_response(304)
            h.end_headers()
            return
        _send(h, 200, content_type, body, **validators)

    return route


# 20 MB of zeros that travel as about 20 KB; made once, before any request waits on it.
GZIP_BOMB = gzip.compress(b"\0" * 20 * 1024 * 1024)


ROUTES: dict[str, Route] = {
    "/article.gz": lambda h: _send(
        h, 200, "text/html; charset=utf-8", gzip.compress(ARTICLE_HTML.encode()), Content_Encoding="gzip"
    ),
    "/bomb": lambda h: _send(h, 200, "text/html", GZIP_BOMB, Content_Encoding="gzip"),
    "/brotli": lambda h: _send(h, 200, "text/html", b"\x1b\x00", Content_Encoding="br"),
    "/article": lambda h: _send(h, 200, "text/html; charset=utf-8", ARTICLE_HTML.encode()),
    "/article.txt": lambda h: _send(h, 200, "text/plain; charset=utf-8", NSPCC.encode()),
    "/moved": lambda h: _send(h, 301, None, b"", Location="/article"),
    "/missing": lambda h: _send(h, 404, "text/html", b"<h1>Not here</h1>"),
    "/loop/a": _redirect("/loop/b"),
    "/loop/b": _redirect("/loop/a"),
    "/to-private": _redirect("http://10.0.0.1/admin"),
    "/to-ftp": _redirect("ftp://example.org/file.txt"),
    "/slow": _slow,
    "/drip-headers": _drip_headers,
    "/drip/1": _drip_headers,
    "/drip/2": _drip_headers,
    "/drip/3": _drip_headers,
    "/drip-feed.rss": lambda h: _send(h, 200, "application/rss+xml", DRIP_FEED),
    "/bad-location": lambda h: _send(h, 302, "text/plain", b"", Location="http://[::1/admin"),
    "/base64": lambda h: _send(h, 200, "text/html; charset=base64", b"PHA+aGk8L3A+"),
    "/trickle": _trickle,
    "/endless": _endless,
    "/declared-huge": _declared_huge,
    "/report.pdf": lambda h: _send(h, 200, "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    "/chart.png": lambda h: _send(h, 200, "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    "/unlabelled.pdf": lambda h: _send(h, 200, None, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
    "/archive.zip": lambda h: _send(h, 200, "application/zip", b"PK\x03\x04"),
    "/latin1": lambda h: _send(h, 200, "text/html", LATIN1_HTML),
    "/bad-utf8": lambda h: _send(h, 200, "text/html; charset=utf-8", b"<p>caf\xe9 \xff\xfe broken</p>"),
    "/feed.rss": _conditional(RSS, "application/rss+xml", ETag=ETAG, Last_Modified=LAST_MODIFIED),
    "/feed.atom": _conditional(ATOM, "application/atom+xml", Last_Modified=LAST_MODIFIED),
    "/broken.rss": lambda h: _send(h, 200, "application/rss+xml", BROKEN_FEED),
    "/gone.rss": lambda h: _send(h, 410, "text/html", b"<h1>Gone</h1>"),
    "/not-a-feed": lambda h: _send(h, 200, "text/html", b"<html><body><p>Just a page</p></body></html>"),
}


@contextmanager
def serving(tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> Iterator[Site]:
    """The site over http, or over https with `tls`, named `host` in the returned URL."""
    site = Site(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append((self.path, dict(self.headers)))
            route = ROUTES.get(self.path)
            try:
                if route is None:
                    _send(self, 404, "text/plain", b"no such route")
                else:
                    route(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading, as it should for the endless page

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    closing = threading.Event()
    server.closing = closing  # type: ignore[attr-defined]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    site.url = f"{'https' if tls else 'http'}://{host}:{server.server_port}"
    try:
        yield site
    finally:
        closing.set()
        server.shutdown()
        server.server_close()
