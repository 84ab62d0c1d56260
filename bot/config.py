"""Settings from the environment and an optional `.env` file: the one place that reads either."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from dotenv import dotenv_values

from ingest.fetch import FetchSettings
from storage.models import utcnow
from storage.token_cipher import BadEncryptionKey, TokenCipher

DEFAULT_DATABASE_URL = "sqlite:///statbot.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    # The Web API base, e.g. a stand-in on 127.0.0.1 in tests; None means Slack's own.
    api_url: str | None = None
    log_level: str = "INFO"
    # Where submissions wait for review when the workspace has not chosen a channel (`/stats review-channel`).
    review_channel: str | None = None
    # Tests serve articles on 127.0.0.1; in production links to private addresses are always refused.
    fetch_allow_loopback: bool = False
    # Tests' Slack stand-in takes replies on 127.0.0.1; in production only https://hooks.slack.com/ is posted to.
    response_url_allow_loopback: bool = False
    # A digest run missed (clock down) by less than this is still sent; older ones are skipped.
    digest_grace_hours: float = 6.0
    # Multi-workspace mode: with both set, teams install the app through OAuth ("Add to Slack").
    client_id: str | None = None
    client_secret: str | None = None
    # Fernet key(s) encrypting the installed workspaces' tokens at rest; required in multi-workspace mode.
    encryption_key: str | None = None
    # Where Slack sends the browser back after an install; None means the URL set in the app's settings.
    oauth_redirect_url: str | None = None
    # Memory per web worker for answers already given (reused while the library is unchanged); 0 turns it off.
    answer_cache_mb: float = 8.0
    # Each web worker's vector indexes for questions (storage/vectors.py): 39 MB holds 100,000 figures.
    vector_index_mb: float = 64.0
    # Reading links: the wall-clock limit on one fetch, and on one feed's poll (the feed and its articles).
    fetch_deadline: float = 30.0
    feed_budget: float = 300.0
    # Articles read at once per process, and how many more may wait; beyond that people are asked to retry.
    ingest_workers: int = 4
    ingest_queue: int = 16
    # What day answers take it to be (how old data is, whether a release is due); tests drive it, never the env.
    today: Callable[[], date] = date.today
    # The moment it is (embargoes lift at an instant); tests drive it too.
    now: Callable[[], datetime] = utcnow

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read settings; variables already in the environment win over the `.env` file."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            return values.get(name) or None

        def number(name: str, default: float) -> float:
            given = get(name)
            try:
                value = default if given is None else float(given)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a number, 0 or more; it is {given!r}.")
            return value

        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            bot_token=get("SLACK_BOT_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=get("SLACK_APP_TOKEN"),
            api_url=get("SLACK_API_URL"),
            log_level=get("STATBOT_LOG_LEVEL") or "INFO",
            review_channel=get("STATBOT_REVIEW_CHANNEL"),
            fetch_allow_loopback=get("STATBOT_FETCH_ALLOW_LOOPBACK") in ("1", "true", "yes"),
            response_url_allow_loopback=get("STATBOT_RESPONSE_URL_ALLOW_LOOPBACK") in ("1", "true", "yes"),
            digest_grace_hours=number("STATBOT_DIGEST_GRACE_HOURS", 6.0),
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            encryption_key=get("STATBOT_ENCRYPTION_KEY"),
            oauth_redirect_url=get("SLACK_REDIRECT_URI"),
            answer_cache_mb=number("STATBOT_ANSWER_CACHE_MB", 8.0),
            vector_index_mb=number("STATBOT_VECTOR_INDEX_MB", 64.0),
            fetch_deadline=number("STATBOT_FETCH_DEADLINE", 30.0),
            feed_budget=number("STATBOT_FEED_BUDGET", 300.0),
            ingest_workers=int(number("STATBOT_INGEST_WORKERS", 4)),
            ingest_queue=int(number("STATBOT_INGEST_QUEUE", 16)),
        )

    @property
    def socket_mode_ready(self) -> bool:
        return bool(self.app_token and self.bot_token)

    @property
    def missing_socket_tokens(self) -> list[str]:
        """The Socket Mode tokens not set, named with the prefix their values start with."""
        wanted = (("SLACK_APP_TOKEN", "xapp-", self.app_token), ("SLACK_BOT_TOKEN", "xoxb-", self.bot_token))
        return [f"{name} ({prefix}...)" for name, prefix, value in wanted if not value]

    @property
    def secrets(self) -> list[str]:
        """Values no log line may contain."""
        keys = (self.encryption_key or "").split(",")
        found = [self.bot_token, self.signing_secret, self.app_token, self.client_secret, *keys]
        return [value.strip() for value in found if value and value.strip()]

    @property
    def multi_workspace(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def check(self) -> None:
        """Refuse a configuration that would run unsafely or not at all, saying what to change."""
        self._check_token_kinds()
        if self.multi_workspace:
            if not self.encryption_key:
                raise ConfigError(
                    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (multi-workspace mode), but "
                    "STATBOT_ENCRYPTION_KEY is not: statbot will not store workspaces' tokens unencrypted. "
                    "Make a key with `statbot keygen` and set STATBOT_ENCRYPTION_KEY to it."
                )
            try:
                TokenCipher(self.encryption_key)
            except BadEncryptionKey as error:
                raise ConfigError(str(error)) from error
            if not self.signing_secret:
                raise ConfigError("SLACK_SIGNING_SECRET is needed to verify Slack's requests.")
            if self.bot_token:
                raise ConfigError(
                    "Set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                    "(installs through OAuth), not both."
                )
        elif bool(self.client_id) != bool(self.client_secret):
            raise ConfigError("Multi-workspace mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.")

    def _check_token_kinds(self) -> None:
        """A bot token where the app-level token goes (or the reverse) fails deep inside Slack's clients."""
        bot_is_app = (self.bot_token or "").startswith("xapp-")
        app_is_bot = (self.app_token or "").startswith("xox")
        if bot_is_app and app_is_bot:
            raise ConfigError(
                "SLACK_BOT_TOKEN holds an app-level token (xapp-...) and SLACK_APP_TOKEN a bot token "
                "(xoxb-...): swap them."
            )
        if bot_is_app:
            raise ConfigError(
                "SLACK_BOT_TOKEN holds an app-level token (xapp-...): that one goes in SLACK_APP_TOKEN, and "
                "SLACK_BOT_TOKEN takes the Bot User OAuth Token (xoxb-...); swap them if you set both."
            )
        if app_is_bot:
            raise ConfigError(
                "SLACK_APP_TOKEN holds a bot token (xox...): that one goes in SLACK_BOT_TOKEN, and "
                "SLACK_APP_TOKEN takes the app-level token (xapp-...); swap them if you set both."
            )


class ConfigError(Exception):
    """The settings cannot work; the message says which variable to set."""


def fetch_settings(settings: Settings, *, deadline: float | None = None) -> FetchSettings:
    """How links are fetched under these settings; `deadline` shortens the configured one (a feed's budget)."""
    limit = settings.fetch_deadline if deadline is None else min(deadline, settings.fetch_deadline)
    defaults = FetchSettings()
    return FetchSettings(
        connect_timeout=min(defaults.connect_timeout, limit),
        read_timeout=min(defaults.read_timeout, limit),
        deadline=limit,
        allow_loopback=settings.fetch_allow_loopback,
    )
