"""The WSGI application gunicorn serves: Slack's events endpoint (Bolt verifies signatures) and a health check."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from sqlalchemy import Engine, text

from bot import logs
from bot.app import create_app
from bot.config import Settings
from bot.listener_pool import ListenerPool
from bot.verified import well_formed_timestamp
from storage.db import make_engine, make_sessions

log = logging.getLogger("statbot.web")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Slack's own requests are a few kilobytes; anything this large is refused before it is parsed.
MAX_BODY = 1_000_000
FIELD_LIMIT = 100


def request_fields(body: bytes) -> dict[str, str]:
    """What a log line may say about a Slack request: team, user, command or action. Never its text or token.

    The body may not be Slack's (a refused request is logged too): any shape gives fields or none, cut short."""
    try:
        fields = _fields(body)
    except (AttributeError, TypeError, IndexError):  # a payload of the wrong shape
        return {}
    return {name: value[:FIELD_LIMIT] for name, value in fields.items()}


def _fields(body: bytes) -> dict[str, str]:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except json.JSONDecodeError:
            return {}
        if not isinstance(payload, dict):
            return {}
        actions = payload.get("actions") or [{}]
        return {
            "team": str((payload.get("team") or {}).get("id", "")),
            "user": str((payload.get("user") or {}).get("id", "")),
            "command": str(payload.get("type", "")),
            "action": str(actions[0].get("action_id", "") or payload.get("view", {}).get("callback_id", "")),
        }
    return {
        "team": form.get("team_id", ""),
        "user": form.get("user_id", ""),
        "command": form.get("command", ""),
    }


class SlackEvents(SlackRequestHandler):
    """Bolt's WSGI handler, refusing what Slack never sends before Bolt reads it.

    A timestamp that is not a number would make Bolt's signature check raise, and hand the unverified body to
    the error handler: 401 here. A body Bolt cannot parse (bad JSON in `payload=`, JSON that is not an object,
    bytes that are not UTF-8) would raise out of Bolt as a 500 with a traceback: 400 here.
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        headers = request.get_headers()
        timestamp = headers.get("x-slack-request-timestamp")  # a str: one value per header in WSGI
        if timestamp is not None and not well_formed_timestamp(str(timestamp)):
            log.warning("refused a request whose timestamp is not a number")
            return BoltResponse(status=401, body={"error": "invalid request"})
        try:
            bolt_request = BoltRequest(body=request.get_body(), query=request.query_string, headers=headers)
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; JSON of the wrong shape fails on .get()
        except (ValueError, AttributeError, TypeError) as error:
            log.warning("refused a request whose body Bolt cannot read (%s)", error.__class__.__name__)
            return BoltResponse(status=400, body="This is not a request Slack sends.")
        if not isinstance(bolt_request.body, dict):
            log.warning("refused a request whose body is not an object")
            return BoltResponse(status=400, body="This is not a request Slack sends.")
        return self.app.dispatch(bolt_request)


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure to reach it is the answer, not a crash
        log.warning("health check: database unreachable (%s)", error.__class__.__name__)
        return False


@dataclass(frozen=True)
class Web:
    """The WSGI app, and the pools running the work it does after its acks (drained by whoever stops it)."""

    handle: WSGIApp
    pools: tuple[ListenerPool, ...]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.handle(environ, start_response)

    def drain(self, timeout: float) -> bool:
        """Let the work after the acks finish (up to `timeout` seconds in all); True if it all did."""
        deadline = time.monotonic() + timeout
        # A list, not a generator: every pool is drained and shut even when an earlier one ran out of time.
        return all([pool.drain(max(deadline - time.monotonic(), 0)) for pool in self.pools])


def create_wsgi(settings: Settings) -> Web:
    engine = make_engine(settings.database_url)
    logs.quiet_bolt_verification()
    # Bolt's listeners and the article reads on pools apart, as they were (bot.ingest_pool says why).
    listeners, ingests = ListenerPool(), ListenerPool("statbot-ingest", settings.ingest_workers)
    app = create_app(settings, make_sessions(engine), listener_executor=listeners, ingest_executor=ingests)
    slack = SlackEvents(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            healthy = database_reachable(engine)
            body = json.dumps({"ok": healthy, "database": "reachable" if healthy else "unreachable"}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "application/json")]
            )
            return [body]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            body = environ["wsgi.input"].read(length) if length <= MAX_BODY else b""
        elif environ.get("wsgi.input_terminated"):
            # No Content-Length (a chunked body): the server ends the input where the body ends. Read one
            # byte past the limit, never more, to know whether it is over.
            body = environ["wsgi.input"].read(MAX_BODY + 1)
            length = len(body)
        else:
            body = b""
        if length > MAX_BODY:
            log.warning("refused an oversized request", extra={"bytes": length})
            start_response("413 Content Too Large", [("Content-Type", "text/plain")])
            return [b"Request body too large"]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))  # Bolt reads exactly this much
        started = time.perf_counter()
        status: list[str] = []

        def recording_start_response(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        result = slack(environ, recording_start_response)
        if log.isEnabledFor(logging.INFO):  # the log's fields parse the body again: skip it when unread
            log.info(
                "request",
                extra={
                    **request_fields(body),
                    "path": environ.get("PATH_INFO"),
                    "status": int(status[0].split()[0]) if status else 0,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return result

    return Web(application, (listeners, ingests))


def serve(
    settings: Settings,
    *,
    host: str = "0.0.0.0",  # noqa: S104
    port: int = 3000,
    workers: int = 2,
    threads: int = 4,
    client_timeout: float = 10.0,
    request_timeout: float = 5.0,
) -> None:
    """Run under gunicorn, a production WSGI server; each worker builds its own app after the fork.

    Threaded workers: a slow client holds one thread, not a whole worker, and only for `client_timeout`
    seconds of silence or `request_timeout` seconds in all to send its request (bot.webworker). Slack sends
    each request at once and waits 3 s for the answer. A client that drips bytes can still hold a thread for
    `request_timeout`: in production a reverse proxy that buffers whole requests goes in front (README).
    """
    from gunicorn.app.base import BaseApplication

    from bot.webworker import worker_class

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", worker_class(client_timeout, request_timeout))
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 30)  # a worker whose main loop is stuck this long is replaced
            self.cfg.set("graceful_timeout", 20)  # finish requests in hand on SIGTERM (Heroku waits 30 s)
            self.cfg.set("keepalive", 5)  # idle kept-alive connections wait in the poller, not in a thread
            # Slack's requests have short request lines and a dozen headers: refuse anything far larger.
            self.cfg.set("limit_request_line", 4094)
            self.cfg.set("limit_request_fields", 50)
            self.cfg.set("limit_request_field_size", 8190)
            self.cfg.set("accesslog", "-")

        def load(self) -> WSGIApp:
            return create_wsgi(settings)

    Server().run()
