"""Structured logs: one JSON object a line, with the request's team, command and duration as fields."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

# Slack tokens of every kind (bot, user, app-level, refresh): whatever logs them, slack-sdk's debug
# output of an OAuth response included, the line says only what kind of token it was.
TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line; Slack tokens and the given secrets never appear in it."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self._json(record))

    def redact(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, "(redacted)")
        return TOKEN.sub(lambda m: f"{m.group(1)}-(redacted)", line)

    def _json(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str, secrets: Iterable[str | None] = ()) -> None:
    """Send JSON lines to standard error; called once by the command line, never at import."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class _WithoutRequestBody(logging.Filter):
    """Bolt logs a request that fails verification with its whole body (a legacy token, what the user typed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature"):
            record.msg, record.args = "refused a request whose Slack signature did not verify", ()
        return True


def quiet_bolt_verification() -> None:
    """Keep request bodies out of Bolt's log line for a request that failed verification (idempotent)."""
    logger = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _WithoutRequestBody) for f in logger.filters):
        logger.addFilter(_WithoutRequestBody())
