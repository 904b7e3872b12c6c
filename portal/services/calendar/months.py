"""A Bikram Sambat month of the school calendar as the calendar page shows it: weeks from
Sunday to Saturday, each day with its AD date and what the calendar marks on it."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import nepali_datetime

from portal.services.calendar.days import Marked, SchoolCalendar
from portal.services.common.dates import to_bs


@dataclass
class Day:
    day: date  # AD
    bs_day: int
    marks: list[Marked] = field(default_factory=list)
    holiday: Marked | None = None  # closed: a holiday or Saturday


@dataclass
class Month:
    year: int
    month: int
    first: date
    last: date
    weeks: list[list[Day | None]]

    @property
    def previous(self) -> tuple[int, int]:
        return (self.year, self.month - 1) if self.month > 1 else (self.year - 1, 12)

    @property
    def following(self) -> tuple[int, int]:
        return (self.year, self.month + 1) if self.month < 12 else (self.year + 1, 1)


def bs_month_span(year: int, month: int) -> tuple[date, date]:
    """The first and last AD day of a Bikram Sambat month."""
    first = nepali_datetime.date(year, month, 1).to_datetime_date()
    following = nepali_datetime.date(year + month // 12, month % 12 + 1, 1).to_datetime_date()
    return first, following - timedelta(days=1)


def month_of(school_id: int, year: int, month: int) -> Month:
    """The month's weeks (Sunday first), padded with None before the 1st and after the end."""
    first, last = bs_month_span(year, month)
    calendar = SchoolCalendar(school_id, first, last)
    week: list[Day | None] = [None] * ((first.weekday() + 1) % 7)
    weeks, day = [], first
    while day <= last:
        week.append(Day(day, to_bs(day).day, calendar.marked(day), calendar.holiday(day)))
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += timedelta(days=1)
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return Month(year, month, first, last, weeks)
