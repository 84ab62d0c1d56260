"""Embargoes on both databases, through signed requests to the real app and with time driven explicitly: an
embargoed item is seen only by editors and whoever added it, the answer cache never gives it to anyone else,
and it appears by itself (and in the next digest) once the moment passes."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import cli
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from commands import home, review
from commands.item_menu import ITEM_MENU
from commands.reply import SHARE_ACTION
from digests import deliver
from intake.columns import all_columns
from intake.validate import FigureInput, validate_figure, validate_quote
from storage import changes, embargo, roles, sheets
from storage.db import make_sessions
from storage.models import AuditEntry, Statistic
from tests.conftest import SIGNING_SECRET, slack_settings
from tests.digests import SUBSCRIBED, posts, publish, subscribe, text_of
from tests.http_server import serving
from tests.samples import share_id
from tests.slackapi.events import mention, send_event, shown
from tests.slackapi.forms import GOOD, submit
from tests.slackapi.replies import ask, message_text
from tests.slackapi.review import CHANNEL, WRITER, press
from tests.slackapi.signing import block_action_payload, interactive_body, post, signed_headers
from tests.spreadsheets import figure_row

EDITOR = "U0EDITOR"
READER = "U0READER"
AUTHOR = "U0AUTHOR"
# One series, as two sources report it (the embargo and supersession tests add the second).
GROOMING = {
    "unit": "count", "measure": "online grooming crimes recorded by police", "period_start": "2023",
    "period_end": "2023", "geography": "England and Wales", "source_publisher": "Home Office",
}  # fmt: skip
LONDON_NINE = datetime(2027, 7, 15, 8, 0, tzinfo=UTC)  # 09:00 in London, on summer time


class Clock:
    """The moment the app takes it to be; a test moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 7, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def server(engine: Engine, standin: SlackStandIn, home_id: int, clock: Clock) -> Iterator[str]:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    settings: Settings = slack_settings(
        engine, standin, today=clock.today, now=clock.now, review_channel=CHANNEL
    )
    assert settings.answer_cache_mb > 0  # the cache is on: what it keeps is part of what is tested
    with serving(create_wsgi(settings)) as url:
        yield url


def test_an_embargoed_figure_is_seen_by_editors_only_and_appears_when_it_lifts(
    server: str, standin: SlackStandIn, engine: Engine, clock: Clock
) -> None:
    stat = share_id(engine)
    assert "*52%*" in ask(server, standin, "facebook", user=READER)  # kept in the cache, before the embargo
    said = ask(server, standin, f"embargo {stat} 2027-07-15 09:00 Europe/London")
    assert "under embargo until 15 Jul 2027 09:00 Europe/London" in said, said
    # The editor sees it, marked; the reader asking the same words right after is not given the editor's answer.
    for _ in range(2):
        mine = ask(server, standin, "facebook")
        assert "*52%*" in mine and "Embargoed until 15 Jul 2027 09:00 Europe/London" in mine
        for _ in range(2):  # the second time from the cache, if anywhere
            theirs = ask(server, standin, "facebook", user=READER)
            assert "52%" not in theirs and "Embargoed" not in theirs, theirs
    # No write happens between now and the moment it lifts: time alone must bring it back.
    clock.moment = LONDON_NINE - timedelta(minutes=1)
    assert "*52%*" not in ask(server, standin, "facebook", user=READER)
    clock.moment = LONDON_NINE
    lifted = ask(server, standin, "facebook", user=READER)
    assert "*52%*" in lifted and "Embargoed" not in lifted
    assert "Embargoed" not in ask(server, standin, "facebook")


def test_only_editors_set_embargoes_and_bad_ones_are_refused_with_the_way_to_write_them(
    server: str, standin: SlackStandIn, engine: Engine
) -> None:
    stat = share_id(engine)
    assert "Only editors" in ask(server, standin, f"embargo {stat} 2027-07-15 09:00", user=READER)
    for typed, reason in (
        ("2027-07-15 09:00 Mars/Olympus", "is not a time zone"),
        ("15/07/2027", "an embargo is written like"),
        ("2027-02-30 09:00", "not a real date"),
        ("2027-06-30 09:00 UTC", "has already passed"),
    ):
        said = ask(server, standin, f"embargo {stat} {typed}")
        assert reason in said, (typed, said)
    assert "is not embargoed" in ask(server, standin, f"embargo {stat} lift")


def test_lifting_early_shows_it_at_once_and_the_history_says_who(
    server: str, standin: SlackStandIn, engine: Engine, clock: Clock
) -> None:
    stat = share_id(engine)
    ask(server, standin, f"embargo {stat} 2027-07-15 09:00 Europe/London")
    assert "*52%*" not in ask(server, standin, "facebook", user=READER)
    assert "lifted" in ask(server, standin, f"embargo {stat} lift")
    assert "*52%*" in ask(server, standin, "facebook", user=READER)
    with make_sessions(engine)() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.item_id == stat, AuditEntry.item_kind == "figure")
        ).all()
    assert actions[-2:] == ["embargo", "lift_embargo"]


def test_whoever_added_an_item_sees_it_and_a_shared_answer_never_holds_it(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    raw = {
        "text": "We will publish the figures next week.", "speaker": "Jo Bloggs", "speaker_org": "NSPCC",
        "source_publisher": "NSPCC", "embargo": "2027-07-15 09:00 Europe/London",
    }  # fmt: skip
    typed = validate_quote(raw)
    assert not isinstance(typed, list), typed
    assert typed.embargo == embargo.Embargo(LONDON_NINE, "Europe/London")
    with make_sessions(engine)() as session:
        changes.add_quote(session, home_id, typed, actor=AUTHOR, publish=True)
        session.commit()
    assert "Jo Bloggs" in ask(server, standin, "nspcc", user=AUTHOR, command="/quote")
    assert "Jo Bloggs" in ask(server, standin, "nspcc", user=EDITOR, command="/quote")
    assert "Jo Bloggs" not in ask(server, standin, "nspcc", user=READER, command="/quote")
    # Share in channel, pressed under the editor's answer: the channel is everyone, so the share holds none.
    shared = share(server, standin, "/quote", "nspcc", EDITOR)
    assert "Andy Burrows" in shared and "Jo Bloggs" not in shared


def share(server: str, standin: SlackStandIn, command: str, text: str, user: str) -> str:
    value = json.dumps({"command": command, "text": text})
    payload = block_action_payload(
        SHARE_ACTION, value, user_id=user, response_url=standin.response_url("share")
    )
    body = interactive_body(payload)
    assert post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))[0] == 200
    # statbot posts a share itself (so a retraction can note it on the message), then deletes the answer.
    [posted] = standin.wait_for("chat.postMessage")
    standin.wait_for("response_url")
    return json.dumps(posted.params)


def test_exports_digests_and_the_home_tab_leave_it_out_until_it_lifts(
    engine: Engine,
    home_id: int,
    standin: SlackStandIn,
    client: WebClient,
) -> None:
    """Digests select what was published since the last one: an item published before the last digest but
    lifted after it goes in the next."""
    sessions: sessionmaker[Session] = make_sessions(engine)
    subscribe(sessions, home_id)
    figure = publish(sessions, home_id, SUBSCRIBED + timedelta(days=1))
    first_run = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # Monday 09:00 in London
    lifts = first_run + timedelta(days=2)
    with sessions.begin() as session:
        stat = session.get(Statistic, figure)
        assert stat is not None
        changes.set_embargo(session, stat, embargo.Embargo(lifts, "Europe/London"), actor=EDITOR,
                            now=SUBSCRIBED + timedelta(days=1))  # fmt: skip
    # The first digest runs while it is embargoed: nothing to post.
    assert [o.state for o in deliver.run_due(sessions, client, now=first_run)] == ["empty"]
    with sessions() as session:
        reader = home.read(session, home_id, READER, is_editor=False, now=first_run)
        editor = home.read(session, home_id, EDITOR, is_editor=True, now=first_run)
        assert figure not in [f.id for f in reader.figures] and figure in [f.id for f in editor.figures]
        exported = sheets.published(session, home_id, "figure")
        assert all(row.value != Decimal("61") for row in exported if isinstance(row, FigureInput))
    # A week on, lifted in between: the next digest has it, though it was published before the last one.
    [outcome] = deliver.run_due(sessions, client, now=first_run + timedelta(days=7))
    assert outcome.state == "posted" and "61%" in text_of(posts(standin)[-1])
    with sessions() as session:
        assert figure in [
            f.id for f in home.read(session, home_id, READER, is_editor=False, now=lifts).figures
        ]


def test_an_import_row_carries_its_embargo_and_a_bad_one_is_refused() -> None:
    row = {
        "value": "61", "unit": "percent", "measure": "of grooming offences on Meta's apps",
        "source_publisher": "NSPCC", "embargo": "2099-01-15 09:00 America/New_York",
    }  # fmt: skip
    checked = validate_figure(row)
    assert isinstance(checked, FigureInput) and checked.embargo is not None
    assert checked.embargo.until == datetime(2099, 1, 15, 14, 0, tzinfo=UTC)
    refused = validate_figure(row | {"embargo": "next tuesday"})
    assert isinstance(refused, list) and [e.field for e in refused] == ["embargo"]
    assert json.dumps([e.message for e in refused]).count("2027-01-15 09:00 Europe/London") == 1


def test_the_form_and_the_review_card_carry_the_embargo(
    server: str, standin: SlackStandIn, engine: Engine, clock: Clock
) -> None:
    status, raw = submit(server, GOOD | {"embargo": "20 July"}, WRITER)
    assert "an embargo is written like" in json.loads(raw)["errors"]["embargo"]
    status, raw = submit(server, GOOD | {"embargo": "2027-07-20 09:00 Europe/London"}, WRITER)
    assert status == 200 and "errors" not in raw
    posted = standin.wait_for("chat.postMessage")[0]
    card = {"ts": posted.response["ts"] if posted.response else "1.1", "blocks": posted.params["blocks"]}
    assert "Embargoed until* 20 Jul 2027 09:00 Europe/London" in message_text(posted.params)
    with make_sessions(engine)() as session:
        item_id = session.scalars(select(Statistic.id).where(Statistic.created_by == WRITER)).one()
    # Edit from the review card: the form shows the embargo in force, and the editor moves it.
    ref = review.ItemRef("figure", item_id).value()
    edit = block_action_payload(review.EDIT, ref, user_id=EDITOR, channel_id=CHANNEL, message=card,
                                response_url=standin.response_url("e"))  # fmt: skip
    body = interactive_body(edit)
    assert post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))[0] == 200
    view = standin.wait_for("views.open")[0].params["view"]
    filled = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert filled["embargo"]["initial_value"] == "2027-07-20 09:00 Europe/London"
    moved = GOOD | {"embargo": "2027-07-22 09:00 Europe/London"}
    status, raw = submit(server, moved, EDITOR, metadata=view["private_metadata"])
    assert status == 200 and "errors" not in raw
    press(server, standin, review.APPROVE, item_id, card, EDITOR)
    standin.wait_for("chat.update", count=2)
    # Published, and still under embargo: its author and editors see it, nobody else.
    assert "Embargoed until 22 Jul 2027 09:00 Europe/London" in ask(
        server, standin, "snapchat grooming", user=WRITER
    )
    assert "*34%*" not in ask(server, standin, "snapchat grooming", user=READER)
    clock.moment = datetime(2027, 7, 22, 8, 0, tzinfo=UTC)
    assert "*34%*" in ask(server, standin, "snapchat grooming", user=READER)


def test_a_figure_under_embargo_is_not_named_as_disagreeing_to_readers(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        for value, publisher, until in (("6350", "Home Office", None), ("7062", "NSPCC", "2027-07-15 09:00")):
            typed = validate_figure(GROOMING | {"value": value, "source_publisher": publisher}
                                    | ({"embargo": until} if until else {}))  # fmt: skip
            assert isinstance(typed, FigureInput), typed
            changes.add_figure(session, home_id, typed, actor=EDITOR, publish=True)
        session.commit()
    listing = ask(server, standin, "conflicts", user=READER)
    assert "7,062" not in listing
    answer = ask(server, standin, "grooming crimes", user=READER)
    assert "6,350" in answer and "7,062" not in answer and "disagree" not in answer.casefold()
    mine = ask(server, standin, "grooming crimes", user=EDITOR)
    assert "7,062" in mine and "disagree" in mine.casefold()


def test_mentions_and_item_menus_keep_the_embargo(server: str, standin: SlackStandIn, engine: Engine) -> None:
    stat = share_id(engine)
    ask(server, standin, f"embargo {stat} 2027-07-15 09:00 Europe/London")
    # A mention by a reader in a thread: answered without it; by an editor: with it.
    for user, count in ((READER, 1), (EDITOR, 2)):
        send_event(server, mention("<@U0BOT> facebook") | {"user": user})
        answer = standin.wait_for("chat.postEphemeral", count=count)[-1].params
        assert ("52%" in shown(answer)) is (user == EDITOR), (user, shown(answer))
    # Its menu, pressed by someone who may not see it (a value from an old message, say): gone for them.
    for what, user, expected in (
        ("cite", READER, "no longer stored"),
        ("share", EDITOR, "cannot be shared in a channel before then"),
        ("cite", EDITOR, "52%"),
    ):
        payload = block_action_payload(
            ITEM_MENU, "", user_id=user, response_url=standin.response_url(what + user)
        )
        payload["actions"][0] |= {
            "type": "overflow",
            "selected_option": {"value": f"{what}:figure:{stat}"},
        }
        body = interactive_body(payload)
        assert post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))[0] == 200
        deadline = time.monotonic() + 30
        while not standin.response_posts(what + user) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert expected in json.dumps(standin.response_posts(what + user)[-1]), (what, user)


def test_statbot_import_reads_the_embargo_column_and_export_leaves_the_row_out(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    rows = [
        figure_row(1, embargo="2099-01-15 09:00 Europe/London"),  # hidden for a long while yet
        figure_row(2, embargo=""),
    ]
    path = tmp_path / "figures.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*all_columns("figure"), "embargo"])
        writer.writeheader()
        writer.writerows(rows)
    assert cli.main(["import", str(path)]) == 0
    assert "Imported 2 figures" in capsys.readouterr().out
    with make_sessions(engine)() as session:
        held = {s.value: embargo.of(s) for s in session.scalars(select(Statistic))}
    assert held[Decimal(1001)] == embargo.Embargo(datetime(2099, 1, 15, 9, 0, tzinfo=UTC), "Europe/London")
    assert held[Decimal(1002)] is None
    assert cli.main(["export", "--kind", "figure", "--output", str(tmp_path / "out.csv")]) == 0
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    assert "1002" in exported and "1001" not in exported and "embargo" not in exported.splitlines()[0]


def test_a_figure_superseded_by_one_under_embargo_does_not_name_its_replacement(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    """The old figure stays in answers marked superseded; the new value is not given until it is public."""
    with make_sessions(engine)() as session:
        added = []
        for value, publisher, until in (("6350", "Home Office", None), ("7062", "NSPCC", "2099-01-01 09:00")):
            typed = validate_figure(GROOMING | {"value": value, "source_publisher": publisher}
                                    | ({"embargo": until} if until else {}))  # fmt: skip
            assert isinstance(typed, FigureInput), typed
            added.append(changes.add_figure(session, home_id, typed, actor=EDITOR, publish=True)[0])
        changes.supersede(session, added[0], added[1], actor=EDITOR)
        session.commit()
    answer = ask(server, standin, "grooming crimes", user=READER)
    assert "6,350" in answer and "not public yet" in answer and "7,062" not in answer, answer
