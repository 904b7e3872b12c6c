"""Absence escalation: a student marked absent on the school's last N school days in a row
(N is the school's `absence_alert_days`) is reported once for that run: each of the class's
teachers on WhatsApp, in their language, and the school's admins as a dashboard alert.
Saturdays and holidays are not school days, so they neither break nor lengthen a run."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.lexicon.numerals import localize_digits
from portal.models import Alert, School, Student
from portal.services.calendar.days import SchoolCalendar
from portal.services.common import clock, dates
from portal.services.delivery import replies
from portal.services.roster import attendance
from portal.services.roster.classes import teachers_by_class

ACTION = "absent_streak"  # the alert's action
PURPOSE = "absence_streak"  # the teachers' messages' purpose
LOOK_BACK = timedelta(days=120)  # Dashain and Tihar breaks fit in it many times over


def school_days_back(calendar: SchoolCalendar, day: date, count: int) -> list[date]:
    """The `count` school days ending with `day` (itself one), oldest first."""
    found, current = [], day
    while current >= calendar.first and len(found) < count:
        if calendar.is_school_day(current):
            found.append(current)
        current -= timedelta(days=1)
    return found[::-1]


def escalate(*, school: School, student_ids: list[int], day: date) -> list[int]:
    """After these students were marked absent on `day`: those whose run of absent school
    days has just reached the school's number are reported; their ids."""
    calendar = SchoolCalendar(school.id, day - LOOK_BACK, day)
    wanted = school.absence_alert_days
    if not student_ids or not wanted or not calendar.is_school_day(day):
        return []
    run = school_days_back(calendar, day, wanted + 1)  # one more: was the run longer already?
    if len(run) < wanted:
        return []
    absent = attendance.absent_days(student_ids, first=run[0], last=day)
    reported = []
    for student_id in student_ids:
        days = set(absent[student_id])
        reached = all(d in days for d in run[-wanted:])
        longer = len(run) > wanted and run[0] in days  # reported when it reached the number
        if reached and not longer:
            _report(school, db.session.get(Student, student_id), since=run[-wanted], days=wanted)
            reported.append(student_id)
    return reported


def _report(school: School, student: Student, *, since: date, days: int) -> None:
    teachers = teachers_by_class(school_id=school.id, class_id=student.class_id)
    for teacher in teachers.get(student.class_id, []):
        with force_locale(teacher.language):
            body = teacher_text(student, since=since, days=days, lang=teacher.language)
        replies.queue_reply(
            school_id=school.id,
            to_phone=teacher.phone,
            body=body,
            purpose=PURPOSE,
            language=teacher.language,
        )
    open_alert = db.session.scalar(
        sa.select(Alert).where(
            Alert.school_id == school.id,
            Alert.action == ACTION,
            Alert.student_id == student.id,
            Alert.resolved_at.is_(None),
        )
    )
    if open_alert is not None:  # still on the dashboard: it now tells of this run
        open_alert.since_on = since
    else:
        db.session.add(
            Alert(
                school_id=school.id,
                action=ACTION,
                student_id=student.id,
                since_on=since,
                details="",
                created_at=clock.now(),
            )
        )


def teacher_text(student: Student, *, since: date, days: int, lang: str) -> str:
    """What a class teacher reads (the caller forces the language)."""
    cls = student.school_class
    guardians = ", ".join(
        f"{link.guardian.name} {link.guardian.phone}" for link in student.links
    ) or _("none")
    return _(
        "%(student)s (%(cls)s, roll %(roll)s) has been absent %(days)s school days in a "
        "row, since %(since)s. Please check on them. Guardians: %(guardians)s.",
        student=student.display_name(lang),
        cls=cls.name_ne if lang == "ne" else cls.name,
        roll=localize_digits(str(student.roll), lang),
        days=localize_digits(str(days), lang),
        since=dates.format_dual_date(since, lang),
        guardians=guardians,
    )


def run_length(student_id: int, school_id: int, since: date) -> int:
    """How many school days in a row the student has been absent from `since` on."""
    today = clock.now().astimezone(dates.NEPAL).date()
    calendar = SchoolCalendar(school_id, since, max(since, today))
    absent = set(attendance.absent_days([student_id], first=since, last=calendar.last)[student_id])
    count, day = 0, since
    while day <= calendar.last:
        if calendar.is_school_day(day):
            if day not in absent:
                break
            count += 1
        day += timedelta(days=1)
    return count
