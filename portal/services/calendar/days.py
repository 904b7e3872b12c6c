"""Which days are school days: not Saturday (the weekly holiday) and in no closed range of
the school's calendar. One query per span of days asked about."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Holiday

SATURDAY = 5  # date.weekday()
WEEKLY_HOLIDAY = _l("Saturday")


@dataclass(frozen=True)
class Marked:
    """What the calendar says about one day (a holiday, or an open day such as exams)."""

    name: str
    name_ne: str | None
    closed: bool
    weekly: bool = False  # Saturday, named in the reader's language

    def label(self, locale: str) -> str:
        if self.weekly:
            return str(WEEKLY_HOLIDAY)
        return self.name_ne if locale == "ne" and self.name_ne else self.name


class SchoolCalendar:
    """A school's calendar from `first` to `last` (inclusive), read once."""

    def __init__(self, school_id: int, first: date, last: date):
        self.first, self.last = first, last
        rows = db.session.scalars(
            sa.select(Holiday)
            .where(
                Holiday.school_id == school_id,
                Holiday.starts_on <= last,
                Holiday.ends_on >= first,
            )
            .order_by(Holiday.starts_on, Holiday.id)
        )
        self._days: dict[date, list[Marked]] = {}
        for row in rows:
            day = max(row.starts_on, first)
            while day <= min(row.ends_on, last):
                self._days.setdefault(day, []).append(Marked(row.name, row.name_ne, row.closed))
                day += timedelta(days=1)

    def marked(self, day: date) -> list[Marked]:
        """Everything the calendar marks on that day."""
        return self._days.get(day, [])

    def holiday(self, day: date) -> Marked | None:
        """The closed day's first entry (or Saturday), None on a school day."""
        closed = [mark for mark in self.marked(day) if mark.closed]
        if closed:
            return closed[0]
        if day.weekday() == SATURDAY:
            return Marked("Saturday", None, True, weekly=True)
        return None

    def is_school_day(self, day: date) -> bool:
        return self.holiday(day) is None

    def next_school_day(self, day: date) -> date | None:
        """The first school day after `day` within the span read (None if there is none)."""
        day += timedelta(days=1)
        while day <= self.last:
            if self.is_school_day(day):
                return day
            day += timedelta(days=1)
        return None


def holiday_on(school_id: int, day: date) -> Marked | None:
    """Whether that day is a holiday at the school, and which (Saturday included)."""
    return SchoolCalendar(school_id, day, day).holiday(day)


def school_days_between(school_id: int, first: date, last: date) -> list[date]:
    """The school days from `first` to `last`, inclusive."""
    calendar = SchoolCalendar(school_id, first, last)
    days, day = [], first
    while day <= last:
        if calendar.is_school_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days
