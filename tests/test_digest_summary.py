"""A digest is summed up in a line, and figures in a series say how they moved."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from digests.model import Digest, DigestCorrection, DigestFigure, DigestQuote, SeriesPoint
from digests.summary import most_common_labels, series_changes, summary_line


def figure(
    id: int = 1,
    *,
    entities: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    value: str = "52",
    unit: str = "percent",
    series_key: str | None = None,
    period_end: date | None = None,
    period_label: str | None = None,
) -> DigestFigure:
    return DigestFigure(
        id=id,
        value=Decimal(value),
        unit=unit,
        measure="adults who use end-to-end encrypted messaging",
        period_label=period_label,
        geography="UK",
        entities=list(entities),
        topics=list(topics),
        source_label="Ofcom",
        source_url=None,
        series_key=series_key,
        period_end=period_end,
    )


def quote(id: int = 1, *, entities: tuple[str, ...] = (), topics: tuple[str, ...] = ()) -> DigestQuote:
    return DigestQuote(
        id, "Privacy is a right.", "A. Person", None, None, "Hansard", None, list(topics), list(entities)
    )


def digest(
    figures: list[DigestFigure] | None = None,
    quotes: list[DigestQuote] | None = None,
    corrections: list[DigestCorrection] | None = None,
) -> Digest:
    return Digest(
        1,
        "C1",
        "encryption",
        date(2026, 3, 1),
        date(2026, 3, 7),
        figures or [],
        quotes or [],
        corrections or [],
    )


FACEBOOK_ENCRYPTION = [
    figure(1, entities=("Facebook",), topics=("encryption",)),
    figure(2, entities=("Facebook",), topics=("encryption", "privacy")),
    figure(3, entities=("facebook",), topics=("Encryption",)),
    figure(4, entities=("WhatsApp",), topics=("privacy",)),
    figure(5, entities=("Signal",)),
]


@pytest.mark.parametrize(
    ("the_digest", "line"),
    [
        (
            digest(FACEBOOK_ENCRYPTION, [quote(1, entities=("Facebook",)), quote(2)]),
            "5 new figures and 2 quotes; most on Facebook and encryption",
        ),
        (digest([figure(1, entities=("Ofcom",))]), "1 new figure; on Ofcom"),
        (digest([figure(1), figure(2)]), "2 new figures"),
        (
            digest(quotes=[quote(1, topics=("privacy",)), quote(2, topics=("Privacy",))]),
            "2 new quotes; all on privacy",
        ),
        (
            digest([figure(1)], corrections=[DigestCorrection(9, "52% of adults", "retracted")]),
            "1 new figure and 1 correction",
        ),
        (
            digest([figure(1)], [quote(1)], [DigestCorrection(9, "x", "superseded")] * 2),
            "1 new figure, 1 quote and 2 corrections",
        ),
        (digest(), "Nothing new"),
    ],
)
def test_summary_line_counts_the_items_and_names_what_most_are_about(the_digest: Digest, line: str) -> None:
    assert summary_line(the_digest) == line


def test_labels_count_once_per_item_whatever_their_capitals() -> None:
    # Facebook is on figures 1-3 as an entity; encryption on 1-3 as a topic; privacy on 2 and 4.
    labels, covers_all = most_common_labels(digest(FACEBOOK_ENCRYPTION), limit=3)
    assert labels == ["Facebook", "encryption", "privacy"]
    assert covers_all is False


def test_a_label_on_a_single_item_of_many_is_not_called_the_main_subject() -> None:
    labels, _ = most_common_labels(digest([figure(1, entities=("Ofcom",)), figure(2, entities=("ONS",))]))
    assert labels == []


SERIES = "ofcom/encrypted-messaging/uk"


@pytest.mark.parametrize(
    ("new", "history", "phrase"),
    [
        (
            figure(1, value="52", series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("48"), "percent", date(2024, 12, 31), "2024")],
            "up from 48% a year earlier",
        ),
        (
            figure(1, value="950", unit="count", series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("1200"), "count", date(2022, 12, 31), "2022")],
            "down from 1,200 in 2022",
        ),
        (
            figure(1, value="48.0", series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("48"), "percent", date(2024, 12, 31), "2024")],
            "unchanged from a year earlier",
        ),
        (
            figure(1, value="48", series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("48"), "percent", date(2021, 12, 31), "2021")],
            "unchanged since 2021",
        ),
        (
            figure(1, value="1500000", unit="gbp", series_key=SERIES, period_end=date(2026, 2, 28)),
            [SeriesPoint(SERIES, Decimal("1200000"), "gbp", date(2026, 1, 31))],
            "up from £1.2m a month earlier",
        ),
        # Without a label the earlier point is named by its month.
        (
            figure(1, value="7", unit="count", series_key=SERIES, period_end=date(2026, 2, 28)),
            [SeriesPoint(SERIES, Decimal("9"), "count", date(2025, 6, 30))],
            "down from 9 in Jun 2025",
        ),
        # The latest earlier point wins, whatever order history comes in.
        (
            figure(1, value="52", series_key=SERIES, period_end=date(2025, 12, 31)),
            [
                SeriesPoint(SERIES, Decimal("48"), "percent", date(2024, 12, 31), "2024"),
                SeriesPoint(SERIES, Decimal("60"), "percent", date(2020, 12, 31), "2020"),
            ],
            "up from 48% a year earlier",
        ),
    ],
)
def test_series_changes_compare_with_the_previous_point(
    new: DigestFigure, history: list[SeriesPoint], phrase: str
) -> None:
    assert series_changes([new], history) == {new.id: phrase}


@pytest.mark.parametrize(
    ("new", "history"),
    [
        # No series, or no date to order it by.
        (figure(1), [SeriesPoint(SERIES, Decimal("48"), "percent", date(2024, 12, 31))]),
        (figure(1, series_key=SERIES), [SeriesPoint(SERIES, Decimal("48"), "percent", date(2024, 12, 31))]),
        # Another series, another unit, or only later points.
        (
            figure(1, series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint("other", Decimal("48"), "percent", date(2024, 12, 31))],
        ),
        (
            figure(1, series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("48"), "count", date(2024, 12, 31))],
        ),
        (
            figure(1, series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("48"), "percent", date(2026, 12, 31))],
        ),
        # History that already holds the new figure does not compare it with itself.
        (
            figure(1, series_key=SERIES, period_end=date(2025, 12, 31)),
            [SeriesPoint(SERIES, Decimal("52"), "percent", date(2025, 12, 31))],
        ),
    ],
)
def test_series_changes_say_nothing_without_an_earlier_point_to_compare(
    new: DigestFigure, history: list[SeriesPoint]
) -> None:
    assert series_changes([new], history) == {}


def test_two_new_points_of_one_series_compare_with_each_other() -> None:
    older = figure(1, value="40", series_key=SERIES, period_end=date(2024, 12, 31), period_label="2024")
    newer = figure(2, value="52", series_key=SERIES, period_end=date(2025, 12, 31), period_label="2025")
    other = figure(3, value="10", series_key="another", period_end=date(2025, 12, 31))
    history = [SeriesPoint(SERIES, Decimal("45"), "percent", date(2023, 12, 31), "2023")]
    assert series_changes([newer, other, older], history) == {
        1: "down from 45% a year earlier",
        2: "up from 40% a year earlier",
    }
