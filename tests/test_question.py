"""What a plain-language question states: period (against an injected today), place, kind of number,
the boost those give a row, and reciprocal rank fusion."""

from __future__ import annotations

from datetime import date

import pytest

from storage import question as q

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("text", "start", "end", "said", "rest"),
    [
        ("sextortion in 2023", date(2023, 1, 1), date(2023, 12, 31), "2023", "sextortion"),
        ("grooming crimes on Instagram last year?", date(2024, 1, 1), date(2024, 12, 31), "2024", "grooming crimes on Instagram ?"),
        ("fines this year", date(2025, 1, 1), TODAY, "2025", "fines"),
        ("grooming since 2019", date(2019, 1, 1), None, "since 2019", "grooming"),
        ("food banks between 2021 and 2019", date(2019, 1, 1), date(2021, 12, 31), "2019 to 2021", "food banks"),
        ("grooming offences in 2017/18", date(2017, 4, 1), date(2018, 3, 31), "2017/18", "grooming offences"),
        ("childline calls in 2015-16", date(2015, 4, 1), date(2016, 3, 31), "2015/16", "childline calls"),
        ("bullying before 2020", None, date(2019, 12, 31), "before 2020", "bullying"),
        ("homelessness in the past 12 months", date(2024, 6, 15), TODAY, "the past 12 months", "homelessness"),
        ("fines over the last 3 years", date(2022, 1, 1), TODAY, "last 3 years", "fines"),
    ],
)
def test_a_period_is_read_relative_to_today(
    text: str, start: date | None, end: date | None, said: str, rest: str
) -> None:
    period, left = q.parse_period(text, TODAY)
    assert period == q.Period(start, end, said)
    assert left == rest


@pytest.mark.parametrize(
    "text",
    [
        "how many children use TikTok?",
        "under 13s on whatsapp",  # an age is not a year
        "children aged 10 to 15",
        "2 in 5 children",
        "the year 3000",  # out of the range of years a library holds
    ],
)
def test_text_without_a_period_has_none(text: str) -> None:
    assert q.parse_period(text, TODAY) == (None, text)


def test_a_financial_year_that_is_not_consecutive_is_read_as_a_year() -> None:
    period, _ = q.parse_period("figures for 2017/19", TODAY)
    assert period == q.Period(date(2017, 1, 1), date(2017, 12, 31), "2017")


@pytest.mark.parametrize(
    ("text", "place", "rest"),
    [
        ("online abuse in Wales", "Wales", "online abuse"),
        ("is there a UK figure on sextortion of boys?", "UK", "is there a figure on sextortion of boys?"),
        ("grooming in the West Midlands", "West Midlands", "grooming"),
        ("American teenagers on YouTube", "US", "teenagers on YouTube"),
        ("food parcels in sheffield", "Sheffield", "food parcels"),
        ("cases in Northern Ireland", "Northern Ireland", "cases"),
        ("the Irish fine on Instagram", "Ireland", "fine on Instagram"),
    ],
)
def test_a_place_is_found_longest_name_first(text: str, place: str, rest: str) -> None:
    assert q.parse_place(text, places=["West Midlands", "Sheffield", "England and Wales"]) == (place, rest)


@pytest.mark.parametrize("text", ["tell us about grooming", "what can you give us on fines", "focus groups"])
def test_us_the_pronoun_is_not_the_country(text: str) -> None:
    assert q.parse_place(text)[0] is None


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("how many grooming crimes happened on Instagram?", {"count"}),
        ("what share of offences were on Snapchat?", {"percent", "ratio"}),
        ("what percentage of teens use YouTube", {"percent", "ratio"}),
        ("what proportion of victims are boys", {"percent", "ratio"}),
        ("how much did the ICO fine TikTok?", {"gbp", "usd", "eur"}),
        ("how much was Epic made to pay", {"gbp", "usd", "eur"}),
        ("how much harmful content does TikTok recommend", set()),  # "how much" without money
        ("grooming on snapchat", set()),
    ],
)
def test_the_kind_of_number_follows_the_question(text: str, units: set[str]) -> None:
    assert q.parse_units(text) == frozenset(units)


def test_parse_leaves_the_subject_and_says_what_it_understood() -> None:
    parsed = q.parse("how many grooming crimes happened on Instagram in Wales last year?", TODAY)
    assert parsed.words == "grooming crimes instagram"
    assert parsed.place == "Wales"
    assert parsed.period == q.Period(date(2024, 1, 1), date(2024, 12, 31), "2024")
    assert parsed.understood() == "grooming crimes instagram, Wales, 2024, counts"


def test_a_question_that_states_nothing_is_all_subject() -> None:
    parsed = q.parse("sextortion", TODAY)
    assert (parsed.words, parsed.place, parsed.period, parsed.units) == ("sextortion", None, None, frozenset())
    assert parsed.understood() == "sextortion"


@pytest.mark.parametrize(
    ("asked", "stored", "matches"),
    [
        ("Wales", "Wales", True),
        ("Wales", "England and Wales", True),
        ("UK", "Wales", True),
        ("UK", "England and Wales", True),
        ("UK", "United Kingdom", True),
        ("US", "United States", True),
        ("Wales", "UK", False),  # a UK total is not a figure for Wales
        ("England", "Ireland", False),
        ("UK", "", False),
        ("Ireland", "Northern Ireland", True),
    ],
)
def test_place_matches(asked: str, stored: str, matches: bool) -> None:
    assert q.place_matches(asked, stored) is matches


def test_boost_raises_matches_lowers_contradictions_and_leaves_unknowns() -> None:
    parsed = q.parse("how many grooming offences in Wales in 2023?", TODAY)
    match = q.boost(parsed, "count", "Wales", date(2023, 1, 1), date(2023, 12, 31))
    unknown = q.boost(parsed, "percent", "", None, None)
    contradicting = q.boost(parsed, "percent", "Scotland", date(2019, 1, 1), date(2019, 12, 31))
    assert match > unknown == 1.0 > contradicting
    assert q.boost(q.parse("grooming", TODAY), "eur", "Ireland", date(2019, 1, 1), None) == 1.0


def test_money_is_lowered_only_when_another_kind_of_number_is_asked_for() -> None:
    shares = q.parse("what share of fines", TODAY)
    assert q.boost(shares, "gbp", "", None, None) < q.boost(shares, "count", "", None, None) == 1.0


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (date(2023, 4, 1), date(2024, 3, 31), True),
        (date(2022, 1, 1), date(2022, 12, 31), False),
        (date(2023, 6, 1), None, True),  # an open end runs on
        (None, None, None),  # nothing stored: neither
    ],
)
def test_period_overlap(start: date | None, end: date | None, overlaps: bool | None) -> None:
    assert q.Period(date(2023, 1, 1), date(2023, 12, 31), "2023").overlaps(start, end) is overlaps


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = q.reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60)
    assert [key for key, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


@pytest.mark.parametrize("rankings", [[], [[]], [[], []]])
def test_reciprocal_rank_fusion_of_nothing_is_empty(rankings: list[list[str]]) -> None:
    assert q.reciprocal_rank_fusion(rankings) == []
