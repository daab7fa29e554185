"""China's statutory working-day calendar (chinese-calendar, plus years from the rule file)
and deadline arithmetic in office hours, working days and clock time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar

from processor.errors import UserError

MAX_SEARCH_DAYS = 60  # no holiday in China lasts longer; beyond it the calendar data is wrong
_WITHIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(office hours?|working days?|hours?|days?)\s*$")


class CalendarError(UserError):
    """A date the calendar knows nothing about: never guessed."""


@dataclass(frozen=True)
class YearDays:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass
class WorkingCalendar:
    opens: time = time(8, 30)
    closes: time = time(17, 30)
    extra_years: dict[int, YearDays] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        if day.year in self.extra_years:
            year = self.extra_years[day.year]
            return day in year.workdays or (day.weekday() < 5 and day not in year.holidays)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarError(
                f"the working-day calendar has no data for {day.year}: add [calendar.{day.year}] "
                "with its holidays and adjusted workdays to the rule file"
            ) from None

    def next_workday(self, day: date) -> date:
        for _ in range(MAX_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise CalendarError(f"no working day within {MAX_SEARCH_DAYS} days after {day}")

    def start_of_work(self, moment: datetime) -> datetime:
        """The moment itself in office hours on a working day, else the next opening."""
        day = moment.date()
        if self.is_workday(day) and moment.time() < self.closes:
            return max(moment, datetime.combine(day, self.opens, moment.tzinfo))
        return datetime.combine(self.next_workday(day), self.opens, moment.tzinfo)

    def add_office_hours(self, start: datetime, hours: float) -> datetime:
        moment = self.start_of_work(start)
        remaining = timedelta(hours=hours)
        while True:
            closing = datetime.combine(moment.date(), self.closes, moment.tzinfo)
            if moment + remaining <= closing:
                return moment + remaining
            remaining -= closing - moment
            moment = datetime.combine(self.next_workday(moment.date()), self.opens, moment.tzinfo)

    def add_working_days(self, start: datetime, days: int, at: time | None = None) -> datetime:
        """The same time of day (or `at`) on the Nth working day after the day work starts."""
        moment = self.start_of_work(start)
        day = moment.date()
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, at or moment.time(), moment.tzinfo)

    def due(self, start: datetime, within: str, at: time | None = None) -> datetime:
        """A deadline from a rule's `within` ("2 office hours", "3 working days", "24 hours")."""
        amount, unit = parse_within(within)
        if unit.startswith("office hour"):
            return self.add_office_hours(start, amount)
        if unit.startswith("working day"):
            return self.add_working_days(start, int(amount), at)
        if unit.startswith("hour"):
            return start + timedelta(hours=amount)
        end = start + timedelta(days=amount)
        return datetime.combine(end.date(), at, end.tzinfo) if at else end


def parse_within(within: str) -> tuple[float, str]:
    match = _WITHIN.match(within)
    if not match:
        raise UserError(
            f"deadline `{within}` is not of the form 'N office hours', 'N working days', 'N hours' or 'N days'"
        )
    return float(match.group(1)), match.group(2)
