"""The WSGI application gunicorn serves: Slack's events endpoint (Bolt verifies signatures) and a health check."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

from bot.app import create_app
from bot.config import Settings
from storage.db import make_engine, make_sessions

log = logging.getLogger("statbot.web")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as error:  # any failure to reach it is the answer, not a crash
        log.warning("health check: database unreachable (%s)", error.__class__.__name__)
        return False


def create_wsgi(settings: Settings) -> WSGIApp:
    engine = make_engine(settings.database_url)
    slack = SlackRequestHandler(create_app(settings, make_sessions(engine)))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            healthy = database_reachable(engine)
            body = json.dumps({"ok": healthy, "database": "reachable" if healthy else "unreachable"}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "application/json")]
            )
            return [body]
        return slack(environ, start_response)

    return application


def serve(settings: Settings, *, host: str = "0.0.0.0", port: int = 3000, workers: int = 2) -> None:  # noqa: S104
    """Run under gunicorn, a production WSGI server; each worker builds its own app after the fork."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")

        def load(self) -> WSGIApp:
            return create_wsgi(settings)

    Server().run()
