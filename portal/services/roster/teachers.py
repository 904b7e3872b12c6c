"""Teachers: who may send notices from WhatsApp, and to which classes."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import School, SchoolClass, Teacher
from portal.services.common import audit
from portal.services.common.phones import InvalidPhone, normalize_phone
from portal.services.common.refusals import SetupError, must_be_new
from portal.services.roster.cells import name_or_refuse
from portal.services.roster.classes import find_classes
from portal.services.roster.records import Conflict

FIELDS = ("name", "phone", "language")


def in_school(*, school_id: int):
    """The school's teachers, active ones first, by name, with their classes loaded."""
    return (
        sa.select(Teacher)
        .where(Teacher.school_id == school_id)
        .order_by(Teacher.active.desc(), Teacher.name, Teacher.id)
        .options(selectinload(Teacher.classes))
    )


def add_teacher(*, school_id: int, user_id: int | None, class_ids=(), **values) -> Teacher:
    """A new teacher with their classes, recorded in the audit log."""
    _check_phone(school_id=school_id, phone=values["phone"], exclude_id=None)
    teacher = Teacher(school_id=school_id)
    changes = audit.diff(teacher, FIELDS, values)
    classes = _classes(school_id, class_ids)
    teacher.classes = classes
    changes["classes"] = [None, _names(classes)]
    db.session.add(teacher)
    db.session.flush()
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="teacher.create",
        target=teacher,
        changes=changes,
    )
    return teacher


def update_teacher(*, teacher: Teacher, user_id: int | None, class_ids=(), **values) -> dict:
    """Change a teacher's name, number, language or classes; returns what changed."""
    _check_phone(school_id=teacher.school_id, phone=values["phone"], exclude_id=teacher.id)
    classes = _classes(teacher.school_id, class_ids)
    changes = audit.diff(teacher, FIELDS, values)
    if {c.id for c in teacher.classes} != {c.id for c in classes}:
        changes["classes"] = [_names(teacher.classes), _names(classes)]
        teacher.classes = classes
    if changes:
        audit.record(
            school_id=teacher.school_id,
            user_id=user_id,
            action="teacher.update",
            target=teacher,
            changes=changes,
        )
    return changes


def _check_phone(*, school_id: int, phone: str, exclude_id: int | None) -> None:
    query = sa.select(Teacher).where(Teacher.school_id == school_id, Teacher.phone == phone)
    if exclude_id is not None:
        query = query.where(Teacher.id != exclude_id)
    holder = db.session.scalar(query)
    if holder is not None:
        raise Conflict(
            "phone", _l("%(name)s, another teacher, already has this number.", name=holder.name)
        )


def _classes(school_id: int, class_ids) -> list[SchoolClass]:
    if not class_ids:
        return []
    query = sa.select(SchoolClass).where(
        SchoolClass.school_id == school_id, SchoolClass.id.in_(list(class_ids))
    )
    return list(db.session.scalars(query.order_by(SchoolClass.grade, SchoolClass.section)))


def _names(classes) -> str:
    return ", ".join(f"{c.name} ({c.academic_year})" for c in classes)


def create_teacher(
    *,
    school: School,
    name: str,
    phone: str,
    class_names: list[str] = (),
    language: str = "ne",
    user_id: int | None = None,
) -> Teacher:
    """A teacher who may send notices from this phone to these classes (which must exist)."""
    name = name_or_refuse(name)
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise SetupError(exc.reason) from None
    if language not in ("ne", "en"):
        raise SetupError(_l("The language must be ne or en."))
    classes = find_classes(school=school, names=class_names)
    must_be_new(
        sa.and_(Teacher.school_id == school.id, Teacher.phone == phone),
        _l("A teacher with the phone %(phone)s exists already.", phone=phone),
    )
    teacher = Teacher(school_id=school.id, name=name, phone=phone, language=language)
    teacher.classes = classes
    db.session.add(teacher)
    db.session.flush()
    changes = {
        "name": [None, name],
        "phone": [None, phone],
        "language": [None, language],
        "classes": [None, ", ".join(c.name for c in classes)],
    }
    audit.record(
        school_id=school.id,
        user_id=user_id,
        action="teacher.create",
        target=teacher,
        changes=changes,
    )
    return teacher
