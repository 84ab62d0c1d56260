"""What a slash-command listener is given: the Slack call, the row it was routed to, and the app's wiring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.answer_cache import AnswerCache
from bot.config import Settings
from bot.ingest_pool import IngestPool
from commands.table import Routed
from storage.hybrid import Dense


@dataclass(frozen=True)
class Wiring:
    """What the app factory hands every listener."""

    sessions: sessionmaker[Session]
    settings: Settings
    reading: Engine  # storage.db.read_only's: answering only reads
    cache: AnswerCache
    installation_store: InstallationStore | None  # multi-workspace installs: who installed statbot where
    ingest_pool: IngestPool  # reading links and feeds people ask for, apart from Bolt's listener threads
    dense: Dense | None = None  # the model for plain-language questions; None where it is missing


@dataclass(frozen=True)
class Call:
    """One slash command as Bolt delivered it, already routed to its row of the table."""

    ack: Ack
    command: dict[str, str]
    context: dict[str, Any]
    client: WebClient
    respond: Respond
    routed: Routed
    wiring: Wiring

    @property
    def workspace_id(self) -> int:
        return int(self.context["workspace_id"])

    @property
    def text(self) -> str:
        return self.command.get("text", "")


Handler = Callable[[Call], None]
