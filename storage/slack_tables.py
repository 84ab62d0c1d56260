"""The tables slack-sdk's SQLAlchemy installation and OAuth state stores use, defined once.

They mirror slack-sdk's own definitions (same names, columns and indexes, so its store code runs on them
unchanged) except that token columns are unbounded text: an encrypted token is longer than the 200
characters slack-sdk allows for a plain one. The models' metadata holds them with plain text columns for
the migrations; the installation store builds its own copy whose token columns encrypt (bot.installations).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text, func
from sqlalchemy.types import TypeEngine

BOTS = "slack_bots"
INSTALLATIONS = "slack_installations"
OAUTH_STATES = "slack_oauth_states"


def bots_table(metadata: MetaData, token: TypeEngine[str] | None = None) -> Table:
    token = token if token is not None else Text()
    return Table(
        BOTS,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", token),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", token),
        Column("bot_token_expires_at", DateTime),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("installed_at", DateTime, nullable=False, default=func.now()),
        Index(f"{BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )


def installations_table(metadata: MetaData, token: TypeEngine[str] | None = None) -> Table:
    token = token if token is not None else Text()
    return Table(
        INSTALLATIONS,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        Column("enterprise_url", String(200)),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", token),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", token),
        Column("bot_token_expires_at", DateTime),
        Column("user_id", String(32), nullable=False),
        Column("user_token", token),
        Column("user_scopes", String(1000)),
        Column("user_refresh_token", token),
        Column("user_token_expires_at", DateTime),
        Column("incoming_webhook_url", String(200)),
        Column("incoming_webhook_channel", String(200)),
        Column("incoming_webhook_channel_id", String(200)),
        Column("incoming_webhook_configuration_url", String(200)),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("token_type", String(32)),
        Column("installed_at", DateTime, nullable=False, default=func.now()),
        Index(f"{INSTALLATIONS}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
    )


def oauth_states_table(metadata: MetaData) -> Table:
    return Table(
        OAUTH_STATES,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("state", String(200), nullable=False, unique=True),
        Column("expire_at", DateTime, nullable=False),
    )


def define(metadata: MetaData) -> None:
    bots_table(metadata)
    installations_table(metadata)
    oauth_states_table(metadata)
