"""The add and edit modals over HTTP: opened by command, shortcut or Edit; errors beside the field; editors publish."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.local_slack import SlackStandIn
from commands import forms, review
from storage import changes, workspaces
from storage.db import make_sessions
from storage.models import Quote, Statistic, Status, Workspace
from tests.conftest import SIGNING_SECRET, TEAM, slack_settings
from tests.slackapi.actions import send
from tests.slackapi.forms import GOOD, submit
from tests.slackapi.replies import ask, dm_to, message_text
from tests.slackapi.review import CHANNEL, WRITER
from tests.slackapi.signing import (
    TRIGGER_ID,
    block_action_payload,
    post,
    signed_headers,
    slash_command_body,
)

EDITOR = "U0EDITOR"


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin, review_channel=CHANNEL)


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)


def count(engine: Engine, model: type[Statistic] | type[Quote]) -> int:
    with make_sessions(engine)() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("command", "callback"), [("/stats", forms.FIGURE_FORM), ("/quote", forms.QUOTE_FORM)]
)
def test_add_opens_the_form_with_the_trigger_id(
    server: str, standin: SlackStandIn, command: str, callback: str
) -> None:
    body = slash_command_body(command, "add", user_id=WRITER, response_url=standin.response_url("cmd"))
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    opened = standin.wait_for("views.open")[0].params
    assert opened["trigger_id"] == TRIGGER_ID and opened["view"]["callback_id"] == callback
    blocks = {block["block_id"] for block in opened["view"]["blocks"]}
    expected = (
        {"text", "speaker", "said_on"} if command == "/quote" else {"value", "unit", "measure", "evidence"}
    )
    assert expected <= blocks
    assert standin.violations == []


def test_the_global_shortcut_opens_the_figure_form(server: str, standin: SlackStandIn) -> None:
    payload = {
        "type": "shortcut", "callback_id": forms.FIGURE_SHORTCUT, "trigger_id": TRIGGER_ID,
        "action_ts": "1700000000.000001", "user": {"id": WRITER, "username": "w", "team_id": TEAM},
        "team": {"id": TEAM, "domain": "test-team"}, "api_app_id": "A0APP", "token": "x",
        "is_enterprise_install": False, "enterprise": None,
    }  # fmt: skip
    status, _ = send(server, payload)
    assert status == 200
    assert standin.wait_for("views.open")[0].params["view"]["callback_id"] == forms.FIGURE_FORM


def test_mistakes_come_back_beside_their_fields_and_nothing_is_stored(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    before = count(engine, Statistic)
    status, raw = submit(server, GOOD | {"value": "lots", "period_end": "2022-01", "source_title": "",
                                         "source_publisher": ""}, WRITER)  # fmt: skip
    assert status == 200
    answer = json.loads(raw)
    assert answer["response_action"] == "errors"
    assert {"value", "period_end"} <= set(answer["errors"])
    assert any(key.startswith("source_") for key in answer["errors"])
    assert count(engine, Statistic) == before


def test_an_editors_figure_is_published_at_once(server: str, standin: SlackStandIn, engine: Engine) -> None:
    status, raw = submit(server, GOOD, EDITOR)
    assert status == 200 and "errors" not in raw
    assert "*34%*" in ask(server, standin, "snapchat grooming")
    told = standin.wait_for("chat.postMessage")[0]
    assert dm_to(standin, told) == EDITOR and "Published #" in told.params["text"]
    status, raw = submit(server, GOOD, EDITOR)
    assert "already stored as #" in json.loads(raw)["errors"]["value"]


def test_a_link_stored_with_another_date_is_shown_beside_the_date_and_nothing_is_stored(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    status, raw = submit(server, GOOD, EDITOR)
    assert status == 200 and "errors" not in raw
    before = count(engine, Statistic)
    other = GOOD | {"measure": "share of sextortion reports on Snapchat", "source_date": "2019-02"}
    status, raw = submit(server, other, EDITOR)
    errors = json.loads(raw)["errors"]
    assert "'2024-08'" in errors["source_date"] and "'2019-02'" in errors["source_date"]
    assert count(engine, Statistic) == before


def test_a_writers_figure_waits_for_review_in_the_review_channel(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    submit(server, GOOD, WRITER)
    assert "34%" not in ask(server, standin, "snapchat grooming")
    posts = standin.wait_for("chat.postMessage", count=2)
    assert posts[0].params["channel"] == CHANNEL and "for review" in posts[0].params["text"]
    assert dm_to(standin, posts[1]) == WRITER and "an editor will review it" in posts[1].params["text"]
    with make_sessions(engine)() as session:
        assert (
            session.scalars(select(Statistic.status).where(Statistic.created_by == WRITER)).one() == "pending"
        )


def test_a_workspace_review_channel_wins_over_the_setting(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        workspace = session.get(Workspace, home_id)
        assert workspace is not None
        workspaces.set_review_channel(session, workspace, "C0CHOSEN")
        session.commit()
    submit(server, GOOD, WRITER)
    assert standin.wait_for("chat.postMessage")[0].params["channel"] == "C0CHOSEN"


def test_edit_from_the_review_message_opens_the_form_filled_in_and_saves_the_change(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    submit(server, GOOD, WRITER)
    posted = standin.wait_for("chat.postMessage")[0]
    message = {"ts": posted.response["ts"] if posted.response else "1.1", "blocks": posted.params["blocks"]}
    with make_sessions(engine)() as session:
        item_id = session.scalars(select(Statistic.id).where(Statistic.created_by == WRITER)).one()
    ref = review.ItemRef("figure", item_id).value()
    refused = block_action_payload(review.EDIT, ref, user_id=WRITER, channel_id=CHANNEL, message=message,
                                   response_url=standin.response_url("e"))  # fmt: skip
    send(server, refused)
    assert "Only editors" in standin.wait_for("chat.postEphemeral")[0].params["text"]
    assert standin.calls("views.open") == []
    pressed = block_action_payload(review.EDIT, ref, user_id=EDITOR, channel_id=CHANNEL, message=message,
                                   response_url=standin.response_url("e"))  # fmt: skip
    send(server, pressed)
    view = standin.wait_for("views.open")[0].params["view"]
    filled = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert filled["value"]["initial_value"] == "34" and filled["unit"]["initial_option"]["value"] == "percent"
    assert (
        filled["measure"]["initial_value"] == GOOD["measure"]
        and filled["producer"]["initial_value"] == "NSPCC"
    )
    status, raw = submit(server, GOOD | {"value": "35%"}, EDITOR, metadata=view["private_metadata"])
    assert status == 200 and "errors" not in raw
    with make_sessions(engine)() as session:
        stat = session.get(Statistic, item_id)
        assert stat is not None and stat.value == 35 and stat.status == Status.PENDING
        assert [e.action for e in changes.history(session, home_id, "figure", item_id)] == [
            "create",
            "edit",
        ]
    update = standin.wait_for("chat.update")[0].params
    assert update["ts"] == message["ts"] and "*35%*" in message_text(update)
    assert standin.violations == []


def test_a_quote_from_the_form_is_stored(server: str, standin: SlackStandIn, engine: Engine) -> None:
    before = count(engine, Quote)
    values = {"text": "Enough is enough.", "speaker": "Sir Peter Wanless", "source_publisher": "NSPCC",
              "said_on": "2024-08"}  # fmt: skip
    status, raw = submit(server, values, EDITOR, form="quote")
    assert status == 200 and "errors" not in raw
    assert count(engine, Quote) == before + 1
    assert "Peter Wanless" in ask(server, standin, "wanless", command="/quote")


def test_a_review_channel_the_bot_is_not_in_leaves_the_figure_pending_and_says_so(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    standin.add_channel(CHANNEL, is_member=False)
    status, raw = submit(server, GOOD, WRITER)
    assert status == 200 and "errors" not in raw
    dm = standin.wait_for("chat.postMessage", ok=True)[0]
    assert dm_to(standin, dm) == WRITER and "waits for an editor" in dm.params["text"]
    with make_sessions(engine)() as session:
        assert (
            session.scalars(select(Statistic.status).where(Statistic.created_by == WRITER)).one() == "pending"
        )
