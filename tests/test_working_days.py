"""Deadlines on China's statutory calendar, with adjusted working weekends (调休)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from processor.rules.working_days import CalendarError, WorkingCalendar, YearDays

SH = ZoneInfo("Asia/Shanghai")
calendar = WorkingCalendar(opens=time(8, 30), closes=time(17, 30))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_national_day_week_is_skipped_for_working_days():
    # 2026-09-30 (Wed) is a working day; 1–7 October are holidays; Thursday 8 October is the next working day.
    assert calendar.due(at(2026, 9, 30, 10, 0), "1 working day") == at(2026, 10, 8, 10, 0)


def test_adjusted_working_saturday_counts_as_a_working_day():
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday (调休).
    assert calendar.is_workday(date(2026, 10, 10))
    assert calendar.due(at(2026, 10, 9, 9, 0), "1 working day") == at(2026, 10, 10, 9, 0)


def test_spring_festival_2026():
    # Spring Festival 2026: 15–23 February off; 14 and 28 February are worked Saturdays.
    assert not calendar.is_workday(date(2026, 2, 17))
    assert calendar.is_workday(date(2026, 2, 14))
    assert calendar.due(at(2026, 2, 13, 16, 0), "1 working day") == at(2026, 2, 14, 16, 0)


def test_office_hours_deadline_after_closing_starts_next_working_morning():
    # Friday 2026-11-20 at 19:00, after office hours: 2 office hours from Monday 08:30.
    assert calendar.due(at(2026, 11, 20, 19, 0), "2 office hours") == at(2026, 11, 23, 10, 30)


def test_office_hours_carry_over_closing_time():
    assert calendar.due(at(2026, 11, 24, 16, 30), "4 office hours") == at(2026, 11, 25, 11, 30)


def test_clock_hours_ignore_the_calendar():
    assert calendar.due(at(2026, 10, 1, 12, 0), "24 hours") == at(2026, 10, 2, 12, 0)


def test_return_slip_by_noon_of_the_next_working_day():
    assert calendar.due(at(2026, 11, 27, 15, 0), "1 working day", time(12, 0)) == at(2026, 11, 30, 12, 0)


def test_unknown_year_is_a_clear_error_not_a_guess():
    with pytest.raises(CalendarError, match=r"no data for 2099.*\[calendar.2099\]"):
        calendar.is_workday(date(2099, 5, 1))


def test_year_from_the_rule_file_is_used():
    extra = WorkingCalendar(extra_years={2099: YearDays(frozenset({date(2099, 5, 1)}), frozenset({date(2099, 5, 2)}))})
    assert not extra.is_workday(date(2099, 5, 1))  # a Friday, declared a holiday
    assert extra.is_workday(date(2099, 5, 2))  # a Saturday, declared worked
