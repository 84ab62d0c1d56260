"""slack-sdk's SQLAlchemy installation and OAuth state stores, on statbot's database, tokens encrypted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData

from storage import slack_tables
from storage.token_cipher import EncryptedText, TokenCipher

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


class OneTimeStateStore(SQLAlchemyOAuthStateStore):
    """OAuth states that can be consumed once: the delete itself decides, so a callback replayed at the
    same moment as the real one cannot also pass (slack-sdk's store selects, then deletes)."""

    def __init__(self, engine: Engine, expiration_seconds: int = STATE_EXPIRATION_SECONDS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = MetaData()
        self.oauth_states = slack_tables.oauth_states_table(self.metadata)

    def create_tables(self) -> None:
        raise NotImplementedError("statbot's tables are made by its migrations: run `statbot migrate`")

    def consume(self, state: str) -> bool:
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        states = self.oauth_states
        with self.engine.begin() as connection:
            # Expired states are removed on the way, so the table does not grow with abandoned installs.
            connection.execute(states.delete().where(states.c.expire_at <= now))
            deleted = connection.execute(states.delete().where(states.c.state == state))
        return deleted.rowcount == 1
