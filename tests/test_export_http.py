"""`/stats export` over HTTP: the published figures as a CSV in the import columns, uploaded to the asker's DM."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.exports import PREPARING
from bot.local_slack import SlackStandIn
from intake.columns import all_columns
from storage.kinds import Kind
from tests.conftest import SIGNING_SECRET
from tests.slackapi.signing import post, signed_headers, slash_command_body


@pytest.mark.parametrize(("command", "words", "kind", "rows"), [
    ("/stats", "facebook", "figure", 2), ("/stats", "zebra", "figure", 0), ("/quote", "burrows", "quote", 1),
])  # fmt: skip
def test_export_uploads_the_matching_published_items_to_the_askers_dm(
    server: str, standin: SlackStandIn, command: str, words: str, kind: Kind, rows: int
) -> None:
    body = slash_command_body(
        command, f"export {words}", user_id="U0ASKER", response_url=standin.response_url("c")
    )
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200 and json.loads(raw)["text"] == PREPARING
    standin.wait_for("files.completeUploadExternal")
    (upload,) = standin.uploads()
    assert upload.completed and upload.channel_id == "D0ASKER" and upload.content is not None
    header, *read = list(csv.reader(io.StringIO(upload.content.decode("utf-8-sig"))))
    assert len(read) == rows and header == list(all_columns(kind))
    assert standin.violations == []
