"""Deadlines on China's statutory calendar, with adjusted working weekends (调休)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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
    assert calendar.due(at(2026, 11, 27, 15, 0), "1 working day", time(12, 0)) == at(
        2026, 11, 30, 12, 0
    )


def test_a_year_not_published_is_computed_from_the_statutory_holidays_and_provisional():
    # 2027's schedule is not in the packages of this release: the desk must go on all the same
    assert calendar.year(2027).provisional
    assert not calendar.is_workday(date(2027, 1, 1))  # New Year's Day
    assert not any(
        calendar.is_workday(date(2027, 2, day)) for day in range(5, 11)
    )  # Spring Festival, eve included
    assert not calendar.is_workday(date(2027, 10, 1))
    assert calendar.is_workday(date(2027, 1, 4))


def test_a_deadline_across_the_years_turn_is_computed_and_marked_provisional():
    received = at(2026, 12, 31, 16, 0)
    due = calendar.due(received, "1 working day")
    assert due == at(2027, 1, 4, 16, 0)
    assert calendar.is_provisional(received, "1 working day", due)
    assert not calendar.is_provisional(received, "24 hours", calendar.due(received, "24 hours"))
    inside = at(2026, 11, 27, 9, 0)
    assert not calendar.is_provisional(
        inside, "3 working days", calendar.due(inside, "3 working days")
    )


def test_major_complaint_received_on_29_december_closes_in_2027():
    received = at(2026, 12, 29, 10, 0)
    due = calendar.due(received, "3 working days")
    assert due == at(2027, 1, 4, 10, 0)  # 30, 31 December, then New Year's Day off
    assert calendar.is_provisional(received, "3 working days", due)


@pytest.mark.parametrize("year", [1993, 1950, 1930, 2101])
def test_any_past_or_far_year_has_an_answer(year):
    assert calendar.year(year).provisional
    assert calendar.due(at(year, 6, 1, 9, 0), "2 working days") > at(year, 6, 1, 9, 0)


def test_published_years_of_both_packages_agree_day_by_day():
    from processor.rules.holiday_schedules import _from_chinese_calendar, _from_python_holidays

    disagree = []
    for year in range(2006, 2027):
        first, second = _from_chinese_calendar(year), _from_python_holidays(year)
        assert first and second and not first.provisional and not second.provisional
        day = date(year, 1, 1)
        while day.year == year:
            if first.is_workday(day) != second.is_workday(day):
                disagree.append(day)
            day += timedelta(days=1)
    assert disagree == []


def test_operator_is_warned_from_november_when_next_year_is_not_published():
    assert calendar.warning(date(2026, 10, 31)) is None
    warning = calendar.warning(date(2026, 11, 1))
    assert warning and "2027" in warning and "[calendar.2027]" in warning
    assert "2027" in calendar.warning(date(2027, 2, 10))  # the year itself, while it is provisional


def test_a_year_in_the_rule_file_is_published_and_ends_the_warning():
    official = YearDays(frozenset({date(2027, 1, 1)}), frozenset({date(2027, 2, 20)}))
    with_notice = WorkingCalendar(extra_years={2027: official})
    assert with_notice.warning(date(2026, 12, 1)) is None
    assert with_notice.is_workday(date(2027, 2, 20))  # a Saturday worked
    received = at(2026, 12, 31, 16, 0)
    assert not with_notice.is_provisional(
        received, "1 working day", with_notice.due(received, "1 working day")
    )


def test_calendar_data_without_a_working_day_for_two_months_is_an_error():
    closed = YearDays(frozenset(date(2099, 1, 1) + timedelta(days=n) for n in range(120)))
    with pytest.raises(CalendarError, match="no working day within 60 days"):
        WorkingCalendar(extra_years={2099: closed}).next_workday(date(2098, 12, 31))


def test_year_from_the_rule_file_is_used():
    extra = WorkingCalendar(
        extra_years={2099: YearDays(frozenset({date(2099, 5, 1)}), frozenset({date(2099, 5, 2)}))}
    )
    assert not extra.is_workday(date(2099, 5, 1))  # a Friday, declared a holiday
    assert extra.is_workday(date(2099, 5, 2))  # a Saturday, declared worked
