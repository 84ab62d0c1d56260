"""A spreadsheet sent to the bot in a DM: editors' good files are imported, bad ones come back with the rows to fix."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.dm_import import SLACK_FILES_HOST, download
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import roles
from storage.db import make_sessions
from storage.models import Statistic
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.http_server import serving
from tests.slackapi.signing import post, signed_headers
from tests.spreadsheets import as_csv, figure_row

EDITOR = "U0EDITOR"
TEMPLATES = Path(__file__).resolve().parent.parent / "intake" / "templates"


@pytest.fixture
def files() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """A stand-in for Slack's file host: serves the bytes put in `stored`, recording Authorization headers."""
    stored: dict[str, bytes] = {}
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ.get("HTTP_AUTHORIZATION", ""))
        if environ["PATH_INFO"].startswith("/moved/"):  # a redirect, which must not take the token along
            start_response("302 Found", [("Location", environ["PATH_INFO"].removeprefix("/moved"))])
            return [b""]
        data = stored.get(environ["PATH_INFO"].lstrip("/"))
        if data is None or environ.get("HTTP_AUTHORIZATION") != f"Bearer {BOT_TOKEN}":
            start_response("404 Not Found", [])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data]

    with serving(app) as url:
        yield url, stored, seen


def app_settings(engine: Engine, standin: SlackStandIn, *, allow_loopback: bool = True) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        response_url_allow_loopback=True,
        fetch_allow_loopback=allow_loopback,  # the file host stand-in speaks plain http on 127.0.0.1
    )


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return app_settings(engine, standin)


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def send_file(server: str, url: str, name: str, user: str = EDITOR, text: str = "") -> None:
    event = {
        "type": "message", "subtype": "file_share", "channel": "D0EDITOR", "channel_type": "im",
        "user": user, "text": text, "ts": "1700000000.000200",
        "files": [{"id": "F0FILE", "name": name, "url_private_download": url, "filetype": "csv"}],
    }  # fmt: skip
    body = json.dumps({
        "token": "x", "team_id": TEAM, "api_app_id": "A0APP", "event": event, "type": "event_callback",
        "event_id": "Ev0001", "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
    })  # fmt: skip
    headers = signed_headers(body, SIGNING_SECRET) | {"Content-Type": "application/json"}
    status, _, _ = post(f"{server}/slack/events", body, headers)
    assert status == 200


def figures(engine: Engine) -> int:
    with make_sessions(engine)() as session:
        return session.scalar(select(func.count()).select_from(Statistic)) or 0


def test_an_editors_good_file_is_imported_and_the_token_goes_only_to_the_file_host(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, seen = files
    stored["good.csv"] = as_csv([figure_row(1), figure_row(2)])
    before = figures(engine)
    send_file(server, f"{url}/good.csv", "good.csv")
    assert "Imported 2 figures; 0 already stored" in standin.wait_for("chat.postMessage")[0].params["text"]
    assert figures(engine) == before + 2 and seen == [f"Bearer {BOT_TOKEN}"]


def test_a_file_with_bad_rows_imports_nothing_and_sends_the_rows_back(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, _ = files
    stored["mixed.csv"] = as_csv([figure_row(1), figure_row(2, value="lots")])
    before = figures(engine)
    send_file(server, f"{url}/mixed.csv", "mixed.csv")
    said = standin.wait_for("chat.postMessage")[0].params["text"]
    assert "Nothing imported: 1 row need" in said and "row 3, column value:" in said
    standin.wait_for("files.completeUploadExternal")
    (upload,) = standin.uploads()
    assert (
        upload.filename == "mixed.rejected.csv" and upload.content is not None and b"lots" in upload.content
    )
    assert figures(engine) == before


def test_a_non_editor_is_told_to_use_the_form(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, seen = files
    stored["good.csv"] = (TEMPLATES / "figures.csv").read_bytes()
    send_file(server, f"{url}/good.csv", "good.csv", user="U0WRITER")
    assert "Only editors" in standin.wait_for("chat.postMessage")[0].params["text"]
    assert seen == []


@pytest.mark.parametrize(
    "url", ["http://evil.example/f.csv", "file:///etc/passwd", "ftp://files.slack.com/x"]
)
def test_the_bot_token_is_never_sent_anywhere_but_slacks_file_host(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refusing"):
        download(url, BOT_TOKEN, {SLACK_FILES_HOST}, tmp_path, "f.csv")


def test_an_article_file_sent_in_a_dm_is_read_for_review_by_anyone(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, seen = files
    article = Path(__file__).parent / "gold" / "articles" / "child-poverty-two-child-limit.txt"
    stored["poverty.txt"] = article.read_bytes()
    send_file(server, f"{url}/poverty.txt", "poverty.txt", user="U0WRITER")
    reply = standin.wait_for("chat.postMessage")[-1].params
    assert reply["channel"] == "D0EDITOR" and "waiting in `/stats pending`" in reply["text"]
    assert seen == [f"Bearer {BOT_TOKEN}"]
    with make_sessions(engine)() as session:
        waiting = session.scalar(
            select(func.count()).select_from(Statistic).where(Statistic.status == "pending")
        )
    assert waiting and figures(engine) == 2 + waiting


def test_a_redirect_from_the_file_host_is_not_followed(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, seen = files
    stored["good.csv"] = as_csv([figure_row(1)])
    before = figures(engine)
    send_file(server, f"{url}/moved/good.csv", "good.csv")
    assert "could not download" in standin.wait_for("chat.postMessage")[0].params["text"]
    assert figures(engine) == before and seen == [
        f"Bearer {BOT_TOKEN}"
    ]  # asked once; the token went no further


def test_a_file_link_that_is_not_https_is_refused_before_any_request(
    engine: Engine, standin: SlackStandIn, home_id: int, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, seen = files
    stored["good.csv"] = as_csv([figure_row(1)])
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    with serving(create_wsgi(app_settings(engine, standin, allow_loopback=False))) as server:
        send_file(server, f"{url}/good.csv", "good.csv")
        assert "could not download" in standin.wait_for("chat.postMessage")[0].params["text"]
    assert seen == []


def test_an_article_file_over_the_page_limit_is_refused_before_it_is_parsed(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, _ = files
    stored["huge.html"] = b"<html><body><p>" + b"word " * (1_200_000) + b"</p></body></html>"
    send_file(server, f"{url}/huge.html", "huge.html", user="U0WRITER")
    said = standin.wait_for("chat.postMessage")[-1].params["text"]
    assert said == "I could not read that file: huge.html is over 5 MB"


def test_a_file_that_brings_a_conflict_says_so(
    server: str, standin: SlackStandIn, engine: Engine, files: tuple[str, dict[str, bytes], list[str]]
) -> None:
    url, stored, _ = files
    # Two outlets, one measure, period and place, two values.
    stored["two.csv"] = as_csv([figure_row(1), figure_row(1, value="1100", source_publisher="ITV News")])
    send_file(server, f"{url}/two.csv", "two.csv")
    said = standin.wait_for("chat.postMessage")[0].params["text"]
    assert "Imported 2 figures" in said and "1 conflict with stored figures: `/stats conflicts`" in said


@pytest.mark.parametrize(("text", "said"), [
    ("quote", "Imported 1 quote; 0 already stored"),
    ("quotes", "Imported 1 quote; 0 already stored"),  # the plural people write works too
    ("figure", "this looks like a quotes sheet, but it was imported as figures"),
])  # fmt: skip
def test_the_message_with_a_file_may_name_its_kind(
    server: str, standin: SlackStandIn, files: tuple[str, dict[str, bytes], list[str]], text: str, said: str
) -> None:
    url, stored, _ = files
    [row] = csv.DictReader(io.StringIO((TEMPLATES / "quotes.csv").read_text(encoding="utf-8-sig")))
    stored["q.csv"] = as_csv([row | {"text": f"A quote sent with the word {text}"}])  # not in the sample
    send_file(server, f"{url}/q.csv", "q.csv", text=text)
    assert said in standin.wait_for("chat.postMessage")[0].params["text"]
