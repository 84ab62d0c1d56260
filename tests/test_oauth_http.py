"""Multi-workspace installs over HTTP: the OAuth flow, encrypted tokens, uninstall, rotation, refusals."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.installations import stores
from bot.local_slack import SlackStandIn
from bot.logs import JsonFormatter
from bot.oauth import ENTERPRISE_REFUSED, NOT_INSTALLED
from bot.workspace_clients import WorkspaceClients
from storage import sample, slack_tables, workspaces
from storage.models import Subscription
from tests.conftest import SIGNING_SECRET
from tests.installs import finish_install, install, multi_settings, start_install
from tests.slackapi.signing import event_body, post, signed_headers, slash_command_body

T1, T2 = "T0ONE", "T0TWO"


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return multi_settings(engine, standin)


def ask(
    server: str, standin: SlackStandIn, team_id: str, text: str = "facebook", *, secret: str = SIGNING_SECRET
) -> tuple[int, str]:
    body = slash_command_body("/stats", text, team_id=team_id, response_url=standin.response_url(team_id))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, secret))
    return status, raw


def bots(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [
            dict(row) for row in connection.execute(text(f"SELECT * FROM {slack_tables.BOTS}")).mappings()
        ]


def load_sample(sessions: sessionmaker[Session], team_id: str) -> int:
    with sessions() as session:
        workspace = workspaces.for_team(session, team_id)
        assert workspace is not None
        sample.load(session, workspace.id)
        session.commit()
        return workspace.id


def test_a_team_installs_from_the_add_to_slack_page_and_gets_a_workspace_of_its_own(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    started = start_install(server)
    assert started.status == 200 and "client_id=1111.2222" in started.authorize_url
    assert (
        "scope=commands%2Cchat%3Awrite" in started.authorize_url
        or "scope=commands,chat:write" in started.authorize_url
    )
    code = standin.grant(T1, "Team One")
    status, _, page = finish_install(server, code, started.state, started.cookie)
    assert status == 200, page

    [token] = [t for t, team in standin.tokens.items() if team == T1]
    [row] = bots(engine)
    # At rest the token is ciphertext; through the store it is the token Slack issued.
    assert row["team_id"] == T1 and row["bot_token"] != token and "xoxb" not in str(row["bot_token"])
    installation_store, _ = stores(settings, engine)
    found = installation_store.find_bot(enterprise_id=None, team_id=T1)
    assert found is not None and found.bot_token == token
    with sessions() as session:
        workspace = workspaces.for_team(session, T1)
        assert workspace is not None and workspace.name == "Team One" and not workspace.is_home

    load_sample(sessions, T1)
    status, raw = ask(server, standin, T1)
    assert status == 200 and "*52%*" in raw


def test_each_workspace_sees_only_its_own_figures(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    assert install(server, standin, T1)[0] == 200
    assert install(server, standin, T2)[0] == 200
    load_sample(sessions, T1)
    status, raw = ask(server, standin, T1)
    assert status == 200 and "*52%*" in raw
    status, raw = ask(server, standin, T2)
    assert status == 200 and "52%" not in raw and "9,477" not in raw and "NSPCC" not in raw


def test_a_tampered_state_is_refused_and_nothing_is_installed(
    server: str, standin: SlackStandIn, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    started = start_install(server)
    code = standin.grant(T1)
    with caplog.at_level(logging.WARNING, logger="statbot"):
        # A state that is not the one this browser was given (its cookie says otherwise).
        status, _, page = finish_install(server, code, started.state + "x", started.cookie)
        assert status == 400 and "different browser" in page
        # The right state without the browser's cookie (a link sent to someone else).
        status, _, page = finish_install(server, code, started.state, None)
        assert status == 400
        # A state statbot never issued, with a cookie forged to match it.
        status, _, page = finish_install(server, code, "forged", "slack-app-oauth-state=forged")
        assert status == 401 and "expired or was already used" in page
    assert bots(engine) == []
    assert sum("install refused" in r.getMessage() for r in caplog.records) == 3


def test_a_replayed_install_callback_is_refused(server: str, standin: SlackStandIn, engine: Engine) -> None:
    started = start_install(server)
    code = standin.grant(T1)
    assert finish_install(server, code, started.state, started.cookie)[0] == 200
    status, _, page = finish_install(server, code, started.state, started.cookie)
    assert status == 401 and "expired or was already used" in page
    assert len(bots(engine)) == 1


def test_an_enterprise_grid_install_is_refused_with_a_reason_and_its_token_given_back(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    status, page = install(server, standin, T1, enterprise_id="E0GRID")
    assert status == 403 and "Enterprise Grid" in page
    assert bots(engine) == []
    [token] = [t for t, team in standin.tokens.items() if team == T1]
    assert token in standin.revoked
    with sessions() as session:
        assert workspaces.for_team(session, T1) is None


def test_a_request_from_a_grid_org_is_told_grid_is_not_supported(server: str, standin: SlackStandIn) -> None:
    body = slash_command_body("/stats", "facebook", team_id=T1, response_url=standin.response_url())
    body += "&enterprise_id=E0GRID"
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200 and raw == ENTERPRISE_REFUSED


def test_a_team_that_never_installed_is_told_so_and_sees_nothing(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    install(server, standin, T1)
    load_sample(sessions, T1)
    status, raw = ask(server, standin, "T0STRANGER")
    assert status == 200 and "52%" not in raw
    assert standin.response_posts("T0STRANGER")[0]["text"] == NOT_INSTALLED


def test_a_payload_signed_for_another_app_is_rejected_whatever_team_it_names(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    install(server, standin, T1)
    load_sample(sessions, T1)
    status, raw = ask(server, standin, T1, secret="another-apps-signing-secret")
    assert status == 401 and "52%" not in raw


def test_uninstalling_deletes_the_tokens_pauses_digests_and_later_requests_are_refused(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    install(server, standin, T1)
    install(server, standin, T2)
    workspace_id = load_sample(sessions, T1)
    with sessions() as session:
        now = datetime.now(UTC)
        session.add(
            Subscription(
                workspace_id=workspace_id, channel_id="C0DIGEST", topic="facebook", frequency="weekly",
                at=time(9), tz="UTC", created_by="U0ONE", last_delivered_at=now, next_run_at=now,
            )
        )  # fmt: skip
        session.commit()
    body = event_body({"type": "app_uninstalled"}, team_id=T1, event_id="EvUNINSTALL")
    headers = signed_headers(body, SIGNING_SECRET) | {"Content-Type": "application/json"}
    assert post(f"{server}/slack/events", body, headers)[0] == 200

    assert [row["team_id"] for row in bots(engine)] == [T2]
    with sessions() as session:
        subscription = session.scalars(select(Subscription)).one()
        assert subscription.paused and "uninstalled" in subscription.paused_reason
    status, raw = ask(server, standin, T1)
    assert status == 200 and "52%" not in raw
    assert standin.response_posts(T1)[-1]["text"] == NOT_INSTALLED
    # The clock finds no token for that workspace, and so posts nothing there.
    installation_store, _ = stores(settings, engine)
    assert WorkspaceClients(settings, sessions, installation_store)(workspace_id) is None


def test_rotating_tokens_are_refreshed_before_they_expire_for_requests_and_for_the_clock(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], settings: Settings
) -> None:
    install(server, standin, T1, rotating=True)
    workspace_id = load_sample(sessions, T1)
    [first] = standin.tokens
    [row] = bots(engine)
    assert row["bot_refresh_token"] is not None and "xoxe" not in str(row["bot_refresh_token"])

    def expire_soon() -> None:
        with engine.begin() as connection:
            connection.execute(
                update(stores(settings, engine)[0].bots).values(
                    bot_token_expires_at=datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)
                )
            )

    # A request: Bolt refreshes the token before the listener runs.
    expire_soon()
    status, raw = ask(server, standin, T1)
    assert status == 200 and "*52%*" in raw
    refreshes = [c for c in standin.calls("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1
    installation_store, _ = stores(settings, engine)
    found = installation_store.find_bot(enterprise_id=None, team_id=T1)
    assert found is not None and found.bot_token not in (None, first)
    second = found.bot_token

    # The clock: no request comes, so it refreshes the token itself before posting.
    expire_soon()
    client = WorkspaceClients(settings, sessions, installation_store)(workspace_id)
    assert client is not None and client.token not in (first, second)
    assert client.auth_test()["team_id"] == T1
    found = installation_store.find_bot(enterprise_id=None, team_id=T1)
    assert found is not None and found.bot_token == client.token


def test_multi_workspace_mode_refuses_to_start_without_an_encryption_key(
    engine: Engine, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(ConfigError, match="STATBOT_ENCRYPTION_KEY is not"):
        create_app(multi_settings(engine, standin, encryption_key=None), sessions)
    with pytest.raises(ConfigError, match="Fernet key"):
        create_app(multi_settings(engine, standin, encryption_key="not-a-key"), sessions)


def test_the_install_flow_logs_no_token_or_secret_even_at_debug_level(
    server: str, standin: SlackStandIn, settings: Settings
) -> None:
    """slack-sdk's debug log prints OAuth responses, tokens included; statbot's log lines never do."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(settings.secrets))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        install(server, standin, T1, rotating=True)
        ask(server, standin, T1)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    logged = out.getvalue()
    assert "oauth.v2.access" in logged and "xoxb-(redacted)" in logged  # the debug lines were there
    secrets = [*standin.tokens, *standin.refresh_tokens, *settings.secrets, SIGNING_SECRET]
    assert [secret for secret in secrets if secret in logged] == []
