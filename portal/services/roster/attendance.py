"""Attendance: who was marked absent on which day (Nepal date). Marking is idempotent: a
student is marked at most once a day, however often a teacher sends the same list."""

from datetime import date

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AttendanceRecord, Student
from portal.services.common import clock, dates, dialects


def today() -> date:
    """The school day it is now, in Nepal."""
    return clock.now().astimezone(dates.NEPAL).date()


def already_absent(student_ids: list[int], *, day: date) -> list[Student]:
    """The students of this list who are marked absent on that day already, by roll."""
    if not student_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Student)
            .join(AttendanceRecord, AttendanceRecord.student_id == Student.id)
            .where(Student.id.in_(student_ids), AttendanceRecord.day == day)
            .order_by(Student.roll)
        )
    )


def mark_absent(
    *, school_id: int, student_ids: list[int], day: date, teacher_id=None, broadcast_id=None
) -> list[int]:
    """Mark these students absent on that day; the ones newly marked (a student marked
    already, by this list or another, is left as marked and not returned)."""
    if not student_ids:
        return []
    rows = [
        {
            "school_id": school_id,
            "student_id": student_id,
            "day": day,
            "status": "absent",
            "teacher_id": teacher_id,
            "broadcast_id": broadcast_id,
            "created_at": clock.now(),
        }
        for student_id in student_ids
    ]
    statement = (
        dialects.insert(AttendanceRecord)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["student_id", "day"])
        .returning(AttendanceRecord.student_id)
    )
    marked = set(db.session.scalars(statement))
    return [student_id for student_id in student_ids if student_id in marked]


def absent_days(student_ids: list[int], *, first: date, last: date) -> dict[int, list[date]]:
    """Each of these students' absent days from `first` to `last`, in order."""
    found: dict[int, list[date]] = {student_id: [] for student_id in student_ids}
    if not student_ids:
        return found
    rows = db.session.execute(
        sa.select(AttendanceRecord.student_id, AttendanceRecord.day)
        .where(
            AttendanceRecord.student_id.in_(student_ids),
            AttendanceRecord.day >= first,
            AttendanceRecord.day <= last,
        )
        .order_by(AttendanceRecord.day)
    )
    for student_id, day in rows:
        found[student_id].append(day)
    return found
