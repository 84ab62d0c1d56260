"""slack-sdk's SQLAlchemy installation and OAuth state stores, on statbot's database, tokens encrypted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Engine, MetaData, Table

from bot.config import Settings
from storage import slack_tables
from storage.token_cipher import EncryptedText, TokenCipher, UndecryptableToken

log = logging.getLogger("statbot.installations")

# How long an "Add to Slack" link stays valid.
STATE_EXPIRATION_SECONDS = 600


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's store, unchanged in behaviour, over tables whose token columns are encrypted."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        # Replace the tables the parent built with the same ones whose tokens encrypt and decrypt.
        self.metadata = MetaData()
        token = EncryptedText(cipher)
        self.bots = slack_tables.bots_table(self.metadata, token)
        self.installations = slack_tables.installations_table(self.metadata, token)

    def create_tables(self) -> None:
        raise NotImplementedError("statbot's tables are made by its migrations: run `statbot migrate`")

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """slack-sdk's lookup, but a token no key decrypts is logged at ERROR (Bolt would log it at INFO and
        carry on as if the team had never installed)."""
        try:
            return super().find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
            )
        except UndecryptableToken as error:
            log.error("the stored bot token of team %s does not decrypt: %s", team_id, error)
            raise


class OneTimeStateStore(SQLAlchemyOAuthStateStore):
    """OAuth states that can be consumed once: the delete itself decides, so a callback replayed at the
    same moment as the real one cannot also pass (slack-sdk's store selects, then deletes)."""

    def __init__(self, engine: Engine, expiration_seconds: int = STATE_EXPIRATION_SECONDS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = MetaData()
        self.oauth_states = slack_tables.oauth_states_table(self.metadata)

    def create_tables(self) -> None:
        raise NotImplementedError("statbot's tables are made by its migrations: run `statbot migrate`")

    def issue(self, *args: Any, **kwargs: Any) -> str:
        # Expired states go as new ones are made, so abandoned install links do not pile up between installs.
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        with self.engine.begin() as connection:
            connection.execute(self.oauth_states.delete().where(self.oauth_states.c.expire_at <= now))
        return str(super().issue(*args, **kwargs))

    def consume(self, state: str) -> bool:
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        states = self.oauth_states
        with self.engine.begin() as connection:
            # Expired states are removed on the way, so the table does not grow with abandoned installs.
            connection.execute(states.delete().where(states.c.expire_at <= now))
            deleted = connection.execute(states.delete().where(states.c.state == state))
        return deleted.rowcount == 1


@dataclass
class Rotation:
    """What `rotate_tokens` did, counted in tokens (a row holds up to four)."""

    rotated: int = 0
    already_current: int = 0
    undecryptable: int = 0


def rotate_tokens(engine: Engine, cipher: TokenCipher) -> Rotation:
    """Encrypt every stored token with the cipher's first key, in one transaction; safe to repeat (tokens
    already under the first key are left as they are). A token no key opens is counted and left alone."""
    metadata = MetaData()
    tables = [slack_tables.bots_table(metadata), slack_tables.installations_table(metadata)]
    counts = Rotation()
    with engine.begin() as connection:
        for table in tables:
            columns = _token_columns(table)
            for row in connection.execute(table.select().with_only_columns(table.c.id, *columns)).mappings():
                changed: dict[str, str] = {}
                for column in columns:
                    stored = row[column.name]
                    if stored is None:
                        continue
                    if cipher.is_current(stored):
                        counts.already_current += 1
                        continue
                    try:
                        changed[column.name] = cipher.rotate(stored)
                    except UndecryptableToken:
                        counts.undecryptable += 1
                        log.error(
                            "a token in %s row %s does not decrypt with any configured key",
                            table.name,
                            row["id"],
                        )
                        continue
                    counts.rotated += 1
                if changed:
                    connection.execute(table.update().where(table.c.id == row["id"]).values(**changed))
    return counts


def _token_columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns if column.name.endswith("_token")]


def stores(settings: Settings, engine: Engine) -> tuple[EncryptedInstallationStore, OneTimeStateStore]:
    """The installation store (tokens encrypted with STATBOT_ENCRYPTION_KEY) and the OAuth state store."""
    cipher = TokenCipher(settings.encryption_key or "")
    return EncryptedInstallationStore(settings.client_id or "", engine, cipher), OneTimeStateStore(engine)
