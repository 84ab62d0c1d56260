"""A series of two or more points becomes a small PNG chart."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from digests.chart import series_to_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def yearly(*values: str) -> list[tuple[date, Decimal]]:
    return [(date(2018 + n, 12, 31), Decimal(value)) for n, value in enumerate(values)]


@pytest.mark.parametrize(
    ("points", "title", "unit"),
    [
        (yearly("48", "52"), "Adults using encrypted messaging, UK", "percent"),
        (
            yearly("1200", "950", "1100", "1300", "1250", "1400", "1500", "1450"),
            "Reports to the NCA",
            "count",
        ),
        (yearly("1200000", "3400000000"), "Fines in $ (US$)", "usd"),
        ([(date(2026, 3, 1), Decimal("3")), (date(2026, 3, 9), Decimal("5"))], "Same month", "count"),
        (yearly("-3.5", "2.25", "-1"), "Change in trust, percentage points", "ratio"),
    ],
)
def test_two_or_more_points_make_a_png_of_six_by_three_inches(
    points: list[tuple[date, Decimal]], title: str, unit: str
) -> None:
    png = series_to_chart(points, title, unit)
    assert png is not None
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (600, 300)


@pytest.mark.parametrize(
    "points",
    [
        [],
        yearly("52"),
        # Two values for one date are one point: the later in the list, as a correction would be.
        [(date(2025, 12, 31), Decimal("48")), (date(2025, 12, 31), Decimal("52"))],
    ],
)
def test_fewer_than_two_points_make_no_chart(points: list[tuple[date, Decimal]]) -> None:
    assert series_to_chart(points, "Adults using encrypted messaging", "percent") is None


def test_points_in_any_order_make_the_same_chart() -> None:
    points = yearly("48", "52", "50")
    assert series_to_chart(points, "t", "percent") == series_to_chart(points[::-1], "t", "percent")


def test_importing_the_module_does_not_load_matplotlib() -> None:
    # The bot imports digests everywhere; only a process that draws should pay for matplotlib.
    check = "import sys, digests.chart; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
