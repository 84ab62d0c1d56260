"""Digests run at the subscriber's local wall-clock time, whatever daylight saving does to UTC."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from commands.digest import Subscribe
from digests.schedule import Schedule, schedule_for

LONDON_MONDAY_9 = Schedule("weekly", 0, time(9, 0), "Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "after", "runs_at"),
    [
        # 09:00 in London is 09:00 UTC in winter and 08:00 UTC in summer (BST from 29 March 2026).
        (LONDON_MONDAY_9, utc(2026, 3, 18, 12, 0), utc(2026, 3, 23, 9, 0)),
        (LONDON_MONDAY_9, utc(2026, 3, 23, 9, 0), utc(2026, 3, 30, 8, 0)),
        (LONDON_MONDAY_9, utc(2026, 10, 19, 8, 0), utc(2026, 10, 26, 9, 0)),
        (LONDON_MONDAY_9, utc(2026, 10, 19, 7, 59), utc(2026, 10, 19, 8, 0)),
        # Strictly after: a run exactly at `after` is the one that just happened.
        (LONDON_MONDAY_9, utc(2026, 6, 1, 8, 0), utc(2026, 6, 8, 8, 0)),
        # Daily across the spring change: 09:00 local every day, the UTC hour moves on the Sunday.
        (Schedule("daily", 0, time(9), "Europe/London"), utc(2026, 3, 28, 9, 0), utc(2026, 3, 29, 8, 0)),
        (Schedule("daily", 0, time(9), "Europe/London"), utc(2026, 10, 25, 7, 0), utc(2026, 10, 25, 9, 0)),
        # 01:30 does not exist in London on 29 March 2026: the run happens at 02:30 BST (01:30 UTC).
        (
            Schedule("daily", 0, time(1, 30), "Europe/London"),
            utc(2026, 3, 28, 12, 0),
            utc(2026, 3, 29, 1, 30),
        ),
        # 01:30 happens twice on 25 October 2026: the run is at the first (BST, 00:30 UTC), and only once.
        (
            Schedule("daily", 0, time(1, 30), "Europe/London"),
            utc(2026, 10, 24, 12, 0),
            utc(2026, 10, 25, 0, 30),
        ),
        (
            Schedule("daily", 0, time(1, 30), "Europe/London"),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 26, 1, 30),
        ),
        # New York changes on 8 March and 1 November 2026: 09:00 EST is 14:00 UTC, 09:00 EDT is 13:00 UTC.
        (Schedule("weekly", 0, time(9), "America/New_York"), utc(2026, 3, 3, 0, 0), utc(2026, 3, 9, 13, 0)),
        (
            Schedule("weekly", 0, time(9), "America/New_York"),
            utc(2026, 10, 27, 0, 0),
            utc(2026, 11, 2, 14, 0),
        ),
        # Midnight on the Monday after the spring change (APScheduler 3.11's CronTrigger skips this one).
        (Schedule("weekly", 0, time(0), "Europe/London"), utc(2026, 3, 25, 12, 0), utc(2026, 3, 29, 23, 0)),
        # A zone ahead of UTC: Monday 08:00 in Tokyo is Sunday 23:00 UTC.
        (Schedule("weekly", 0, time(8), "Asia/Tokyo"), utc(2026, 3, 1, 22, 0), utc(2026, 3, 1, 23, 0)),
        # A zone behind UTC: Sunday 23:30 in Honolulu is Monday 09:30 UTC, so still ahead at Monday 00:00 UTC.
        (
            Schedule("weekly", 6, time(23, 30), "Pacific/Honolulu"),
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 2, 9, 30),
        ),
    ],
)
def test_next_run_lands_on_the_local_wall_clock_time(
    schedule: Schedule, after: datetime, runs_at: datetime
) -> None:
    run = schedule.next_run(after)
    assert run == runs_at
    assert run.tzinfo is UTC


def test_next_run_keeps_the_local_time_through_a_whole_year_of_changes() -> None:
    schedule = Schedule("weekly", 2, time(9, 15), "America/Los_Angeles")
    runs = [utc(2026, 1, 1)]
    for _ in range(52):
        runs.append(schedule.next_run(runs[-1]))
    local_runs = [run.astimezone(ZoneInfo("America/Los_Angeles")) for run in runs[1:]]
    assert {(moment.weekday(), moment.time()) for moment in local_runs} == {(2, time(9, 15))}
    # In UTC the gap is a week, except across the two changes, when it is an hour shorter or longer.
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs[1:])]
    assert sorted(set(gaps)) == [timedelta(days=7, hours=-1), timedelta(days=7), timedelta(days=7, hours=1)]
    assert gaps.count(timedelta(days=7)) == 49


@pytest.mark.parametrize(
    ("schedule", "before", "ran_at"),
    [
        (LONDON_MONDAY_9, utc(2026, 3, 30, 8, 0), utc(2026, 3, 23, 9, 0)),
        (LONDON_MONDAY_9, utc(2026, 3, 30, 8, 1), utc(2026, 3, 30, 8, 0)),
        (Schedule("daily", 0, time(9), "America/New_York"), utc(2026, 3, 9, 0, 0), utc(2026, 3, 8, 13, 0)),
    ],
)
def test_previous_run_is_the_last_run_strictly_before(
    schedule: Schedule, before: datetime, ran_at: datetime
) -> None:
    assert schedule.previous_run(before) == ran_at


def test_a_naive_datetime_is_refused_rather_than_read_as_server_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        LONDON_MONDAY_9.next_run(datetime(2026, 3, 1, 9, 0))


@pytest.mark.parametrize(
    ("run_at", "previous_run_at", "period"),
    [
        # Monday 9 March's digest covers Monday 2 March to Sunday 8 March.
        (utc(2026, 3, 9, 9, 0), utc(2026, 3, 2, 9, 0), (date(2026, 3, 2), date(2026, 3, 8))),
        # The first digest has no previous run: it covers the week the schedule would have covered.
        (utc(2026, 3, 9, 9, 0), None, (date(2026, 3, 2), date(2026, 3, 8))),
        # Local days, not UTC days: 23:30 UTC on 1 March is already 2 March in Tokyo (tested below).
        (utc(2026, 3, 30, 8, 0), utc(2026, 3, 23, 9, 0), (date(2026, 3, 23), date(2026, 3, 29))),
        # send-now earlier the same day: the scheduled digest covers that day.
        (utc(2026, 3, 9, 9, 0), utc(2026, 3, 9, 7, 0), (date(2026, 3, 9), date(2026, 3, 9))),
    ],
)
def test_period_names_the_local_days_since_the_previous_run(
    run_at: datetime, previous_run_at: datetime | None, period: tuple[date, date]
) -> None:
    assert LONDON_MONDAY_9.period(run_at, previous_run_at) == period


def test_period_is_counted_in_the_subscribers_own_days() -> None:
    tokyo = Schedule("daily", 0, time(8), "Asia/Tokyo")
    assert tokyo.period(utc(2026, 3, 2, 23, 0), utc(2026, 3, 1, 23, 0)) == (
        date(2026, 3, 2),
        date(2026, 3, 2),
    )


@pytest.mark.parametrize(
    ("schedule", "description"),
    [
        (LONDON_MONDAY_9, "weekly on Monday at 09:00 (Europe/London)"),
        (Schedule("weekly", 6, time(17, 5), "UTC"), "weekly on Sunday at 17:05 (UTC)"),
        (Schedule("daily", 3, time(21, 30), "America/New_York"), "daily at 21:30 (America/New_York)"),
    ],
)
def test_describe_says_the_schedule_as_a_sentence(schedule: Schedule, description: str) -> None:
    assert schedule.describe() == description


@pytest.mark.parametrize(
    ("schedule", "after"),
    [
        (LONDON_MONDAY_9, utc(2026, 3, 24)),
        (LONDON_MONDAY_9, utc(2026, 10, 20)),
        (Schedule("daily", 0, time(18, 45), "America/New_York"), utc(2026, 3, 7, 12)),
        (Schedule("weekly", 4, time(7), "Australia/Sydney"), utc(2026, 4, 1)),
    ],
)
def test_cron_kwargs_make_a_crontrigger_that_agrees_with_next_run(
    schedule: Schedule, after: datetime
) -> None:
    trigger = CronTrigger(**schedule.cron_kwargs())
    fire_time = trigger.get_next_fire_time(None, after)
    assert fire_time == schedule.next_run(after)


def test_cron_kwargs_name_the_day_because_apscheduler_and_crontab_number_days_differently() -> None:
    kwargs = Schedule("weekly", 6, time(7, 30), "Europe/Paris").cron_kwargs()
    assert kwargs == {
        "day_of_week": "sun",
        "hour": 7,
        "minute": 30,
        "second": 0,
        "timezone": ZoneInfo("Europe/Paris"),
    }
    assert Schedule("daily", 6, time(7, 30), "UTC").cron_kwargs()["day_of_week"] == "*"


@pytest.mark.parametrize(
    ("request_", "subscriber_tz", "schedule"),
    [
        (Subscribe("x"), "Europe/London", LONDON_MONDAY_9),
        (Subscribe("x"), None, Schedule("weekly", 0, time(9), "UTC")),
        (Subscribe("x"), "Not/AZone", Schedule("weekly", 0, time(9), "UTC")),
        (
            Subscribe("x", "daily", None, time(0), "Asia/Tokyo"),
            "Europe/London",
            Schedule("daily", 0, time(0), "Asia/Tokyo"),
        ),
        (
            Subscribe("x", None, 4, time(17), None),
            "America/Chicago",
            Schedule("weekly", 4, time(17), "America/Chicago"),
        ),
    ],
)
def test_schedule_for_fills_in_the_defaults(
    request_: Subscribe, subscriber_tz: str | None, schedule: Schedule
) -> None:
    assert schedule_for(request_, subscriber_tz) == schedule


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("hourly", 0, time(9), "UTC"), "weekly, daily or monthly"),
        (("weekly", 7, time(9), "UTC"), "0 \\(Monday\\) to 6"),
        (("weekly", 0, time(9, tzinfo=UTC), "UTC"), "wall-clock"),
        (("weekly", 0, time(9), "Mars/Olympus"), "unknown time zone"),
    ],
)
def test_an_impossible_schedule_is_refused_when_made(args: tuple[str, int, time, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Schedule(*args)  # type: ignore[arg-type]
