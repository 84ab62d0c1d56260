"""An APScheduler 3 trigger that fires when a Schedule says, without CronTrigger's daylight-saving bugs."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from digests.schedule import Schedule


class ScheduleTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """Fires at `Schedule.next_run`.

    APScheduler 3.11's CronTrigger, given `Schedule.cron_kwargs()`, agrees on ordinary days but, near a
    daylight-saving change, skips a run set in the hour after midnight (Monday 00:30 in London after the
    March change fires a week late) and fires twice at a time that happens twice in the autumn
    (01:30 in London on 25 October 2026). This trigger has neither problem and pickles for job stores.
    """

    __slots__ = ("schedule",)

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        if previous_fire_time is None:
            # The first fire time may be `now` itself, as with APScheduler's own triggers.
            return self.schedule.next_run(now - timedelta(microseconds=1))
        return self.schedule.next_run(previous_fire_time)

    def __getstate__(self) -> dict[str, object]:
        return {"version": 1, "schedule": self.schedule}

    def __setstate__(self, state: dict[str, object]) -> None:
        schedule = state["schedule"]
        assert isinstance(schedule, Schedule)
        self.schedule = schedule

    def __str__(self) -> str:
        return f"digest[{self.schedule.describe()}]"

    def __repr__(self) -> str:
        return f"<ScheduleTrigger ({self.schedule!r})>"
