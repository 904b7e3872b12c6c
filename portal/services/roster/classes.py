"""Classes: adding and changing them, and the figures the class list shows."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.lexicon import classnames
from portal.models import School, SchoolClass, Student, StudentGuardian, Teacher, teacher_classes
from portal.services.common import audit
from portal.services.common.dates import current_bs_year
from portal.services.common.refusals import SetupError
from portal.services.roster.cells import CellError, parse_class_name
from portal.services.roster.records import Conflict

FIELDS = ("grade", "section", "academic_year")


def in_school(*, school_id: int):
    """The school's classes, newest academic year first, then by grade and section."""
    return (
        sa.select(SchoolClass)
        .where(SchoolClass.school_id == school_id)
        .order_by(SchoolClass.academic_year.desc(), SchoolClass.grade, SchoolClass.section)
    )


def add_class(*, school_id: int, user_id: int | None, **values) -> SchoolClass:
    """A new class (grade, section, academic year), recorded in the audit log."""
    _check_unique(school_id=school_id, exclude_id=None, **values)
    school_class = SchoolClass(school_id=school_id)
    changes = audit.diff(school_class, FIELDS, values)
    db.session.add(school_class)
    db.session.flush()
    audit.record(
        school_id=school_id,
        user_id=user_id,
        action="class.create",
        target=school_class,
        changes=changes,
    )
    return school_class


def update_class(*, school_class: SchoolClass, user_id: int | None, **values) -> dict:
    """Change a class's grade, section or year; returns what changed."""
    _check_unique(school_id=school_class.school_id, exclude_id=school_class.id, **values)
    changes = audit.diff(school_class, FIELDS, values)
    if changes:
        audit.record(
            school_id=school_class.school_id,
            user_id=user_id,
            action="class.update",
            target=school_class,
            changes=changes,
        )
    return changes


def _check_unique(*, school_id, exclude_id, grade, section, academic_year) -> None:
    query = sa.select(SchoolClass.id).where(
        SchoolClass.school_id == school_id,
        SchoolClass.grade == grade,
        SchoolClass.section == section,
        SchoolClass.academic_year == academic_year,
    )
    if exclude_id is not None:
        query = query.where(SchoolClass.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict("section", _l("This class already exists in that academic year."))


def summaries(*, school_id: int) -> list[dict]:
    """Each class with its active students, their guardians and its teachers (four queries)."""
    classes = db.session.scalars(in_school(school_id=school_id)).all()
    active = sa.and_(Student.school_id == school_id, Student.active)
    students = dict(
        db.session.execute(
            sa.select(Student.class_id, sa.func.count()).where(active).group_by(Student.class_id)
        ).all()
    )
    guardians = dict(
        db.session.execute(
            sa.select(Student.class_id, sa.func.count(sa.distinct(StudentGuardian.guardian_id)))
            .join(StudentGuardian, StudentGuardian.student_id == Student.id)
            .where(active)
            .group_by(Student.class_id)
        ).all()
    )
    teachers = teachers_by_class(school_id=school_id)
    return [
        {
            "school_class": c,
            "students": students.get(c.id, 0),
            "guardians": guardians.get(c.id, 0),
            "teachers": teachers.get(c.id, []),
        }
        for c in classes
    ]


def teachers_by_class(*, school_id: int, class_id: int | None = None) -> dict[int, list[Teacher]]:
    """Active teachers of each class, by class id, in one query."""
    query = (
        sa.select(teacher_classes.c.class_id, Teacher)
        .join(Teacher, Teacher.id == teacher_classes.c.teacher_id)
        .where(Teacher.school_id == school_id, Teacher.active)
        .order_by(Teacher.name)
    )
    if class_id is not None:
        query = query.where(teacher_classes.c.class_id == class_id)
    found: dict[int, list[Teacher]] = {}
    for cid, teacher in db.session.execute(query):
        found.setdefault(cid, []).append(teacher)
    return found


def find_classes(*, school: School, names: list[str]) -> list[SchoolClass]:
    """This year's classes named as the school writes them (`5A`, `५क`); unknown ones refused."""
    keys = []
    for raw in names:
        try:
            keys.append(parse_class_name(raw))
        except CellError as exc:
            raise SetupError(exc.reason) from None
    if not keys:
        return []
    query = sa.select(SchoolClass).where(
        SchoolClass.school_id == school.id, SchoolClass.academic_year == current_bs_year()
    )
    found = {(c.grade, c.section): c for c in db.session.scalars(query)}
    missing = [classnames.name_of(*key) for key in keys if key not in found]
    if missing:
        known = sorted(found)
        raise SetupError(
            _l(
                "No class %(names)s this year (it has: %(known)s); "
                "import the roster or add the class first.",
                names=", ".join(missing),
                known=", ".join(classnames.name_of(*key) for key in known) or "-",
            )
        )
    return sorted({found[key] for key in keys}, key=lambda c: (c.grade, c.section))
