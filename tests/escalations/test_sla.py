"""Working-time arithmetic, with expectations computed by hand.

Cards works Monday to Friday, 09:00 to 17:30 Europe/London (8.5 hours a day).
Fraud works around the clock. Times below are London wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from escalations.sla import WorkingHours, add_working, working_seconds_between

LONDON = zoneinfo.ZoneInfo("Europe/London")
H = 3600


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


OFFICE = WorkingHours.of("Europe/London", days=range(5), start=dt.time(9), end=dt.time(17, 30))
AROUND_THE_CLOCK = WorkingHours.of("Europe/London", days=range(7), start=dt.time(0), end=dt.time(0))


def test_a_card_question_at_1755_on_a_friday_is_due_on_monday():
    # Friday 6 Nov 2026, 17:55: after hours. Four working hours run Monday 09:00-13:00.
    due = add_working(london(2026, 11, 6, 17, 55), 4 * H, OFFICE)
    assert due == london(2026, 11, 9, 13, 0)
    assert due.astimezone(LONDON).strftime("%A") == "Monday"


def test_the_remainder_of_the_day_carries_over_the_night():
    # Tuesday 16:30: one hour left today, then 3 hours from Wednesday 09:00.
    assert add_working(london(2026, 11, 3, 16, 30), 4 * H, OFFICE) == london(2026, 11, 4, 12, 0)


def test_before_opening_starts_at_opening():
    assert add_working(london(2026, 11, 3, 6, 0), 30 * 60, OFFICE) == london(2026, 11, 3, 9, 30)


def test_ending_exactly_at_closing_is_closing_time_not_next_morning():
    assert add_working(london(2026, 11, 3, 9, 0), 8.5 * H, OFFICE) == london(2026, 11, 3, 17, 30)


def test_a_weekend_in_the_middle():
    # Friday 15:00 + 16 working hours: Fri 2.5h, Mon 8.5h, Tue 5h -> Tuesday 14:00.
    assert add_working(london(2026, 11, 6, 15, 0), 16 * H, OFFICE) == london(2026, 11, 10, 14, 0)


def test_holidays_are_skipped():
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March are holidays.
    easter = WorkingHours.of(
        "Europe/London",
        days=range(5),
        start=dt.time(9),
        end=dt.time(17, 30),
        holidays=[dt.date(2027, 3, 26), dt.date(2027, 3, 29)],
    )
    # Thursday 25 March 17:00: half an hour left, then nothing until Tuesday 30 March 09:00 (BST).
    assert add_working(london(2027, 3, 25, 17, 0), 4 * H, easter) == london(2027, 3, 30, 12, 30)


def test_office_hours_keep_their_wall_clock_across_the_spring_change():
    # Clocks go forward on Sunday 29 March 2026. Friday 27 March 16:30 GMT + 2 working hours:
    # 1 hour on Friday, then Monday 09:00 BST (08:00 UTC) + 1 hour = 10:00 BST = 09:00 UTC.
    due = add_working(london(2026, 3, 27, 16, 30), 2 * H, OFFICE)
    assert due == london(2026, 3, 30, 10, 0)
    assert due == dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC)


def test_around_the_clock_loses_the_missing_hour_in_spring():
    # Saturday 28 March 2026 23:00 GMT + 4 hours of real time: 23:00 -> 01:00 GMT is 2 hours,
    # the clocks jump to 02:00 BST, two more hours -> 04:00 BST (03:00 UTC).
    due = add_working(london(2026, 3, 28, 23, 0), 4 * H, AROUND_THE_CLOCK)
    assert due == london(2026, 3, 29, 4, 0)
    assert due == dt.datetime(2026, 3, 29, 3, 0, tzinfo=dt.UTC)


def test_around_the_clock_gains_an_hour_in_autumn():
    # Clocks go back on Sunday 25 October 2026 at 02:00 BST -> 01:00 GMT. From Saturday 23:00 BST,
    # 4 real hours end at 02:00 GMT on Sunday (wall clock 02:00, after living 01:00-02:00 twice).
    due = add_working(london(2026, 10, 24, 23, 0), 4 * H, AROUND_THE_CLOCK)
    assert due == dt.datetime(2026, 10, 25, 2, 0, tzinfo=dt.UTC)
    assert (
        working_seconds_between(london(2026, 10, 25, 0, 0), london(2026, 10, 26, 0, 0), AROUND_THE_CLOCK)
        == 25 * H
    )


def test_working_seconds_between_counts_only_windows():
    # Friday 17:00 to Monday 10:00: half an hour on Friday, an hour on Monday.
    assert working_seconds_between(london(2026, 11, 6, 17, 0), london(2026, 11, 9, 10, 0), OFFICE) == 1.5 * H
    assert working_seconds_between(london(2026, 11, 9, 10, 0), london(2026, 11, 6, 17, 0), OFFICE) == -1.5 * H


@pytest.mark.parametrize("seconds", [0, 60, 8.5 * H, 3 * 8.5 * H + 17, 40 * H])
def test_add_and_between_agree(seconds):
    start = london(2026, 3, 26, 12, 34)
    assert working_seconds_between(start, add_working(start, seconds, OFFICE), OFFICE) == pytest.approx(
        seconds
    )


def test_no_working_days_is_an_error_not_a_hang():
    never = WorkingHours.of("Europe/London", days=[], start=dt.time(9), end=dt.time(17))
    with pytest.raises(ValueError):
        add_working(london(2026, 1, 1, 9), 60, never)
