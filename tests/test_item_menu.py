"""An item's ⋯ menu value names its kind as the code does ("figure"); menus posted before still work."""

from __future__ import annotations

import pytest

from commands.item_menu import Pressed, item_menu


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cite:figure:12", Pressed("cite", "figure", 12)),
        ("history:quote:3", Pressed("history", "quote", 3)),
        ("report:statistic:12", Pressed("report", "figure", 12)),  # posted before the rename
    ],
)
def test_a_pressed_menu_item_is_read(value: str, expected: Pressed) -> None:
    assert Pressed.parse(value) == expected


@pytest.mark.parametrize("value", ["cite:figures:1", "print:figure:1", "cite:figure"])
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        Pressed.parse(value)


def test_a_figures_menu_says_figure() -> None:
    options = item_menu("figure", 7).to_dict()["options"]
    assert [o["value"] for o in options] == [
        "cite:figure:7",
        "share:figure:7",
        "history:figure:7",
        "report:figure:7",
    ]
