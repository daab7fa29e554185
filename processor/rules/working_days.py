"""China's working-day calendar for every year (see `holiday_schedules`: the rule file, kept
packages, or a provisional computation) and deadline arithmetic in office hours, working days
and clock time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from processor.errors import UserError
from processor.rules.holiday_schedules import YearDays, estimated_year, published_year

__all__ = ["CalendarError", "WorkingCalendar", "YearDays", "parse_within"]

MAX_SEARCH_DAYS = 60  # no holiday in China lasts longer; beyond it the calendar data is wrong
WARN_FROM_MONTH = 11  # the State Council publishes next year's schedule in the autumn
_WITHIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(office hours?|working days?|hours?|days?)\s*$")


class CalendarError(UserError):
    """Calendar data that cannot be right (a rule file with no working day for two months)."""


@dataclass
class WorkingCalendar:
    opens: time = time(8, 30)
    closes: time = time(17, 30)
    extra_years: dict[int, YearDays] = field(default_factory=dict)

    _years: dict[int, YearDays] = field(default_factory=dict, init=False, repr=False)

    def year(self, year: int) -> YearDays:
        """The rule file's year, else the published schedule, else a provisional estimate."""
        if year not in self._years:
            self._years[year] = (
                self.extra_years.get(year) or published_year(year) or estimated_year(year)
            )
        return self._years[year]

    def is_workday(self, day: date) -> bool:
        return self.year(day.year).is_workday(day)

    def is_provisional(self, start: datetime, within: str, due: datetime) -> bool:
        """Whether a deadline counted on the calendar crosses a year whose schedule is not
        published yet (clock hours and days do not depend on it)."""
        if parse_within(within)[1].startswith(("office hour", "working day")):
            return any(self.year(year).provisional for year in range(start.year, due.year + 1))
        return False

    def unpublished(self, today: date) -> list[int]:
        """The years the operator must hear of: this one, or from November the next, whose
        schedule is not published (deadlines in them are provisional)."""
        years = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
        return [year for year in years if self.year(year).provisional]

    def warning(self, today: date) -> str | None:
        """What the operator must hear (`rules check`, the log), in English."""
        unpublished = self.unpublished(today)
        if not unpublished:
            return None
        names = " and ".join(str(year) for year in unpublished)
        return (
            f"the working-day calendar for {names} is not published yet: deadlines in it are provisional "
            "(statutory holidays computed, no adjusted working weekends). When the State Council's notice is "
            f"out, add [calendar.{unpublished[-1]}] with its holidays and workdays to the rule file, or upgrade "
            "the chinese-calendar and holidays packages"
        )

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
