"""Retraction notices, over signed requests to the real app and the Web API stand-in, on SQLite and PostgreSQL:
statbot records where each figure was shared or copied (Share in channel, Share this one, a mention's answer
shared in its thread, Citation); when the figure is retracted or superseded everyone who shared it is told by
direct message (with the replacement) and each message statbot posted is updated with a note. Slack's errors
(a deleted message, a refused DM, a 429) cost only their own notice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import notices
from bot.app import make_client
from bot.config import Settings
from bot.local_slack import Call, SlackStandIn
from bot.web import create_wsgi
from commands import item_menu
from commands.reply import SHARE_ACTION
from intake.validate import FigureInput, validate_figure
from storage import changes, roles, shares
from storage.db import make_sessions
from storage.models import Share, Statistic
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, slack_settings
from tests.http_server import serving
from tests.items import SNAPCHAT
from tests.slackapi.replies import ask_and_confirm, message_text
from tests.slackapi.signing import block_action_payload, interactive_body, post, signed_headers

EDITOR = "U0EDITOR"
THREAD = "1700000000.000900"


@pytest.fixture
def server(engine: Engine, standin: SlackStandIn, home_id: int) -> Iterator[str]:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    with serving(create_wsgi(slack_settings(engine, standin))) as url:
        yield url


def add(sessions: sessionmaker[Session], workspace_id: int, **typed: str) -> int:
    checked = validate_figure(SNAPCHAT | typed)
    assert isinstance(checked, FigureInput), checked
    with sessions.begin() as session:
        item, created = changes.add_figure(session, workspace_id, checked, actor=EDITOR, publish=True)
        assert created
        return item.id


def send(server: str, payload: dict[str, Any]) -> None:
    body = interactive_body(payload)
    assert post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))[0] == 200


def share_answer(server: str, standin: SlackStandIn, user: str, channel: str, thread: str | None = None) -> None:
    asked: dict[str, Any] = {"command": "/stats", "text": "snapchat"}
    if thread:
        asked["thread_ts"] = thread  # what a mention's answer carries (bot.mentions)
    send(server, block_action_payload(SHARE_ACTION, json.dumps(asked), user_id=user, channel_id=channel,
                                      response_url=standin.response_url(f"{user}-share")))  # fmt: skip


def menu(server: str, standin: SlackStandIn, value: str, user: str, channel: str) -> None:
    payload = block_action_payload(item_menu.ITEM_MENU, value, user_id=user, channel_id=channel,
                                   response_url=standin.response_url(f"{user}-menu"), action_type="static_select")  # fmt: skip
    payload["actions"][0]["type"] = "overflow"
    send(server, payload)


def posted_in(standin: SlackStandIn, channel: str) -> list[Call]:
    return [c for c in standin.calls("chat.postMessage", ok=True) if c.params["channel"] == channel]


def dms(standin: SlackStandIn) -> dict[str, str]:
    """Direct messages by the user they went to (conversations.open gives D + the user's id after U)."""
    return {
        "U" + c.params["channel"][1:]: message_text(c.params)
        for c in standin.calls("chat.postMessage", ok=True)
        if c.params["channel"].startswith("D")
    }


def everyone_shares(server: str, standin: SlackStandIn, figure: int) -> None:
    standin.add_channel("C0NOTIN", is_member=False)  # statbot is not in it: shared through the response URL
    share_answer(server, standin, "U0ANSWER", "C0ONE")
    menu(server, standin, f"share:figure:{figure}", "U0ITEM", "C0TWO")
    share_answer(server, standin, "U0MENTION", "C0FOUR", thread=THREAD)
    menu(server, standin, f"cite:figure:{figure}", "U0CITE", "C0THREE")
    share_answer(server, standin, "U0PRIVATE", "C0NOTIN")


def recorded(engine: Engine) -> list[Share]:
    with make_sessions(engine)() as session:
        return list(session.scalars(select(Share).order_by(Share.id)))


def test_each_share_and_copy_is_recorded_with_the_message_statbot_posted(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], home_id: int
) -> None:
    figure = add(sessions, home_id)
    everyone_shares(server, standin, figure)
    [answer] = posted_in(standin, "C0ONE")
    assert "Shared by <@U0ANSWER>" in message_text(answer.params) and "*34%*" in message_text(answer.params)
    [mention] = posted_in(standin, "C0FOUR")
    assert mention.params["thread_ts"] == THREAD
    private = standin.response_posts("U0PRIVATE-share")
    assert private[0]["response_type"] == "in_channel" and "Shared by <@U0PRIVATE>" in message_text(private[0])

    mine = [(s.how, s.channel_id, s.shared_by, s.message_ts is not None) for s in recorded(engine)
            if s.item_id == figure]  # fmt: skip
    assert mine == [
        ("answer", "C0ONE", "U0ANSWER", True), ("item", "C0TWO", "U0ITEM", True),
        ("answer", "C0FOUR", "U0MENTION", True), ("citation", "C0THREE", "U0CITE", False),
        ("answer", "C0NOTIN", "U0PRIVATE", False),
    ]  # fmt: skip
    assert standin.violations == []


def test_a_retraction_tells_everyone_who_shared_it_and_notes_each_message_statbot_posted(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], home_id: int
) -> None:
    figure = add(sessions, home_id)
    other = add(sessions, home_id, measure="share of grooming offences on Instagram", entities="Instagram")
    everyone_shares(server, standin, figure)
    menu(server, standin, f"share:figure:{other}", "U0OTHER", "C0TWO")
    shared_ts: dict[str, str] = {}  # the first post in each channel: the figure's share
    for call in standin.calls("chat.postMessage", ok=True):
        shared_ts.setdefault(call.params["channel"], str((call.response or {}).get("ts")))
    standin.clear()

    said = ask_and_confirm(server, standin, f"retract {figure} BBC corrected the share")
    assert "retracted" in said
    updates = standin.wait_for("chat.update", 3)
    standin.wait_for("chat.postMessage", 5)

    told = dms(standin)
    assert set(told) == {"U0ANSWER", "U0ITEM", "U0MENTION", "U0CITE", "U0PRIVATE"}  # not U0OTHER
    assert all(f"#{figure}" in text and "was retracted" in text and "BBC corrected the share" in text
               for text in told.values())  # fmt: skip
    assert "copied its citation in <#C0THREE>" in told["U0CITE"]
    assert "shared it in <#C0NOTIN>" in told["U0PRIVATE"]

    by_message = {(u.params["channel"], u.params["ts"]): u.params for u in updates}
    assert set(by_message) == {(c, shared_ts[c]) for c in ("C0ONE", "C0TWO", "C0FOUR")}
    for params in by_message.values():
        note = message_text({"blocks": params["blocks"][:1]})
        assert f"*Figure #{figure}* in this message" in note and "was retracted" in note
    # The answer is given again beneath the note: the retracted figure is no longer in it.
    answer_now = message_text({"blocks": by_message[("C0ONE", shared_ts["C0ONE"])]["blocks"][1:]})
    assert "Shared by <@U0ANSWER>" in answer_now and f"Figure #{figure}" not in answer_now
    assert standin.violations == []

    # Told once: a second pass (another retraction) does not tell them again.
    standin.clear()
    ask_and_confirm(server, standin, f"retract {other} wrong platform")
    standin.wait_for("chat.update", 1)
    standin.wait_for("chat.postMessage", 1)
    assert set(dms(standin)) == {"U0OTHER"}


def test_a_supersession_tells_them_the_replacement(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    old = add(sessions, home_id)
    new = add(sessions, home_id, value="36%", period_start="2024-04", period_end="2025-03")
    menu(server, standin, f"share:figure:{old}", "U0ITEM", "C0TWO")
    standin.clear()
    ask_and_confirm(server, standin, f"supersede {old} {new}")
    [update] = standin.wait_for("chat.update", 1)
    standin.wait_for("chat.postMessage", 1)
    text = dms(standin)["U0ITEM"]
    assert "was superseded" in text and f"by figure #{new}, *36%*" in text and "cite that instead" in text
    note = message_text({"blocks": update.params["blocks"][:1]})
    assert f"by figure #{new}" in note
    assert ":warning: *Superseded by* 36%" in message_text(update.params)  # the item shown again says so too


def test_slack_errors_cost_only_their_own_notice(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], home_id: int
) -> None:
    figure = add(sessions, home_id)
    everyone_shares(server, standin, figure)
    [answer] = posted_in(standin, "C0ONE")
    client = make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))
    client.chat_delete(channel="C0ONE", ts=(answer.response or {})["ts"])  # someone deleted the first share
    standin.clear()
    # The first DM is refused for good and the second is rate limited once (and retried).
    standin.fail_next("conversations.open", error="user_not_found")
    standin.fail_next("conversations.open", status=429, retry_after=1)
    ask_and_confirm(server, standin, f"retract {figure} BBC corrected the share")

    notices = _settled(engine, figure)
    assert notices == {
        "U0ANSWER": "dm user_not_found; update message_not_found",
        "U0ITEM": "dm sent; update done",
        "U0MENTION": "dm sent; update done",
        "U0CITE": "dm sent",
        "U0PRIVATE": "dm sent",
    }
    assert set(dms(standin)) == {"U0ITEM", "U0MENTION", "U0CITE", "U0PRIVATE"}
    assert [c.params["channel"] for c in standin.calls("chat.update", ok=True)] == ["C0TWO", "C0FOUR"]
    failed = [(c.method, (c.response or {}).get("error")) for c in standin.calls(ok=False)]
    assert failed == [("conversations.open", "user_not_found"), ("conversations.open", "ratelimited"),
                      ("chat.update", "message_not_found")]  # fmt: skip


def _settled(engine: Engine, figure: int) -> dict[str, str]:
    """Each share's recorded outcome, once every one has one (the notices run after the answer)."""
    deadline = time.monotonic() + 30
    while True:
        shares = [s for s in recorded(engine) if s.item_id == figure]
        if all(s.noticed_at is not None and s.notice != "sending" for s in shares):
            return {s.shared_by: s.notice for s in shares}
        assert time.monotonic() < deadline, [(s.shared_by, s.notice) for s in shares]
        time.sleep(0.05)


def test_notices_a_dead_process_left_claimed_are_sent_by_the_clock_after_the_lease(
    server: str, standin: SlackStandIn, engine: Engine, sessions: sessionmaker[Session], home_id: int
) -> None:
    figure = add(sessions, home_id)
    menu(server, standin, f"share:figure:{figure}", "U0ITEM", "C0TWO")
    with sessions.begin() as session:
        stat = session.get(Statistic, figure)
        assert stat is not None
        changes.retract(session, stat, actor=EDITOR, reason="BBC corrected the share")
    # A process claims the notice and dies before sending it.
    claimed_at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    with sessions.begin() as session:
        assert len(shares.claim(session, home_id, claimed_at)) == 1
    standin.clear()
    client = make_client(Settings(bot_token=BOT_TOKEN, api_url=standin.api_url))

    assert notices.tell_everywhere(sessions, client, now=claimed_at + timedelta(minutes=5)) == 0  # within the lease
    assert standin.calls("chat.postMessage") == []
    assert notices.tell_everywhere(sessions, client, now=claimed_at + shares.LEASE + timedelta(minutes=1)) == 2
    assert "was retracted" in dms(standin)["U0ITEM"]
    assert [c.params["channel"] for c in standin.calls("chat.update", ok=True)] == ["C0TWO"]
    assert notices.tell_everywhere(sessions, client, now=claimed_at + timedelta(hours=1)) == 0  # told once
    assert _settled(engine, figure) == {"U0ITEM": "dm sent; update done"}
