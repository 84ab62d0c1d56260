"""The APScheduler trigger fires exactly when the schedule says, including where CronTrigger does not."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, time

import pytest
from apscheduler.triggers.cron import CronTrigger

from digests.schedule import Schedule
from digests.trigger import ScheduleTrigger


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


MONDAY_0030_LONDON = Schedule("weekly", 0, time(0, 30), "Europe/London")
DAILY_0130_LONDON = Schedule("daily", 0, time(1, 30), "Europe/London")


@pytest.mark.parametrize(
    ("schedule", "previous", "now", "fires_at"),
    [
        # First scheduling: the next run at or after now.
        (MONDAY_0030_LONDON, None, utc(2026, 3, 25, 12), utc(2026, 3, 29, 23, 30)),
        (MONDAY_0030_LONDON, None, utc(2026, 3, 29, 23, 30), utc(2026, 3, 29, 23, 30)),
        # Afterwards, the run after the previous one.
        (MONDAY_0030_LONDON, utc(2026, 3, 23, 0, 30), utc(2026, 3, 23, 0, 30), utc(2026, 3, 29, 23, 30)),
        (DAILY_0130_LONDON, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
    ],
)
def test_the_trigger_fires_at_the_schedules_next_run(
    schedule: Schedule, previous: datetime | None, now: datetime, fires_at: datetime
) -> None:
    assert ScheduleTrigger(schedule).get_next_fire_time(previous, now) == fires_at


@pytest.mark.parametrize(
    ("schedule", "previous", "now", "schedule_says", "crontrigger_says"),
    [
        # Monday 00:30 BST on 30 March 2026 is skipped: CronTrigger jumps to 6 April.
        (MONDAY_0030_LONDON, None, utc(2026, 3, 25, 12), utc(2026, 3, 29, 23, 30), utc(2026, 4, 5, 23, 30)),
        # 01:30 happens twice on 25 October 2026: CronTrigger fires at both.
        (
            DAILY_0130_LONDON,
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 0, 31),
            utc(2026, 10, 26, 1, 30),
            utc(2026, 10, 25, 1, 30),
        ),
    ],
)
def test_where_apscheduler_crontrigger_goes_wrong_around_dst_the_schedule_trigger_does_not(
    schedule: Schedule,
    previous: datetime | None,
    now: datetime,
    schedule_says: datetime,
    crontrigger_says: datetime,
) -> None:
    # If APScheduler fixes CronTrigger this test fails, and cron_kwargs() can be used on its own again.
    cron = CronTrigger(**schedule.cron_kwargs())
    # In UTC: an aware datetime in a repeated hour never equals one in another zone (PEP 495).
    assert cron.get_next_fire_time(previous, now).astimezone(UTC) == crontrigger_says
    assert ScheduleTrigger(schedule).get_next_fire_time(previous, now) == schedule_says


def test_the_trigger_survives_a_job_stores_pickling() -> None:
    trigger = ScheduleTrigger(MONDAY_0030_LONDON)
    # APScheduler's SQLAlchemy job store pickles triggers at the highest protocol.
    restored = pickle.loads(pickle.dumps(trigger, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
    assert restored.schedule == MONDAY_0030_LONDON
    assert str(restored) == "digest[weekly on Monday at 00:30 (Europe/London)]"
