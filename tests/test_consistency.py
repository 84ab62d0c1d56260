"""Consistency checks at review: numbers that imply each other, as the reviewer sees them on the card.
The percentage change is checked against real rows read at run time from ../shared/corpus/real."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select

from bot import posting
from bot.local_slack import SlackStandIn
from bot.search_eval import CORPUS, corpus_missing, read_rows
from intake.consistency import Check, Facts, checks
from intake.spreadsheet import read_sheet
from storage import changes, workspaces
from storage.db import make_sessions
from storage.inputs import FigureInput
from storage.models import Statistic, Status, Workspace
from tests.conftest import BOT_TOKEN
from tests.spreadsheets import write_rows as write

OFFENCES = Facts(1, Decimal("9477"), "count", "offences")


def fig(value: str, unit: str, measure: str, **more: object) -> Facts:
    return Facts(None, Decimal(value), unit, measure, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("figure", "siblings", "expected"),
    [
        (fig("52", "percent", "share on apps", base=OFFENCES), [], [Check(True, "52% of 9,477 is about 4,928")]),
        (
            fig("52", "percent", "share on apps", base=OFFENCES),
            [Facts(7, Decimal("4928"), "count", "offences on apps")],
            [Check(True, "52% of 9,477 is about 4,928, as #7 gives")],
        ),
        (fig("140", "percent", "share of offences on apps"), [], [Check(False, "A share of 140% is above 100%: is it an increase?")]),
        (fig("140", "percent", "increase in offences"), [], []),
        (
            fig("10000", "count", "offences on apps", base=OFFENCES),
            [],
            [Check(False, "10,000 is more than the 9,477 it is part of (offences)")],
        ),
        (
            OFFENCES,
            [Facts(2, Decimal("10000"), "count", "offences on apps", base_id=1)],
            [Check(False, "9,477 is smaller than its own subset #2 (10,000)")],
        ),
    ],
)  # fmt: skip
def test_numbers_that_imply_each_other_are_checked(
    figure: Facts, siblings: list[Facts], expected: list[Check]
) -> None:
    assert checks(figure, siblings) == expected


def change(value: str, measure: str = "increase in sessions") -> Facts:
    return fig(
        value,
        "percent",
        measure,
        period_start=date(2014, 4, 1),
        period_end=date(2016, 3, 31),
        precision="month",
    )


YEARS = [
    Facts(3, Decimal("2994"), "count", "sessions", date(2014, 4, 1), date(2015, 3, 31), "month"),
    Facts(4, Decimal("3716"), "count", "sessions", date(2015, 4, 1), date(2016, 3, 31), "month"),
]


@pytest.mark.parametrize(
    ("stated", "ok"), [("24", True), ("24.1", True), ("30", False), ("2.4", False)]
)  # fmt: skip
def test_a_percentage_change_is_checked_against_the_two_values_given(stated: str, ok: bool) -> None:
    (found,) = checks(change(stated), YEARS)
    assert found.ok is ok
    assert found.text.startswith("2,994 (Apr 2014 - Mar 2015) to 3,716 (Apr 2015 - Mar 2016) is +24.1%")


def test_a_fall_is_checked_as_a_fall() -> None:
    swapped = [
        Facts(3, Decimal("3716"), "count", "sessions", date(2014, 4, 1), date(2015, 3, 31), "month"),
        Facts(4, Decimal("2994"), "count", "sessions", date(2015, 4, 1), date(2016, 3, 31), "month"),
    ]
    (found,) = checks(change("19.4", "fall in sessions"), swapped)
    assert found.ok and "is -19.4%" in found.text


def month(text: str, last: bool) -> date | None:
    if len(text) != 7:
        return None
    return date.fromisoformat(text + "-01") if not last else date.fromisoformat(text + "-28")


def facts_of(row: dict[str, str]) -> Facts:
    return fig(row["value"], row["unit"], row["measure"], period_start=month(row["period_start"], False),
               period_end=month(row["period_end"], True), precision="month")  # fmt: skip


# ----- on the review card ----------------------------------------------------------------------------
def post_card(engine: Engine, standin: SlackStandIn, home_id: int, stat_id: int) -> str:
    client = WebClient(base_url=standin.api_url, token=BOT_TOKEN)
    with make_sessions(engine)() as session:
        workspace = session.get(Workspace, home_id)
        assert workspace is not None
        workspaces.set_review_channel(session, workspace, "C0REVIEW")
        session.commit()
        item = session.get(Statistic, stat_id)
        assert item is not None
        assert posting.post_for_review(client, session, home_id, item) is not None
    return html.unescape(str(standin.last("chat.postMessage").params["blocks"]))


def test_the_sample_share_shows_the_count_it_implies_on_its_card(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        share = session.scalar(select(Statistic.id).where(Statistic.unit == "percent"))
    assert share is not None
    assert ":white_check_mark: 52% of 9,477 is about 4,928" in post_card(engine, standin, home_id, share)


@pytest.mark.skipif(corpus_missing() is not None, reason=f"real corpus absent: {corpus_missing()}")
@pytest.mark.parametrize("tampered", [False, True])
def test_a_real_articles_change_is_checked_against_its_own_two_years_on_the_card(
    engine: Engine, standin: SlackStandIn, home_id: int, tmp_path: Path, tampered: bool
) -> None:
    """The real set holds an article giving a year-on-year rise and both years' counts (found by shape)."""
    rows = read_rows(CORPUS / "figures.csv")
    by_article: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_article.setdefault(row["source_url"], []).append(row)
    for article in by_article.values():
        for row in article:
            found = checks(facts_of(row), [facts_of(o) for o in article if o is not row])
            if found and found[0].ok and "is +" in found[0].text:
                break
        else:
            continue
        break
    else:
        raise AssertionError("the real set no longer holds a rise given with both years' counts")
    given = {**row, "value": str(Decimal(row["value"]) + 6)} if tampered else row
    sheet = read_sheet(
        write(tmp_path / "article.csv", *(given if r is row else r for r in article)), "figure"
    )
    row = given
    assert not sheet.bad
    with make_sessions(engine)() as session:
        stored = [changes.submit_for_review(session, home_id, item, "U0WRITER")[0] for _, item in sheet.rows]
        session.commit()
        target = [
            s
            for s in stored
            if isinstance(s, Statistic) and s.value == Decimal(row["value"]) and s.unit == "percent"
        ]
        assert target and all(s.status == Status.PENDING.value for s in target)
        target_id = target[-1].id
    card = post_card(engine, standin, home_id, target_id)
    if tampered:
        assert ":x:" in card and f"not the {Decimal(row['value']).normalize():f}% given" in card
    else:
        assert ":white_check_mark:" in card and "as stated" in card
    assert isinstance(sheet.rows[0][1], FigureInput)
