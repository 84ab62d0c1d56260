"""Conflicts on both databases, with real rows read at run time from ../shared/corpus/real/figures.csv (two
outlets reporting the same release): found at import and review, listed side by side with the likely
reason, settled by an editor's house figure, which answers then show first."""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select

from bot import cli, posting
from bot.local_slack import SlackStandIn
from bot.search_eval import CORPUS, corpus_missing, read_rows
from bot.web import create_wsgi
from ingest.extract import extract
from intake.spreadsheet import read_sheet
from intake.validate import validate_figure
from storage import changes, conflicts, workspaces
from storage.db import make_sessions
from storage.inputs import FigureInput
from storage.models import Statistic, Workspace
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, slack_settings
from tests.http_server import serving, static_site
from tests.slackapi.replies import ask
from tests.slackapi.signing import post, signed_headers, slash_command_body
from tests.spreadsheets import write_rows as write

real_rows = pytest.mark.skipif(corpus_missing() is not None, reason=f"real corpus absent: {corpus_missing()}")

GOLD = Path(__file__).parent / "gold" / "articles"
EDITOR = "U0EDITOR"
WRITER = "U0WRITER"
Row = dict[str, str]
Run = Callable[..., int]


def one_release_twice() -> tuple[Row, Row]:
    """Two rows of the real set from different outlets that report one release: same producer, value,
    unit and period, and what was counted in like words (found by shape, so no text is copied here)."""
    rows = read_rows(CORPUS / "figures.csv")
    for n, a in enumerate(rows):
        for b in rows[n + 1 :]:
            same = all(a[k] == b[k] for k in ("producer", "value", "unit", "period_start", "period_end"))
            apart = a["producer"] and a["period_end"] and a["source_url"] != b["source_url"]
            if same and apart and conflicts.same_measure(a["measure"], b["measure"]):
                return a, b
    raise AssertionError("the real set no longer holds one release reported by two outlets")


def later_month(period: str) -> str:
    year, month = (int(p) for p in period.split("-")[:2])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


@pytest.fixture
def run(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    return lambda *argv: cli.main([str(a) for a in argv])


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)

def figure_from(engine: Engine, row: Row) -> int:
    """The stored figure of a row: same value, period and reporter's link."""
    with make_sessions(engine)() as session:
        for stat in session.scalars(select(Statistic).order_by(Statistic.id)):
            end = stat.period_end.isoformat()[:7] if stat.period_end else ""
            if (
                stat.source.url == row["source_url"]
                and stat.value == Decimal(row["value"])
                and end == row["period_end"][:7]
            ):
                return stat.id
    raise AssertionError("row not stored")


@real_rows
def test_one_release_reported_alike_by_two_outlets_is_no_conflict(
    run: Run, tmp_path: Path, server: str, standin: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = one_release_twice()
    assert run("import", write(tmp_path / "two.csv", a, b)) == 0
    assert "Conflict" not in capsys.readouterr().out
    assert "No figures disagree" in ask(server, standin, "conflicts")


@real_rows
def test_the_same_release_with_another_period_is_a_conflict_until_an_editor_chooses_the_house_figure(
    run: Run,
    tmp_path: Path,
    server: str,
    standin: SlackStandIn,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = one_release_twice()
    b = {**b, "period_end": later_month(b["period_end"])}  # one outlet slips a month, as real ones do
    assert run("import", write(tmp_path / "two.csv", a, b)) == 0
    first, second = figure_from(engine, a), figure_from(engine, b)
    printed = capsys.readouterr().out
    assert f"figures #{first} and #{second} disagree (periods; likely period)" in printed
    listed = html.unescape(ask(server, standin, "conflicts"))
    assert "1 open conflict" in listed and "Different periods for one figure" in listed
    assert f"#{first}" in listed and f"#{second}" in listed and "likely period" in listed
    assert a["source_publisher"] in listed and b["source_publisher"] in listed  # side by side, with sources
    answer = html.unescape(ask(server, standin, a["producer"]))
    assert "Sources disagree* on the same figure" in answer

    assert "Only editors" in ask(server, standin, f"house {first} the producer's own dates", user=WRITER)
    assert "Say which figure to cite" in ask(server, standin, f"house {first}")
    done = ask(server, standin, f"house {first} the producer's release gives this period")
    assert f"Figure #{first} is now the house figure over #{second}" in done
    answer = html.unescape(ask(server, standin, a["producer"]))
    house_at, other_at = answer.index(f"Figure #{first}"), answer.index(f"Figure #{second}")
    assert house_at < other_at  # the house figure first
    assert "House figure*, chosen by <@U0EDITOR>: the producer's release gives this period" in answer
    assert "1 other report differ" in answer and f"Not the house figure.* Cite #{first}" in answer
    assert "No open conflicts (1 settled)" in ask(server, standin, "conflicts")

    # A third report with yet another period opens it again: the choice covered only the figures it saw.
    third = {**b, "period_end": later_month(b["period_end"]), "source_url": b["source_url"] + "?copy"}
    assert run("import", write(tmp_path / "third.csv", third)) == 0
    assert "1 open conflict" in ask(server, standin, "conflicts")


@real_rows
@pytest.mark.parametrize(
    ("value", "reason"),
    [("+0.4", "rounding"), ("*10", "reporter error"), ("+7", "definition")],
)
def test_another_value_for_the_same_measure_period_and_place_is_a_conflict_with_its_likely_reason(
    run: Run,
    tmp_path: Path,
    engine: Engine,
    home_id: int,
    capsys: pytest.CaptureFixture[str],
    value: str,
    reason: str,
) -> None:
    a, _ = one_release_twice()
    given = Decimal(a["value"])
    changed = given * 10 if value == "*10" else given + Decimal(value)
    other = {**a, "value": f"{changed.normalize():f}", "source_url": a["source_url"] + "?other"}
    assert run("import", write(tmp_path / "two.csv", a, other)) == 0
    assert f"(values; likely {reason})" in capsys.readouterr().out


@real_rows
def test_a_submission_that_disagrees_is_shown_so_on_its_review_card(
    run: Run, tmp_path: Path, engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    a, b = one_release_twice()
    assert run("import", write(tmp_path / "one.csv", a)) == 0
    stored = figure_from(engine, a)
    slipped = read_sheet(
        write(tmp_path / "b.csv", {**b, "period_end": later_month(b["period_end"])}), "figure"
    )
    ((_, item),) = slipped.rows
    assert isinstance(item, FigureInput)
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    with make_sessions(engine)() as session:
        workspace = session.get(Workspace, home_id)
        assert workspace is not None
        workspaces.set_review_channel(session, workspace, "C0REVIEW")
        pending, _ = changes.submit_for_review(session, home_id, item, WRITER)
        session.commit()
        assert posting.post_for_review(client, session, home_id, pending) is not None
    card = html.unescape(str(standin.last("chat.postMessage").params["blocks"]))
    assert f"Conflicts with* #{stored}" in card and "the same figure with a different period" in card


def test_house_figures_are_refused_for_what_disagrees_with_nothing(
    server: str, standin: SlackStandIn
) -> None:
    assert "disagrees with no other figure" in ask(server, standin, "house 1 it is the best")
    assert "Say which figure to cite" in ask(server, standin, "house 99999 it is the best")


def test_an_ingested_candidate_that_disagrees_with_a_stored_figure_says_so_on_its_card(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    """The repository's own invented article (tests/gold), read by `/stats ingest` over HTTP."""
    article = (GOLD / "children-in-care-england-2023.txt").read_bytes()
    candidate = next(c for c in extract(article.decode()).figures if c.measure)
    # Another outlet gave the same measure, period and place, ten times over.
    other = validate_figure(
        {"value": f"{(candidate.value * 10).normalize():f}", "unit": candidate.unit, "measure": candidate.measure,
         "period_start": candidate.period_start or "", "period_end": candidate.period_end or "",
         "geography": candidate.geography or "", "source_publisher": "Another outlet", "source_date": "2024-01"}
    )  # fmt: skip
    assert isinstance(other, FigureInput)
    with make_sessions(engine)() as session:
        stored, _ = changes.add_figure(session, home_id, other, actor="cli", publish=True)
        session.commit()
        stored_id = stored.id
    settings = slack_settings(engine, standin, review_channel="C0REVIEW", fetch_allow_loopback=True)
    site = static_site({"/care": ("text/plain; charset=utf-8", article)})
    with serving(site) as pages, serving(create_wsgi(settings)) as server:
        body = slash_command_body("/stats", f"ingest <{pages}/care|the article>", user_id=WRITER,
                                  response_url=standin.response_url("ingest"))  # fmt: skip
        status, _, _ = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
        assert status == 200
        standin.wait_for("response_url")
    cards = [
        html.unescape(str(c.params.get("blocks")))
        for c in standin.calls("chat.postMessage")
        if c.params.get("channel") == "C0REVIEW"
    ]
    assert any(
        f"Conflicts with* #{stored_id}" in card and "likely reporter error" in card for card in cards
    ), cards


def test_many_large_conflicts_are_listed_within_slacks_limits(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        for group in range(12):
            for member in range(8):
                figure = validate_figure(
                    {"value": str(100 + member), "unit": "count", "measure": f"invented measure {group}",
                     "period_start": "2024", "period_end": "2024", "geography": "UK",
                     "source_publisher": f"Outlet {member}", "source_date": "2025-01"}
                )  # fmt: skip
                assert isinstance(figure, FigureInput)
                changes.add_figure(session, home_id, figure, actor="cli", publish=True)
        session.commit()
    listed = ask(server, standin, "conflicts")  # ask() checks the reply against Slack's limits
    assert "12 open conflicts" in listed and "more" in listed


@pytest.mark.slow
def test_one_producers_many_figures_of_one_value_still_show_the_same_figure_with_two_periods(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    """Past conflicts.BUCKET_LIMIT figures of one value, only exact wording is compared: still found."""
    rows = [
        {"value": "5", "unit": "count", "measure": f"invented count number {n}", "period_start": "2024",
         "period_end": "2024", "producer": "NSPCC", "source_publisher": f"Outlet {n}", "source_date": "2025-01"}
        for n in range(conflicts.BUCKET_LIMIT + 5)
    ]  # fmt: skip
    rows.append(
        {**rows[0], "period_start": "2023", "period_end": "2023", "source_publisher": "Another outlet"}
    )
    with make_sessions(engine)() as session:
        for row in rows:
            figure = validate_figure(row)
            assert isinstance(figure, FigureInput)
            changes.add_figure(session, home_id, figure, actor="cli", publish=True)
        session.commit()
    listed = ask(server, standin, "conflicts")
    assert "1 open conflict" in listed and "Different periods for one figure" in listed
