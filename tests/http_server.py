"""Serve the real WSGI app (Bolt behind bot.web) on 127.0.0.1 port 0 in a thread, for HTTP-level tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.web import Web, WSGIApp

# How long a test's app may take to finish the work it started after its acks, once the test is over.
DRAIN_SECONDS = 60


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def static_site(pages: dict[str, tuple[str, bytes]]) -> WSGIApp:
    """A WSGI app serving fixed pages by path ({path: (content type, body)}), 404 for anything else."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = pages.get(environ["PATH_INFO"])
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            return [b"<h1>Not here</h1>"]
        start_response("200 OK", [("Content-Type", found[0])])
        return [found[1]]

    return application


@contextmanager
def serving(application: WSGIApp) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        # The app's work after its acks finishes here, while the Slack stand-in it talks to is still up:
        # left running, it would post into the next test's stand-in or fail against a closed one.
        if isinstance(application, Web) and not application.drain(DRAIN_SECONDS):
            raise AssertionError(f"the app was still at work {DRAIN_SECONDS} s after its test ended")


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{p}</title><link>{base}{p}</link><guid>{base}{p}</guid></item>" for p in paths
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>News</title>{items}</channel></rss>".encode()
