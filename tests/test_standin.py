"""The Slack stand-in is only useful if it behaves like Slack: these tests drive it with the
real slack_sdk WebClient (and a real Bolt App) and check it accepts what Slack accepts,
refuses what Slack refuses, and fails the ways Slack fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.local_slack import SlackStandIn
from tests.slackapi import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)

SECRET = "test-signing-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(base_url=slack.api_url, token="xoxb-test", retry_handlers=[])


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str = "x") -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", value: str = "v", action_id: str = "go") -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "value": value, "action_id": action_id}


def message(*blocks: dict[str, Any], text: str = "fallback") -> dict[str, Any]:
    return {"channel": "C0CHAN", "text": text, "blocks": list(blocks)}


def modal(
    *blocks: dict[str, Any], title: str = "Stats", submit: str = "Send", close: str = "Cancel"
) -> dict[str, Any]:
    view = {"type": "modal", "title": plain(title), "submit": plain(submit), "close": plain(close)}
    return {"trigger_id": "123.456.abc", "view": view | {"blocks": list(blocks)}}


def text_input(label: str = "Quote", initial: str = "") -> dict[str, Any]:
    element = {"type": "plain_text_input", "action_id": "q", "initial_value": initial}
    return {"type": "input", "block_id": "quote", "label": plain(label), "element": element}


def home(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "home", "blocks": list(blocks)}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


POST, VIEW, BLOCKS, ARGS = "chat.postMessage", "views.open", "invalid_blocks", "invalid_arguments"
DIVIDER = {"type": "divider"}
HEADER = {"type": "header", "text": plain("h" * 150)}


def overflow(count: int, *, text: str = "o", value: str = "v") -> dict[str, Any]:
    option = {"text": plain(text), "value": value}
    return {"type": "overflow", "action_id": "menu", "options": [option] * count}


LIMIT_CASES = [
    # (id, method, payload, Slack's error or None when accepted, where the violation points)
    ("50-blocks-ok", POST, message(*[DIVIDER] * 50), None, ""),
    ("51-blocks", POST, message(*[DIVIDER] * 51), BLOCKS, "[json-pointer:/blocks]"),
    ("ephemeral-51", "chat.postEphemeral", message(*[DIVIDER] * 51) | {"user": "U1"}, BLOCKS, "/blocks]"),
    ("update-51", "chat.update", message(*[DIVIDER] * 51) | {"ts": "1.2"}, BLOCKS, "/blocks]"),
    ("section-3000-ok", POST, message(section("a" * 3000)), None, ""),
    ("section-3001", POST, message(section("a" * 3001)), BLOCKS, "/blocks/0/text/text"),
    ("header-150-ok", POST, message(HEADER), None, ""),
    ("header-151", POST, message(HEADER | {"text": plain("h" * 151)}), BLOCKS, "/blocks/0/text/text"),
    ("fields-11", POST, message({"type": "section", "fields": [plain("f")] * 11}), BLOCKS, "/0/fields]"),
    ("field-2001", POST, message({"type": "section", "fields": [plain("f" * 2001)]}), BLOCKS, "/fields/0/"),
    ("context-11", POST, message({"type": "context", "elements": [plain("c")] * 11}), BLOCKS, "/elements]"),
    ("actions-25-ok", POST, message(actions(*[button()] * 25)), None, ""),
    ("actions-26", POST, message(actions(*[button()] * 26)), BLOCKS, "/blocks/0/elements]"),
    ("button-text-76", POST, message(section() | {"accessory": button(text="b" * 76)}), BLOCKS, "/text/text"),
    ("button-value-2001", POST, message(actions(button(value="v" * 2001))), BLOCKS, "/elements/0/value"),
    ("action-id-256", POST, message(actions(button(action_id="a" * 256))), BLOCKS, "/elements/0/action_id"),
    ("block-id-256", POST, message(section() | {"block_id": "b" * 256}), BLOCKS, "/blocks/0/block_id"),
    ("text-40000-ok", POST, {"channel": "C0CHAN", "text": "t" * 40_000}, None, ""),
    ("text-40001", POST, {"channel": "C0CHAN", "text": "t" * 40_001}, "msg_too_long", "/text"),
    ("no-text-no-blocks", POST, {"channel": "C0CHAN"}, "no_text", "neither text nor blocks"),
    ("view-100-blocks-ok", VIEW, modal(*[DIVIDER] * 100), None, ""),
    ("view-101-blocks", VIEW, modal(*[DIVIDER] * 101), ARGS, "/view/blocks]"),
    ("view-title-25", VIEW, modal(title="t" * 25), ARGS, "/view/title/text"),
    ("view-submit-25", VIEW, modal(submit="s" * 25), ARGS, "/view/submit/text"),
    ("view-close-25", VIEW, modal(close="c" * 25), ARGS, "/view/close/text"),
    ("input-label-2001", VIEW, modal(text_input(label="l" * 2001)), ARGS, "/label/text"),
    ("initial-value-3000-ok", VIEW, modal(text_input(initial="i" * 3000)), None, ""),
    ("initial-value-3001", VIEW, modal(text_input(initial="i" * 3001)), ARGS, "/element/initial_value"),
    ("overflow-5-ok", POST, message(section() | {"accessory": overflow(5)}), None, ""),
    ("overflow-6", POST, message(section() | {"accessory": overflow(6)}), BLOCKS, "/accessory/options]"),
    ("overflow-1", POST, message(section() | {"accessory": overflow(1)}), BLOCKS, "/accessory/options]"),
    ("option-text-76", POST, message(section() | {"accessory": overflow(2, text="o" * 76)}), BLOCKS,
     "/options/0/text/text"),
    ("option-value-151", POST, message(section() | {"accessory": overflow(2, value="v" * 151)}), BLOCKS,
     "/options/0/value"),
    ("home-101", "views.publish", {"user_id": "U1", "view": home(*[DIVIDER] * 101)}, ARGS, "/view/blocks]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "payload", "error", "pointer"), [pytest.param(*case[1:], id=case[0]) for case in LIMIT_CASES]
)
def test_slack_limits_are_enforced(
    slack: SlackStandIn,
    client: WebClient,
    method: str,
    payload: dict[str, Any],
    error: str | None,
    pointer: str,
) -> None:
    if error is None:
        assert client.api_call(method, json=payload)["ok"]
        assert slack.violations == []
        return
    with pytest.raises(SlackApiError) as raised:
        client.api_call(method, json=payload)
    assert raised.value.response["error"] == error
    assert any(pointer in v and v.startswith(method) for v in slack.violations), slack.violations
    assert slack.last(method).failed
    if error == BLOCKS:  # Slack lists the details in "errors" for messages...
        assert any(pointer in e for e in raised.value.response["errors"])
    if error == ARGS:  # ...and in response_metadata for views
        assert any(pointer in m for m in raised.value.response["response_metadata"]["messages"])


def test_valid_message_is_recorded_with_realistic_response(slack: SlackStandIn, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0CHAN", text="Median pay gap", blocks=[section("*4.2%*")])
    second = client.chat_postMessage(channel="C0CHAN", text="again")
    assert (first["ts"], second["ts"]) == ("1700000000.000100", "1700000000.000200")
    assert first["channel"] == "C0CHAN" and first["message"]["bot_id"] == "B0BOT"
    call = slack.last("chat.postMessage")
    assert call.token == "xoxb-test" and not call.failed
    assert slack.calls("chat.postMessage")[0].params["blocks"] == [section("*4.2%*")]
    assert slack.violations == []


def test_json_and_form_bodies_are_recorded_the_same(slack: SlackStandIn, client: WebClient) -> None:
    params = {"channel": "C0CHAN", "text": "hi", "thread_ts": "1.2"}
    blocks = [section("hi")]
    client.api_call("chat.postMessage", json=params | {"blocks": blocks})
    client.api_call("chat.postMessage", params=params | {"blocks": json.dumps(blocks)})
    as_json, as_form = slack.calls("chat.postMessage")
    assert as_json.params == as_form.params == params | {"blocks": blocks}
    assert as_json.headers["Content-Type"].startswith("application/json")
    assert as_form.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_token_may_come_as_a_form_param(slack: SlackStandIn) -> None:
    body = urlencode({"token": "xoxb-form", "channel": "C0CHAN", "text": "hi"})
    status, _, text = post(slack.api_url + "chat.postMessage", body, FORM)
    assert status == 200 and json.loads(text)["ok"]
    assert slack.last("chat.postMessage").token == "xoxb-form"


def test_missing_token_is_not_authed(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack.api_url).chat_postMessage(channel="C0CHAN", text="hi")
    assert raised.value.response["error"] == "not_authed"
    assert slack.last("chat.postMessage").failed and slack.last("chat.postMessage").token is None


def test_unknown_method_is_refused_and_recorded_with_multipart_params(
    slack: SlackStandIn, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("files.upload", files={"file": b"a,b\n"}, data={"filename": "s.csv"})
    assert raised.value.response["error"] == "unknown_method"
    params = slack.last("files.upload").params
    assert params["filename"] == "s.csv" and params["file"]["content"] == b"a,b\n"


def test_rate_limit_retry_after_is_honoured(slack: SlackStandIn) -> None:
    client = WebClient(
        base_url=slack.api_url,
        token="xoxb-test",
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C0CHAN", text="hi")["ok"]
    assert time.monotonic() - started >= 1.0
    assert [c.failed for c in slack.calls("chat.postMessage")] == [True, False]
    assert len(slack.calls("chat.postMessage", ok=True)) == 1


def test_rate_limit_without_retry_handler_surfaces_429(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0CHAN", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"


def test_server_error_then_success_with_retry_handler(slack: SlackStandIn) -> None:
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    client = WebClient(base_url=slack.api_url, token="xoxb-test", retry_handlers=[handler])
    slack.fail_next("chat.postMessage", status=503)
    assert client.chat_postMessage(channel="C0CHAN", text="hi")["ok"]
    assert [c.failed for c in slack.calls("chat.postMessage")] == [True, False]


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_injected_api_errors_surface_as_slack_api_error(
    slack: SlackStandIn, client: WebClient, error: str
) -> None:
    slack.fail_next("chat.postMessage", error=error)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0CHAN", text="hi")
    assert raised.value.response.status_code == 200 and raised.value.response["error"] == error
    assert client.chat_postMessage(channel="C0CHAN", text="hi")["ok"]  # only the next call failed


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"is_member": False}, "not_in_channel"),
        ({"is_member": False, "is_private": True}, "channel_not_found"),
        ({"is_archived": True}, "is_archived"),
    ],
)
def test_channel_config_drives_errors(
    slack: SlackStandIn, client: WebClient, config: dict[str, Any], error: str
) -> None:
    slack.add_channel("C0OTHER", **config)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0OTHER", text="hi")
    assert raised.value.response["error"] == error


def test_dropped_connection_is_a_network_error_and_retried_by_default(
    slack: SlackStandIn, client: WebClient
) -> None:
    slack.drop_connection_next("chat.postMessage")
    with pytest.raises((ConnectionError, URLError)):
        client.chat_postMessage(channel="C0CHAN", text="hi")
    slack.drop_connection_next("chat.postMessage")
    default_client = WebClient(base_url=slack.api_url, token="xoxb-test")  # has ConnectionErrorRetryHandler
    assert default_client.chat_postMessage(channel="C0CHAN", text="hi")["ok"]
    assert [c.failed for c in slack.calls("chat.postMessage")] == [True, True, False]


def test_files_upload_v2_records_bytes_and_filename(slack: SlackStandIn, client: WebClient) -> None:
    response = client.files_upload_v2(
        channel="C0CHAN", filename="stats.csv", content="a,b\n1,2\n", title="Stats"
    )
    assert response["file"]["name"] == "stats.csv"
    [upload] = slack.uploads()
    assert (upload.filename, upload.content, upload.title) == ("stats.csv", b"a,b\n1,2\n", "Stats")
    assert upload.completed and upload.channel_id == "C0CHAN"
    assert [c.method for c in slack.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_response_url_posts_are_recorded_and_checked(slack: SlackStandIn) -> None:
    webhook = WebhookClient(slack.response_url("cmd1"))
    assert webhook.send(text="Here you go", response_type="ephemeral").status_code == 200
    assert slack.response_posts("cmd1") == [{"text": "Here you go", "response_type": "ephemeral"}]
    assert webhook.send(text="too big", blocks=[DIVIDER] * 51).status_code == 400
    assert slack.violations == [
        "response_url: invalid_blocks: no more than 50 items allowed [json-pointer:/blocks]"
    ]
    assert webhook.send(delete_original=True).status_code == 200  # deleting needs no text


def test_users_conversations_and_views(slack: SlackStandIn, client: WebClient) -> None:
    assert client.auth_test()["team_id"] == "T0TEST"
    slack.add_user("U0NYC", tz="America/New_York", is_admin=True)
    user = client.users_info(user="U0NYC")["user"]
    assert user["is_admin"] and user["tz"] == "America/New_York" and user["tz_offset"] in (-18000, -14400)
    assert client.users_info(user="U0ANY")["user"]["tz"] == "Europe/London"  # default profile
    dm = client.conversations_open(users=["U0NYC"])["channel"]["id"]
    assert client.conversations_info(channel=dm)["channel"]["is_im"]
    view = client.views_open(trigger_id="1.2.3", view=modal(section())["view"])["view"]
    assert view["id"].startswith("V") and view["title"]["text"] == "Stats"
    assert client.views_update(view_id=view["id"], view=modal()["view"])["view"]["id"] == view["id"]


def test_wait_for_sees_calls_made_from_other_threads(slack: SlackStandIn, client: WebClient) -> None:
    timer = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C0CHAN", text="later"))
    timer.start()
    assert slack.wait_for("chat.postMessage")[0].params["text"] == "later"
    with pytest.raises(AssertionError, match=r"wanted 1 chat\.delete"):
        slack.wait_for("chat.delete", timeout=0.1)
    slack.clear()
    assert slack.calls() == []


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = slash_command_body("/stat", "pay gap", response_url="http://127.0.0.1:1/response/x")
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, signed_headers(body, SECRET))
    assert not verifier.is_valid_request(body.replace("pay+gap", "pay+gab"), signed_headers(body, SECRET))
    assert not verifier.is_valid_request(body, signed_headers(body, "other-secret"))
    assert not verifier.is_valid_request(body, signed_headers(body, SECRET, timestamp=int(time.time()) - 600))


def test_slash_command_body_has_slacks_fields_in_order() -> None:
    body = slash_command_body("/stat", "pay gap", response_url="http://r", trigger_id="t1")
    fields = dict(parse_qsl(body))
    assert list(fields) == [
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
        "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    ]  # fmt: skip
    assert (fields["command"], fields["text"], fields["trigger_id"]) == ("/stat", "pay gap", "t1")


def test_bolt_accepts_signed_requests_and_replies_through_the_standin(slack: SlackStandIn) -> None:
    """Bolt's own parsing and verification accept our payloads; its replies land on the stand-in."""
    app = App(client=WebClient(base_url=slack.api_url, token="xoxb-test"), signing_secret=SECRET)
    seen: dict[str, Any] = {}

    @app.command("/stat")
    def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        ack()
        respond(text=f"stats for {command['text']}")

    @app.action("vote")
    def on_vote(ack: Any, action: dict[str, Any], context: Any, respond: Any) -> None:
        ack()
        respond(text=f"{context.user_id} in {context.channel_id} voted {action['value']}")

    @app.view("quote_form")
    def on_submit(ack: Any, view: dict[str, Any]) -> None:
        ack()
        seen["quote"] = view["state"]["values"]["quote"]["q"]["value"]
        seen["meta"] = view["private_metadata"]

    def dispatch(body: str, secret: str = SECRET) -> int:
        headers: dict[str, Any] = signed_headers(body, secret)  # Bolt also accepts list values
        return app.dispatch(BoltRequest(body=body, headers=headers)).status

    assert dispatch(slash_command_body("/stat", "uk", response_url=slack.response_url("c"))) == 200
    payload = block_action_payload("vote", "yes", response_url=slack.response_url("a"))
    assert dispatch(interactive_body(payload)) == 200
    submission = view_submission_payload("quote_form", {"quote": {"q": "42%"}}, private_metadata="m")
    assert dispatch(interactive_body(submission)) == 200
    slack.wait_for("response_url", count=2)
    assert slack.response_posts("c")[0]["text"] == "stats for uk"
    assert slack.response_posts("a")[0]["text"] == "U0USER in C0CHAN voted yes"
    assert seen == {"quote": "42%", "meta": "m"}
    assert slack.calls("auth.test") and slack.violations == []
    assert dispatch(slash_command_body("/stat", "uk", response_url=slack.response_url("c")), "wrong") == 401


def test_post_returns_error_statuses_instead_of_raising(slack: SlackStandIn) -> None:
    body = json.dumps({"blocks": [DIVIDER] * 51})
    status, headers, text = post(slack.response_url(), body, {"Content-Type": "application/json"})
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert json.loads(text)["error"] == "invalid_blocks"


def test_chat_update_changes_the_posted_message_and_refuses_a_deleted_one(
    slack: SlackStandIn, client: WebClient
) -> None:
    ts = str(client.chat_postMessage(channel="C0NEWS", text="first", blocks=[section("first")])["ts"])
    client.chat_update(channel="C0NEWS", ts=ts, text="noted", blocks=[section("noted")])
    [shown] = client.conversations_history(channel="C0NEWS")["messages"]
    assert shown["text"] == "noted" and shown["blocks"] == [section("noted")]
    assert [c.params["text"] for c in slack.calls("chat.update")] == ["noted"]

    client.chat_delete(channel="C0NEWS", ts=ts)
    with pytest.raises(SlackApiError) as refused:
        client.chat_update(channel="C0NEWS", ts=ts, text="again")
    assert refused.value.response["error"] == "message_not_found"
    assert client.conversations_history(channel="C0NEWS")["messages"] == []
