"""People and channels named in slash commands, as Slack sends them with escaping on (`should_escape: true`):
`<@U123|alice>` and `<#C123|press>`; a plain `@alice` or `#press` (no such person, or escaping off) gets a
hint rather than the usage line. Signed requests to the real app over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from storage import roles
from storage.models import Subscription, Workspace
from tests.conftest import SIGNING_SECRET
from tests.slackapi.replies import DIGEST_CHANNEL as CHANNEL
from tests.slackapi.replies import digest, text
from tests.slackapi.signing import post, signed_headers, slash_command_body

EDITOR = "U0EDITOR"


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def ask(server: str, text: str, command: str = "/stats", user: str = EDITOR) -> str:
    body = slash_command_body(command, text, user_id=user, response_url="http://127.0.0.1:9/unused")
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200, raw
    reply: dict[str, Any] = json.loads(raw)
    return json.dumps(reply, ensure_ascii=False)


def test_every_slash_command_in_the_manifest_has_slack_escape_people_and_channels(repo_root: Path) -> None:
    manifest = yaml.safe_load((repo_root / "manifest.yml").read_text())
    commands = manifest["features"]["slash_commands"]
    assert commands and {c["command"]: c.get("should_escape") for c in commands} == {
        c["command"]: True for c in commands
    }


@pytest.mark.parametrize("mention", ["<@U0ALICE|alice>", "<@U0ALICE>", "<@W0ALICE|alice>"])
def test_editors_add_takes_the_mention_slack_sends(
    server: str, mention: str, home_id: int, db: Session
) -> None:
    person = mention[2:].split("|")[0].rstrip(">")
    assert f"<@{person}> can now publish" in ask(server, f"editors add {mention}")
    assert person in roles.editors(db, home_id)


@pytest.mark.parametrize(
    "typed", ["editors add @alice", "editors remove @alice", "editors add <@U0ALICE> @bob"]
)
def test_a_plain_at_name_gets_a_hint_to_pick_the_person_not_the_usage_line(
    server: str, typed: str, home_id: int, db: Session
) -> None:
    reply = ask(server, typed)
    assert "plain text" in reply and "pick them from the list" in reply, reply
    assert "Use `/stats editors`" not in reply
    assert roles.editors(db, home_id) == [EDITOR]


def test_review_channel_takes_the_channel_slack_sends_and_hints_at_a_plain_hash_name(
    server: str, home_id: int, db: Session
) -> None:
    assert "posted for review in <#C0PRESS>" in ask(server, "review-channel <#C0PRESS|press>")
    assert "posted for review in <#G0PRIVATE>" in ask(server, "review-channel <#G0PRIVATE|>")
    reply = ask(server, "review-channel #press")
    assert "plain text" in reply and "pick it from the list" in reply, reply
    db.expire_all()
    workspace = db.get(Workspace, home_id)
    assert workspace is not None and workspace.review_channel == "G0PRIVATE"


@pytest.mark.parametrize("topic", ["<#C0PRESS|press> facebook", "facebook <@U0ALICE|alice>"])
def test_digest_subscribe_with_a_channel_or_person_in_the_topic_says_where_digests_go(
    server: str, standin: SlackStandIn, topic: str, sessions: sessionmaker[Session]
) -> None:
    standin.add_channel(CHANNEL)
    reply = text(digest(server, standin, f"subscribe {topic}"))
    assert "the channel you type" in reply, reply
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 0
