"""The add form's type-ahead pickers over stored names, its link inputs and primary source, over signed requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.local_slack import SlackStandIn
from commands import forms
from intake.validate import validate_figure
from storage import changes, workspaces
from storage.db import make_sessions
from storage.inputs import FigureInput
from tests.conftest import SIGNING_SECRET, TEAM
from tests.slackapi.forms import GOOD, submit
from tests.slackapi.replies import ask
from tests.slackapi.signing import interactive_body, post, signed_headers, slash_command_body

EDITOR = "U0EDITOR"


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def suggest(server: str, action_id: str, typed: str, team: str = TEAM) -> tuple[int, Any]:
    """What Slack sends as someone types in an external select (a `block_suggestion`)."""
    payload = {
        "type": "block_suggestion", "user": {"id": EDITOR, "username": "ed", "team_id": team},
        "container": {"type": "view", "view_id": "V0VIEW"}, "api_app_id": "A0APP", "token": "x",
        "action_id": action_id, "block_id": action_id, "value": typed,
        "team": {"id": team, "domain": "test-team"}, "enterprise": None, "is_enterprise_install": False,
        "view": {"id": "V0VIEW", "type": "modal", "callback_id": forms.FIGURE_FORM, "private_metadata": "{}"},
    }  # fmt: skip
    body = interactive_body(payload)
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    return status, json.loads(raw) if raw else None


def labels(answer: dict[str, Any]) -> list[str]:
    return [option["text"]["text"] for option in answer["options"]]


def test_the_form_uses_pickers_for_names_and_link_inputs_and_asks_for_the_primary_source(
    server: str, standin: SlackStandIn
) -> None:
    body = slash_command_body("/stats", "add", user_id=EDITOR, response_url=standin.response_url("cmd"))
    assert post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))[0] == 200
    view = standin.wait_for("views.open")[0].params["view"]
    kinds = {block["block_id"]: block["element"]["type"] for block in view["blocks"]}
    assert kinds["entities"] == kinds["topics"] == "multi_external_select"
    assert kinds["source_url"] == kinds["primary_source_url"] == "url_text_input"
    assert standin.violations == []


def test_typing_offers_stored_names_by_name_or_alias_and_the_typed_name_as_new(server: str) -> None:
    status, answer = suggest(server, "entities", "face")
    assert status == 200
    assert labels(answer)[0] == "Facebook" and "Meta Platforms" in labels(
        answer
    )  # Meta's alias "facebook inc"
    assert labels(answer)[-1] == "New: face"
    _, answer = suggest(server, "entities", "FACEBOOK")
    assert "New: FACEBOOK" not in labels(answer)  # stored already, in another case
    _, answer = suggest(server, "topics", "abuse")
    assert labels(answer) == ["online child sexual abuse", "New: abuse"]
    _, answer = suggest(server, "topics", "100%_")  # LIKE's own characters are taken literally
    assert labels(answer) == ["New: 100%_"]


def test_a_picker_never_offers_another_workspaces_names(server: str, engine: Engine) -> None:
    checked = validate_figure(GOOD | {"entities": "Zebra Corp", "topics": "zebra crossings"})
    assert isinstance(checked, FigureInput)
    with make_sessions(engine)() as session:
        other = workspaces.install(session, "T0OTHER")
        changes.add_figure(session, other.id, checked, actor="U0X", publish=True)
        session.commit()
    assert labels(suggest(server, "entities", "zebra")[1]) == ["New: zebra"]
    assert labels(suggest(server, "topics", "zebra")[1]) == ["New: zebra"]


def test_names_picked_and_the_primary_source_are_stored_and_answered(
    server: str, standin: SlackStandIn
) -> None:
    values = GOOD | {
        "entities": "Snapchat;Meta Platforms",
        "primary_source_url": "https://www.nspcc.org.uk/release",
    }
    status, raw = submit(server, values, EDITOR)
    assert status == 200 and "errors" not in raw
    answer = ask(server, standin, "snapchat grooming")
    assert "*34%*" in answer and "https://www.nspcc.org.uk/release" in answer
    assert "Meta Platforms" in answer and "Snapchat" in answer
