"""Working-time arithmetic: pure functions, no ORM.

A department works on `days` (0 = Monday) from `start` to `end` local time in `tz`, except on
`holidays` (local dates). `end == 00:00` means midnight at the end of the day, so
00:00-00:00 on all seven days is around the clock.

All arithmetic is done on UTC instants; local times are only used to place each day's window.
Adding a timedelta to an aware datetime in Python moves its wall clock (ignoring a daylight-saving
change in between), which would be an hour off twice a year: hence the conversion to UTC first.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

UTC = dt.UTC
MIDNIGHT = dt.time(0)
# A department with no working day in ten years is misconfigured; stop instead of looping forever.
MAX_DAYS = 3660


@dataclass(frozen=True)
class WorkingHours:
    tz: zoneinfo.ZoneInfo
    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 30)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        tz: str,
        *,
        days: Iterable[int] = (0, 1, 2, 3, 4),
        start: dt.time = dt.time(9, 0),
        end: dt.time = dt.time(17, 30),
        holidays: Iterable[dt.date] = (),
    ) -> WorkingHours:
        return cls(zoneinfo.ZoneInfo(tz), frozenset(days), start, end, frozenset(holidays))

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working window of a local date, as UTC instants, or None on a day off."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        opens = dt.datetime.combine(day, self.start, tzinfo=self.tz)
        if self.end == MIDNIGHT:
            closes = dt.datetime.combine(day + dt.timedelta(days=1), MIDNIGHT, tzinfo=self.tz)
        else:
            closes = dt.datetime.combine(day, self.end, tzinfo=self.tz)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def windows_from(self, instant: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working windows that end after `instant`, clipped to start no earlier than it."""
        instant = instant.astimezone(UTC)
        # Start a day early: a window of yesterday's date can still be open (around-the-clock days).
        day = instant.astimezone(self.tz).date() - dt.timedelta(days=1)
        for _ in range(MAX_DAYS):
            window = self.window(day)
            day += dt.timedelta(days=1)
            if window is None or window[1] <= instant:
                continue
            yield max(window[0], instant), window[1]
        raise ValueError("no working time in the next ten years: check the department's days and holidays")


def add_working(start: dt.datetime, seconds: float, hours: WorkingHours) -> dt.datetime:
    """The instant at which `seconds` of working time have passed since `start`."""
    remaining = dt.timedelta(seconds=seconds)
    if remaining <= dt.timedelta(0):
        return start.astimezone(UTC)
    for opens, closes in hours.windows_from(start):
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable")  # windows_from raises first


def working_seconds_between(start: dt.datetime, end: dt.datetime, hours: WorkingHours) -> float:
    """Working seconds from `start` to `end` (negative when `end` is before `start`)."""
    if end < start:
        return -working_seconds_between(end, start, hours)
    end = end.astimezone(UTC)
    total = dt.timedelta(0)
    for opens, closes in hours.windows_from(start):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total.total_seconds()
