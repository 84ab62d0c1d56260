"""Where statbot answers besides slash commands, over HTTP: `@statbot facebook` in a channel or thread
(`app_mention`), a direct message, and the "Find figures on this" message shortcut; signed events and
payloads to the real app, the Web API stand-in recording what it posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.local_slack import SlackStandIn
from bot.mentions import FIND_SHORTCUT, NOTHING_TO_FIND
from commands import asked
from tests.conftest import SIGNING_SECRET, TEAM
from tests.slackapi.events import ASKER, CHANNEL, THREAD, mention, send_event, shown
from tests.slackapi.signing import block_action_payload, interactive_body, post, signed_headers


def test_a_mention_in_a_thread_answers_in_that_thread_only_to_the_asker(
    server: str, standin: SlackStandIn
) -> None:
    send_event(server, mention("<@U0BOT> facebook"))
    [answer] = standin.wait_for("chat.postEphemeral")
    assert not answer.failed, answer.response
    assert answer.params["channel"] == CHANNEL and answer.params["user"] == ASKER
    assert answer.params["thread_ts"] == THREAD
    assert "9,477" in shown(answer.params)
    assert standin.calls("chat.postMessage") == [] and standin.violations == []


def test_a_mention_outside_a_thread_answers_in_a_thread_under_it(server: str, standin: SlackStandIn) -> None:
    send_event(server, mention("<@U0BOT> facebook", thread_ts=None, ts="1700000000.000777"))
    assert standin.wait_for("chat.postEphemeral")[0].params["thread_ts"] == "1700000000.000777"


def test_a_mention_asking_for_quotes_answers_with_quotes(server: str, standin: SlackStandIn) -> None:
    send_event(server, mention("<@U0BOT> quote burrows"))
    answer = standin.wait_for("chat.postEphemeral")[0].params
    assert "Andy Burrows" in shown(answer) and "Quote #" in shown(answer)


def test_a_retried_mention_answers_once(server: str, standin: SlackStandIn) -> None:
    send_event(server, mention("<@U0BOT> facebook"), event_id="EvONCE")
    send_event(server, mention("<@U0BOT> facebook"), event_id="EvONCE", retry=1)
    send_event(server, mention("<@U0BOT> instagram"))  # answered after the retry, so the retry was handled
    answers = standin.wait_for("chat.postEphemeral", 2)
    assert len(answers) == 2


def test_sharing_an_answer_from_a_thread_posts_it_into_that_thread_credited(
    server: str, standin: SlackStandIn
) -> None:
    send_event(server, mention("<@U0BOT> facebook"))
    answer = standin.wait_for("chat.postEphemeral")[0].params
    [share] = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == "share_answer"]  # fmt: skip
    assert json.loads(share["value"])["thread_ts"] == THREAD
    payload = block_action_payload("share_answer", share["value"], user_id=ASKER, channel_id=CHANNEL,
                                   response_url=standin.response_url("share"))  # fmt: skip
    body = interactive_body(payload)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    [shared] = standin.wait_for("chat.postMessage")
    [deleted] = standin.wait_for("response_url")
    assert shared.params["channel"] == CHANNEL and shared.params["thread_ts"] == THREAD
    assert f"Shared by <@{ASKER}>" in shown(shared.params) and "9,477" in shown(shared.params)
    assert deleted.params["delete_original"] is True


def test_a_direct_message_is_a_question_answered_in_the_dm_without_a_share_button(
    server: str, standin: SlackStandIn
) -> None:
    send_event(server, {"type": "message", "channel_type": "im", "channel": "D0ASKER", "user": ASKER,
                        "text": "facebook", "ts": "1700000000.000300"})  # fmt: skip
    [answer] = standin.wait_for("chat.postMessage")
    assert answer.params["channel"] == "D0ASKER" and "9,477" in shown(answer.params)
    assert "share_answer" not in shown(answer.params) and standin.violations == []


@pytest.mark.parametrize(
    "event",
    [
        {"bot_id": "B0BOT", "text": "9,477 sexual or illicit image offences"},  # statbot's own answer echoed
        {"subtype": "message_changed", "text": "facebook"},  # an edit
        {"text": "   "},  # nothing asked
    ],
)
def test_messages_in_a_dm_that_are_not_questions_are_not_answered(
    server: str, standin: SlackStandIn, event: dict[str, Any]
) -> None:
    base = {"type": "message", "channel_type": "im", "channel": "D0ASKER", "user": ASKER, "ts": "1.2"}
    send_event(server, base | event)
    send_event(server, base | {"text": "instagram"})  # answered after, so the first was handled
    [answer] = standin.wait_for("chat.postMessage")
    assert "instagram" in shown(answer.params).casefold()


def shortcut(server: str, standin: SlackStandIn, text: str, **message: Any) -> None:
    payload = {
        "type": "message_action", "callback_id": FIND_SHORTCUT, "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "test"}, "user": {"id": ASKER, "team_id": TEAM},
        "channel": {"id": CHANNEL, "name": "press"},
        "message": {"type": "message", "text": text, "ts": "1700000000.000400", "user": "U0AUTHOR"} | message,
        "response_url": standin.response_url("find"), "action_ts": "1700000001.000100",
    }  # fmt: skip
    body = interactive_body(payload)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200


def test_find_figures_on_this_searches_the_messages_words_in_its_thread(
    server: str, standin: SlackStandIn
) -> None:
    shortcut(server, standin, "Journalist asks: how many offences were on <https://example.org/fb|Facebook> apps?",
             thread_ts=THREAD)  # fmt: skip
    [answer] = standin.wait_for("chat.postEphemeral")
    assert answer.params["user"] == ASKER and answer.params["thread_ts"] == THREAD
    assert "9,477" in shown(answer.params) and standin.violations == []


def test_find_figures_in_a_channel_statbot_is_not_in_answers_through_the_response_url(
    server: str, standin: SlackStandIn
) -> None:
    standin.add_channel(CHANNEL, is_member=False)
    shortcut(server, standin, "What share of offences were on Facebook apps?")
    [refused] = standin.wait_for("chat.postEphemeral")
    assert refused.failed and refused.response == {"ok": False, "error": "not_in_channel"}
    [answer] = standin.wait_for("response_url")
    assert answer.path == "/response/find" and answer.params["response_type"] == "ephemeral"
    assert "9,477" in shown(answer.params) and standin.violations == []


def test_find_figures_on_a_message_with_no_words_says_so(server: str, standin: SlackStandIn) -> None:
    shortcut(server, standin, "<@U0SOMEONE> <https://example.org/>")
    [answer] = standin.wait_for("chat.postEphemeral")
    assert answer.params["text"] == NOTHING_TO_FIND and answer.params["thread_ts"] == "1700000000.000400"


@pytest.mark.parametrize(
    ("text", "command", "question"),
    [
        ("<@U0BOT> facebook", "/stats", "facebook"),
        ("<@U0BOT|statbot> quote burrows", "/quote", "burrows"),
        ("<@U0BOT> stats instagram 2020", "/stats", "instagram 2020"),
        ("<@U0BOT>", "/stats", ""),
        ("AT&amp;T <@U0BOT> fines", "/stats", "AT&T fines"),
    ],
)
def test_a_mention_is_read_as_a_command_and_question(text: str, command: str, question: str) -> None:
    assert asked.from_text(text) == asked.Asked(command, question)


def test_the_manifest_subscribes_the_events_and_scopes_and_declares_the_shortcut(repo_root: Path) -> None:
    manifest = yaml.safe_load((repo_root / "manifest.yml").read_text())
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_mention", "message.im", "app_home_opened"} <= set(events)
    assert {"app_mentions:read", "im:history", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert (
        shortcuts[FIND_SHORTCUT]["type"] == "message"
        and shortcuts[FIND_SHORTCUT]["name"] == "Find figures on this"
    )
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    readme = (repo_root / "README.md").read_text()
    assert "## Where statbot answers" in readme
    for name in ("app_mention", "app_home_opened", "message.im", "app_mentions:read", "Find figures on this"):
        assert name in readme, name
