"""Isolation between workspaces, over HTTP, through every command and button.

Two teams install statbot through the real OAuth flow, each with figures, quotes, editors and a review
channel of its own. Each test has one team ask, press, submit, export, import, ingest, follow or subscribe
(often naming the other team's item ids), and checks three things: what it is told holds only its own
workspace's items; whatever statbot sends to Slack for it goes with its own bot token; and every row of
the other workspace is exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import poll_feeds
from bot.config import Settings
from bot.installations import stores
from bot.local_slack import RESPONSE_URL, UPLOAD, SlackStandIn
from bot.web import create_wsgi
from bot.workspace_clients import WorkspaceClients
from commands import forms, review
from digests.deliver import aware, run_due
from intake.validate import validate_figure, validate_quote
from storage import changes, roles, sample, slack_tables, workspaces
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import Kind
from storage.models import Base, Quote, Statistic, Status, Subscription, Workspace, utcnow
from storage.partial_date import PartialDate
from tests import items
from tests.conftest import SIGNING_SECRET
from tests.http_server import rss, serving, static_site
from tests.installs import install, multi_settings
from tests.slackapi.forms import GOOD, state
from tests.slackapi.replies import dm_to, message_text
from tests.slackapi.signing import (
    TRIGGER_ID,
    block_action_payload,
    event_body,
    interactive_body,
    post,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)
from tests.spreadsheets import as_csv, figure_row

T1, T2 = "T0ONE", "T0TWO"
GOLD = Path(__file__).parent / "gold" / "articles"
# Calls that carry no bot token: the OAuth exchange, response_url posts and the raw file upload.
TOKENLESS = ("oauth.v2.access", RESPONSE_URL, UPLOAD)
# Words in answers and exports that only one workspace's data has.
ONLY_IN_ONE = ("52%", "9,477", "9477", "Burrows", "Rob Jones", "illicit image")
ONLY_IN_TWO = ("61%", "Twoteam", "grooming crimes recorded")
T2_FIGURE = {
    "value": "61%", "unit": "percent", "measure": "share of grooming crimes recorded on apps owned by Facebook",
    "entities": "Facebook", "topics": "online child sexual abuse", "source_publisher": "Ofcom",
    "source_date": "2024-05", "period_end": "2023",
}  # fmt: skip
T2_QUOTE = {
    "text": "Every team keeps its own library, and nobody else reads it.", "speaker": "Quinta Twoteam",
    "speaker_org": "Ofcom", "topics": "encryption", "source_publisher": "Ofcom", "said_on": "2024-05-01",
}  # fmt: skip
T1_PENDING = {
    "value": "34%", "unit": "percent", "measure": "share of grooming offences on Snapchat",
    "source_publisher": "BBC News", "source_date": "2024-08", "entities": "Snapchat", "topics": "grooming",
}  # fmt: skip
T2_PENDING = {
    "value": "27%", "unit": "percent", "measure": "share of grooming offences on TikTok",
    "source_publisher": "Ofcom", "source_date": "2024-08", "entities": "TikTok", "topics": "grooming",
}  # fmt: skip


@dataclass(frozen=True)
class Team:
    id: str
    workspace_id: int
    editor: str
    writer: str
    review: str  # its review channel
    channel: str  # a channel of its own, for digests
    figures: tuple[int, ...]  # published
    quotes: tuple[int, ...]
    pending: int  # a figure waiting for review, posted to its review channel
    only: tuple[str, ...]  # words in its answers that the other team's data does not have


@dataclass(frozen=True)
class World:
    one: Team
    two: Team
    server: str
    standin: SlackStandIn
    sessions: sessionmaker[Session]
    engine: Engine
    settings: Settings

    def other(self, team: Team) -> Team:
        return self.two if team is self.one else self.one

    def pairs(self) -> list[tuple[Team, Team]]:
        """(asker, other) both ways round."""
        return [(self.two, self.one), (self.one, self.two)]


# ----- setting up two workspaces --------------------------------------------------------------------------
def checked(result: Any, kind: type[Any]) -> Any:
    assert isinstance(result, kind), result
    return result


def _populate(
    session: Session, team_id: str, editor: str, writer: str, review_channel: str
) -> dict[str, Any]:
    workspace = workspaces.for_team(session, team_id)
    assert workspace is not None
    ws = workspace.id
    if team_id == T1:
        sample.load(session, ws)
        pending_input = checked(validate_figure(T1_PENDING), FigureInput)
    else:
        changes.add_figure(
            session, ws, checked(validate_figure(T2_FIGURE), FigureInput), actor=editor, publish=True
        )
        changes.add_quote(
            session, ws, checked(validate_quote(T2_QUOTE), QuoteInput), actor=editor, publish=True
        )
        pending_input = checked(validate_figure(T2_PENDING), FigureInput)
    pending, _ = changes.submit_for_review(session, ws, pending_input, writer)
    roles.add_editor(session, ws, editor)
    workspaces.set_review_channel(session, workspace, review_channel)
    session.commit()
    figures = session.scalars(
        select(Statistic.id).where(Statistic.workspace_id == ws, Statistic.status == Status.PUBLISHED.value)
    )
    quotes = session.scalars(select(Quote.id).where(Quote.workspace_id == ws))
    return {"workspace_id": ws, "figures": tuple(figures), "quotes": tuple(quotes), "pending": pending.id}


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return multi_settings(engine, standin, fetch_allow_loopback=True)


@pytest.fixture
def world(
    settings: Settings, standin: SlackStandIn, sessions: sessionmaker[Session], engine: Engine
) -> Iterator[World]:
    with serving(create_wsgi(settings)) as server:
        teams = {}
        for n, team_id in ((1, T1), (2, T2)):
            assert install(server, standin, team_id)[0] == 200
            editor, writer, review_channel = f"U{n}EDITOR", f"U{n}WRITER", f"C{n}REVIEW"
            with sessions() as session:
                made = _populate(session, team_id, editor, writer, review_channel)
            teams[n] = Team(
                team_id, editor=editor, writer=writer, review=review_channel, channel=f"C{n}TEAM",
                only=ONLY_IN_ONE if n == 1 else ONLY_IN_TWO, **made,
            )  # fmt: skip
        standin.clear()
        yield World(teams[1], teams[2], server, standin, sessions, engine, settings)
    assert standin.violations == []


# ----- what the other workspace holds, and what went to Slack with which token ----------------------------
def snapshot(engine: Engine, team: Team, *, installed: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row belonging to the team's workspace, including its installation: for 'nothing changed'."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "workspace_id" in table.c:
                query = select(table).where(table.c.workspace_id == team.workspace_id)
            elif table.name == Workspace.__tablename__:
                query = select(table).where(table.c.id == team.workspace_id)
            elif table.name == "digest_deliveries":
                mine = select(Subscription.id).where(Subscription.workspace_id == team.workspace_id)
                query = select(table).where(table.c.subscription_id.in_(mine))
            else:
                continue
            rows[table.name] = sorted(tuple(r) for r in connection.execute(query))
        bots = slack_tables.BOTS
        rows[bots] = [
            tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {bots}") if team.id in tuple(r)
        ]
    assert rows["statistics"] and (rows[bots] or not installed), "the snapshot must see the workspace's rows"
    return rows


def token_teams(standin: SlackStandIn, *methods: str) -> list[str]:
    """The team of the token on each Web API call since the last clear (of `methods`, if given)."""
    return [
        standin.tokens.get(call.token or "", f"unknown token {call.token!r}")
        for call in standin.calls()
        if call.method not in TOKENLESS and (not methods or call.method in methods)
    ]


def only_with_token_of(standin: SlackStandIn, team: Team, *methods: str) -> None:
    teams = token_teams(standin, *methods)
    assert teams, f"expected calls to {methods or 'Slack'} for {team.id}"
    assert set(teams) == {team.id}, teams


def posted_to(standin: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [c.params for c in standin.calls("chat.postMessage") if c.params.get("channel") == channel]


def mentioned(text: str) -> dict[str, set[int]]:
    """Item ids a reply names, by kind ("Figure #3", "Quote #7")."""
    found: dict[str, set[int]] = {"Figure": set(), "Quote": set()}
    for kind, number in re.findall(r"\b(Figure|Quote) #(\d+)", text):
        found[kind].add(int(number))
    return found


def assert_sees_only(world: World, team: Team, text: str) -> None:
    """`text` shows nothing that only the other workspace holds, and names none of its item ids."""
    other = world.other(team)
    leaked = [word for word in other.only if word in text]
    assert not leaked, f"{team.id} was shown {other.id}'s {leaked}: {text}"
    with world.sessions() as session:
        mine = {
            "Figure": set(
                session.scalars(select(Statistic.id).where(Statistic.workspace_id == team.workspace_id))
            ),
            "Quote": set(session.scalars(select(Quote.id).where(Quote.workspace_id == team.workspace_id))),
        }
    for kind, ids in mentioned(text).items():
        assert ids <= mine[kind], f"{team.id} was shown {kind} ids {ids - mine[kind]} of another workspace"


def count(
    world: World, team: Team, model: type[Statistic] | type[Quote], status: Status | None = None
) -> int:
    with world.sessions() as session:
        query = select(func.count()).select_from(model).where(model.workspace_id == team.workspace_id)
        if status is not None:
            query = query.where(model.status == status.value)
        return session.scalar(query) or 0


# ----- sending signed requests ----------------------------------------------------------------------------
_serial = iter(range(1, 1_000_000))


def slash(
    world: World,
    team: Team,
    command: str,
    text: str,
    *,
    user: str | None = None,
    channel: str | None = None,
    secret: str = SIGNING_SECRET,
) -> tuple[int, str, str]:
    """A signed slash command from `team`: the status, the ack's text and blocks, and its response_url key."""
    key = f"{team.id}-{next(_serial)}"
    body = slash_command_body(
        command, text, team_id=team.id, user_id=user or team.editor, channel_id=channel or team.channel,
        response_url=world.standin.response_url(key),
    )  # fmt: skip
    status, _, raw = post(f"{world.server}/slack/events", body, signed_headers(body, secret))
    try:
        shown = message_text(json.loads(raw)) if raw else ""
    except json.JSONDecodeError:
        shown = raw
    return status, shown, key


def ask(world: World, team: Team, command: str, text: str, **kwargs: Any) -> str:
    status, shown, _ = slash(world, team, command, text, **kwargs)
    assert status == 200, shown
    return shown


def later(world: World, key: str, count: int = 1, timeout: float = 30) -> str:
    """What was sent to a response_url after the ack (lazy listeners work in the background)."""
    deadline = time.monotonic() + timeout
    while len(world.standin.response_posts(key)) < count:
        assert time.monotonic() < deadline, f"no reply to {key}"
        time.sleep(0.01)
    return "\n".join(message_text(p) for p in world.standin.response_posts(key))


def interact(world: World, payload: dict[str, Any], *, secret: str = SIGNING_SECRET) -> tuple[int, str]:
    body = interactive_body(payload)
    status, _, raw = post(f"{world.server}/slack/events", body, signed_headers(body, secret))
    return status, raw


def event(world: World, team: Team, payload: dict[str, Any], *, secret: str = SIGNING_SECRET) -> int:
    body = event_body(payload, team_id=team.id, event_id=f"Ev{next(_serial):06d}")
    headers = signed_headers(body, secret) | {"Content-Type": "application/json"}
    return post(f"{world.server}/slack/events", body, headers)[0]


def press(world: World, team: Team, action: str, kind: str, item_id: int, *, user: str | None = None,
          secret: str = SIGNING_SECRET) -> int:  # fmt: skip
    payload = block_action_payload(
        action, review.ItemRef(kind, item_id).value(), team_id=team.id, user_id=user or team.editor,
        channel_id=team.review, response_url=world.standin.response_url(f"{team.id}-press"),
        message={"ts": "1700000000.000200", "text": "New figure for review"},
    )  # fmt: skip
    return interact(world, payload, secret=secret)[0]


def submit_form(world: World, team: Team, values: dict[str, str], *, form: Kind = "figure",
                user: str | None = None, editing: dict[str, Any] | None = None,
                secret: str = SIGNING_SECRET) -> tuple[int, str]:  # fmt: skip
    callback = forms.QUOTE_FORM if form == "quote" else forms.FIGURE_FORM
    payload = view_submission_payload(
        callback, state(values, form), team_id=team.id, user_id=user or team.editor,
        private_metadata=json.dumps(editing or {}),
    )  # fmt: skip
    return interact(world, payload, secret=secret)


# ----- fixtures for files, articles and feeds -------------------------------------------------------------
class FileHost:
    """Slack's file host: a file shared in a team is served only with that team's bot token."""

    def __init__(self, standin: SlackStandIn) -> None:
        self.standin = standin
        self.files: dict[str, tuple[str, bytes]] = {}  # path -> (team, bytes)
        self.asked_with: list[str] = []  # the team of each download's token
        self.url = ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        team = self.standin.tokens.get(token, "no team")
        self.asked_with.append(team)
        found = self.files.get(environ["PATH_INFO"])
        if found is None or found[0] != team:
            start_response("404 Not Found", [])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [found[1]]


@pytest.fixture
def file_host(standin: SlackStandIn) -> Iterator[FileHost]:
    host = FileHost(standin)
    with serving(host) as url:
        host.url = url
        yield host


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[str, bytes]]]]:
    pages = {
        f"/{path.stem}": ("text/plain; charset=utf-8", path.read_bytes())
        for path in GOLD.glob("*.txt")
        if path.stem.startswith(("child-poverty", "children-in-care")) or "nspcc" in path.stem
    }
    with serving(static_site(pages)) as url:
        yield url, pages


def nspcc_page() -> str:
    return "/" + next(GOLD.glob("*nspcc*.txt")).stem


def share_file(
    world: World, team: Team, host: FileHost, name: str, data: bytes, *, user: str | None = None
) -> None:
    """`user` sends the bot a file in a DM, in `team`; the file lives on the host for that team only."""
    host.files[f"/{team.id}/{name}"] = (team.id, data)
    user = user or team.editor
    payload = {
        "type": "message", "subtype": "file_share", "channel": f"D{user[1:]}", "channel_type": "im",
        "user": user, "text": "", "ts": "1700000000.000200",
        "files": [{"id": "F0FILE", "name": name, "url_private_download": f"{host.url}/{team.id}/{name}"}],
    }  # fmt: skip
    assert event(world, team, payload) == 200


# ===== answers: /stats, /quote and Share in channel =====================================================
ANSWERS = [
    ("/stats", "facebook", ("52%", "61%")),
    ("/stats", "online child sexual abuse", ("9,477", "61%")),
    ("/quote", "encryption", ("Burrows", "Twoteam")),
    ("/quote", "burrows", ("Burrows", None)),
    ("/quote", "burows", (None, None)),  # no spelling suggestion from the other workspace's words
    ("/stats", "ofcom", (None, "61%")),
]


@pytest.mark.parametrize(("command", "text", "expected"), ANSWERS)
def test_answers_and_shared_answers_come_only_from_the_askers_workspace(
    world: World, command: str, text: str, expected: tuple[str | None, str | None]
) -> None:
    for team, want in zip((world.one, world.two), expected, strict=True):
        world.standin.clear()
        answer = ask(world, team, command, text)
        assert_sees_only(world, team, answer)
        if want:
            assert want in answer, answer

        payload = block_action_payload(
            "share_answer", json.dumps({"command": command, "text": text}), team_id=team.id,
            user_id=team.writer, response_url=world.standin.response_url(f"{team.id}-share"),
        )  # fmt: skip
        assert interact(world, payload)[0] == 200
        later(world, f"{team.id}-share")  # the answer only they saw is removed; statbot posts the share itself
        shared = message_text(world.standin.wait_for("chat.postMessage")[-1].params)
        assert_sees_only(world, team, shared)
        if want:
            assert want in shared and f"Shared by <@{team.writer}>" in shared
        # Answers go back in the ack or to the response_url; anything else (Bolt's auth.test) is its own.
        assert set(token_teams(world.standin)) <= {team.id}


# ===== manage subcommands and editors ===================================================================
def manage_attempts(asker: Team, other: Team) -> list[tuple[str, str, str, str]]:
    """(user, command, text, what the asker is told): `asker`'s people naming `other`'s items and roles."""
    f, q, mine = other.figures[-1], other.quotes[0], asker.figures[0]
    return [
        (asker.editor, "/stats", f"history {f}", "Say which figure by its number"),
        (asker.editor, "/quote", f"history {q}", "Say which quote by its number"),
        (asker.editor, "/stats", f"history {other.pending}", "Say which figure by its number"),
        (asker.editor, "/stats", f"retract {f} copied from elsewhere", "Say which and why"),
        (asker.editor, "/quote", f"retract {q} never said", "Say which and why"),
        (asker.editor, "/stats", f"supersede {f} {mine}", "Say the old figure"),
        (asker.editor, "/stats", f"supersede {mine} {f}", "Say the old figure"),
        (asker.editor, "/stats", f"expected-update {f} 12", "Say the figure and when"),
        (asker.editor, "/stats", f"expected-update {f} none", "Say the figure and when"),
        (asker.editor, "/stats", f"house {f} the producer's own figure", "Say which figure to cite"),
        (asker.editor, "/stats", "editors", f"<@{asker.editor}>"),
        (asker.editor, "/stats", "review-channel", f"<#{asker.review}>"),
        (asker.editor, "/stats", "pending", f"Figure #{asker.pending}"),
        # The other workspace's editor is nobody here.
        (other.editor, "/stats", f"editors add <@{other.editor}>", "Only editors"),
        (other.editor, "/stats", f"editors remove <@{asker.editor}>", "Only editors"),
        (other.editor, "/stats", f"retract {mine} wrong", "Only editors"),
        (other.editor, "/stats", f"review-channel <#{other.review}>", "Only editors"),
        # What its own editor changes stays in its own workspace (the snapshot of the other shows it).
        (asker.editor, "/stats", f"editors add <@{asker.writer}>", "can now publish"),
        (asker.editor, "/stats", f"editors remove <@{asker.writer}>", "no longer an editor"),
        (asker.editor, "/stats", f"review-channel <#{asker.channel}>", "Submissions will be posted"),
    ]


def test_manage_subcommands_never_find_or_change_the_other_workspaces_items(world: World) -> None:
    for asker, other in world.pairs():
        before = snapshot(world.engine, other)
        world.standin.clear()
        for user, command, text, told in manage_attempts(asker, other):
            answer = ask(world, asker, command, text, user=user)
            assert told in answer, (asker.id, text, answer)
            assert_sees_only(world, asker, answer)
            assert f"<#{other.review}>" not in answer, answer
            if text in ("editors", "pending"):
                assert f"<@{other.editor}>" not in answer and f"<@{other.writer}>" not in answer, answer
        assert snapshot(world.engine, other) == before
        assert set(token_teams(world.standin)) <= {asker.id}
        # The same words name real items in their own workspace.
        assert f"Figure #{other.figures[-1]}" in ask(world, other, "/stats", f"history {other.figures[-1]}")


# ===== review buttons and the edit form =================================================================
@pytest.mark.parametrize("action", review.ACTIONS)
def test_review_buttons_naming_the_other_workspaces_item_are_refused(world: World, action: str) -> None:
    for asker, other in world.pairs():
        before = snapshot(world.engine, other)
        world.standin.clear()
        assert press(world, asker, action, "figure", other.pending) == 200
        [refusal] = world.standin.calls("chat.postEphemeral")
        assert (
            refusal.params["text"] == "That item no longer exists." and refusal.params["user"] == asker.editor
        )
        assert world.standin.calls("chat.update") == world.standin.calls("views.open") == []
        only_with_token_of(world.standin, asker)
        assert snapshot(world.engine, other) == before

    # The same press in the item's own workspace works, with that workspace's token.
    world.standin.clear()
    assert press(world, world.one, action, "figure", world.one.pending) == 200
    done = "chat.update" if action != review.EDIT else "views.open"
    assert len(world.standin.calls(done)) == 1
    only_with_token_of(world.standin, world.one)


def test_an_edit_form_naming_the_other_workspaces_item_is_refused(world: World) -> None:
    for asker, other in world.pairs():
        before = snapshot(world.engine, other)
        editing = {
            "kind": "figure",
            "id": other.pending,
            "channel": other.review,
            "ts": "1700000000.000200",
        }
        status, raw = submit_form(world, asker, T2_PENDING | {"value": "99%"}, editing=editing)
        assert status == 200 and "no longer exists" in json.loads(raw)["errors"]["value"]
        editing = {"kind": "quote", "id": other.quotes[0]}
        status, raw = submit_form(world, asker, T2_QUOTE, form="quote", editing=editing)
        assert status == 200 and "no longer exists" in json.loads(raw)["errors"]["text"]
        assert snapshot(world.engine, other) == before
    assert world.standin.calls("chat.update") == []


# ===== the add shortcuts and forms ======================================================================
def test_added_figures_and_quotes_land_in_the_submitters_workspace_only(world: World) -> None:
    one, two = world.one, world.two
    shortcut = {
        "type": "shortcut", "callback_id": forms.QUOTE_SHORTCUT, "trigger_id": TRIGGER_ID,
        "action_ts": "1700000000.000001", "user": {"id": two.writer, "username": "w", "team_id": two.id},
        "team": {"id": two.id, "domain": "two"}, "api_app_id": "A0APP", "token": "x",
        "is_enterprise_install": False, "enterprise": None,
    }  # fmt: skip
    assert interact(world, shortcut)[0] == 200
    assert world.standin.wait_for("views.open")[0].params["view"]["callback_id"] == forms.QUOTE_FORM
    ask(world, two, "/stats", "add", user=two.writer)
    assert world.standin.wait_for("views.open", 2)[1].params["view"]["callback_id"] == forms.FIGURE_FORM
    only_with_token_of(world.standin, two)

    before = snapshot(world.engine, one)
    # A writer's figure waits for review in their own workspace's review channel.
    world.standin.clear()
    pending = count(world, two, Statistic, Status.PENDING)
    assert submit_form(world, two, GOOD, user=two.writer) == (200, "")
    assert count(world, two, Statistic, Status.PENDING) == pending + 1
    [posted] = posted_to(world.standin, two.review)
    assert "Snapchat" in posted["text"] and posted_to(world.standin, one.review) == []
    thanks = world.standin.wait_for("chat.postMessage", 2)[-1]
    assert dm_to(world.standin, thanks) == two.writer and "saved and an editor will review it" in thanks.params["text"]
    only_with_token_of(world.standin, two)

    # Items the other workspace already holds are new here, not "already stored as #…" there.
    burrows = {"text": _quote_text(world, one, "Burrows"), "speaker": "Andy Burrows", "source_publisher": "NSPCC",
               "said_on": "2021-08-17"}  # fmt: skip
    submissions: list[tuple[Kind, dict[str, str]]] = [("quote", burrows), ("figure", T1_PENDING)]
    for form, values in submissions:
        world.standin.clear()
        status, raw = submit_form(world, two, values, form=form)
        assert (status, raw) == (200, ""), raw
        note = world.standin.wait_for("chat.postMessage")[0].params["text"]
        assert note.startswith("Published #")
        only_with_token_of(world.standin, two)
    assert count(world, two, Quote, Status.PUBLISHED) == 2
    assert snapshot(world.engine, one) == before
    assert "Andy Burrows" in ask(world, two, "/quote", "burrows")


def _quote_text(world: World, team: Team, speaker: str) -> str:
    with world.sessions() as session:
        found = session.scalars(
            select(Quote.text).where(Quote.workspace_id == team.workspace_id, Quote.speaker.contains(speaker))
        ).first()
        assert found is not None
        return found


# ===== exports ==========================================================================================
@pytest.mark.parametrize(("command", "words"), [("/stats", ""), ("/stats", "facebook"), ("/quote", ""),
                                                ("/quote", "encryption")])  # fmt: skip
def test_exports_hold_only_the_askers_rows_and_go_with_its_token(
    world: World, command: str, words: str
) -> None:
    for asker, other in world.pairs():
        world.standin.clear()
        ask(world, asker, command, f"export {words}".strip(), user=asker.writer)
        world.standin.wait_for("files.completeUploadExternal")
        (upload,) = world.standin.uploads()
        assert upload.content is not None and upload.channel_id == f"D{asker.writer[1:]}"
        content = upload.content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(content)))
        model = Quote if command == "/quote" else Statistic
        assert 0 < len(rows) <= count(world, asker, model, Status.PUBLISHED)
        assert not [w for w in other.only if w in content], content
        assert any(w in content for w in asker.only), content
        only_with_token_of(world.standin, asker)


# ===== spreadsheet import and article files by DM =======================================================
def test_a_spreadsheet_sent_by_dm_is_imported_into_the_senders_workspace_only(
    world: World, file_host: FileHost
) -> None:
    one, two = world.one, world.two
    before = snapshot(world.engine, one), count(world, two, Statistic)
    share_file(world, two, file_host, "rows.csv", as_csv([figure_row(1), figure_row(2)]))
    said = world.standin.wait_for("chat.postMessage")[0].params
    assert "Imported 2 figures; 0 already stored" in said["text"], said
    assert file_host.asked_with == [two.id]
    assert count(world, two, Statistic) == before[1] + 2 and snapshot(world.engine, one) == before[0]
    only_with_token_of(world.standin, two)

    # The same rows are new to the first workspace; and its editor is nobody in the second.
    world.standin.clear()
    share_file(world, one, file_host, "rows.csv", as_csv([figure_row(1), figure_row(2)]))
    assert (
        "Imported 2 figures; 0 already stored" in world.standin.wait_for("chat.postMessage")[0].params["text"]
    )
    only_with_token_of(world.standin, one)
    world.standin.clear()
    share_file(world, two, file_host, "more.csv", as_csv([figure_row(3)]), user=one.editor)
    assert "Only editors" in world.standin.wait_for("chat.postMessage")[0].params["text"]
    assert count(world, two, Statistic) == before[1] + 2
    only_with_token_of(world.standin, two)


def test_an_article_file_sent_by_dm_is_staged_in_the_senders_workspace(
    world: World, file_host: FileHost
) -> None:
    one, two = world.one, world.two
    before = snapshot(world.engine, one)
    article = (GOLD / "child-poverty-two-child-limit.txt").read_bytes()
    share_file(world, two, file_host, "poverty.txt", article, user=two.writer)
    [reply] = posted_to(world.standin, f"D{two.writer[1:]}")  # the listener ran before the 200 came back
    assert f"posted to <#{two.review}>" in reply["text"], reply
    assert file_host.asked_with == [two.id]
    assert count(world, two, Statistic, Status.PENDING) > 1 and posted_to(world.standin, one.review) == []
    assert snapshot(world.engine, one) == before
    only_with_token_of(world.standin, two)


# ===== article ingest: /stats ingest and the Extract figures shortcut ===================================
def test_ingest_stages_into_the_askers_workspace_and_posts_to_its_review_channel(
    world: World, site: tuple[str, Any]
) -> None:
    one, two = world.one, world.two
    url, _ = site
    before = snapshot(world.engine, one), count(world, two, Statistic, Status.PENDING)
    # The first workspace already has the NSPCC figures; to the second they are new.
    _, shown, key = slash(world, two, "/stats", f"ingest <{url}{nspcc_page()}>", user=two.writer)
    assert "Reading" in shown
    done = later(world, key)
    assert f"posted to <#{two.review}> for review" in done and "Already stored" not in done, done
    assert count(world, two, Statistic, Status.PENDING) >= before[1] + 2
    header, *threaded = posted_to(world.standin, two.review)
    assert f"sent by <@{two.writer}>" in header["text"] and threaded
    assert posted_to(world.standin, one.review) == [] and snapshot(world.engine, one) == before[0]
    only_with_token_of(world.standin, two)

    world.standin.clear()
    text = (
        "Ofcom found that 41% of children aged 8 to 17 had seen harmful content online in 2023. "
        "“We will hold platforms to account,” said Jane Doe, director of online safety at Ofcom."
    )
    shortcut = {
        "type": "message_action", "callback_id": "extract_figures", "trigger_id": "1.2.3",
        "team": {"id": two.id, "domain": "two"}, "user": {"id": two.writer, "team_id": two.id},
        "channel": {"id": two.channel, "name": "general"},
        "message": {"type": "message", "text": text, "ts": "1700000000.000100", "user": "U2AUTHOR"},
        "response_url": world.standin.response_url(f"{two.id}-extract"), "action_ts": "1700000001.000100",
    }  # fmt: skip
    assert interact(world, shortcut)[0] == 200
    assert f"posted to <#{two.review}>" in later(world, f"{two.id}-extract", count=2)
    with world.sessions() as session:
        staged = session.scalars(select(Statistic).where(Statistic.value == Decimal(41))).one()
        assert staged.workspace_id == two.workspace_id and staged.status == Status.PENDING
    assert posted_to(world.standin, one.review) == [] and snapshot(world.engine, one) == before[0]
    only_with_token_of(world.standin, two)


# ===== feeds ============================================================================================
def test_feeds_are_listed_removed_and_polled_per_workspace(world: World, site: tuple[str, Any]) -> None:
    one, two = world.one, world.two
    url, pages = site
    pages["/feed.xml"] = ("application/rss+xml", rss(url, ["/child-poverty-two-child-limit"]))
    _, _, key = slash(world, one, "/stats", f"feeds add <{url}/feed.xml>")
    assert "Following feed #" in later(world, key)
    [feed_id] = {int(n) for n in re.findall(r"Following feed #(\d+)", later(world, key))}
    assert f"#{feed_id}" in ask(world, one, "/stats", "feeds")

    before = snapshot(world.engine, one)
    listed = ask(world, two, "/stats", "feeds")
    assert "follows no feeds" in listed and f"#{feed_id}" not in listed and url not in listed
    assert f"There is no feed #{feed_id} here" in ask(world, two, "/stats", f"feeds remove {feed_id}")
    assert snapshot(world.engine, one) == before
    _, _, key = slash(world, two, "/stats", f"feeds add <{url}/feed.xml>")
    assert "Following feed #" in later(world, key) and "already follows" not in later(world, key)

    # A new article on the feed is staged in each workspace and posted to each one's channel with its token.
    world.standin.clear()
    pages["/feed.xml"] = (
        "application/rss+xml",
        rss(url, ["/children-in-care-england-2023", "/child-poverty-two-child-limit"]),
    )
    pending = {team.id: count(world, team, Statistic, Status.PENDING) for team in (one, two)}
    clients = WorkspaceClients(world.settings, world.sessions, stores(world.settings, world.engine)[0])
    assert poll_feeds(world.sessions, clients, world.settings, now=utcnow() + timedelta(hours=2)) == 2
    for team in (one, two):
        assert count(world, team, Statistic, Status.PENDING) > pending[team.id]
        posts = [c for c in world.standin.calls("chat.postMessage") if c.params["channel"] == team.review]
        assert posts and {world.standin.tokens[c.token or ""] for c in posts} == {team.id}


# ===== digests ==========================================================================================
def publish_figure(world: World, team: Team, measure: str, at: Any) -> None:
    with world.sessions.begin() as session:
        source = items.source(session, team.workspace_id, publisher="Digest Desk", url="https://example.org/")
        items.statistic(
            session, team.workspace_id, value=Decimal(17 if team is world.one else 83), unit="percent",
            measure=measure, source=source, period_end=PartialDate.parse("2026"), now=at,
        )  # fmt: skip


def test_digest_commands_and_the_clock_keep_each_workspaces_subscriptions_apart(world: World) -> None:
    one, two = world.one, world.two
    ids = {}
    for team in (one, two):
        _, _, key = slash(world, team, "/digest", "subscribe alpha")
        assert "subscribed this channel" in later(world, key)
        [ids[team.id]] = {int(n) for n in re.findall(r"\bid (\d+)", later(world, key))}
    # A topic only the other workspace has is nothing here.
    _, _, key = slash(world, two, "/digest", "subscribe burrows", channel="C2OTHER")
    assert "Nothing stored matches" in later(world, key)

    for asker, other in world.pairs():
        theirs = ids[other.id]
        before = snapshot(world.engine, other)
        world.standin.clear()
        listed = ask(world, asker, "/digest", "list", channel=other.channel)
        assert "no digests" in listed and f"id {theirs}" not in listed
        for verb in ("unsubscribe", "preview"):
            told = ask(world, asker, "/digest", f"{verb} {theirs}", channel=other.channel)
            assert f"There is no subscription {theirs}" in told, told
        _, _, key = slash(world, asker, "/digest", f"send-now {theirs}", channel=other.channel)
        assert f"There is no subscription {theirs}" in later(world, key)
        assert world.standin.calls("chat.postMessage") == []
        assert snapshot(world.engine, other) == before
        assert f"id {ids[asker.id]}" in ask(world, asker, "/digest", "list")

    # The clock: each workspace's digest holds its own new figure and goes with its own token.
    world.standin.clear()
    with world.sessions() as session:
        due = max(aware(s.next_run_at) for s in session.scalars(select(Subscription)))
        first = min(aware(s.last_delivered_at) for s in session.scalars(select(Subscription)))
    for team in (one, two):
        publish_figure(world, team, f"share of alpha reports from {team.id}", first + timedelta(minutes=1))
    clients = WorkspaceClients(world.settings, world.sessions, stores(world.settings, world.engine)[0])
    outcomes = run_due(world.sessions, clients, now=due + timedelta(minutes=1))
    assert sorted(o.state for o in outcomes if o.subscription_id in ids.values()) == ["posted", "posted"]
    for team in (one, two):
        other = world.other(team)
        [digest] = [c for c in world.standin.calls("chat.postMessage") if c.params["channel"] == team.channel]
        assert world.standin.tokens[digest.token or ""] == team.id
        shown = json.dumps(digest.params)
        assert f"alpha reports from {team.id}" in shown and f"alpha reports from {other.id}" not in shown


# ===== forged signatures ================================================================================
# Requests naming the first team, its items and its editor; each is sent with the signing secret given.
FORGED: dict[str, Callable[[World, str], int]] = {
    # (retract would only ask for confirmation: expected-update changes a row at once)
    "slash command": lambda w, secret: slash(w, w.one, "/stats", f"expected-update {w.one.figures[-1]} 7", secret=secret)[0],
    "editors": lambda w, secret: slash(w, w.one, "/stats", "editors add <@U0MALLORY>", secret=secret)[0],
    "lazy command": lambda w, secret: slash(w, w.one, "/digest", "subscribe alpha", secret=secret)[0],
    "button": lambda w, secret: press(w, w.one, review.APPROVE, "figure", w.one.pending, secret=secret),
    "edit form": lambda w, secret: submit_form(
        w, w.one, T1_PENDING | {"value": "99%"}, editing={"kind": "figure", "id": w.one.pending}, secret=secret
    )[0],
    "add form": lambda w, secret: submit_form(w, w.one, GOOD, secret=secret)[0],
    "event": lambda w, secret: event(w, w.one, {"type": "app_uninstalled"}, secret=secret),
}  # fmt: skip


@pytest.mark.parametrize("kind", FORGED)
def test_a_request_naming_a_team_but_signed_for_another_app_is_rejected_and_changes_nothing(
    world: World, kind: str
) -> None:
    before = snapshot(world.engine, world.one)
    assert FORGED[kind](world, "another-apps-signing-secret") == 401
    time.sleep(0.2)  # anything a listener had started would have reached the stand-in by now
    assert world.standin.calls() == [] and world.standin.response_posts() == []
    assert snapshot(world.engine, world.one) == before
    # Signed with this app's secret the same request does act, so the refusal above was the signature's.
    assert FORGED[kind](world, SIGNING_SECRET) == 200
    deadline = time.monotonic() + 30
    while snapshot(world.engine, world.one, installed=kind != "event") == before:
        assert time.monotonic() < deadline, f"the properly signed {kind} changed nothing"
        time.sleep(0.05)
