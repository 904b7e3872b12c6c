"""A Bikram Sambat month of attendance: for a class, who was absent on which school day and
each student's days present and absent; for a monthly summary, the month it covers and
that month's school days."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import SchoolClass, Student
from portal.services.calendar.days import school_days_between
from portal.services.calendar.months import bs_month_span
from portal.services.common import clock
from portal.services.common.dates import NEPAL, to_bs
from portal.services.roster import attendance


@dataclass
class StudentMonth:
    student: Student
    absent: list[date]  # school days marked absent, in order
    present: int  # school days so far this month not marked absent


@dataclass
class AbsentDay:
    day: date
    students: list[Student]


@dataclass
class ClassMonth:
    year: int
    month: int
    first: date
    last: date
    school_days: list[date]  # up to today, for the month under way
    students: list[StudentMonth]
    days: list[AbsentDay]  # the days someone was absent, in order

    @property
    def previous(self) -> tuple[int, int]:
        return (self.year, self.month - 1) if self.month > 1 else (self.year - 1, 12)

    @property
    def following(self) -> tuple[int, int]:
        return (self.year, self.month + 1) if self.month < 12 else (self.year + 1, 1)


def class_month(school_class: SchoolClass, year: int, month: int) -> ClassMonth:
    """The class's attendance in a BS month: school days count up to today."""
    first, last = bs_month_span(year, month)
    today = clock.now().astimezone(NEPAL).date()
    counted = school_days_between(school_class.school_id, first, min(last, today))
    students = db.session.scalars(
        sa.select(Student)
        .where(Student.class_id == school_class.id, Student.active)
        .order_by(Student.roll)
    ).all()
    absent = attendance.absent_days([s.id for s in students], first=first, last=last)
    school_days = set(counted)
    rows = []
    by_day: dict[date, list[Student]] = {}
    for student in students:
        days = [d for d in absent[student.id] if d in school_days]
        rows.append(StudentMonth(student, days, len(counted) - len(days)))
        for day in absent[student.id]:  # a day off too: the page shows what was recorded
            by_day.setdefault(day, []).append(student)
    days = [AbsentDay(day, by_day[day]) for day in sorted(by_day)]
    return ClassMonth(year, month, first, last, counted, rows, days)


def summary_month(school_id: int, day: date) -> dict:
    """What a monthly summary sent on `day` covers: the BS month before the one `day` is in,
    with its school days (as `Broadcast.attendance_month` keeps them)."""
    this_month = to_bs(day)
    first_of_this, _last = bs_month_span(this_month.year, this_month.month)
    before = to_bs(first_of_this - timedelta(days=1))
    first, last = bs_month_span(before.year, before.month)
    return {
        "year": before.year,
        "month": before.month,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "school_days": [d.isoformat() for d in school_days_between(school_id, first, last)],
    }
