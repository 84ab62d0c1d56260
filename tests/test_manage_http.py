"""History, editors and corrections through signed `/stats` requests to the real app over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.local_slack import SlackStandIn
from storage import roles
from storage.db import make_sessions
from storage.models import SeriesRelease, Statistic, Status, Workspace
from tests.slackapi.replies import ask, ask_and_confirm

EDITOR = "U0EDITOR"
WRITER = "U0WRITER"


def figure_ids(sessions: Session) -> list[int]:
    return list(sessions.scalars(select(Statistic.id).order_by(Statistic.id)))


def test_the_first_editor_adds_themselves_then_only_editors_change_editors(
    server: str, standin: SlackStandIn, db: Session, home_id: int
) -> None:
    standin.add_user(EDITOR, is_admin=True)  # who may name the first editor: tests/test_first_editor.py
    assert "no editors yet" in ask(server, standin, "editors")
    assert "<@U0EDITOR> can now publish" in ask(server, standin, "editors add <@U0EDITOR|ed>")
    assert "Only editors" in ask(server, standin, "editors add <@U0WRITER|wr>", user=WRITER)
    assert "<@U0WRITER> can now publish" in ask(server, standin, "editors add <@U0WRITER|wr>")
    assert "<@U0EDITOR>, <@U0WRITER>" in ask(server, standin, "editors", user=WRITER)
    assert "<@U0WRITER> is no longer an editor" in ask(server, standin, "editors remove <@U0WRITER>")
    assert "leave no editors" in ask(server, standin, "editors remove <@U0EDITOR>")
    assert roles.editors(db, home_id) == [EDITOR]


def test_an_editor_retracts_a_figure_with_a_reason_and_it_is_no_longer_answered(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
        first = figure_ids(session)[1]  # the 52% share
    assert "*52%*" in ask(server, standin, "facebook")
    assert "Only editors" in ask(server, standin, f"retract {first} wrong", user=WRITER)
    assert "Say which and why" in ask(server, standin, f"retract {first}")
    assert "*Retract* figure" in ask(server, standin, f"retract {first} NSPCC corrected the count")
    assert "*52%*" in ask(server, standin, "facebook")  # asked, not done
    assert "is retracted" in ask_and_confirm(server, standin, f"retract {first} NSPCC corrected the count")
    history = ask(server, standin, f"history {first}")
    assert "retract: NSPCC corrected the count by <@U0EDITOR>" in history and "now retracted" in history
    with make_sessions(engine)() as session:
        stat = session.get(Statistic, first)
        assert stat is not None and stat.status == Status.RETRACTED
    assert "*52%*" not in ask(server, standin, "facebook")


def test_a_superseded_figure_is_answered_with_its_replacement(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
        base, share = figure_ids(session)
    assert "superseded by #" in ask_and_confirm(server, standin, f"supersede {share} {base}")
    assert "Superseded by" in ask(server, standin, "facebook")
    assert "supersede by #" in ask(server, standin, f"history {share}")


def test_expected_update_months_are_set_by_an_editor_as_the_series_next_release(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
        first = figure_ids(session)[1]  # the 52% share (to Sep 2020), which /stats facebook shows
    assert "expected Sep 2021" in ask(server, standin, f"expected-update {first} 12")
    assert "A newer release was due Sep 2021" in ask(server, standin, "facebook")
    with make_sessions(engine)() as session:
        release = session.scalar(select(SeriesRelease))
        assert release is not None and release.expected.iso() == "2021-09"


def test_the_review_channel_is_set_by_an_editor_from_the_channel_mention(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    assert "No review channel" in ask(server, standin, "review-channel")
    assert "Only editors" in ask(server, standin, "review-channel <#C0REVIEW|review>", user=WRITER)
    with make_sessions(engine)() as session:
        roles.add_editor(session, home_id, EDITOR)
        session.commit()
    assert "<#C0REVIEW>" in ask(server, standin, "review-channel <#C0REVIEW|review>")
    with make_sessions(engine)() as session:
        workspace = session.get(Workspace, home_id)
        assert workspace is not None and workspace.review_channel == "C0REVIEW"


def test_history_of_an_unknown_number_says_how_to_ask(server: str, standin: SlackStandIn) -> None:
    unknown = ask(server, standin, "history 99999")
    assert "There is no figure #99999 here" in unknown and "by its number" in unknown
    assert "by its number" in ask(server, standin, "history", command="/quote")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("history 12", "history"), ("history #12", "history"), ("history of abuse", None),
        ("pending", "pending"), ("pending legislation", None), ("add", "add"), ("add campaigns", None),
        ("editors", "editors"), ("editors add <@U1|a>", "editors"), ("editors of the guardian", None),
        ("retract 12 wrong year", "retract"), ("retract", "retract"), ("supersede 1 2", "supersede"),
        ("export", "export"), ("export grooming", "export"), ("review-channel <#C1|r>", "review-channel"),
        ("facebook", None), ("", None),
    ],
)  # fmt: skip
def test_subcommands_are_told_apart_from_questions(text: str, expected: str | None) -> None:
    from commands.table import route

    assert route("/stats", text).name == expected


def test_a_question_that_starts_like_a_subcommand_is_still_answered(
    server: str, standin: SlackStandIn
) -> None:
    assert "No figures match *pending legislation*" in ask(server, standin, "pending legislation")
