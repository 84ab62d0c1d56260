"""A digest becomes a Slack message that stays within Slack's limits and never acts on stored text."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from digests.model import Digest, DigestCorrection, DigestFigure, DigestQuote, SeriesPoint
from digests.render import MAX_BLOCKS, period_phrase, render


def figure(id: int = 1, **changes: Any) -> DigestFigure:
    fields: dict[str, Any] = {
        "id": id,
        "value": Decimal("52"),
        "unit": "percent",
        "measure": "adults who use end-to-end encrypted messaging",
        "period_label": "2025",
        "geography": "UK",
        "entities": ["Facebook"],
        "topics": ["encryption"],
        "source_label": "Ofcom Online Nation",
        "source_url": "https://www.ofcom.org.uk/online-nation",
        "series_key": None,
        "period_end": None,
    }
    return DigestFigure(**{**fields, **changes})


def quote(id: int = 1, **changes: Any) -> DigestQuote:
    fields: dict[str, Any] = {
        "id": id,
        "text": "Encryption keeps children safe too.",
        "speaker": "Jane Doe",
        "speaker_role": "Director",
        "speaker_org": "Open Rights Group",
        "source_label": "Hansard",
        "source_url": "https://hansard.parliament.uk/x",
        "topics": ["encryption"],
        "entities": [],
    }
    return DigestQuote(**{**fields, **changes})


def digest(
    figures: list[DigestFigure] | None = None,
    quotes: list[DigestQuote] | None = None,
    corrections: list[DigestCorrection] | None = None,
    topic: str = "encryption",
) -> Digest:
    return Digest(
        subscription_id=12,
        channel_id="C123",
        topic=topic,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 7),
        figures=figures or [],
        quotes=quotes or [],
        corrections=corrections or [],
    )


def rendered(the_digest: Digest, **options: Any) -> dict[str, Any]:
    message = render(the_digest, **options)
    assert message is not None
    return message


def texts(message: dict[str, Any]) -> list[str]:
    """Every text in the message's blocks, in order."""
    found = []
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found.extend(element["text"] for element in block.get("elements", []))
    return found


def bullets(message: dict[str, Any]) -> list[str]:
    return [line for text in texts(message) for line in text.splitlines() if line.startswith("• ")]


def test_an_empty_digest_renders_to_nothing_so_nothing_is_posted() -> None:
    assert render(digest()) is None


@pytest.mark.parametrize(
    ("start", "end", "phrase"),
    [
        (date(2026, 3, 1), date(2026, 3, 7), "1-7 March 2026"),
        (date(2026, 2, 28), date(2026, 3, 6), "28 February - 6 March 2026"),
        (date(2025, 12, 29), date(2026, 1, 4), "29 December 2025 - 4 January 2026"),
        (date(2026, 3, 9), date(2026, 3, 9), "9 March 2026"),
    ],
)
def test_the_period_is_written_as_people_write_date_ranges(start: date, end: date, phrase: str) -> None:
    assert period_phrase(start, end) == phrase


@pytest.mark.parametrize(
    ("the_digest", "header"),
    [
        (digest([figure()]), "New figures, 1-7 March 2026"),
        (digest(quotes=[quote()]), "New quotes, 1-7 March 2026"),
        (
            digest(corrections=[DigestCorrection(1, "52% of adults", "retracted")]),
            "Corrections, 1-7 March 2026",
        ),
    ],
)
def test_the_header_names_what_is_new_and_the_period(the_digest: Digest, header: str) -> None:
    message = rendered(the_digest)
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": header},
    }
    assert message["text"].startswith(header + ": ")


def test_a_figure_shows_its_value_what_was_counted_period_place_and_linked_source() -> None:
    message = rendered(digest([figure(value=Decimal("1200000"), unit="gbp", measure="fines issued")]))
    assert bullets(message) == [
        "• *£1.2m* fines issued (2025, UK) — <https://www.ofcom.org.uk/online-nation|Ofcom Online Nation>"
    ]
    assert message["channel"] == "C123"
    assert message["unfurl_links"] is False


def test_a_quote_shows_who_said_it_and_where() -> None:
    message = rendered(digest(quotes=[quote()]))
    assert bullets(message) == [
        "• “Encryption keeps children safe too.” — Jane Doe, Director, Open Rights Group · "
        "<https://hansard.parliament.uk/x|Hansard>"
    ]


def test_the_summary_and_the_subscription_come_under_the_header() -> None:
    message = rendered(digest([figure(1), figure(2)], [quote()]))
    assert texts(message)[1:3] == [
        "2 new figures and 1 quote; most on encryption and Facebook",
        "Digest for *encryption* · subscription 12 · `/digest unsubscribe 12` to stop",
    ]


def test_a_figure_in_a_series_says_how_it_moved() -> None:
    new = figure(series_key="ofcom/e2ee", period_end=date(2025, 12, 31))
    history = [SeriesPoint("ofcom/e2ee", Decimal("48"), "percent", date(2024, 12, 31), "2024")]
    (line,) = bullets(rendered(digest([new]), series_history=history))
    assert "(2025, UK), up from 48% a year earlier — <https://" in line


def test_items_are_grouped_under_their_first_entity_or_topic_biggest_group_first() -> None:
    message = rendered(
        digest(
            [
                figure(1, entities=["Ofcom"]),
                figure(2, entities=[], topics=["Encryption"]),
                figure(3, entities=["ofcom"]),
                figure(4, entities=[], topics=[]),
            ],
            [quote(1, entities=[], topics=["encryption"])],
        )
    )
    item_texts = texts(message)[3:]
    assert [text.splitlines()[0] for text in item_texts] == ["*Ofcom*", "*Encryption*", "*Other*"]
    assert [len(text.splitlines()) - 1 for text in item_texts] == [2, 2, 1]


@pytest.mark.parametrize(
    "stored",
    ["<!channel>", "<!here> & <@U123>", "<https://evil.example|click>"],
)
@pytest.mark.parametrize("field", ["measure", "geography", "period_label", "source_label", "entities"])
def test_stored_text_is_escaped_so_slack_shows_it_rather_than_acting_on_it(stored: str, field: str) -> None:
    value: Any = [stored] if field == "entities" else stored
    message = rendered(digest([figure(**{field: value})], topic=stored))
    everything = json.dumps(message)
    assert "<!" not in everything
    assert "<@" not in everything
    assert "&lt;" in everything
    assert "<https://evil" not in everything


def test_text_sections_are_verbatim_so_a_bare_at_channel_is_not_parsed() -> None:
    message = rendered(digest([figure(measure="@channel members")], [quote()]))
    markdown = [
        text_object
        for block in message["blocks"]
        for text_object in [block.get("text"), *block.get("elements", [])]
        if text_object and text_object["type"] == "mrkdwn"
    ]
    assert markdown
    assert all(text_object["verbatim"] is True for text_object in markdown)


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://example.org/report?a=1&b=2", "<https://example.org/report?a=1&amp;b=2|Report>"),
        ("https://example.org/a|b", "<https://example.org/a%7Cb|Report>"),
        ("javascript:alert(1)", "Report"),
        ("<!channel>", "Report"),
        ("https://example.org/a b", "Report"),
        ("example.org/report", "Report"),
        ("https://example.org/" + "x" * 1200, "Report"),
        (None, "Report"),
    ],
)
def test_only_web_addresses_become_links(url: str | None, source: str) -> None:
    (line,) = bullets(rendered(digest([figure(source_url=url, source_label="Report")])))
    assert line.endswith(f" — {source}")


def test_500_figures_stay_within_slacks_limits_and_say_how_many_more() -> None:
    figures = [figure(n, entities=[f"Company {n % 7}"], measure="word " * 60) for n in range(500)]
    message = rendered(digest(figures, corrections=[DigestCorrection(1, "52% of adults", "retracted")]))
    shown = len(bullets(message)) - 1  # the correction is a bullet too
    assert 0 < shown < 500
    assert f"…and {500 - shown:,} more — try `/stats encryption`" in texts(message)
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert texts(message)[-1].startswith("*Corrections*")


def test_when_slacks_limits_cut_in_first_the_blocks_are_full_and_the_count_of_the_rest_is_right() -> None:
    # Long lines, so 540 items need far more than 50 sections of 3,000 characters.
    figures = [
        figure(n, entities=[f"Org {n % 3}"], measure="m" * 300, source_url="https://x.org/" + "p" * 900)
        for n in range(500)
    ]
    message = rendered(digest(figures, [quote(n) for n in range(40)]), max_items=10_000)
    shown = len(bullets(message))
    assert shown < 540
    assert f"…and {540 - shown:,} more — try `/stats encryption`" in texts(message)
    assert len(message["blocks"]) == MAX_BLOCKS
    assert all(len(text) <= 3000 for text in texts(message))


def test_a_long_digest_shows_the_first_thirty_items_by_default() -> None:
    message = rendered(digest([figure(n) for n in range(500)]))
    assert len(bullets(message)) == 30
    assert "…and 470 more — try `/stats encryption`" in texts(message)


def test_text_that_escapes_to_five_times_its_length_still_fits() -> None:
    wild = "&<>" * 5000
    message = rendered(
        digest(
            [figure(measure=wild, geography=wild, period_label=wild, source_label=wild, entities=[wild])],
            [quote(text=wild, speaker=wild, speaker_role=wild, speaker_org=wild, source_label=wild)],
            [DigestCorrection(1, wild, "superseded", wild)],
            topic=wild,
        )
    )
    assert all(len(text) <= 3000 for text in texts(message))
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    assert len(message["text"]) <= 300


def test_corrections_say_what_was_retracted_or_superseded_and_why() -> None:
    message = rendered(
        digest(
            corrections=[
                DigestCorrection(
                    1, "52% of adults use encrypted messaging (Ofcom, 2025)", "retracted", "survey error"
                ),
                DigestCorrection(2, "9,477 reports (NCA, 2024)", "superseded"),
            ]
        )
    )
    assert message["blocks"][-2] == {"type": "divider"}
    assert texts(message)[-1].splitlines() == [
        "*Corrections* — if you have cited these, please update them.",
        "• *Retracted:* 52% of adults use encrypted messaging (Ofcom, 2025) — survey error",
        "• *Superseded:* 9,477 reports (NCA, 2024)",
    ]


def test_more_than_twenty_corrections_are_counted_not_listed() -> None:
    corrections = [DigestCorrection(n, f"figure {n}", "retracted") for n in range(25)]
    lines = texts(rendered(digest(corrections=corrections)))[-1].splitlines()
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "…and 5 more corrections"


def test_a_digest_of_everything_points_to_stats_without_a_topic() -> None:
    message = rendered(digest([figure(n) for n in range(40)], topic=""))
    assert "…and 10 more — try `/stats`" in texts(message)
    assert "Digest for all new figures" in texts(message)[2]
