"""Where a year's days off and adjusted working weekends (调休) come from, for every year.

China's holidays for a year are set by the State Council's notice, published each autumn for
the next year. The desk takes a year, in this order, from:

1. the rule file's `[calendar.YEAR]` (an operator copying the notice in),
2. `chinese-calendar` (official schedules, 2004 to the year its release knows),
3. `python-holidays` (official schedules with their 调休, released monthly),
4. else the statutory holidays computed by `python-holidays` (lunar dates included, a holiday
   on a weekend given the next working day) with no adjusted working weekends: such a year is
   *provisional* — deadlines in it are shown as provisional and the operator is told.

So the desk never stops for want of a calendar, and never silently takes a guess for fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

OFFICIAL_NOTICE = "国务院办公厅关于{year}年部分节假日安排的通知"


@dataclass(frozen=True)
class YearDays:
    """One year's days off and adjusted working weekends, and where they come from."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekends worked (调休)
    source: str = "rule file"
    provisional: bool = False

    def is_workday(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


def published_year(year: int) -> YearDays | None:
    """The official schedule of `year` from a kept package, or None when none knows it yet."""
    return _from_chinese_calendar(year) or _from_python_holidays(year)


@lru_cache(maxsize=256)
def estimated_year(year: int) -> YearDays:
    """The statutory holidays of a year whose schedule is not published: provisional."""
    import holidays  # the package is large; only a year outside chinese-calendar needs it

    days_off = frozenset(holidays.China(years=year, observed=True).keys())
    return YearDays(
        days_off, frozenset(), source="computed from the statutory holidays", provisional=True
    )


@lru_cache(maxsize=256)
def _from_chinese_calendar(year: int) -> YearDays | None:
    import chinese_calendar.constants as known

    if not any(day.year == year for day in known.holidays):
        return None
    days_off = frozenset(day for day in known.holidays if day.year == year)
    worked = frozenset(day for day in known.workdays if day.year == year)
    return YearDays(days_off, worked, source="chinese-calendar")


@lru_cache(maxsize=256)
def _from_python_holidays(year: int) -> YearDays | None:
    """python-holidays lists a published year's swaps as (day off, weekend worked) pairs; a year
    without that table is its own computation, not the notice."""
    import holidays
    from holidays.countries.china import ChinaStaticHolidays

    swaps = ChinaStaticHolidays.special_public_holidays
    if year not in swaps:
        return None
    worked = frozenset(day for day in _swapped_workdays(swaps, year) if day.year == year)
    days_off = frozenset(holidays.China(years=year, observed=True).keys())
    return YearDays(days_off, worked, source="python-holidays")


def _swapped_workdays(swaps: dict, year: int) -> list[date]:
    """The weekends worked in exchange for the days off of `year` and of the next year (the
    New Year swap of 2002 was worked in December 2001)."""
    found = []
    for listed_year in (year, year + 1):
        entries = swaps.get(listed_year, ())
        for entry in entries if entries and isinstance(entries[0], tuple) else (entries,):
            if len(entry) >= 4 and all(isinstance(part, int) for part in entry[:4]):
                worked_year = (
                    entry[4] if len(entry) > 4 and isinstance(entry[4], int) else listed_year
                )
                found.append(date(worked_year, entry[2], entry[3]))
    return found
