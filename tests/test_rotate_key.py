"""`statbot rotate-key`: after a key change every stored token is encrypted with the new key, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, text

from bot.installations import EncryptedInstallationStore
from bot.local_slack import CLIENT_ID
from storage import slack_tables
from storage.token_cipher import TokenCipher, new_key
from tests.commandline import STATBOT, run

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own


def save(engine: Engine, key: str, team_id: str) -> None:
    store = EncryptedInstallationStore(CLIENT_ID, engine, TokenCipher(key))
    store.save(
        Installation(
            app_id="A0APP", team_id=team_id, user_id="U0INSTALLER", bot_token=f"xoxb-{team_id}",
            bot_id="B0BOT", bot_user_id="U0BOT", bot_refresh_token=f"xoxe-{team_id}", user_token=f"xoxp-{team_id}",
        )
    )  # fmt: skip


def stored_tokens(engine: Engine) -> list[str]:
    found = []
    with engine.connect() as connection:
        for table in (slack_tables.BOTS, slack_tables.INSTALLATIONS):
            for row in connection.execute(text(f"SELECT * FROM {table}")).mappings():
                found += [v for k, v in row.items() if k.endswith("_token") and v is not None]
    return found


def rotate(tmp_path: Path, engine: Engine, keys: str) -> tuple[int, str, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = run([STATBOT, "rotate-key"], tmp_path, DATABASE_URL=url, STATBOT_ENCRYPTION_KEY=keys)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


def test_rotate_key_re_encrypts_every_token_with_the_first_key_and_a_second_run_changes_nothing(
    tmp_path: Path, engine: Engine
) -> None:
    old, new = new_key(), new_key()
    save(engine, old, "T0ONE")
    save(engine, old, "T0TWO")
    before = stored_tokens(engine)
    assert len(before) == 10  # each team: a bot row (2 tokens) and an installation row (3)

    status, out, _ = rotate(tmp_path, engine, f"{new},{old}")
    assert status == 0 and "Re-encrypted 10 tokens with the first key; 0 tokens already used it." in out
    after = stored_tokens(engine)
    only_new = TokenCipher(new)
    assert sorted(only_new.decrypt(t) for t in after) == sorted(TokenCipher(old).decrypt(t) for t in before)
    bot = EncryptedInstallationStore(CLIENT_ID, engine, only_new).find_bot(
        enterprise_id=None, team_id="T0TWO"
    )
    assert bot is not None and bot.bot_token == "xoxb-T0TWO"

    status, out, _ = rotate(tmp_path, engine, f"{new},{old}")
    assert status == 0 and "Re-encrypted 0 tokens with the first key; 10 tokens already used it." in out
    assert stored_tokens(engine) == after


def test_a_token_no_key_opens_is_reported_and_left_while_the_others_are_rotated(
    tmp_path: Path, engine: Engine
) -> None:
    old, new, lost = new_key(), new_key(), new_key()
    save(engine, old, "T0ONE")
    save(engine, lost, "T0LOST")
    status, out, err = rotate(tmp_path, engine, f"{new},{old}")
    assert status == 1
    assert "Re-encrypted 5 tokens" in out and "5 tokens did not decrypt with any key" in err
    bot = EncryptedInstallationStore(CLIENT_ID, engine, TokenCipher(lost)).find_bot(
        enterprise_id=None, team_id="T0LOST"
    )
    assert bot is not None and bot.bot_token == "xoxb-T0LOST"


def test_rotate_key_without_a_key_says_what_to_set(tmp_path: Path) -> None:
    result = run([STATBOT, "rotate-key"], tmp_path, STATBOT_ENCRYPTION_KEY="")
    assert result.returncode == 2 and "needs STATBOT_ENCRYPTION_KEY" in result.stderr
