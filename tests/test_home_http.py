"""The App Home tab over HTTP: signed `app_home_opened` events and block actions to the real app, with the Web API
stand-in (which refuses views over Slack's limits) recording what statbot publishes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from commands import home, review
from storage import changes, freshness
from storage.db import make_sessions
from storage.models import Statistic, Status, Subscription, utcnow
from storage.partial_date import PartialDate
from tests.conftest import SIGNING_SECRET
from tests.items import a_figure, add_figure
from tests.slackapi.events import send_event
from tests.slackapi.forms import GOOD, submit
from tests.slackapi.home import from_home, searched_from_home
from tests.slackapi.replies import dm_to
from tests.slackapi.review import CHANNEL, submitted
from tests.slackapi.signing import post, signed_headers

EDITOR = "U0EDITOR"
WRITER = "U0WRITER"
READER = "U0READER"


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def open_home(server: str, standin: SlackStandIn, user: str) -> dict[str, Any]:
    before = len(standin.calls("views.publish"))
    send_event(server, {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                        "event_ts": "1700000000.000200"})  # fmt: skip
    call = standin.wait_for("views.publish", before + 1)[-1]
    assert not call.failed, call.response
    assert call.params["user_id"] == user
    view: dict[str, Any] = call.params["view"]
    return view


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def pending_figures(sessions: sessionmaker[Session], home_id: int, how_many: int) -> list[int]:
    ids = []
    with sessions() as session:
        for n in range(how_many):
            figure = a_figure()._replace(measure=f"share of grooming offences, sample {n}")
            item, created = changes.submit_for_review(session, home_id, figure, WRITER)
            assert created
            ids.append(item.id)
        session.commit()
    return ids


def test_a_reader_sees_the_search_box_and_the_newest_sample_figures_and_quotes_but_no_review_queue(
    server: str, standin: SlackStandIn
) -> None:
    view = open_home(server, standin, READER)
    assert view["type"] == "home"
    search = next(b for b in view["blocks"] if b.get("block_id") == home.SEARCH_BLOCK)
    assert search["type"] == "input" and search["dispatch_action"] is True
    assert search["element"]["dispatch_action_config"] == {"trigger_actions_on": ["on_enter_pressed"]}
    shown = texts(view)
    assert "9,477" in shown and "52%" in shown  # the sample's two figures
    assert shown.count("Quote #") == home.NEWEST  # and its newest quotes
    assert "Waiting for review" not in shown and review.APPROVE not in shown
    assert standin.violations == []


def test_the_messages_tab_publishes_nothing(server: str, standin: SlackStandIn) -> None:
    send_event(server, {"type": "app_home_opened", "user": READER, "channel": "D0HOME", "tab": "messages"})
    opened = open_home(server, standin, READER)  # a later event is answered, so the first one was handled
    assert opened and len(standin.calls("views.publish")) == 1


def test_an_editor_sees_the_queue_with_the_review_buttons_and_the_writer_their_own_pending(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    [item_id] = pending_figures(sessions, home_id, 1)
    view = open_home(server, standin, EDITOR)
    buttons = next(b for b in view["blocks"] if b.get("block_id") == f"home_review_figure_{item_id}")
    assert [e["action_id"] for e in buttons["elements"]] == [review.APPROVE, review.EDIT, review.REJECT]
    assert "Waiting for review* (1)" in texts(view)
    own = texts(open_home(server, standin, WRITER))
    assert f"Figure #{item_id}: 34% share of grooming offences" in own and review.APPROVE not in own


def test_a_long_queue_stays_within_slacks_100_blocks_and_says_how_many_more(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    pending_figures(sessions, home_id, 60)
    view = open_home(server, standin, EDITOR)
    assert len(view["blocks"]) <= home.VIEW_MAX_BLOCKS
    assert "…and 50 more: `/stats pending` lists them." in texts(view)
    assert standin.violations == []


def test_approving_from_the_tab_publishes_the_figure_and_republishes_the_editors_and_writers_tabs(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    [item_id] = pending_figures(sessions, home_id, 1)
    open_home(server, standin, EDITOR)
    standin.clear()
    body = from_home(review.APPROVE, review.ItemRef("figure", item_id).value(), EDITOR, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    published = {c.params["user_id"]: c.params["view"] for c in standin.wait_for("views.publish", 2)}
    assert set(published) == {EDITOR, WRITER}
    assert "Waiting for review* (0)" in texts(published[EDITOR])
    assert "share of grooming offences, sample 0" in texts(published[EDITOR])  # now among the newest figures
    assert standin.calls("chat.update") == []  # no message was pressed
    with sessions() as session:
        item = session.get(Statistic, item_id)
        assert item is not None and item.status == Status.PUBLISHED.value


def test_a_non_editor_pressing_approve_from_the_tab_is_told_by_direct_message_and_nothing_changes(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    [item_id] = pending_figures(sessions, home_id, 1)
    body = from_home(review.APPROVE, review.ItemRef("figure", item_id).value(), READER, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    told = standin.wait_for("chat.postMessage")[-1]
    assert dm_to(standin, told) == READER and told.params["text"] == review.NOT_AN_EDITOR
    with sessions() as session:
        item = session.get(Statistic, item_id)
        assert item is not None and item.status == Status.PENDING.value


def test_the_search_box_opens_the_answer_in_a_modal_without_a_share_button(
    server: str, standin: SlackStandIn
) -> None:
    body = searched_from_home("facebook", READER, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    opened = standin.wait_for("views.open")[-1]
    assert not opened.failed, opened.response
    modal = opened.params["view"]
    assert modal["type"] == "modal" and len(modal["blocks"]) <= home.VIEW_MAX_BLOCKS
    shown = texts(modal)
    assert "9,477" in shown and "Quote #" in shown  # figures, then quotes
    assert "share_answer" not in shown
    assert standin.violations == []


def test_the_digests_a_person_manages_are_listed(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    now = utcnow()
    with sessions() as session:
        for channel in ("C0PRESS", "D0READER"):
            session.add(Subscription(workspace_id=home_id, channel_id=channel, topic="facebook", frequency="weekly",
                                     weekday=0, at=now.time().replace(microsecond=0), tz="UTC", created_by=READER,
                                     last_delivered_at=now, next_run_at=now))  # fmt: skip
        session.commit()
    shown = texts(open_home(server, standin, READER))
    assert "*facebook* in <#C0PRESS>, weekly" in shown and "*facebook* in your direct messages" in shown


def test_the_standin_refuses_a_home_view_over_100_blocks_as_slack_does(standin: SlackStandIn) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(base_url=standin.api_url, token="xoxb-test")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 101
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id=READER, view={"type": "home", "blocks": blocks})
    assert refused.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as too_many:
        client.chat_postMessage(channel="C0CHAN", text="x", blocks=blocks[:51])
    assert too_many.value.response["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    ("view", "broken"),
    [
        ({"type": "modal", "blocks": []}, "missing required field: title"),
        ({"type": "popup", "title": {"type": "plain_text", "text": "x"}, "blocks": []}, "/view/type"),
        ({"type": "home", "blocks": [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]},
         "duplicate block_id [json-pointer:/view/blocks/1/block_id]"),
        ({"type": "home", "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "x"},
          "element": {"type": "plain_text_input", "action_id": "a",
                      "placeholder": {"type": "plain_text", "text": "x" * 151}}}]},
         "must be less than 151 characters [json-pointer:/view/blocks/0/element/placeholder/text]"),
    ],
)  # fmt: skip
def test_the_standin_refuses_views_slack_would_refuse_with_its_error_code(
    standin: SlackStandIn, view: dict[str, Any], broken: str
) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(base_url=standin.api_url, token="xoxb-test")
    with pytest.raises(SlackApiError) as refused:
        if view["type"] == "home":
            client.views_publish(user_id=READER, view=view)
        else:
            client.views_open(trigger_id="1.2.3", view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert any(broken in line for line in standin.violations), standin.violations


def test_a_submission_from_the_form_and_an_edit_from_the_tab_republish_the_tabs_they_change(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    from tests.slackapi.forms import GOOD, submit

    status, _ = submit(server, GOOD, WRITER)
    assert status == 200
    published = {c.params["user_id"]: c.params["view"] for c in standin.wait_for("views.publish", 2)}
    assert set(published) == {EDITOR, WRITER}
    assert "Waiting for review* (1)" in texts(published[EDITOR])
    assert "share of grooming offences on Snapchat" in texts(published[WRITER])
    with sessions() as session:
        [item_id] = [s.id for s in session.query(Statistic).filter(Statistic.created_by == WRITER)]

    standin.clear()
    body = from_home(review.EDIT, review.ItemRef("figure", item_id).value(), EDITOR, standin)
    post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    form = standin.wait_for("views.open")[0].params["view"]
    status, raw = submit(server, GOOD | {"value": "35%"}, EDITOR, metadata=form["private_metadata"])
    assert status == 200 and "errors" not in raw
    [republished] = standin.wait_for("views.publish")
    assert republished.params["user_id"] == EDITOR and "35%" in texts(republished.params["view"])
    assert standin.calls("chat.update") == [] and standin.violations == []


def test_subscribing_to_a_digest_republishes_the_subscribers_tab(server: str, standin: SlackStandIn) -> None:
    from tests.slackapi.replies import digest

    reply = digest(server, standin, "subscribe me facebook", channel="C0PRESS", user=READER)
    assert "Subscribed you" in json.dumps(reply)
    [republished] = standin.wait_for("views.publish")
    assert republished.params["user_id"] == READER
    assert "*facebook* in your direct messages, weekly" in texts(republished.params["view"])


@pytest.mark.parametrize(("action", "said"), [(review.APPROVE, "approved"), (review.REJECT, "rejected")])
def test_deciding_from_the_tab_updates_the_items_card_in_the_review_channel(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int, action: str, said: str
) -> None:
    item_id, card = submitted(engine, standin, home_id)
    body = from_home(action, review.ItemRef("figure", item_id).value(), EDITOR, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    [update] = standin.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, card["ts"])
    assert f"{said}* by <@{EDITOR}> on <!date^" in texts(update.params)  # in each reader's time zone
    assert not any(b["type"] == "actions" for b in update.params["blocks"]) and not update.failed
    assert standin.violations == []


def test_an_edit_from_the_tab_updates_the_items_card_in_the_review_channel(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    item_id, card = submitted(engine, standin, home_id)
    body = from_home(review.EDIT, review.ItemRef("figure", item_id).value(), EDITOR, standin)
    post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    form = standin.wait_for("views.open")[0].params["view"]
    status, raw = submit(server, GOOD | {"value": "35%"}, EDITOR, metadata=form["private_metadata"])
    assert status == 200 and "errors" not in raw
    [update] = standin.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, card["ts"])
    assert "*35%*" in texts(update.params) and review.APPROVE in texts(update.params)  # still to decide


def test_a_non_editor_pressing_edit_from_the_tab_is_told_by_direct_message_and_no_form_opens(
    server: str, standin: SlackStandIn, sessions: sessionmaker[Session], home_id: int
) -> None:
    [item_id] = pending_figures(sessions, home_id, 1)  # a tab published before they stopped being an editor
    body = from_home(review.EDIT, review.ItemRef("figure", item_id).value(), READER, standin)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    told = standin.wait_for("chat.postMessage")[-1]
    assert dm_to(standin, told) == READER and told.params["text"] == review.NOT_AN_EDITOR
    assert standin.calls("views.open") == [] and standin.calls("chat.postEphemeral") == []


def test_the_newest_figures_on_the_tab_carry_the_warnings_an_answer_shows(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    add_figure(engine, home_id, value="36%", source_url="https://www.bbc.co.uk/news/another")  # disagrees
    with make_sessions(engine)() as session:
        stat = session.get(Statistic, figure)
        assert stat is not None
        freshness.set_next_release(session, stat, PartialDate.parse("2025-01"), actor=EDITOR)
        session.commit()
    shown = texts(open_home(server, standin, READER))
    assert "A newer release was due Jan 2025" in shown and "*Sources disagree*" in shown
