"""The controls an answer carries: each item's overflow menu, and Show more / Export these / Chart under it.

Values name what was pressed in a few characters ("cite:figure:12"), since Slack sends back only
the value; a button that needs the question carries it as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.models.blocks import ButtonElement, ConfirmObject, Option, OverflowMenuElement

from storage.kinds import Kind

ITEM_MENU = "item_menu"
SHOW_MORE = "answer_show_more"
EXPORT_THESE = "answer_export"
CHART = "answer_chart"
What = Literal["cite", "share", "history", "report"]
MENU: tuple[tuple[What, str], ...] = (
    ("cite", "Citation"),
    ("share", "Share this one"),
    ("history", "History"),
    ("report", "Report a problem"),
)


@dataclass(frozen=True)
class Pressed:
    what: What
    kind: Kind
    id: int

    @classmethod
    def parse(cls, value: str) -> Pressed:
        what, kind, number = value.split(":")
        kind = "figure" if kind == "statistic" else kind  # menus posted before figures had one name
        if what not in {w for w, _ in MENU} or kind not in ("figure", "quote"):
            raise ValueError(f"not an item action: {value!r}")
        return cls(what, kind, int(number))  # type: ignore[arg-type]


def item_menu(kind: Kind, item_id: int) -> OverflowMenuElement:
    return OverflowMenuElement(
        action_id=ITEM_MENU,
        options=[Option(value=f"{what}:{kind}:{item_id}", label=label) for what, label in MENU],
    )


def items_shown(blocks: list[dict[str, Any]]) -> list[tuple[Kind, int]]:
    """The items a message holds, by their menus ("cite:statistic:12"), in the order shown."""
    found: list[tuple[Kind, int]] = []
    for block in blocks:
        options = (block.get("accessory") or {}).get("options") or []
        if (block.get("accessory") or {}).get("action_id") == ITEM_MENU and options:
            pressed = Pressed.parse(str(options[0]["value"]))
            found.append((pressed.kind, pressed.id))
    return found


def show_more_button(command: str, asked: str, offset: int) -> ButtonElement:
    value = json.dumps({"command": command, "text": asked, "offset": offset})
    return ButtonElement(text="Show more", action_id=SHOW_MORE, value=value)


def export_button(command: str, asked: str) -> ButtonElement:
    value = json.dumps({"command": command, "text": asked})
    return ButtonElement(text="Export these", action_id=EXPORT_THESE, value=value)


def chart_button(ids: list[int]) -> ButtonElement:
    return ButtonElement(text="Chart", action_id=CHART, value=json.dumps({"ids": ids}))


def confirm(title: str, text: str, yes: str) -> ConfirmObject:
    """Slack's own "are you sure?" dialog before a destructive button acts."""
    return ConfirmObject(title=title, text=text, confirm=yes, deny="Cancel", style="danger")
