"""Slack answering 5xx is retried with backoff, within the 3 s a trigger_id lives, and gives up with a clear reply.

(429 with Retry-After is covered for posts in test_digest_deliver.py, dropped connections in test_http.py.)
"""

from __future__ import annotations

import json
import time

import pytest

from bot.app import SOMETHING_WRONG
from bot.local_slack import SlackStandIn
from tests.conftest import SIGNING_SECRET
from tests.slackapi.signing import post, signed_headers, slash_command_body


def add(server: str, standin: SlackStandIn) -> tuple[float, str]:
    body = slash_command_body("/stats", "add", response_url=standin.response_url("cmd"))
    started = time.perf_counter()
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    return time.perf_counter() - started, raw


@pytest.mark.parametrize("failures", [1, 2])
def test_views_open_failing_with_5xx_is_retried_and_the_form_opens_in_time(
    server: str, standin: SlackStandIn, failures: int
) -> None:
    standin.fail_next("views.open", status=503, times=failures)
    took, _ = add(server, standin)
    calls = standin.calls("views.open")
    assert [c.failed for c in calls] == [True] * failures + [False]
    assert calls[-1].params["view"]["callback_id"]
    # its trigger_id lives 3 s; the retries wait at most 1.125 s in all, leaving room for slow networks
    assert took < 2.0, f"the form opened after {took:.2f}s"


def test_slack_down_for_good_gives_up_after_two_retries_with_a_clear_reply(
    server: str, standin: SlackStandIn
) -> None:
    standin.fail_next("views.open", status=500, times=10)
    _, raw = add(server, standin)
    assert len(standin.calls("views.open")) == 3
    assert json.loads(raw)["text"] == SOMETHING_WRONG
