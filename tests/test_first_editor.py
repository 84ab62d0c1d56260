"""Who may name a workspace's first editor: in Slack only the person who installed statbot (multi-workspace
mode) or a workspace admin or owner (users.info); on the command line the operator, with a Slack user id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import roles, workspaces
from tests.commandline import STATBOT, run
from tests.conftest import SIGNING_SECRET, TEAM
from tests.http_server import serving
from tests.installs import install, multi_settings
from tests.slackapi.signing import post, signed_headers, slash_command_body

MEMBER = "U0MEMBER"
INSTALLER = "U0INSTALLER"
NOT_ALLOWED = "only the person who installed statbot or a workspace admin or owner"


def ask(server: str, text: str, user: str, team: str = TEAM) -> str:
    body = slash_command_body("/stats", text, user_id=user, team_id=team, response_url="http://127.0.0.1:9/x")
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200, raw
    reply: dict[str, Any] = json.loads(raw)
    return json.dumps(reply, ensure_ascii=False)


@pytest.fixture
def single(settings: Settings, home_id: int) -> Iterator[str]:
    with serving(create_wsgi(settings)) as url:
        yield url


def test_a_member_cannot_make_themselves_the_first_editor(
    single: str, standin: SlackStandIn, db: Session, home_id: int
) -> None:
    standin.add_user(MEMBER)
    reply = ask(single, f"editors add <@{MEMBER}|me>", MEMBER)
    assert NOT_ALLOWED in reply and "statbot editors add" in reply, reply
    assert roles.editors(db, home_id) == []
    assert "no editors yet" in ask(single, "editors", MEMBER)


@pytest.mark.parametrize("role", ["is_admin", "is_owner", "is_primary_owner"])
def test_a_workspace_admin_or_owner_names_the_first_editor_then_editors_take_over(
    single: str, standin: SlackStandIn, db: Session, home_id: int, role: str
) -> None:
    standin.add_user("U0BOSS", **{role: True})
    assert f"<@{MEMBER}> can now publish" in ask(single, f"editors add <@{MEMBER}|m>", "U0BOSS")
    assert roles.editors(db, home_id) == [MEMBER]
    # From now on only editors change editors, admins included.
    assert "Only editors" in ask(single, "editors add <@U0BOSS>", "U0BOSS")
    assert [c.params["user"] for c in standin.calls("users.info")] == ["U0BOSS"]


def test_when_slack_cannot_say_who_is_an_admin_the_first_editor_is_not_named(
    single: str, standin: SlackStandIn, db: Session, home_id: int
) -> None:
    standin.add_user("U0BOSS", is_admin=True)
    standin.fail_next("users.info", error="user_not_visible")
    reply = ask(single, "editors add <@U0BOSS>", "U0BOSS")
    assert "could not check" in reply, reply
    assert roles.editors(db, home_id) == []


@pytest.fixture
def multi(engine: Engine, standin: SlackStandIn) -> Iterator[str]:
    with serving(create_wsgi(multi_settings(engine, standin))) as url:
        yield url


def test_in_an_add_to_slack_install_the_installer_may_name_the_first_editor_and_a_member_may_not(
    multi: str, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    status, page = install(multi, standin, "T0ONE", installer=INSTALLER)
    assert status == 200, page
    standin.add_user(MEMBER)
    standin.add_user(INSTALLER)  # not an admin: having installed it is enough
    assert NOT_ALLOWED in ask(multi, f"editors add <@{MEMBER}>", MEMBER, team="T0ONE")
    assert f"<@{INSTALLER}> can now publish" in ask(
        multi, f"editors add <@{INSTALLER}>", INSTALLER, team="T0ONE"
    )
    with sessions() as session:
        workspace = workspaces.for_team(session, "T0ONE")
        assert workspace is not None and roles.editors(session, workspace.id) == [INSTALLER]


@pytest.mark.parametrize(
    ("given", "user_id"),
    [
        ("U0123ABCD", True), ("W0456EFGH", True),
        ("alice", False), ("u0123abcd", False), ("<@U0123ABCD>", False), ("C0123ABCD", False), ("U", False),
        ("U0123-ABC", False),
    ],
)  # fmt: skip
def test_what_is_a_slack_user_id(given: str, user_id: bool) -> None:
    assert roles.is_user_id(given) is user_id


@pytest.mark.slow
@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_the_command_line_refuses_what_is_not_a_slack_user_id_and_adds_no_one(tmp_path: Path) -> None:
    result = run([STATBOT, "editors", "add", "U0FINE", "alice", "<@U0123ABCD>"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "'alice', '<@U0123ABCD>' is not a Slack user id" in result.stderr and "U0123ABCD" in result.stderr
    assert "Editors: none" in run([STATBOT, "editors", "list"], tmp_path).stdout


@pytest.mark.slow
@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_the_command_line_names_the_first_editor_by_user_id(tmp_path: Path) -> None:
    result = run([STATBOT, "editors", "add", "U0123ABCD", "W0456EFGH"], tmp_path)
    assert result.returncode == 0 and "Editors: U0123ABCD, W0456EFGH" in result.stdout
