"""Slack Web API clients for statbot's processes, and the home workspace they serve: no listeners here, so the
clock and the command line use them without loading the Bolt app (tests/test_layers.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, Jitter, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from storage import workspaces


@dataclass(frozen=True)
class Home:
    """The one workspace a single-workspace install serves."""

    workspace_id: int
    team_id: str | None


class NoRepostOnConnectionError(ConnectionErrorRetryHandler):
    """Retries a dropped connection, except for chat.postMessage: Slack may have posted before the
    connection dropped, so posting again could post twice. Digests recover such a post by its metadata
    on their next run instead; other posts report the error."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith("chat.postMessage"):
            return False
        return bool(super()._can_retry(state=state, request=request, response=response, error=error))


class _ProportionalJitter(Jitter):
    """Up to half again as long; slack-sdk's default adds up to a whole second to every wait."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)  # noqa: S311 (spreading retries, not a secret)


def make_client(settings: Settings, *, with_token: bool = True, token: str | None = None) -> WebClient:
    """A Web API client that waits out 429s (honouring Retry-After) and retries 5xx and dropped connections.

    Its token is `token` if given, else the single-workspace bot token (unless `with_token` is False)."""
    token = token or (settings.bot_token if with_token else None)
    client = WebClient(token=token, base_url=settings.api_url or WebClient.BASE_URL)
    # Replaces slack-sdk's default list, whose connection retry would repeat posts too.
    # Two quick retries wait 0.25-0.375 s then 0.5-0.75 s: a views.open still lands within the 3 s its
    # trigger_id lives (the default backoff could wait 3.5 s).
    quick = BackoffRetryIntervalCalculator(backoff_factor=0.25, jitter=_ProportionalJitter())
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
        NoRepostOnConnectionError(max_retry_count=2, interval_calculator=quick),
    ]
    return client


def resolve_home(settings: Settings, client: WebClient, sessions: sessionmaker[Session]) -> Home:
    """Find the home workspace; with a bot token, learn its team from Slack and bind it for good."""
    team_id = None
    if settings.bot_token:
        identity = client.auth_test()
        team_id = str(identity["team_id"])
    with sessions() as session:
        workspace = workspaces.bind_home(session, team_id) if team_id else workspaces.home(session)
        session.commit()
        return Home(workspace_id=workspace.id, team_id=workspace.team_id)
