"""Students: finding, adding and changing them (roll numbers are unique within a class)."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, selectinload

from portal.extensions import db
from portal.lexicon.numerals import to_ascii_digits
from portal.models import Guardian, SchoolClass, Student, StudentGuardian
from portal.services.common import audit
from portal.services.roster.guardians import phone_digits
from portal.services.roster.records import Conflict

FIELDS = ("class_id", "roll", "name", "name_ne")


def search(*, school_id: int, q: str = "", class_id: int | None = None, active: bool = True):
    """The school's students matching a search (name in either script, roll, guardian phone),
    in class and roll order, with their class and guardians loaded."""
    query = (
        sa.select(Student)
        .join(Student.school_class)
        .where(Student.school_id == school_id, Student.active == active)
        .order_by(
            SchoolClass.academic_year.desc(),
            SchoolClass.grade,
            SchoolClass.section,
            Student.roll,
        )
        .options(
            contains_eager(Student.school_class),
            selectinload(Student.links).selectinload(StudentGuardian.guardian),
        )
    )
    if class_id:
        query = query.where(Student.class_id == class_id)
    q = (q or "").strip()
    if q:
        query = query.where(_matches(q))
    return query


def _matches(q: str):
    conditions = [
        Student.name.icontains(q, autoescape=True),
        Student.name_ne.icontains(q, autoescape=True),
    ]
    number = to_ascii_digits(q)
    if re.fullmatch(r"[0-9]{1,4}", number):
        conditions.append(Student.roll == int(number))
    phone = phone_digits(q)
    if phone:
        on_phone = Guardian.phone.contains(phone, autoescape=True)
        conditions.append(Student.links.any(StudentGuardian.guardian.has(on_phone)))
    return sa.or_(*conditions)


def add_student(*, school_id: int, user_id: int | None, **values) -> Student:
    """A new student in one of the school's classes, recorded in the audit log."""
    _check_roll(school_id=school_id, exclude_id=None, **values)
    student = Student(school_id=school_id)
    changes = _named_class(audit.diff(student, FIELDS, values))
    db.session.add(student)
    db.session.flush()
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="student.create",
        target=student,
        changes=changes,
    )
    return student


def update_student(*, student: Student, user_id: int | None, **values) -> dict:
    """Change a student's class, roll or names; returns what changed."""
    _check_roll(school_id=student.school_id, exclude_id=student.id, **values)
    changes = _named_class(audit.diff(student, FIELDS, values))
    if changes:
        audit.record(
            school_id=student.school_id,
            user_id=user_id,
            action="student.update",
            target=student,
            changes=changes,
        )
    return changes


def _named_class(changes: dict) -> dict:
    """A class change as class names (`5A` → `6A`), which the audit log's readers know."""
    if "class_id" in changes:
        ids = changes.pop("class_id")
        changes["class"] = [None if i is None else db.session.get(SchoolClass, i).name for i in ids]
    return changes


def _check_roll(*, school_id, exclude_id, class_id, roll, **_names) -> None:
    query = sa.select(Student).where(
        Student.school_id == school_id, Student.class_id == class_id, Student.roll == roll
    )
    if exclude_id is not None:
        query = query.where(Student.id != exclude_id)
    holder = db.session.scalar(query)
    if holder is not None:
        raise Conflict(
            "roll", _l("This roll number is already %(name)s's in this class.", name=holder.name)
        )
