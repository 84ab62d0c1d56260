"""The weekly note to editors survives a clock that dies after claiming the week: a later run (after the
claim's lease) sends it, and each editor gets it exactly once, on both databases, with time driven explicitly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.local_slack import SlackStandIn
from digests import weekly_note
from storage import freshness, roles
from storage.db import make_sessions
from storage.models import Statistic
from tests.clock import at
from tests.conftest import BOT_TOKEN, EDITOR
from tests.samples import share_id
from tests.slackapi.replies import dms

SECOND = "U0SECOND"
MONDAY = at("2027-03-01T09:05")


@pytest.fixture
def due(engine: Engine, home_id: int) -> sessionmaker[Session]:
    """Two editors and the sample's share due in March 2027."""
    sessions = make_sessions(engine)
    with sessions() as session:
        roles.add_editor(session, home_id, EDITOR)
        roles.add_editor(session, home_id, SECOND)
        stat = session.get(Statistic, share_id(engine))
        assert stat is not None
        freshness.set_next_release(session, stat, freshness.parse_when("2027-03", stat), actor=EDITOR)
        session.commit()
    return sessions


class Dies:
    """Kills the process (as far as its caller can tell) once: at the first statement that starts with `at`,
    or at the first statement after one that starts with `after`."""

    def __init__(self, *, at: str = "", after: str = "") -> None:
        self.at, self.after, self.armed, self.next_one = at.upper(), after.upper(), True, False

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not self.armed:
            return
        start = statement.lstrip().upper()
        if self.next_one or (self.at and start.startswith(self.at)):
            self.armed = False
            raise OperationalError(statement, parameters, Exception("the clock process died"))
        if self.after and start.startswith(self.after):
            self.next_one = True


@pytest.fixture
def kill(engine: Engine) -> Iterator[list[Dies]]:
    """Append a Dies to arm it on this test's database."""
    armed: list[Dies] = []

    class Arming(list[Dies]):
        def append(self, dies: Dies) -> None:
            event.listen(engine, "before_cursor_execute", dies)
            armed.append(dies)

    yield Arming()
    for dies in armed:
        event.remove(engine, "before_cursor_execute", dies)


def test_a_clock_that_dies_after_claiming_the_week_does_not_lose_the_note(
    engine: Engine, due: sessionmaker[Session], standin: SlackStandIn, kill: list[Dies]
) -> None:
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    kill.append(Dies(after="INSERT INTO WEEKLY_NOTES"))  # the claim is made, nothing sent
    with pytest.raises(OperationalError):
        weekly_note.run(due, client, now=MONDAY)
    assert dms(standin) == []
    # Restarted at once: the claim might belong to a process still sending, so it is left alone.
    assert [o.state for o in weekly_note.run(due, client, now=MONDAY + timedelta(minutes=1))] == ["busy"]
    assert dms(standin) == []
    # After the lease the claim is taken over and the note goes out, once to each editor.
    later = MONDAY + weekly_note.CLAIM_LEASE + timedelta(minutes=1)
    assert [o.state for o in weekly_note.run(due, client, now=later)] == ["sent"]
    notes = dms(standin)
    assert len(notes) == 2 and all("due Mar 2027" in n for n in notes)
    assert [o.state for o in weekly_note.run(due, client, now=later + timedelta(hours=2))] == ["busy"]
    assert len(dms(standin)) == 2


def test_a_clock_that_dies_between_two_editors_sends_the_rest_and_nobody_twice(
    engine: Engine, due: sessionmaker[Session], standin: SlackStandIn, kill: list[Dies]
) -> None:
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    # Dies as the first editor's message is being recorded: Slack has it, the database does not.
    kill.append(Dies(at="UPDATE WEEKLY_NOTES SET SENT_TO"))
    with pytest.raises(OperationalError):
        weekly_note.run(due, client, now=MONDAY)
    assert len(dms(standin)) == 1
    later = MONDAY + weekly_note.CLAIM_LEASE + timedelta(minutes=1)
    assert [o.state for o in weekly_note.run(due, client, now=later)] == ["sent"]
    channels = [c.params["channel"] for c in standin.calls("chat.postMessage")]
    assert sorted(channels) == ["D0EDITOR", "D0SECOND"]
