"""Complaint clocks in business days: pure functions over the escalations' working calendar.

A business day is a weekday the bank is open (not one of its `BankHoliday` rows), in the time
zone of `settings.COMPLAINTS_TIME_ZONE`, and it ends at `settings.COMPLAINTS_CLOSE_OF_BUSINESS`.
The days and the close of each one come from `escalations.sla.WorkingHours`, the same calendar
the escalations' SLAs use (including its care over daylight-saving changes).

Rules, decided here and written in the README:

* **Receipt.** A complaint received on a business day before close of business counts from
  that day. One received after close of business, or on a weekend or bank holiday, counts as
  received on the next business day (as the FCA allows a firm to treat it). That day is the
  complaint's `counts_from` date, "day 0".
* **Business-day clocks** ("3 business days", "15 business days") end at close of business on
  the Nth business day after day 0: received Monday 10:00 -> 3 business days -> Thursday close.
* **Calendar clocks** ("8 weeks", "60 days") end at midnight at the end of the date N days or
  weeks after day 0, whatever day of the week that is.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from escalations.sla import MAX_DAYS, UTC, WorkingHours

BUSINESS_DAYS = "business_days"
CALENDAR_DAYS = "calendar_days"
WEEKS = "weeks"
UNITS = (BUSINESS_DAYS, CALENDAR_DAYS, WEEKS)


@dataclass(frozen=True)
class Calendar:
    hours: WorkingHours

    @classmethod
    def of(
        cls,
        tz: str,
        *,
        opens: dt.time = dt.time(9, 0),
        closes: dt.time = dt.time(17, 30),
        holidays: Iterable[dt.date] = (),
    ) -> Calendar:
        return cls(WorkingHours.of(tz, start=opens, end=closes, holidays=holidays))

    @property
    def tz(self):
        return self.hours.tz

    def is_business_day(self, day: dt.date) -> bool:
        # What `hours.window(day) is not None` says, without building the day's window: the
        # queue asks it for every day of every clock it shows.
        return day.weekday() in self.hours.days and day not in self.hours.holidays

    def close_of(self, day: dt.date) -> dt.datetime:
        """Close of business of a business day, as a UTC instant."""
        window = self.hours.window(day)
        if window is None:
            raise ValueError(f"{day} is not a business day")
        return window[1]

    def next_business_day(self, day: dt.date) -> dt.date:
        for _ in range(MAX_DAYS):
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("no business day in the next ten years: check the bank holidays")

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        for _ in range(n):
            day = self.next_business_day(day)
        return day

    def counts_from(self, received_at: dt.datetime) -> dt.date:
        """Day 0 of the clocks: the receipt day, or the next business day (see the module)."""
        local = received_at.astimezone(self.tz)
        day = local.date()
        if self.is_business_day(day) and received_at.astimezone(UTC) < self.close_of(day):
            return day
        return self.next_business_day(day)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz).astimezone(UTC)

    def due(self, day0: dt.date, amount: int, unit: str) -> dt.datetime:
        """When a clock of `amount` `unit` started on `day0` runs out (a UTC instant)."""
        if unit == BUSINESS_DAYS:
            return self.close_of(self.add_business_days(day0, amount))
        if unit == CALENDAR_DAYS:
            return self.end_of_day(day0 + dt.timedelta(days=amount))
        if unit == WEEKS:
            return self.end_of_day(day0 + dt.timedelta(weeks=amount))
        raise ValueError(f"unknown clock unit {unit!r}")

    def business_days_left(self, now: dt.datetime, due: dt.datetime) -> int:
        """Whole business days from today until the due day (0 on the due day itself); once the
        clock has run out, minus the business days since the due day (0 on the day it ran out:
        the caller tells "overdue" from `due <= now`)."""
        today = now.astimezone(self.tz).date()
        due_day = (due - dt.timedelta(microseconds=1)).astimezone(self.tz).date()
        if due <= now:
            return -self.business_days_after(due_day, today)
        return self.business_days_after(today, due_day)

    @functools.cached_property
    def _holidays(self) -> tuple[dt.date, ...]:
        """The bank holidays that fall on working weekdays, in order."""
        return tuple(sorted(day for day in self.hours.holidays if day.weekday() in self.hours.days))

    def business_days_after(self, start: dt.date, end: dt.date) -> int:
        """How many business days `d` have `start < d <= end` (0 when `end <= start`), counted by
        whole weeks and the bank holidays between, not day by day: the queue asks it for every
        clock it shows, and an overdue clock may be months old."""
        if end <= start:
            return 0
        weeks, rest = divmod((end - start).days, 7)
        count = weeks * len(self.hours.days)
        weekday = start.weekday()
        count += sum(1 for n in range(1, rest + 1) if (weekday + n) % 7 in self.hours.days)
        holidays = self._holidays
        return count - (bisect.bisect_right(holidays, end) - bisect.bisect_right(holidays, start))


@dataclass(frozen=True)
class Clocks:
    counts_from: dt.date
    summary_due_at: dt.datetime | None
    acknowledge_due_at: dt.datetime | None
    final_due_at: dt.datetime


def _pair(snapshot: dict, name: str) -> tuple[int | None, str]:
    amount, unit = (snapshot.get(name) or [None, BUSINESS_DAYS])[:2]
    return amount, unit


def clocks_for(calendar: Calendar, received_at: dt.datetime, snapshot: dict) -> Clocks:
    """The due instants of a complaint received at `received_at` under a regime's snapshot."""
    day0 = calendar.counts_from(received_at)

    def due(name: str) -> dt.datetime | None:
        amount, unit = _pair(snapshot, name)
        return None if amount is None else calendar.due(day0, amount, unit)

    final_amount, final_unit = _pair(snapshot, "final")
    if final_amount is None:
        raise ValueError("a regime needs a final response clock")
    return Clocks(
        counts_from=day0,
        summary_due_at=due("summary"),
        acknowledge_due_at=due("acknowledge"),
        final_due_at=calendar.due(day0, final_amount, final_unit),
    )


def extended_due(calendar: Calendar, day0: dt.date, snapshot: dict) -> dt.datetime | None:
    """The final response's due instant after a holding reply, where the regime allows one."""
    amount, unit = _pair(snapshot, "extended")
    return None if amount is None else calendar.due(day0, amount, unit)


def describe(amount: int | None, unit: str) -> str:
    if amount is None:
        return "—"
    words = {BUSINESS_DAYS: "business day", CALENDAR_DAYS: "day", WEEKS: "week"}[unit]
    return f"{amount} {words}{'' if amount == 1 else 's'}"
