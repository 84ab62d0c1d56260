"""Multi-workspace test support: OAuth settings against the stand-in, and installing a team end to end."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from bot.config import Settings
from bot.local_slack import CLIENT_ID, CLIENT_SECRET, SlackStandIn
from storage.token_cipher import new_key
from tests.conftest import SIGNING_SECRET
from tests.slackapi.signing import get

# One key per test run: tests that read tokens back need the same key the app wrote them with.
ENCRYPTION_KEY = new_key()
STATE_COOKIE = "slack-app-oauth-state"


def multi_settings(engine: Engine, standin: SlackStandIn, **overrides: Any) -> Settings:
    """Settings for the real app in multi-workspace mode on this test database and stand-in."""
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "signing_secret": SIGNING_SECRET,
        "api_url": standin.api_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "encryption_key": ENCRYPTION_KEY,
        "response_url_allow_loopback": True,
    }
    return Settings(**(values | overrides))


@dataclass(frozen=True)
class Started:
    """What the "Add to Slack" page gave the browser: the authorize link's state and the cookie."""

    status: int
    state: str
    cookie: str
    authorize_url: str


def start_install(server: str) -> Started:
    status, headers, page = get(f"{server}/slack/install")
    match = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
    assert match, page
    authorize_url = match.group(1).replace("&amp;", "&")
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    cookie = next((v for k, v in headers.items() if k.lower() == "set-cookie"), "").split(";")[0]
    assert cookie.startswith(f"{STATE_COOKIE}="), headers
    return Started(status, state, cookie, authorize_url)


def finish_install(server: str, code: str, state: str, cookie: str | None) -> tuple[int, dict[str, str], str]:
    headers = {"Cookie": cookie} if cookie else {}
    return get(f"{server}/slack/oauth_redirect?code={code}&state={state}", headers)


def install(server: str, standin: SlackStandIn, team_id: str, **grant: Any) -> tuple[int, str]:
    """Install the app in `team_id` as a browser would: the install page, Slack's approval, the callback."""
    started = start_install(server)
    code = standin.grant(team_id, **grant)
    status, _, page = finish_install(server, code, started.state, started.cookie)
    return status, page
