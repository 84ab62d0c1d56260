"""The intro line of an answer (commands.reply.found_reply), as pure function calls: its grammar follows the count."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from commands.reply import found_reply, section
from storage.queries import Found


def intro(total: int, **how: Any) -> str:
    items: list[Any] = [SimpleNamespace(id=n + 1) for n in range(min(total, 3))]
    found: Found[Any] = Found(items=items, total=total, **how)
    reply = found_reply(
        found, kind="figure", command="/stats", asked="instagram tuberculosis",
        item_blocks=lambda item: [section(f"figure {item.id}")], lead_text=lambda item: f"figure {item.id}",
    )  # fmt: skip
    return str(reply.blocks[0].text.text)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (1, "Nothing matches every word of *instagram tuberculosis*; 1 figure matches some of them"),
        (2, "Nothing matches every word of *instagram tuberculosis*; 2 figures match some of them"),
    ],
)
def test_words_matched_in_part_agree_with_the_count(total: int, expected: str) -> None:
    # It said "1 figure match some of them".
    assert intro(total, partial=True) == expected
