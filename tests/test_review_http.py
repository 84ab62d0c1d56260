"""Review in Slack over HTTP: a pending figure is posted with buttons; only editors' presses change anything."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot import posting
from bot.local_slack import SlackStandIn
from commands import review
from storage import changes
from storage.db import make_sessions
from storage.models import Statistic, Status
from tests.conftest import BOT_TOKEN
from tests.items import a_figure
from tests.slackapi.replies import ask, message_text
from tests.slackapi.review import CHANNEL, WRITER, press, submitted

EDITOR = "U0EDITOR"


def status_of(engine: Engine, item_id: int) -> Statistic:
    with make_sessions(engine)() as session:
        stat = session.get(Statistic, item_id)
        assert stat is not None
        return stat


def test_a_submission_is_posted_to_the_review_channel_with_three_buttons(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    item_id, message = submitted(engine, standin, home_id)
    call = standin.last("chat.postMessage")
    assert call.params["channel"] == CHANNEL and "<@U0WRITER>" in message_text(message)
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == list(review.ACTIONS)
    assert standin.violations == []
    assert f"Figure #{item_id}" in ask(server, standin, "pending")


def test_the_review_card_names_the_blank_fields_as_missing(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    # The figure has a publisher and date but no period, place, evidence or link (issue 16).
    _, message = submitted(engine, standin, home_id)
    missing = next(line for line in message_text(message).splitlines() if "*Missing:*" in line)
    assert all(name in missing for name in ("period", "place", "evidence", "link"))
    assert "publisher" not in missing and "source date" not in missing
    assert standin.violations == []


def test_an_editor_approves_and_the_message_says_who_and_when(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    item_id, message = submitted(engine, standin, home_id)
    assert "34%" not in ask(server, standin, "snapchat grooming")
    press(server, standin, review.APPROVE, item_id, message, EDITOR)
    stat = status_of(engine, item_id)
    assert stat.status == Status.PUBLISHED and stat.published_at is not None
    update = standin.wait_for("chat.update")[0].params
    assert update["ts"] == message["ts"] and update["channel"] == CHANNEL
    text = message_text(update)
    assert "approved* by <@U0EDITOR> on " in text and not any(
        b["type"] == "actions" for b in update["blocks"]
    )
    assert "*34%*" in ask(server, standin, "snapchat grooming")
    assert standin.violations == []


def test_a_non_editor_pressing_approve_is_told_politely_and_nothing_changes(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    item_id, message = submitted(engine, standin, home_id)
    press(server, standin, review.APPROVE, item_id, message, WRITER)
    refusal = standin.wait_for("chat.postEphemeral")[0].params
    assert refusal["user"] == WRITER and "Only editors" in refusal["text"]
    assert status_of(engine, item_id).status == Status.PENDING
    assert standin.calls("chat.update") == []


def test_reject_asks_nothing_marks_it_rejected_and_a_second_press_changes_nothing(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    item_id, message = submitted(engine, standin, home_id)
    press(server, standin, review.REJECT, item_id, message, EDITOR)
    assert status_of(engine, item_id).status == Status.REJECTED
    assert "rejected* by <@U0EDITOR>" in message_text(standin.wait_for("chat.update")[0].params)
    press(server, standin, review.APPROVE, item_id, message, EDITOR)
    assert "already rejected" in standin.wait_for("chat.postEphemeral")[0].params["text"]
    assert status_of(engine, item_id).status == Status.REJECTED
    with make_sessions(engine)() as session:
        assert [e.action for e in changes.history(session, home_id, "figure", item_id)] == ["create", "reject"]


def test_without_a_review_channel_the_item_waits_in_pending(
    standin: SlackStandIn, db: Session, home_id: int
) -> None:
    item, _ = changes.submit_for_review(db, home_id, a_figure(), WRITER)
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    assert posting.post_for_review(client, db, home_id, item) is None
    assert standin.calls("chat.postMessage") == []
    thread = posting.post_for_review(client, db, home_id, item, default_channel=CHANNEL, thread_ts="1.2")
    assert thread is not None and standin.last("chat.postMessage").params["thread_ts"] == "1.2"
