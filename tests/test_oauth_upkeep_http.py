"""Multi-workspace upkeep over HTTP: abandoned install links are pruned as new ones are issued, and a stored
token that no configured key decrypts is logged at ERROR and explained to users (not "not installed")."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.installations import EncryptedInstallationStore, stores
from bot.local_slack import SlackStandIn
from bot.oauth import NOT_INSTALLED
from bot.web import create_wsgi
from bot.workspace_clients import WorkspaceClients
from digests import deliver, subscriptions
from digests.schedule import Schedule
from storage import slack_tables, workspaces
from storage.models import Base, Subscription
from storage.token_cipher import TokenCipher, new_key
from tests.conftest import SIGNING_SECRET
from tests.http_server import serving
from tests.installs import install, multi_settings, start_install
from tests.slackapi.signing import post, signed_headers, slash_command_body

T1, T2 = "T0ONE", "T0TWO"
SUBSCRIBED = datetime(2027, 3, 23, 12, 0, tzinfo=UTC)
RUN = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # Monday 09:00 in London
WEEKLY = Schedule("weekly", 0, time(9, 0), "Europe/London")


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return multi_settings(engine, standin)

def states(engine: Engine) -> list[str]:
    table = Base.metadata.tables[slack_tables.OAUTH_STATES]
    with engine.connect() as connection:
        return list(connection.scalars(select(table.c.state)))


def test_issuing_an_install_link_prunes_expired_states(server: str, engine: Engine) -> None:
    table = Base.metadata.tables[slack_tables.OAUTH_STATES]
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"state": f"abandoned-{i}", "expire_at": past} for i in range(50)])
    started = start_install(server)
    assert states(engine) == [started.state]


def test_a_token_no_key_decrypts_is_logged_at_error_and_users_are_told_to_have_the_key_checked(
    server: str, engine: Engine, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    status, page = install(server, standin, T1)
    assert status == 200, page
    # The same database served with a different key, as after STATBOT_ENCRYPTION_KEY was changed by mistake.
    wrong_key = multi_settings(engine, standin, encryption_key=new_key())
    with serving(create_wsgi(wrong_key)) as other, caplog.at_level(logging.INFO):
        body = slash_command_body("/stats", "facebook", team_id=T1, response_url=standin.response_url(T1))
        status, _, raw = post(f"{other}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    shown = json.dumps([raw, standin.response_posts(T1)])
    assert "STATBOT_ENCRYPTION_KEY" in shown and "administrator" in shown, shown
    assert NOT_INSTALLED[:40] not in shown
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("does not decrypt" in r.getMessage() and T1 in r.getMessage() for r in errors), [
        r.getMessage() for r in caplog.records
    ]


def test_the_clock_logs_a_workspace_whose_token_does_not_decrypt_and_still_posts_the_others_digests(
    server: str, engine: Engine, standin: SlackStandIn, sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    for team in (T1, T2):
        status, page = install(server, standin, team)
        assert status == 200, page
    with sessions.begin() as session:
        ids = {}
        for team in (T1, T2):
            workspace = workspaces.for_team(session, team)
            assert workspace is not None
            ids[team] = subscriptions.subscribe(
                session, workspace.id, f"C0{team}", "facebook", WEEKLY, user_id="U0SUB", now=SUBSCRIBED
            ).id
    # T1's token rewritten with a key the clock does not have, as after a botched key change.
    settings = multi_settings(engine, standin)
    EncryptedInstallationStore(settings.client_id or "", engine, TokenCipher(new_key())).save_bot(
        stores(settings, engine)[0].find_bot(enterprise_id=None, team_id=T1)  # type: ignore[arg-type]
    )
    clock_store, _ = stores(settings, engine)
    with caplog.at_level(logging.INFO):
        outcomes = deliver.run_due(sessions, WorkspaceClients(settings, sessions, clock_store), now=RUN)
    states = {o.subscription_id: o.state for o in outcomes}
    assert states[ids[T2]] in ("posted", "empty") and states[ids[T1]] == "error", outcomes
    with sessions() as session:
        subscription = session.get(Subscription, ids[T1])
        assert subscription is not None and not subscription.paused  # not "uninstalled": fix the key
    assert any(r.levelno >= logging.ERROR and T1 in r.getMessage() for r in caplog.records)
