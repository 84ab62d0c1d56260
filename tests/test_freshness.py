"""Freshness on both databases: a series' next release as a date, the age of data in answers, warnings as
days pass (today driven by the settings, never the machine's clock), and the weekly note to editors."""

from __future__ import annotations

import runpy
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, create_engine, select, text

from bot.config import Settings
from bot.local_slack import SlackStandIn
from digests import weekly_note
from intake.validate import validate_figure
from storage import changes, freshness, migrate, roles
from storage.db import make_engine, make_sessions, normalise_url
from storage.inputs import FigureInput
from storage.models import SeriesRelease, Statistic, WeeklyNote
from tests.clock import Today, at
from tests.conftest import BOT_TOKEN, PG_SERVER, slack_settings
from tests.samples import share_id
from tests.slackapi.replies import ask, dms

EDITOR = "U0EDITOR"
WRITER = "U0WRITER"


@pytest.fixture
def today() -> Today:
    return Today(date(2026, 12, 1))


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn, today: Today) -> Settings:
    return slack_settings(engine, standin, today=today)


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)


@pytest.mark.parametrize(
    ("end", "today", "words"),
    [
        (date(2020, 9, 30), date(2026, 12, 1), "6 years old"),
        (date(2020, 9, 30), date(2021, 9, 30), "1 year old"),
        (date(2020, 9, 30), date(2021, 9, 29), "11 months old"),
        (date(2020, 9, 30), date(2020, 11, 1), "1 month old"),
        (date(2020, 9, 30), date(2020, 10, 15), "less than a month old"),
        (date(2020, 9, 30), date(2020, 9, 1), "not over yet"),
    ],
)
def test_the_age_of_data_is_said_in_words(end: date, today: date, words: str) -> None:
    assert freshness.age_in_words(end, today) == words


def test_an_answer_says_how_old_the_data_is(server: str, standin: SlackStandIn) -> None:
    assert "Data from Oct 2019 - Sep 2020, 6 years old" in ask(server, standin, "facebook")


def test_a_release_date_warns_as_it_comes_and_goes_and_stops_once_a_newer_figure_is_in(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int, today: Today
) -> None:
    share = share_id(engine)
    said = ask(server, standin, f"expected-update {share} 2027-03")
    assert "is expected Mar 2027" in said
    assert "Next release expected Mar 2027" in ask(server, standin, "facebook")
    today.day = date(2027, 2, 26)
    assert "A newer release is expected Mar 2027" in ask(server, standin, "facebook")
    today.day = date(2027, 3, 10)
    assert "A newer release is due Mar 2027" in ask(server, standin, "facebook")
    today.day = date(2027, 4, 1)
    overdue = ask(server, standin, "facebook")
    assert "A newer release was due Mar 2027" in overdue and "7 years old" not in overdue
    # The release comes: the same measure and place with a later period. The warning stops for both.
    with make_sessions(engine)() as session:
        old = session.get(Statistic, share)
        assert old is not None
        newer = validate_figure(
            {"value": "55%", "unit": "percent", "measure": old.measure, "period_start": "2020-10",
             "period_end": "2021-09", "source_publisher": "NSPCC", "source_date": "2021-11", "entities": "Facebook"}
        )  # fmt: skip
        assert isinstance(newer, FigureInput)
        changes.add_figure(session, home_id, newer, actor="cli", publish=True)
        session.commit()
    after = ask(server, standin, "facebook")
    assert "Data from Oct 2020 - Sep 2021, 5 years old" in after
    assert "release" not in after.split("Data from Oct 2020")[0] and "newer release" not in after


def test_months_become_a_date_counted_from_the_end_of_the_period(
    server: str, standin: SlackStandIn, engine: Engine, today: Today
) -> None:
    share = share_id(engine)
    assert "is expected Sep 2021" in ask(server, standin, f"expected-update {share} 12")
    assert "A newer release was due Sep 2021" in ask(server, standin, "facebook")
    assert "expected_update (next release 2021-09)" in ask(server, standin, f"history {share}")
    assert "no longer has an expected release" in ask(server, standin, f"expected-update {share} none")
    assert "newer release" not in ask(server, standin, "facebook")


@pytest.mark.parametrize(
    ("when", "told"),
    [
        ("0", "months must be between 1 and 240"),
        ("241", "months must be between 1 and 240"),
        ("2027", "say the month at least"),
        ("2027-13", "neither months nor a date"),
        ("2027-02-30", "neither months nor a date"),
        ("soon", "neither months nor a date"),
    ],
)
def test_a_bad_release_date_is_refused_with_the_reason(
    server: str, standin: SlackStandIn, engine: Engine, when: str, told: str
) -> None:
    assert told in ask(server, standin, f"expected-update {share_id(engine)} {when}")
    with make_sessions(engine)() as session:
        assert session.scalars(select(SeriesRelease)).all() == []


def test_only_editors_set_release_dates(server: str, standin: SlackStandIn, engine: Engine) -> None:
    assert "Only editors" in ask(server, standin, f"expected-update {share_id(engine)} 2027-03", user=WRITER)


# ----- the weekly note -------------------------------------------------------------------------------
def test_the_weekly_note_lists_what_is_due_once_a_week_even_with_two_clocks(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    sessions = make_sessions(engine)
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    with sessions() as session:
        roles.add_editor(session, home_id, EDITOR)
        roles.add_editor(session, home_id, "U0SECOND")
        stat = session.get(Statistic, share_id(engine))
        assert stat is not None
        freshness.set_next_release(session, stat, freshness.parse_when("2027-03", stat), actor=EDITOR)
        session.commit()
    # A week with nothing due or overdue: claimed, nothing sent.
    assert [o.state for o in weekly_note.run(sessions, client, now=at("2027-01-04T09:30"))] == ["nothing due"]
    assert dms(standin) == []
    # Two clocks at once: one sends to both editors, the other finds the week claimed.
    outcomes: list[weekly_note.Outcome] = []
    clocks = [
        threading.Thread(
            target=lambda: outcomes.extend(weekly_note.run(sessions, client, now=at("2027-03-01T09:05")))
        )
        for _ in range(2)
    ]
    for clock in clocks:
        clock.start()
    for clock in clocks:
        clock.join(timeout=60)
    assert sorted(o.state for o in outcomes) == ["busy", "sent"]
    notes = dms(standin)
    assert len(notes) == 2 and all("due Mar 2027" in n and f"#{stat.id}" in n for n in notes)
    # Later the same week: nothing more. The next week: overdue, sent again.
    assert [o.state for o in weekly_note.run(sessions, client, now=at("2027-03-05T12:00"))] == ["busy"]
    assert len(dms(standin)) == 2
    # A Monday before 09:00 UTC still belongs to the week before; at 09:00 the new week's note goes.
    weekly_note.run(sessions, client, now=at("2027-04-05T08:59"))
    assert len(dms(standin)) == 4 and "was due Mar 2027: overdue" in dms(standin)[-1]
    weekly_note.run(sessions, client, now=at("2027-04-05T09:00"))
    assert len(dms(standin)) == 6
    with sessions() as session:
        weeks = session.scalars(select(WeeklyNote.week_of).order_by(WeeklyNote.week_of)).all()
    assert weeks == [date(2027, 1, 4), date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 5)]


# ----- the migration: stored months become dates ----------------------------------------------------
MIGRATION = runpy.run_path(str(Path(migrate.MIGRATIONS, "versions", "0015_freshness_and_conflicts.py")))


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, so the test can stop at revision 0009."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield engine
        engine.dispose()
        return
    name = f"statbot_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(PG_SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(normalise_url(PG_SERVER).rsplit("/", 1)[0] + f"/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_migration_turns_stored_months_into_the_series_next_release_and_back(bare_engine: Engine) -> None:
    before = MIGRATION["down_revision"]  # the revision 0015 follows
    migrate.upgrade(bare_engine, before)
    with bare_engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, name, is_home, created_at) VALUES (1, '', true, :t)"),
                           {"t": datetime(2026, 1, 1, tzinfo=UTC)})  # fmt: skip
        connection.execute(text("INSERT INTO sources (id, workspace_id, title, publisher, url, notes)"
                                " VALUES (1, 1, '', 'NSPCC', '', '')"))  # fmt: skip
        for stat_id, end, months in ((1, "2019-09-30", 12), (2, "2020-09-30", 12), (3, "2020-09-30", None)):
            connection.execute(
                text(
                    "INSERT INTO statistics (id, workspace_id, value, unit, value_text, measure, period_end,"
                    " period_precision, geography, evidence, notes, source_id, status, status_reason,"
                    " expected_update_months, created_by, created_at) VALUES (:id, 1, 5, 'count', '',"
                    " :measure, :end, 'month', 'UK', '', '', 1, 'published', '', :months, '', :t)"
                ),
                {"id": stat_id, "end": date.fromisoformat(end), "months": months, "t": datetime(2026, 1, 1, tzinfo=UTC),
                 "measure": "Offences" if stat_id < 3 else "Other"},
            )  # fmt: skip
    migrate.upgrade(bare_engine, "0015")
    with make_sessions(bare_engine)() as session:
        rows = session.scalars(select(SeriesRelease)).all()
        assert [(r.series_key, r.expected.iso(), r.after_period_end) for r in rows] == [
            ("offences|uk|count", "2021-09", date(2020, 9, 30))
        ]
    migrate.downgrade(bare_engine, before)
    with bare_engine.connect() as connection:
        months = connection.execute(
            text("SELECT id, expected_update_months FROM statistics ORDER BY id")
        ).all()
    assert [tuple(r) for r in months] == [(1, None), (2, 12), (3, None)]


def test_the_clock_process_sends_the_weekly_note(engine: Engine, standin: SlackStandIn, home_id: int) -> None:
    """The clock's job, on a real scheduler: a release long overdue (whatever day the test runs) is noted."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot import clock

    sessions = make_sessions(engine)
    with sessions() as session:
        roles.add_editor(session, home_id, EDITOR)
        stat = session.get(Statistic, share_id(engine))
        assert stat is not None
        freshness.set_next_release(session, stat, freshness.parse_when("12", stat), actor=EDITOR)  # Sep 2021
        session.commit()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_jobstore("memory", alias="local")  # as clock.configure sets up
    clock.add_weekly_note(scheduler, sessions, WebClient(base_url=standin.api_url, token=BOT_TOKEN))
    scheduler.start()
    try:
        standin.wait_for("chat.postMessage")
    finally:
        scheduler.shutdown(wait=True)
    assert any("was due Sep 2021: overdue" in note for note in dms(standin))
