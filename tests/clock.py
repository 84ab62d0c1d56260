"""Time as a test drives it: the day the app takes it to be, and moments written as ISO text in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime


class Today:
    """The day the app takes it to be (`Settings.today`); a test moves it."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


def at(text_: str) -> datetime:
    """`2027-03-01T09:05` as that moment in UTC."""
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)
