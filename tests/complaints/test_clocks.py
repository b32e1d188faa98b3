"""The complaint clocks of each regime, worked out by hand on a 2026/27 calendar.

The bank: Europe/London, business days Monday to Friday 09:00-17:30, with the England and
Wales bank holidays around Christmas 2026: Fri 25 Dec, Mon 28 Dec (Boxing Day's substitute) and
Fri 1 Jan 2027. Winter is GMT (UTC+0), so 17:30 local is 17:30 UTC; summer is BST (UTC+1).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from complaints import clocks
from complaints.seed import REGIMES

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC
HOLIDAYS = [dt.date(2026, 12, 25), dt.date(2026, 12, 28), dt.date(2027, 1, 1)]
CAL = clocks.Calendar.of("Europe/London", opens=dt.time(9), closes=dt.time(17, 30), holidays=HOLIDAYS)
DISP, PAYMENTS, CFPB = (
    {
        **r,
        "summary": [r["summary_amount"], r.get("summary_unit", "business_days")],
        "acknowledge": [r["acknowledge_amount"], r.get("acknowledge_unit", "business_days")],
        "final": [r["final_amount"], r["final_unit"]],
        "extended": [r["extended_amount"], r.get("extended_unit", "business_days")],
    }
    for r in REGIMES
)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- Receipt: day 0 -------------------------------------------------------------------------------


def test_received_in_business_hours_counts_from_that_day():
    assert CAL.counts_from(local(2026, 12, 10, 10, 0)) == dt.date(2026, 12, 10)  # Thursday


def test_received_after_close_of_business_counts_from_the_next_business_day():
    # Friday 18 Dec 19:45, after 17:30: the next business day is Monday 21 Dec.
    assert CAL.counts_from(local(2026, 12, 18, 19, 45)) == dt.date(2026, 12, 21)
    # One minute before close still counts from Friday.
    assert CAL.counts_from(local(2026, 12, 18, 17, 29)) == dt.date(2026, 12, 18)


def test_received_on_a_weekend_or_bank_holiday_counts_from_the_next_business_day():
    assert CAL.counts_from(local(2026, 12, 19, 11, 0)) == dt.date(2026, 12, 21)  # Saturday -> Monday
    # Christmas Day (Fri) -> Sat, Sun, Mon 28 (holiday) -> Tuesday 29 Dec.
    assert CAL.counts_from(local(2026, 12, 25, 9, 30)) == dt.date(2026, 12, 29)


# --- UK DISP: 3 business days (summary resolution / acknowledgement), 8 weeks final ------------------


def test_disp_over_a_weekend():
    # Thu 10 Dec 10:00 -> +1 Fri 11, +2 Mon 14, +3 Tue 15 -> Tue 15 Dec 17:30 GMT.
    # 8 weeks from Thu 10 Dec is Thu 4 Feb 2027, running to midnight at its end.
    due = clocks.clocks_for(CAL, local(2026, 12, 10, 10, 0), DISP)
    assert due.summary_due_at == utc(2026, 12, 15, 17, 30)
    assert due.acknowledge_due_at == utc(2026, 12, 15, 17, 30)
    assert due.final_due_at == utc(2027, 2, 5, 0, 0)


def test_disp_over_bank_holidays():
    # Wed 23 Dec 11:00 -> +1 Thu 24; Fri 25 (holiday), Sat, Sun, Mon 28 (holiday) skipped;
    # +2 Tue 29, +3 Wed 30 -> Wed 30 Dec 17:30.
    due = clocks.clocks_for(CAL, local(2026, 12, 23, 11, 0), DISP)
    assert due.summary_due_at == utc(2026, 12, 30, 17, 30)


def test_disp_late_evening_receipt():
    # Fri 18 Dec 19:45 counts from Mon 21 Dec: +1 Tue 22, +2 Wed 23, +3 Thu 24 -> Thu 24 Dec 17:30.
    # 8 weeks from Mon 21 Dec is Mon 15 Feb 2027 -> midnight at its end.
    due = clocks.clocks_for(CAL, local(2026, 12, 18, 19, 45), DISP)
    assert due.counts_from == dt.date(2026, 12, 21)
    assert due.summary_due_at == utc(2026, 12, 24, 17, 30)
    assert due.final_due_at == utc(2027, 2, 16, 0, 0)
    # Received at 17:29 the same Friday: +1 Mon 21, +2 Tue 22, +3 Wed 23.
    assert clocks.clocks_for(CAL, local(2026, 12, 18, 17, 29), DISP).summary_due_at == utc(
        2026, 12, 23, 17, 30
    )


def test_disp_in_summer_time():
    # Thu 2 Jul 10:00 BST -> Fri 3, Mon 6, Tue 7 -> 17:30 BST is 16:30 UTC.
    due = clocks.clocks_for(CAL, local(2026, 7, 2, 10, 0), DISP)
    assert due.summary_due_at == utc(2026, 7, 7, 16, 30)


# --- UK payment services: 15 business days, 35 after a holding reply ---------------------------------


def test_payment_services_over_christmas_and_new_year():
    # Mon 21 Dec 10:00. Business days: Tue 22 (1), Wed 23 (2), Thu 24 (3), [Fri 25 H, Sat, Sun,
    # Mon 28 H], Tue 29 (4), Wed 30 (5), Thu 31 (6), [Fri 1 Jan H, Sat, Sun], Mon 4 (7), Tue 5 (8),
    # Wed 6 (9), Thu 7 (10), Fri 8 (11), Mon 11 (12), Tue 12 (13), Wed 13 (14), Thu 14 Jan (15).
    day0 = dt.date(2026, 12, 21)
    due = clocks.clocks_for(CAL, local(2026, 12, 21, 10, 0), PAYMENTS)
    assert due.final_due_at == utc(2027, 1, 14, 17, 30)
    # 35: from Thu 14 Jan (15): Fri 15 (16), 18-22 Jan (17-21), 25-29 Jan (22-26),
    # 1-5 Feb (27-31), Mon 8 (32), Tue 9 (33), Wed 10 (34), Thu 11 Feb (35).
    assert clocks.extended_due(CAL, day0, PAYMENTS) == utc(2027, 2, 11, 17, 30)


# --- US, CFPB-style: 15 days, 60 days (calendar days) ------------------------------------------------


def test_cfpb_calendar_days_from_a_late_evening_receipt():
    # Fri 18 Dec 19:45 counts from Mon 21 Dec. +15 days: Tue 5 Jan 2027; +60 days: Fri 19 Feb 2027
    # (21 Dec + 31 = 21 Jan, + 29 = 19 Feb); each runs to midnight at the end of that day.
    due = clocks.clocks_for(CAL, local(2026, 12, 18, 19, 45), CFPB)
    assert due.summary_due_at is None
    assert due.acknowledge_due_at == utc(2027, 1, 6, 0, 0)
    assert due.final_due_at == utc(2027, 2, 20, 0, 0)
    assert clocks.extended_due(CAL, due.counts_from, CFPB) is None


# --- Countdown in business days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due", "left"),
    [
        (local(2026, 12, 11, 12, 0), utc(2026, 12, 15, 17, 30), 2),  # Fri -> Mon (1), Tue (2)
        (local(2026, 12, 15, 10, 0), utc(2026, 12, 15, 17, 30), 0),  # due today
        (local(2026, 12, 16, 10, 0), utc(2026, 12, 15, 17, 30), -1),  # one business day late
        (local(2026, 12, 15, 18, 0), utc(2026, 12, 15, 17, 30), 0),  # ran out half an hour ago
        (local(2026, 12, 24, 10, 0), utc(2026, 12, 30, 17, 30), 2),  # over Fri 25 and Mon 28: Tue, Wed
    ],
)
def test_business_days_left(now, due, left):
    assert CAL.business_days_left(now, due) == left


def test_business_days_are_counted_as_a_walk_from_day_to_day_would_count_them():
    """Over years of dates, with bank holidays on weekdays and at weekends: the count by weeks
    equals a walk from one day to the next, whichever way the clock runs."""
    rng = random.Random(25)
    holidays = [dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(900)) for _ in range(40)]
    cal = clocks.Calendar.of("Europe/London", holidays=holidays)

    def walked(start: dt.date, end: dt.date) -> int:
        days, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            days += cal.is_business_day(day)
        return days

    for _ in range(400):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(900))
        end = start + dt.timedelta(days=rng.randrange(-30, 400))
        assert cal.business_days_after(start, end) == walked(start, end), (start, end)
        now = dt.datetime.combine(start, dt.time(11), tzinfo=cal.tz)
        due = dt.datetime.combine(end, dt.time(17, 30), tzinfo=cal.tz)
        today, due_day = start, end
        expected = walked(today, due_day) if due > now else -walked(due_day, today)
        assert cal.business_days_left(now, due) == expected, (start, end)
