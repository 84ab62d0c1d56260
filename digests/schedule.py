"""When a digest goes out: local wall-clock schedules, their next run in UTC, and the days a run covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Frequency = Literal["weekly", "daily", "monthly"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_FREQUENCY: Frequency = "weekly"
DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_TIME = time(9, 0)
FALLBACK_TZ = "UTC"
SEARCH_DAYS = 37  # a monthly run is at most 35 days after the one before; a day either side for zones
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    """A digest's schedule in the subscriber's local time; `weekday` (0 = Monday) only matters for weekly."""

    frequency: Frequency
    weekday: int
    at: time
    tz: str

    def __post_init__(self) -> None:
        if self.frequency not in get_args(Frequency):
            raise ValueError(f"frequency must be weekly, daily or monthly, not {self.frequency!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.at.tzinfo is not None:
            raise ValueError("the time of day is local wall-clock time and must not carry a time zone")
        self.zone  # noqa: B018 - fail now, not at the first run, if the zone is unknown

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.tz!r}") from None

    def next_run(self, after: datetime) -> datetime:
        """The first run strictly after `after` (aware), as an aware UTC datetime."""
        local_day = _require_aware(after).astimezone(self.zone).date()
        # A run on the previous local day can still be after `after` only in zones ahead of UTC crossing
        # midnight; starting a day early and checking costs nothing.
        for offset in range(-1, SEARCH_DAYS):
            run = self._run_on(local_day + timedelta(days=offset))
            if run is not None and run > after:
                return run
        raise AssertionError("a monthly schedule always runs within 36 days")  # pragma: no cover

    def previous_run(self, before: datetime) -> datetime:
        """The last run strictly before `before` (aware), as an aware UTC datetime."""
        local_day = _require_aware(before).astimezone(self.zone).date()
        for offset in range(1, -SEARCH_DAYS, -1):
            run = self._run_on(local_day + timedelta(days=offset))
            if run is not None and run < before:
                return run
        raise AssertionError("a monthly schedule always ran within 36 days")  # pragma: no cover

    def _run_on(self, day: date) -> datetime | None:
        """The UTC instant of the run on a local day, or None when the schedule does not run that day.

        zoneinfo's fold=0 does the sensible thing at both daylight-saving changes: a time in the
        spring-forward gap (01:30 in London on the last Sunday of March) is read with the offset before
        the change, so it runs at 02:30 local, one hour "late" rather than not at all; a time that happens
        twice in the autumn runs once, at its first occurrence. APScheduler 3's CronTrigger does the same.
        """
        if self.frequency == "weekly" and day.weekday() != self.weekday:
            return None
        if self.frequency == "monthly" and (day.weekday() != self.weekday or day.day > 7):
            return None  # the first such weekday of the month
        return datetime.combine(day, self.at, tzinfo=self.zone).astimezone(UTC)

    def period(self, run_at: datetime, previous_run_at: datetime | None) -> tuple[date, date]:
        """The local days a run's header names: from the day of the previous run to the day before this one.

        The header is a label in whole days; which figures belong in the digest is decided by the
        timestamps (published after `previous_run_at`, up to `run_at`). Without a previous run (the first
        digest) the period starts where the previous scheduled run would have been.
        """
        previous = previous_run_at if previous_run_at is not None else self.previous_run(run_at)
        start = _require_aware(previous).astimezone(self.zone).date()
        end = _require_aware(run_at).astimezone(self.zone).date() - timedelta(days=1)
        # A digest sent the same day as the last one (send-now, then the scheduled run) covers today.
        return start, max(start, end)

    def describe(self) -> str:
        """ "weekly on Monday at 09:00 (Europe/London)", "daily at 18:30 (UTC)"."""
        when = f"at {self.at:%H:%M} ({self.tz})"
        if self.frequency == "daily":
            return f"daily {when}"
        if self.frequency == "monthly":
            return f"monthly on the first {WEEKDAYS[self.weekday].title()} {when}"
        return f"weekly on {WEEKDAYS[self.weekday].title()} {when}"

    def cron_kwargs(self) -> dict[str, str | int | ZoneInfo]:
        """Keyword arguments for APScheduler 3's `CronTrigger(**schedule.cron_kwargs())`."""
        if self.frequency == "monthly":  # APScheduler's "1st mon": the first Monday of the month
            return {"day": f"1st {_CRON_DAYS[self.weekday]}", "hour": self.at.hour, "minute": self.at.minute,
                    "second": 0, "timezone": self.zone}  # fmt: skip
        return {
            # Names, not numbers: APScheduler counts Monday as 0 but crontab counts Sunday as 0.
            "day_of_week": _CRON_DAYS[self.weekday] if self.frequency == "weekly" else "*",
            "hour": self.at.hour,
            "minute": self.at.minute,
            "second": 0,
            "timezone": self.zone,
        }


class Asked(Protocol):
    """The schedule words of a `/digest subscribe` (commands.digest.Subscribe); None means "use the default"."""

    @property
    def frequency(self) -> Frequency | None: ...
    @property
    def weekday(self) -> int | None: ...
    @property
    def at(self) -> time | None: ...
    @property
    def tz(self) -> str | None: ...


def schedule_for(request: Asked, subscriber_tz: str | None) -> Schedule:
    """The schedule a `/digest subscribe` asks for, with defaults filled in.

    `subscriber_tz` is the `tz` from Slack's users.info for the person who typed the command; it can be
    missing or, for old accounts, unknown to zoneinfo, and then UTC is used.
    """
    tz = request.tz or subscriber_tz or FALLBACK_TZ
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        tz = FALLBACK_TZ
    return Schedule(
        frequency=request.frequency or DEFAULT_FREQUENCY,
        weekday=request.weekday if request.weekday is not None else DEFAULT_WEEKDAY,
        at=request.at if request.at is not None else DEFAULT_TIME,
        tz=tz,
    )


def _require_aware(moment: datetime) -> datetime:
    # A naive datetime would silently be read as the server's local time, which is how digests drift.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("pass an aware datetime (UTC), not a naive one")
    return moment
